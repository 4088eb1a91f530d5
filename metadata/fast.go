package metadata

import (
	"encoding/binary"
	"math/bits"
	"strings"
	"sync/atomic"
	"unsafe"
)

// The fast path of DecodeSummaries reads the subtask records of the shapes
// Flink writes most (operator state in a stream handle; keyed state in a
// key-group or incremental RocksDB handle of file, relative-file, segment
// and inline handles; no channel state) straight from the window: no
// handle is allocated and no string is made, and what the summaries need
// is added up as it goes. It makes every check the decoder makes on those
// shapes, and gives up on anything else: another handle type, a check
// that fails, a non-ASCII string, a charge past MaxDecodedSize. Then the
// record is decoded by the decoder (decodeSubtaskRecord), which reports the
// error, or summarizes what the fast path does not know. A record the fast
// path reads is one the decoder accepts, with the same summary; the tests
// in stream_test.go hold both to Decode. The one check it leaves to
// another, when files are counted, is that of the bytes of file paths:
// the file set checks them as it hashes them (fileHasher.hashRef), decodes
// a non-ASCII one as the decoder does, and when one is not modified UTF-8,
// DecodeSummaries decodes the file again without the fast path, for the
// decoder's error. When files are not counted (DecodeSummariesNoFiles),
// nothing hashes the paths: the fast path checks them itself (paths), and
// gives up on a non-ASCII one.

// fastSub is what one subtask record adds to the summaries. Offsets are
// into the fastReader's b.
type fastSub struct {
	index                                           int32
	finished, hasState                              bool
	size, inline                                    int64
	tags, keyed                                     uint32 // bit t: tag t seen (all tags read here are below 32)
	managedKeyed, rawKeyed                          HandleTag
	savepointTag, incremental, absShared, relShared bool
	names                                           []fastName
	files                                           []fastFile
}

type fastName struct {
	off, n int
	mode   DistributionMode
	raw    bool
}

// A fastFile is a file path in a record, at off, n bytes long; or, with
// run, a run of n named file-handle entries from off (fileEntries), whose
// paths the file set reads itself (nextInRun).
type fastFile struct {
	off, n   int
	rel, run bool
}

func (s *fastSub) reset() {
	names, files := s.names[:0], s.files[:0]
	*s = fastSub{names: names, files: files}
}

// fastStatus says why the fast path stopped.
const (
	fastOK   = iota
	fastMore // the record goes on past the window
	fastBail // the decoder must read the record
)

// fastDisabled turns the fast path off (tests compare both paths), and
// fastRecords counts the records it read (tests check that it does).
var (
	fastDisabled = false
	fastRecords  atomic.Int64
)

type fastReader struct {
	b       []byte
	off     int
	beyond  int64 // input bytes after b
	charged int64 // as reader.charge
	maxKG   int32
	status  int
	s       *fastSub
	// sample: a managed key-group handle of tag 3 or 12 may be the
	// FullKeyedSample, which the decoder keeps (metaSummary.keepSample).
	sample bool
	// paths: no file set checks the bytes of file paths (their files are
	// not counted); the fast path checks them as it checks other strings.
	paths bool
}

func (f *fastReader) bail() {
	if f.status == fastOK {
		f.status = fastBail
	}
}

// need reports whether n more bytes are in the window.
func (f *fastReader) need(n int) bool {
	if f.status != fastOK {
		return false
	}
	if n > len(f.b)-f.off {
		if f.beyond > 0 {
			f.status = fastMore
		} else {
			f.status = fastBail
		}
		return false
	}
	return true
}

func (f *fastReader) left() int {
	return int(min(int64(len(f.b)-f.off)+f.beyond, int64(maxInt)))
}

func (f *fastReader) u8() byte {
	if !f.need(1) {
		return 0
	}
	c := f.b[f.off]
	f.off++
	return c
}

