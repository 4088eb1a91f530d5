package metadata

import (
	"errors"
	"unsafe"
)

// masterStateMagic starts every master state (MetadataV2V3SerializerBase).
const masterStateMagic uint32 = 0xc96b1696

// Header is the start of a metadata file.
type Header struct {
	Version      int32
	CheckpointID int64
}

// DecodeHeader reads the version and checkpoint ID from the first 16 bytes
// of a metadata file.
func DecodeHeader(b []byte) (Header, error) {
	r := &reader{b: b}
	if magic := uint32(r.i32("magic number")); r.err == nil && magic != Magic {
		return Header{}, ErrNotMetadata
	}
	h := Header{Version: r.i32("version")}
	if r.err == nil && (h.Version < MinVersion || h.Version > MaxVersion) {
		return h, &UnsupportedVersionError{h.Version}
	}
	h.CheckpointID = r.i64("checkpoint ID")
	return h, r.err
}

// Decode decodes a whole metadata file. Every byte must be consumed.
//
// The returned Metadata aliases b (strings and inline state bytes point
// into it), so b must not be modified afterwards.
//
// Decode is safe on corrupt or hostile input: every length and count is
// checked against the bytes that remain before anything is allocated, and
// errors are *FormatError values with the byte offset and the structure
// being read.
func Decode(b []byte) (*Metadata, error) {
	h, err := DecodeHeader(b)
	if err != nil && !errors.As(err, new(*FormatError)) {
		return nil, err
	}
	m, err := decodeWith(b, nil)
	if err == nil || h.Version != 3 {
		return m, err
	}
	// Version 3 changed twice without a version bump. Retry the layouts of
	// Flink 1.11 (channel handles without subtask index) and 1.14
	// (changelog handles without the 1.15 fields); report the first error
	// if none fits.
	for _, q := range [][]Quirk{{QuirkNoChannelSubtaskIndex}, {QuirkChangelog114}, {QuirkNoChannelSubtaskIndex, QuirkChangelog114}} {
		if m2, err2 := decodeWith(b, q); err2 == nil {
			return m2, nil
		}
	}
	return nil, err
}

func decodeWith(b []byte, quirks []Quirk) (*Metadata, error) {
	r := &reader{b: b}
	for _, q := range quirks {
		switch q {
		case QuirkNoChannelSubtaskIndex:
			r.noChannelSubtask = true
		case QuirkChangelog114:
			r.changelog114 = true
		}
	}
	r.i32("magic number")
	m := &Metadata{Version: r.i32("version"), Quirks: quirks}
	if m.Version == 1 {
		decodeV1(r, m)
	} else {
		decodeBody(r, m)
	}
	if r.err == nil && r.remaining() > 0 {
		r.fail("%d unexpected bytes after the end of the metadata", r.remaining())
	}
	if r.err != nil {
		return nil, r.err
	}
	return m, nil
}

// decodeBody reads versions 2 to 7 (MetadataV2V3SerializerBase.deserializeMetadata).
func decodeBody(r *reader, m *Metadata) {
	off := r.off
	m.CheckpointID = r.i64("checkpoint ID")
	if m.CheckpointID < 0 {
		r.failAt(off, nil, "negative checkpoint ID %d", m.CheckpointID)
	}
	// A master state takes at least 4 magic + 4 length + 4 version + 2 name + 4 payload length bytes.
	n := r.count("number of master states", 18)
	for i := 0; i < n && r.err == nil; i++ {
		r.push("master state", i)
		m.MasterStates = append(m.MasterStates, decodeMasterState(r))
		r.pop()
	}
	// An operator state takes at least 16 + 4 + 4 + 4 bytes.
	n = r.count("number of operator states", 28)
	if r.charge(n, unsafe.Sizeof(OperatorState{}), "operator states") {
		m.Operators = make([]OperatorState, n)
	}
	for i := 0; i < n && r.err == nil; i++ {
		r.push("operator", i)
		decodeOperator(r, m.Version, &m.Operators[i])
		r.pop()
	}
	if m.Version >= 4 && r.err == nil {
		r.properties(m, r.take(r.remaining(), "checkpoint properties"))
	}
}

