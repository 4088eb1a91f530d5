package savepoint

// Which backend wrote a full keyed-state snapshot (a KeyGroupsStateHandle
// of a checkpoint, a native savepoint, or a savepoint before Flink 1.13):
// the handle is the same for the heap (hashmap) backend and for RocksDB
// without incremental checkpoints, but what each writes at a key group's
// offset differs. Cited lines are the same in Flink 1.20
// (TanYuxin-tyx/flink, June 2024) and 2.0 (1996fanrui/flink, November 2024):
//
//   - heap: HeapSnapshotStrategy.asyncSnapshot records the offset of every
//     key group of the range and writes the key-group index there as an int,
//     outside any compression (HeapSnapshotStrategy.java:160-161); the heap
//     restore reads it back and fails with "Unexpected key-group in
//     restore." when it differs (HeapRestoreOperation.java:212-216);
//   - full format: FullSnapshotAsyncWriter records the offset only of key
//     groups with data (the others keep 0) and writes there, through the
//     compression decorator, the state's short id and then the first key,
//     a byte array (int length, bytes) that starts with the key-group prefix
//     (FullSnapshotAsyncWriter.java:147-157, 190-200;
//     CompositeKeySerializationUtils.java:169-170: 1 prefix byte up to 128
//     key groups, else 2), whose first byte may carry the meta-data-follows
//     flag 0x80 (FullSnapshotUtil.java:27-32). Compressed, the stream starts
//     with the Snappy framing's stream identifier
//     (SnappyStreamCompressionDecorator.java:47, xerial SnappyFramedOutputStream).
//     RocksDB's full restore reads that format (FullSnapshotRestoreOperation
//     .java:252-280).
//
// So the 8 bytes at one key group's offset (not key group 0, whose index
// reads as 0 in both) tell them apart.

import (
	"context"
	"encoding/binary"
	"fmt"
)

// KeyedFormat is the format a full keyed-state snapshot is written in.
type KeyedFormat int

const (
	// KeyedFormatUnknown: not probed, or the bytes did not tell.
	KeyedFormatUnknown KeyedFormat = iota
	// KeyedFormatHeap: the heap (hashmap) backend's checkpoint format.
	KeyedFormatHeap
	// KeyedFormatFull: the full-snapshot format (RocksDB without
	// incremental checkpoints).
	KeyedFormatFull
)

// KeyedProbe is what ProbeKeyedFormat found.
type KeyedProbe struct {
	Format KeyedFormat
	// Evidence says, for people, what the answer rests on (or why there
	// is none).
	Evidence string
	// BytesRead counts the bytes read from a state file (0 when the
	// offsets or inline bytes decided).
	BytesRead int64
}

// probeBytes is how many bytes ProbeKeyedFormat reads at a key group's
// offset: the heap's key-group int, or the full format's state id, key
// length and first key byte.
const probeBytes = 8

// snappyStreamID is the start of the Snappy framing format's stream
// identifier chunk (type 0xff, length 6, "sNaP…").
var snappyStreamID = []byte{0xff, 0x06, 0x00, 0x00, 's', 'N', 'a', 'P'}

// ProbeKeyedFormat tells the heap format from the full-snapshot format of
// the savepoint's first checkpoint-format key-group handle
// (metadata.FullKeyedSample), with at most one ranged read of 8 bytes of
// a state file that belongs to the savepoint (the read roots apply as in
// deep mode). Without such a handle, or when the read fails or the bytes
// are neither format, the format is unknown and Evidence says why.
func ProbeKeyedFormat(ctx context.Context, sp *Savepoint) KeyedProbe {
	s := sp.Metadata.FullKeyedSample()
	if s == nil {
		return KeyedProbe{Evidence: "no full key-group snapshot to read"}
	}
	h := s.Handle
	// A key group without data keeps offset 0 in the full format; the heap
	// format writes every key group after the header.
	for i, off := range h.Offsets {
		if off == 0 {
			return KeyedProbe{Format: KeyedFormatFull, Evidence: fmt.Sprintf(
				"key group %d of subtask %d has no offset, which only the full-snapshot format (RocksDB) leaves", int(h.Range.Start)+i, s.Subtask)}
		}
	}
	pos := -1
	for i := range h.Offsets {
		if int(h.Range.Start)+i != 0 {
			pos = i
			break
		}
	}
	if pos < 0 {
		return KeyedProbe{Evidence: "the only key group is 0, whose bytes read alike in both formats"}
	}
	kg := int(h.Range.Start) + pos
	j := &headerJob{op: s.Operator, subtask: s.Subtask, kind: keyedHeader, stream: h.Delegate,
		start: h.Offsets[pos], end: h.Offsets[pos] + probeBytes}
	sp.readHeader(ctx, j, probeBytes, make(chan struct{}, 1))
	for _, p := range j.problems {
		if p.Kind == ProblemRelocated {
			continue // read from the savepoint directory instead: the bytes are there
		}
		return KeyedProbe{Evidence: fmt.Sprintf("reading 8 bytes at key group %d of subtask %d failed: %s", kg, s.Subtask, problemText(p))}
	}
	b := j.data
	if len(b) < probeBytes {
		return KeyedProbe{Evidence: fmt.Sprintf("key group %d of subtask %d: fewer than 8 bytes at its offset", kg, s.Subtask), BytesRead: j.bytesRead}
	}
	where := fmt.Sprintf("the bytes at key group %d of subtask %d", kg, s.Subtask)
	if j.bytesRead > 0 {
		where += " (8 bytes read from state file " + RedactText(baseName(j.where)) + ")"
	}
	maxPar := int(sp.Metadata.Operators[s.Operator].MaxParallelism)
	format, why := classifyKeyGroupStart(b, kg, maxPar)
	if format == KeyedFormatUnknown {
		return KeyedProbe{Evidence: where + " " + why, BytesRead: j.bytesRead}
	}
	return KeyedProbe{Format: format, Evidence: where + " " + why, BytesRead: j.bytesRead}
}

// classifyKeyGroupStart classifies the first 8 bytes at the offset of key
// group kg (not 0) of a job with maxPar key groups.
func classifyKeyGroupStart(b []byte, kg, maxPar int) (KeyedFormat, string) {
	if int32(binary.BigEndian.Uint32(b)) == int32(kg) {
		return KeyedFormatHeap, "hold the key-group index, as the heap backend writes them (HeapSnapshotStrategy)"
	}
	if string(b[:len(snappyStreamID)]) == string(snappyStreamID) {
		return KeyedFormatFull, "open a Snappy-compressed key-group stream, as the full-snapshot format writes it (FullSnapshotAsyncWriter)"
	}
	id := int16(binary.BigEndian.Uint16(b))
	keyLen := int32(binary.BigEndian.Uint32(b[2:]))
	want := byte(kg)
	if maxPar > 128 {
		want = byte(kg >> 8)
	}
	if maxPar > 0 && id >= 0 && keyLen > 0 && b[6]&0x7f == want&0x7f {
		return KeyedFormatFull, "hold a state id and a key of that key group, as the full-snapshot format writes them (FullSnapshotAsyncWriter)"
	}
	return KeyedFormatUnknown, "are neither the heap backend's key-group index nor a full-snapshot key"
}

// problemText is a problem's kind and error, with credentials redacted.
func problemText(p DeepProblem) string {
	if p.Err == nil {
		return string(p.Kind)
	}
	return RedactText(fmt.Sprintf("%s: %v", p.Kind, p.Err))
}