func (f *fastReader) i32() int32 {
	if !f.need(4) {
		return 0
	}
	v := int32(binary.BigEndian.Uint32(f.b[f.off:]))
	f.off += 4
	return v
}

func (f *fastReader) i64() int64 {
	if !f.need(8) {
		return 0
	}
	v := int64(binary.BigEndian.Uint64(f.b[f.off:]))
	f.off += 8
	return v
}

// size is reader.size: a negative size is an error.
func (f *fastReader) size() int64 {
	v := f.i64()
	if v < 0 {
		f.bail()
	}
	return v
}

func (f *fastReader) skip(n int) {
	if f.need(n) {
		f.off += n
	}
}

// utf skips a modified UTF-8 string and returns where its bytes are; it
// gives up on a non-ASCII one (the decoder decodes it).
func (f *fastReader) utf() (off, n int) { return f.str(true) }

// path skips a modified UTF-8 string that is a file's path, without
// looking at its bytes: the file set hashes them, and tells in the same
// pass whether they are ASCII (fileHasher.hashRef). With f.paths, it
// checks them as utf does.
func (f *fastReader) path() (off, n int) { return f.str(f.paths) }

// str skips a modified UTF-8 string and returns where its bytes are; with
// ascii, it gives up on a non-ASCII one.
func (f *fastReader) str(ascii bool) (off, n int) {
	if !f.need(2) {
		return 0, 0
	}
	n = int(binary.BigEndian.Uint16(f.b[f.off:]))
	f.off += 2
	if !f.need(n) {
		return 0, 0
	}
	off = f.off
	f.off += n
	if ascii && !isASCII(f.b[off:f.off]) {
		f.bail()
		return 0, 0
	}
	return off, n
}

// count is reader.count.
func (f *fastReader) count(minSize int) int {
	n := f.i32()
	if f.status != fastOK {
		return 0
	}
	if n < 0 || int(n) > f.left()/minSize {
		f.bail()
		return 0
	}
	return int(n)
}

// charge is reader.charge, against MaxDecodedSize alone (the decoder's
// budget is at least that).
func (f *fastReader) charge(n int, size uintptr) {
	f.charged += int64(n) * int64(size)
	if f.charged > MaxDecodedSize {
		f.bail()
	}
}

// subtask reads a subtask record of versions 3 and later, as
// decodeSubtaskRecord and decodeSubtask do.
func (f *fastReader) subtask(version, parallelism int32) {
	idx := f.i32()
	if f.status != fastOK {
		return
	}
	if idx < 0 {
		if -idx-1 >= parallelism {
			f.bail()
		}
		f.s.index = -idx - 1
		f.s.finished = true
		return
	}
	if idx >= parallelism {
		f.bail()
		return
	}
	f.s.index = idx
	f.operatorSlot(false)
	f.operatorSlot(true)
	f.keyed(false)
	f.keyed(true)
	// Input channel and result subpartition state: only empty lists.
	if in, out := f.i32(), f.i32(); in != 0 || out != 0 {
		f.bail()
		return
	}
	if version >= 7 {
		if f.u8() == 1 {
			f.i64()
		}
	}
}

// operatorSlot is decodeOperatorSlot for tag 4 handles.
func (f *fastReader) operatorSlot(raw bool) {
	if f.i32() == 0 || f.status != fastOK {
		return
	}
	switch HandleTag(f.u8()) {
	case TagNull:
		return
	case TagOperatorStreamHandle:
	default:
		f.bail()
		return
	}
	s := f.s
	s.tags |= 1 << TagOperatorStreamHandle
	s.hasState = true
	n := f.count(2 + 1 + 4)
	if n > 0 {
		f.charge(n, unsafe.Sizeof(OperatorStateEntry{}))
	}
	for i := 0; i < n && f.status == fastOK; i++ {
		off, ln := f.utf()
		mode := DistributionMode(int8(f.u8()))
		if mode < SplitDistribute || mode > Broadcast {
			f.bail()
		}
		k := f.count(8)
		f.skip(8 * k)
		s.names = append(s.names, fastName{off, ln, mode, raw})
	}
	f.stream()
}