// properties decodes raw, the CheckpointProperties trailer of format 4+
// that r has just taken, into m; an error names the offset in the file.
func (r *reader) properties(m *Metadata, raw []byte) {
	off := r.off - len(raw)
	m.PropertiesRaw = raw
	p, err := decodeProperties(raw)
	if err != nil {
		var pe *propsError
		if errors.As(err, &pe) {
			r.failAt(off+int(pe.Offset), err, "invalid checkpoint properties: %s", pe.Msg)
		} else {
			r.failAt(off, err, "invalid checkpoint properties: %v", err)
		}
		return
	}
	m.Properties = p
}

func decodeMasterState(r *reader) MasterState {
	off := r.off
	if magic := uint32(r.i32("master state magic number")); r.err == nil && magic != masterStateMagic {
		r.failAt(off, nil, "bad master state magic number 0x%08x", magic)
	}
	off = r.off
	n := r.i32("master state length")
	if r.err == nil && n <= 0 {
		r.failAt(off, nil, "master state length %d is not positive", n)
	}
	body := r.take(int(n), "master state")
	if r.err != nil {
		return MasterState{}
	}
	// The body is its own little stream; offsets continue from here.
	sub := &reader{b: r.b[:r.off], off: r.off - len(body), path: r.path, base: r.base}
	ms := MasterState{Version: sub.i32("master state version"), Name: sub.utf("master state name")}
	pn := sub.count("master state payload length", 1)
	ms.Payload = sub.take(pn, "master state payload")
	if sub.err == nil && sub.remaining() > 0 {
		sub.fail("%d unexpected bytes after the master state", sub.remaining())
	}
	r.err = sub.err
	return ms
}

func decodeOperator(r *reader, version int32, op *OperatorState) {
	n := decodeOperatorHead(r, version, op)
	if version == 2 {
		if r.subtaskCount(n, op.Parallelism) {
			op.Subtasks = make([]SubtaskState, n)
		}
		for i := 0; i < n && r.err == nil; i++ {
			r.push("subtask record", i)
			st := &op.Subtasks[i]
			st.Index = r.subtaskIndex(op.Parallelism)
			decodeSubtask(r, version, st)
			r.pop()
		}
		return
	}
	if r.err != nil || op.FullyFinished {
		return
	}
	op.Subtasks = make([]SubtaskState, n)
	for i := 0; i < n && r.err == nil; i++ {
		r.push("subtask record", i)
		decodeSubtaskRecord(r, version, op.Parallelism, &op.Subtasks[i])
		r.pop()
	}
}

// decodeOperatorHead reads an operator up to its subtask states and
// returns their number (0 for a fully finished operator); from version 3
// on the number is checked against the parallelism and charged. The
// innermost element of r.path is the operator's.
func decodeOperatorHead(r *reader, version int32, op *OperatorState) int {
	if version >= 5 {
		op.Name = r.utf("operator name")
		op.UID = r.utf("operator uid")
	}
	op.ID = r.operatorID()
	r.path[len(r.path)-1].id = &op.ID
	checkParallelism(r, op)
	if version == 2 {
		op.ChainLength = r.i32("chain length")
		return r.count("number of subtask states", 4+8+4+4+4+1+1)
	}
	r.push("coordinator state", -1)
	off := r.off
	op.CoordinatorState = decodeStreamHandle(r)
	if r.err == nil && op.CoordinatorState != nil {
		if _, ok := op.CoordinatorState.(*ByteStreamHandle); !ok {
			r.failAt(off, nil, "coordinator state must be inline (ByteStreamStateHandle), found %v", op.CoordinatorState.Tag())
		}
	}
	r.pop()
	off = r.off
	n := r.i32("number of subtask states")
	if r.err != nil {
		return 0
	}
	if n == -1 {
		op.FullyFinished = true
		if op.CoordinatorState != nil {
			r.failAt(off, nil, "fully finished operator has coordinator state")
		}
		return 0
	}
	if n < 0 || int(n) > r.left()/4 {
		r.failAt(off, nil, "bad number of subtask states %d", n)
		return 0
	}
	if !r.subtaskCount(int(n), op.Parallelism) {
		return 0
	}
	return int(n)
}

// decodeSubtaskRecord reads one subtask record of versions 3 and later: a
// finished subtask's negative index, or an index and the subtask's state.
// The index must lie below the operator's parallelism.
func decodeSubtaskRecord(r *reader, version, parallelism int32, st *SubtaskState) {
	off := r.off
	idx := r.i32("subtask index")
	if idx < 0 {
		st.Index = -idx - 1
		st.Finished = true
		if r.err == nil && st.Index >= parallelism {
			r.failAt(off, nil, "finished subtask index %d is not below the parallelism %d", st.Index, parallelism)
		}
	} else if r.err == nil && idx >= parallelism {
		r.failAt(off, nil, "subtask index %d is not below the parallelism %d", idx, parallelism)
	} else {
		st.Index = idx
		decodeSubtask(r, version, st)
	}
}

func decodeSubtask(r *reader, version int32, st *SubtaskState) {
	if version == 2 {
		st.Duration = r.i64("subtask duration")
		off := r.off
		if n := r.i32("number of legacy operator states"); n != 0 && r.err == nil {
			r.failAt(off, nil, "legacy (Flink <= 1.1) operator state is not supported (%d handles)", n)
			return
		}
	}
	r.push("managed operator state", -1)
	st.ManagedOperatorState = decodeOperatorSlot(r)
	r.pop()
	r.push("raw operator state", -1)
	st.RawOperatorState = decodeOperatorSlot(r)
	r.pop()
	r.push("managed keyed state", -1)
	st.ManagedKeyedState = decodeKeyedHandle(r)
	r.pop()
	r.push("raw keyed state", -1)
	st.RawKeyedState = decodeKeyedHandle(r)
	r.pop()
	if version >= 3 {
		r.push("input channel state", -1)
		st.InputChannelState = decodeChannelList(r, version, InputChannel)
		r.pop()
		r.push("result subpartition state", -1)
		st.ResultSubpartitionState = decodeChannelList(r, version, ResultSubpartition)
		r.pop()
	}
	if version >= 7 {
		if r.u8("reference checkpoint marker") == 1 {
			st.HasRefCheckpointID = true
			st.RefCheckpointID = r.i64("reference checkpoint ID")
		}
	}
}

// decodeOperatorSlot reads "i32 present; if present: operator handle".
func decodeOperatorSlot(r *reader) []*OperatorStreamHandle {
	if r.i32("operator state present flag") == 0 || r.err != nil {
		return nil
	}
	return []*OperatorStreamHandle{decodeOperatorHandle(r)}
}

func decodeChannelList(r *reader, version int32, kind ChannelKind) []*ChannelHandle {
	n := r.count("number of channel state handles", 4+4+4+8+1)
	if n == 0 || r.err != nil {
		return nil
	}
	if !r.charge(n, unsafe.Sizeof(ChannelHandle{})+8, "channel state handles") {
		return nil
	}
	out := make([]*ChannelHandle, n)
	for i := range out {
		r.push("channel handle", i)
		out[i] = decodeChannelHandle(r, version, kind)
		r.pop()
		if r.err != nil {
			return nil
		}
	}
	return out
}