// stream is decodeStreamHandle for the handles it knows; it returns the
// tag read.
func (f *fastReader) stream() HandleTag {
	f.charge(1, handleCharge)
	tag := HandleTag(f.u8())
	if f.status != fastOK {
		return 0
	}
	s := f.s
	switch tag {
	case TagNull:
		return tag
	case TagByteStreamHandle:
		f.utf()
		n := f.count(1)
		f.skip(n)
		s.size += int64(n)
		s.inline += int64(n)
	case TagFileHandle:
		size := f.size()
		off, n := f.path()
		s.size += size
		s.files = append(s.files, fastFile{off: off, n: n})
	case TagRelativeFileHandle:
		off, n := f.path()
		s.size += f.size()
		s.files = append(s.files, fastFile{off: off, n: n, rel: true})
	case TagSegmentFileHandle:
		f.size()
		size := f.size()
		if scope := f.i32(); scope != 0 && scope != 1 {
			f.bail()
		}
		off, n := f.path()
		f.utf()
		s.size += size
		s.files = append(s.files, fastFile{off: off, n: n})
	case TagEmptySegmentFileHandle:
	default:
		f.bail()
		return 0
	}
	s.tags |= 1 << tag
	return tag
}

// keyGroupRange is reader.keyGroupRange; it returns the count.
func (f *fastReader) keyGroupRange() int32 {
	start := f.i32()
	n := f.i32()
	if f.status == fastOK && (n < 0 || start < 0 && n > 0 || f.maxKG > 0 && n > 0 && int64(start)+int64(n) > int64(f.maxKG)) {
		f.bail()
	}
	return n
}

// keyed is decodeKeyedHandle for key-group and incremental handles.
func (f *fastReader) keyed(raw bool) {
	f.charge(1, handleCharge)
	tag := HandleTag(f.u8())
	if f.status != fastOK {
		return
	}
	s := f.s
	switch tag {
	case TagNull:
		return
	case TagKeyGroupsHandle, TagSavepointKeyGroupsHandle, TagKeyGroupsHandleV2:
		if f.sample && !raw && tag != TagSavepointKeyGroupsHandle {
			f.bail()
			return
		}
		n := f.keyGroupRange()
		if f.status == fastOK && int(n) > f.left()/8 {
			f.bail()
		}
		f.skip(8 * int(n))
		f.stream()
		if tag == TagKeyGroupsHandleV2 {
			f.utf()
		}
		if tag == TagSavepointKeyGroupsHandle {
			s.savepointTag = true
		}
	case TagIncrementalKeyGroupsHandle, TagIncrementalKeyGroupsHandleV2:
		v2 := tag == TagIncrementalKeyGroupsHandleV2
		f.i64()
		f.utf()
		f.keyGroupRange()
		if v2 {
			f.i64()
		}
		f.stream()
		f.named(true)
		f.named(false)
		if v2 {
			f.utf()
		}
		s.incremental = true
	default:
		f.bail()
		return
	}
	s.tags |= 1 << tag
	s.keyed |= 1 << tag
	s.hasState = true
	if raw {
		s.rawKeyed = tag
	} else {
		s.managedKeyed = tag
	}
}