func decodeChannelHandle(r *reader, version int32, kind ChannelKind) *ChannelHandle {
	h := &ChannelHandle{Kind: kind}
	if version >= 6 {
		off := r.off
		t := r.u8("channel handle type")
		switch {
		case r.err != nil:
			return nil
		case t == byte(kind):
		case t == byte(kind)+2:
			h.Merged = true
		default:
			r.failAt(off, nil, "unexpected channel handle type %d in %s list", t, kindName(kind))
			return nil
		}
	}
	if h.Merged {
		h.Subtask = r.i32("subtask index")
		h.Size = r.i64("state size")
		h.Delegate = decodeStreamHandle(r)
		n := r.count("channel offsets length", 1)
		body := r.take(n, "channel offsets")
		if r.err != nil {
			return nil
		}
		sub := &reader{b: r.b[:r.off], off: r.off - len(body), path: r.path, base: r.base}
		cn := sub.count("number of merged channels", 4+4+8+4)
		for i := 0; i < cn && sub.err == nil; i++ {
			c := ChannelOffsets{A: sub.i32("channel index"), B: sub.i32("channel index")}
			c.Size = sub.i64("channel state size")
			k := sub.count("number of offsets", 8)
			c.Offsets = sub.longs(k, "offsets")
			h.Channels = append(h.Channels, c)
		}
		if sub.err == nil && sub.remaining() > 0 {
			sub.fail("%d unexpected bytes after the channel offsets", sub.remaining())
		}
		r.err = sub.err
		return h
	}
	if !r.noChannelSubtask {
		h.Subtask = r.i32("subtask index")
	}
	h.A = r.i32("channel index")
	h.B = r.i32("channel index")
	n := r.count("number of offsets", 8)
	h.Offsets = r.longs(n, "offsets")
	h.Size = r.i64("state size")
	h.Delegate = decodeStreamHandle(r)
	return h
}

func kindName(k ChannelKind) string {
	if k == InputChannel {
		return "input channel"
	}
	return "result subpartition"
}

func decodeStreamHandle(r *reader) StreamHandle {
	if !r.enterHandle() || !r.charge(1, handleCharge, "state handles") {
		return nil
	}
	defer r.leaveHandle()
	off := r.off
	tag := HandleTag(r.u8("stream handle tag"))
	if r.err != nil {
		return nil
	}
	switch tag {
	case TagNull:
		return nil
	case TagByteStreamHandle:
		h := &ByteStreamHandle{Name: r.utf("handle name")}
		n := r.count("inline state length", 1)
		h.Data = r.take(n, "inline state")
		return h
	case TagFileHandle:
		h := &FileHandle{Size: r.size("state size")}
		h.Path = r.utf("file path")
		return h
	case TagRelativeFileHandle:
		h := &RelativeFileHandle{RelativePath: r.utf("relative path")}
		h.Size = r.size("state size")
		return h
	case TagKeyGroupsHandle:
		return decodeKeyGroups(r, tag)
	case TagSegmentFileHandle:
		h := &SegmentFileHandle{StartPos: r.size("segment start"), Size: r.size("state size")}
		soff := r.off
		h.Scope = r.i32("segment scope")
		if r.err == nil && h.Scope != 0 && h.Scope != 1 {
			r.failAt(soff, nil, "unknown segment scope %d", h.Scope)
		}
		h.PhysicalPath = r.utf("physical file path")
		h.LogicalFileID = r.utf("logical file ID")
		return h
	case TagEmptySegmentFileHandle:
		return &EmptySegmentFileHandle{}
	}
	r.failAt(off, nil, "unknown stream state handle tag %d", tag)
	return nil
}

func decodeKeyGroups(r *reader, tag HandleTag) *KeyGroupsHandle {
	h := &KeyGroupsHandle{Tag_: tag, Range: r.keyGroupRange()}
	if r.err != nil {
		return nil
	}
	if int(h.Range.Count) > r.left()/8 {
		r.failAt(r.off-4, nil, "key-group count %d too large: %d bytes remain", h.Range.Count, r.left())
		return nil
	}
	h.Offsets = r.longs(int(h.Range.Count), "key-group offsets")
	r.push("delegate", -1)
	h.Delegate = decodeStreamHandle(r)
	r.pop()
	if tag == TagKeyGroupsHandleV2 {
		h.HandleID = r.utf("state handle ID")
	}
	return h
}

func decodeKeyedHandle(r *reader) KeyedStateHandle {
	if !r.enterHandle() || !r.charge(1, handleCharge, "state handles") {
		return nil
	}
	defer r.leaveHandle()
	off := r.off
	tag := HandleTag(r.u8("keyed state handle tag"))
	if r.err != nil {
		return nil
	}
	switch tag {
	case TagNull:
		return nil
	case TagKeyGroupsHandle, TagSavepointKeyGroupsHandle, TagKeyGroupsHandleV2:
		if h := decodeKeyGroups(r, tag); h != nil {
			return h
		}
		return nil
	case TagIncrementalKeyGroupsHandle, TagIncrementalKeyGroupsHandleV2:
		h := &IncrementalKeyedHandle{V2: tag == TagIncrementalKeyGroupsHandleV2}
		h.CheckpointID = r.i64("checkpoint ID")
		h.BackendID = r.utf("backend ID")
		h.Range = r.keyGroupRange()
		if h.V2 {
			h.CheckpointedSize = r.i64("checkpointed size")
		}
		r.push("meta data handle", -1)
		h.MetaData = decodeStreamHandle(r)
		r.pop()
		r.push("shared state", -1)
		h.Shared = decodeNamedHandles(r)
		r.pop()
		r.push("private state", -1)
		h.Private = decodeNamedHandles(r)
		r.pop()
		if h.V2 {
			h.HandleID = r.utf("state handle ID")
		}
		return h
	case TagChangelogBackendHandle, TagChangelogBackendHandleV2:
		h := &ChangelogBackendHandle{V2: tag == TagChangelogBackendHandleV2}
		h.Range = r.keyGroupRange()
		legacy := r.changelog114 && !h.V2
		if !legacy {
			h.CheckpointedSize = r.i64("checkpointed size")
		}
		r.push("materialized state", -1)
		h.Materialized = decodeKeyedList(r)
		r.pop()
		r.push("non-materialized state", -1)
		h.NonMaterialized = decodeKeyedList(r)
		r.pop()
		if !legacy {
			h.MaterializationID = r.i64("materialization ID")
			if h.V2 {
				h.CheckpointID = r.i64("checkpoint ID")
			} else {
				h.CheckpointID = h.MaterializationID
			}
			h.HandleID = r.utf("state handle ID")
		}
		return h
	case TagInMemoryChangelogHandle:
		h := &InMemoryChangelogHandle{Range: r.keyGroupRange()}
		h.From = r.i64("from sequence number")
		h.To = r.i64("to sequence number")
		n := r.count("number of changes", 8)
		for i := 0; i < n && r.err == nil; i++ {
			r.charge(1, unsafe.Sizeof(Change{}), "changes")
			c := Change{KeyGroup: r.i32("change key group")}
			c.Data = r.take(r.count("change length", 1), "change")
			h.Changes = append(h.Changes, c)
		}
		if !r.changelog114 {
			h.HandleID = r.utf("state handle ID")
		}
		return h
	case TagChangelogStreamHandle, TagChangelogStreamHandleV2:
		h := &ChangelogStreamHandle{V2: tag == TagChangelogStreamHandleV2}
		h.Range = r.keyGroupRange()
		n := r.count("number of changelog handles", 9)
		for i := 0; i < n && r.err == nil; i++ {
			oh := OffsetHandle{Offset: r.i64("changelog offset")}
			r.push("changelog handle", i)
			oh.Handle = decodeStreamHandle(r)
			r.pop()
			h.Handles = append(h.Handles, oh)
		}
		h.Size = r.i64("state size")
		if r.changelog114 && !h.V2 {
			return h
		}
		h.CheckpointedSize = r.i64("checkpointed size")
		h.HandleID = r.utf("state handle ID")
		if h.V2 {
			h.StorageID = r.utf("storage identifier")
		}
		return h
	}
	r.failAt(off, nil, "unknown keyed state handle tag %d", tag)
	return nil
}