// named is decodeNamedHandles.
func (f *fastReader) named(shared bool) {
	n := f.count(3)
	if n == 0 || f.status != fastOK {
		return
	}
	f.charge(n, unsafe.Sizeof(NamedHandle{}))
	s := f.s
	for i := 0; i < n && f.status == fastOK; i++ {
		// The entries Flink writes most, read with locals while they are
		// whole in the window: a handle ID of ASCII and a file handle.
		// Any other entry, or one that fails a check here, is read below.
		if run, end := fileEntries(f.b, f.off, n-i, f.paths, &s.files, &s.size); run > 0 {
			f.off = end
			s.tags |= 1 << TagFileHandle
			if shared {
				s.absShared = true
			}
			if i += run; i == n {
				break
			}
		}
		f.utf()
		if f.status == fastOK && f.off < len(f.b) && HandleTag(f.b[f.off]) == TagFileHandle {
			// As decodeNamedHandles: a file handle is read without a
			// charge of its own.
			f.off++
			size := f.size()
			off, ln := f.path()
			s.size += size
			s.files = append(s.files, fastFile{off: off, n: ln})
			s.tags |= 1 << TagFileHandle
			if shared {
				s.absShared = true
			}
			continue
		}
		switch f.stream() {
		case TagFileHandle:
			if shared {
				s.absShared = true
			}
		case TagRelativeFileHandle:
			if shared {
				s.relShared = true
			}
		}
	}
}

// fileEntries reads up to n named entries of a handle ID of ASCII and a
// file handle from b at off, as named does, appending their paths to
// *files and adding their sizes to *size, and stops at the first entry
// that is not one or that fails a check: it returns how many it read and
// where they end. With paths, a path must be ASCII too (fastReader.paths).
func fileEntries(b []byte, off, n int, paths bool, files *[]fastFile, size *int64) (int, int) {
	var total int64
	i, start := 0, off
	for ; i < n && off+2 <= len(b); i++ {
		tag := off + 2 + int(binary.BigEndian.Uint16(b[off:]))
		if tag+11 > len(b) || HandleTag(b[tag]) != TagFileHandle || !isASCII(b[off+2:tag]) {
			break
		}
		sz := int64(binary.BigEndian.Uint64(b[tag+1:]))
		path := tag + 11
		end := path + int(binary.BigEndian.Uint16(b[tag+9:]))
		if sz < 0 || end > len(b) || paths && !isASCII(b[path:end]) {
			break
		}
		total += sz
		off = end
	}
	if i > 0 {
		// The paths are queued as the run: the hashing goroutine walks
		// it again (nextInRun), where it reads the paths anyway.
		*files = append(*files, fastFile{off: start, n: i, run: true})
	}
	*size += total
	return i, off
}

// nextInRun returns where the path of the run entry at off (one
// fileEntries read) starts and ends in b: the next entry starts at end.
func nextInRun(b []byte, off int) (path, end int) {
	tag := off + 2 + int(binary.BigEndian.Uint16(b[off:]))
	path = tag + 11
	return path, path + int(binary.BigEndian.Uint16(b[tag+9:]))
}

// addFast adds what a subtask record the fast path read holds; b is the
// fastReader's b.
func (z *summarizer) addFast(s *fastSub, b []byte) {
	z.s.Size += s.size
	z.s.InlineSize += s.inline
	if s.finished {
		z.s.FinishedSubtasks++
	}
	if s.hasState {
		z.s.SubtasksWithState++
	}
	for _, e := range s.names {
		k := NamedState{unsafe.String(unsafe.SliceData(b[e.off:]), e.n), e.mode, e.raw}
		if !z.seen[k] {
			k.Name = strings.Clone(k.Name)
			z.seen[k] = true
		}
	}
	if s.managedKeyed != TagNull {
		z.s.KeyedManaged = true
		z.kinds[s.managedKeyed.String()] = true
	}
	if s.rawKeyed != TagNull {
		z.s.KeyedRaw = true
		z.kinds[s.rawKeyed.String()] = true
	}
}

// addFast records the handle kinds of a subtask record the fast path read.
func (k *handleKinds) addFast(s *fastSub) {
	for t := s.tags; t != 0; t &= t - 1 {
		k.tags[bits.TrailingZeros32(t)] = true
	}
	for t := s.keyed; t != 0; t &= t - 1 {
		k.keyed[bits.TrailingZeros32(t)] = true
	}
	k.savepointTag = k.savepointTag || s.savepointTag
	k.incremental = k.incremental || s.incremental
	k.absShared = k.absShared || s.absShared
	k.relShared = k.relShared || s.relShared
}