func decodeKeyedList(r *reader) []KeyedStateHandle {
	n := r.count("number of keyed handles", 1)
	if n == 0 || r.err != nil {
		return nil
	}
	if !r.charge(n, 16, "keyed state handles") {
		return nil
	}
	out := make([]KeyedStateHandle, n)
	for i := range out {
		out[i] = decodeKeyedHandle(r)
		if r.err != nil {
			return nil
		}
	}
	return out
}

func decodeNamedHandles(r *reader) []NamedHandle {
	n := r.count("number of files", 3)
	if n == 0 || r.err != nil {
		return nil
	}
	if !r.charge(n, unsafe.Sizeof(NamedHandle{}), "named handles") {
		return nil
	}
	out := make([]NamedHandle, n)
	// The files of a RocksDB instance are mostly plain file handles:
	// allocate those in one slab rather than one by one.
	var files []FileHandle
	for i := range out {
		out[i].LocalPath = r.utf("local path")
		if r.err == nil && r.remaining() > 0 && HandleTag(r.b[r.off]) == TagFileHandle {
			if files == nil {
				files = make([]FileHandle, n)
			}
			r.off++
			f := &files[i]
			f.Size = r.size("state size")
			f.Path = r.utf("file path")
			out[i].Handle = f
		} else {
			out[i].Handle = decodeStreamHandle(r)
		}
		if r.err != nil {
			return nil
		}
	}
	return out
}

func decodeOperatorHandle(r *reader) *OperatorStreamHandle {
	off := r.off
	tag := HandleTag(r.u8("operator state handle tag"))
	if r.err != nil {
		return nil
	}
	switch tag {
	case TagNull:
		return nil
	case TagOperatorStreamHandle, TagFileMergingOperatorHandle:
	default:
		r.failAt(off, nil, "unknown operator state handle tag %d", tag)
		return nil
	}
	h := &OperatorStreamHandle{FileMerging: tag == TagFileMergingOperatorHandle}
	n := r.count("number of operator states", 2+1+4)
	if n > 0 && r.charge(n, unsafe.Sizeof(OperatorStateEntry{}), "operator states") {
		h.States = make([]OperatorStateEntry, n)
	}
	for i := 0; i < n && r.err == nil; i++ {
		e := &h.States[i]
		e.Name = r.utf("state name")
		moff := r.off
		e.Mode = DistributionMode(int8(r.u8("distribution mode")))
		if r.err == nil && (e.Mode < SplitDistribute || e.Mode > Broadcast) {
			r.failAt(moff, nil, "unknown distribution mode %d", e.Mode)
		}
		k := r.count("number of offsets", 8)
		e.Offsets = r.longs(k, "offsets")
	}
	if h.FileMerging {
		h.TaskOwnedDir = r.utf("task-owned directory")
		h.SharedDir = r.utf("shared directory")
		h.Empty = r.bool("empty flag")
	}
	doff := r.off
	r.push("delegate", -1)
	h.Delegate = decodeStreamHandle(r)
	r.pop()
	if h.FileMerging && r.err == nil {
		switch h.Delegate.(type) {
		case *SegmentFileHandle, *EmptySegmentFileHandle:
		default:
			r.failAt(doff, nil, "file-merging operator state needs a segment file delegate, found %s", tagOf(h.Delegate))
		}
	}
	return h
}

func tagOf(h StateHandle) string {
	if h == nil {
		return "null"
	}
	return h.Tag().String()
}

// decodeV1 reads the Flink 1.2 layout (SavepointV1Serializer): task states
// keyed by JobVertexID.
func decodeV1(r *reader, m *Metadata) {
	m.CheckpointID = r.i64("checkpoint ID")
	n := r.count("number of task states", 16+4+4+4+4)
	if r.err == nil {
		if r.charge(n, unsafe.Sizeof(OperatorState{}), "task states") {
			m.Operators = make([]OperatorState, n)
		}
	}
	for i := 0; i < n && r.err == nil; i++ {
		r.push("task", i)
		op := &m.Operators[i]
		op.ID = r.operatorID()
		r.path[len(r.path)-1].id = &op.ID
		checkParallelism(r, op)
		op.ChainLength = r.i32("chain length")
		k := r.count("number of subtask states", 4+8+4+4+4+1+1)
		if r.subtaskCount(k, op.Parallelism) {
			op.Subtasks = make([]SubtaskState, k)
		}
		for j := 0; j < k && r.err == nil; j++ {
			r.push("subtask record", j)
			st := &op.Subtasks[j]
			st.Index = r.subtaskIndex(op.Parallelism)
			st.Duration = r.i64("subtask duration")
			c := r.count("number of legacy states", 1)
			for x := 0; x < c && r.err == nil; x++ {
				st.LegacyState = append(st.LegacyState, decodeStreamHandle(r))
			}
			st.ManagedOperatorState = decodeOperatorList(r)
			st.RawOperatorState = decodeOperatorList(r)
			st.ManagedKeyedState = decodeKeyedHandle(r)
			st.RawKeyedState = decodeKeyedHandle(r)
			r.pop()
		}
		r.pop()
	}
}

func decodeOperatorList(r *reader) []*OperatorStreamHandle {
	n := r.count("number of operator handles", 1)
	var out []*OperatorStreamHandle
	for i := 0; i < n && r.err == nil; i++ {
		out = append(out, decodeOperatorHandle(r))
	}
	if out == nil && n > 0 {
		return nil
	}
	return out
}

// checkParallelism reads an operator's parallelism and max parallelism
// and checks them as Flink does: OperatorState's constructor refuses a
// parallelism above the max parallelism, and KeyGroupRangeAssignment
// bounds the max parallelism to 1 … 32768 (UPPER_BOUND_MAX_PARALLELISM).
func checkParallelism(r *reader, op *OperatorState) {
	off := r.off
	op.Parallelism = r.i32("parallelism")
	op.MaxParallelism = r.i32("max parallelism")
	switch {
	case r.err != nil:
	case op.Parallelism < 1:
		r.failAt(off, nil, "parallelism %d is below 1", op.Parallelism)
	case op.MaxParallelism < 1 || op.MaxParallelism > upperBoundMaxParallelism:
		r.failAt(off+4, nil, "max parallelism %d is outside 1 to %d", op.MaxParallelism, upperBoundMaxParallelism)
	case op.Parallelism > op.MaxParallelism:
		r.failAt(off, nil, "parallelism %d is above the max parallelism %d", op.Parallelism, op.MaxParallelism)
	default:
		r.maxKeyGroups = op.MaxParallelism
	}
}

// handleCharge is what one decoded state handle is charged (see charge):
// about the largest handle struct.
const handleCharge = 128

// subtaskCount checks a number of subtask states: Flink keeps them in a map
// by subtask index, which is below the parallelism (OperatorState.putState),
// so there are at most parallelism of them.
func (r *reader) subtaskCount(n int, parallelism int32) bool {
	if r.err != nil {
		return false
	}
	if n > int(parallelism) {
		r.fail("%d subtask states for parallelism %d", n, parallelism)
		return false
	}
	return r.charge(n, unsafe.Sizeof(SubtaskState{}), "subtask states")
}

// upperBoundMaxParallelism is KeyGroupRangeAssignment.UPPER_BOUND_MAX_PARALLELISM.
const upperBoundMaxParallelism = 1 << 15

// subtaskIndex reads a subtask index that must lie in 0 … parallelism-1
// (OperatorState.putState).
func (r *reader) subtaskIndex(parallelism int32) int32 {
	off := r.off
	idx := r.i32("subtask index")
	if r.err == nil && (idx < 0 || idx >= parallelism) {
		r.failAt(off, nil, "subtask index %d is not in 0 to %d (parallelism %d)", idx, parallelism-1, parallelism)
	}
	return idx
}

// size reads a byte size or position, which cannot be negative.
func (r *reader) size(what string) int64 {
	off := r.off
	n := r.i64(what)
	if r.err == nil && n < 0 {
		r.failAt(off, nil, "negative %s %d", what, n)
	}
	return n
}
