package metadata

import (
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"unicode/utf16"
	"unsafe"
)

// reader is a cursor over the input with a sticky error, in the style of
// debug/dwarf's buf. Every read after the first failure returns zero
// values, so decoding code can read a whole structure and check r.err once.
type reader struct {
	b   []byte // the whole input, or a window of it (see base, beyond)
	off int    // current position in b
	// base is the input offset of b[0] and beyond the number of input
	// bytes after b, when b is a window (DecodeSummaries); both are 0 when
	// b is the whole input. Offsets in errors are relative to b (the
	// window adds base); messages name input offsets.
	base   int64
	beyond int64
	err    error
	path   []pathElem // structure being read, for error messages
	// quirks selects layout variants (see Quirk).
	noChannelSubtask bool
	changelog114     bool
	// handleDepth counts the state handles being decoded inside one
	// another (a changelog handle holding key-group handles holding
	// stream handles …); see maxHandleDepth.
	handleDepth int
	// charged counts the bytes of decoded structures (see charge).
	charged int64
	// maxKeyGroups is the max parallelism of the operator being decoded
	// (0: unknown); key-group ranges must lie below it.
	maxKeyGroups int32
}

// maxHandleDepth bounds how deeply state handles nest. Flink nests at most
// four levels (a changelog backend handle holding an incremental handle
// holding stream handles); a deeper input is hostile and would otherwise
// grow the stack with every few bytes of input.
const maxHandleDepth = 16

// MaxDecodedSize bounds the memory the decoded structures of one metadata
// file may take (besides the input, which they alias); a file larger than
// this may take its own size. Real files decode
// to less than their own size; a hostile file can describe, in a few bytes
// each, structures of a hundred (a finished subtask takes 4 bytes), so the
// decoder charges every structure it allocates and stops past this.
const MaxDecodedSize = 96 << 20

// charge accounts for n structures of size bytes each, failing once the
// decoded structures would exceed MaxDecodedSize.
func (r *reader) charge(n int, size uintptr, what string) bool {
	if r.err != nil {
		return false
	}
	r.charged += int64(n) * int64(size)
	// Real files charge about half their size; a larger file than the
	// bound may use its own size.
	if budget := max(MaxDecodedSize, int64(len(r.b))); r.charged > budget {
		r.fail("%s: the decoded structures would take more than %d MiB of memory; the file is not one Flink writes", what, budget>>20)
		return false
	}
	return true
}

// maxErrorPath bounds the structure path an error names, so that errors
// stay one line.
const maxErrorPath = 10

// enterHandle counts one more level of handle nesting; it reports false
// (and fails) past maxHandleDepth. Every true result is paired with
// leaveHandle.
func (r *reader) enterHandle() bool {
	if r.handleDepth >= maxHandleDepth {
		r.fail("state handles nested deeper than %d levels", maxHandleDepth)
		return false
	}
	r.handleDepth++
	return true
}

func (r *reader) leaveHandle() { r.handleDepth-- }

type pathElem struct {
	what string
	idx  int // -1: none
	id   *OperatorID
}

func (p pathElem) String() string {
	s := p.what
	if p.idx >= 0 {
		s += " " + strconv.Itoa(p.idx)
	}
	if p.id != nil {
		s += " (" + p.id.String() + ")"
	}
	return s
}

func (r *reader) push(what string, idx int) { r.path = append(r.path, pathElem{what, idx, nil}) }
func (r *reader) pop()                      { r.path = r.path[:len(r.path)-1] }

func (r *reader) remaining() int { return len(r.b) - r.off }

// left is how many bytes of the whole input remain: remaining plus what
// follows a window. Plausibility checks of counts use it, so that they
// judge a count against the input rather than against a window of it.
func (r *reader) left() int {
	if r.beyond == 0 {
		return r.remaining()
	}
	return int(min(int64(r.remaining())+r.beyond, int64(maxInt)))
}

// end is the input offset where the input (or the sub-stream b is) ends.
func (r *reader) end() int64 { return r.base + int64(len(r.b)) + r.beyond }

const maxInt = int(^uint(0) >> 1)

func (r *reader) failAt(off int, cause error, format string, args ...any) {
	if r.err != nil {
		return
	}
	path := make([]string, 0, min(len(r.path), maxErrorPath+1))
	for i, p := range r.path {
		if len(r.path) > maxErrorPath && i == maxErrorPath/2 {
			path = append(path, fmt.Sprintf("… %d more", len(r.path)-maxErrorPath))
		}
		if len(r.path) > maxErrorPath && i >= maxErrorPath/2 && i < len(r.path)-maxErrorPath/2 {
			continue
		}
		path = append(path, p.String())
	}
	r.err = &FormatError{Offset: int64(off), Path: path, Msg: fmt.Sprintf(format, args...), Err: cause}
}

func (r *reader) fail(format string, args ...any) { r.failAt(r.off, nil, format, args...) }

// take returns the next n bytes, aliasing the input.
func (r *reader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > r.remaining() {
		if n < 0 {
			r.failAt(r.off, nil, "negative length %d of %s", n, what)
			return nil
		}
		r.failAt(r.off, io.ErrUnexpectedEOF, "truncated: the input ends at byte %d, %d bytes short of the %s", r.end(), n-r.remaining(), what)
		return nil
	}
	p := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return p
}

func (r *reader) u8(what string) byte {
	p := r.take(1, what)
	if p == nil {
		return 0
	}
	return p[0]
}

func (r *reader) bool(what string) bool { return r.u8(what) != 0 }

func (r *reader) i32(what string) int32 {
	p := r.take(4, what)
	if p == nil {
		return 0
	}
	return int32(binary.BigEndian.Uint32(p))
}

func (r *reader) i64(what string) int64 {
	p := r.take(8, what)
	if p == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(p))
}

// count reads an i32 element count and checks it against the bytes left:
// each element takes at least minSize bytes, so a count that cannot fit is
// rejected before anything is allocated.
func (r *reader) count(what string, minSize int) int {
	start := r.off
	n := r.i32(what)
	if r.err != nil {
		return 0
	}
	if n < 0 {
		r.failAt(start, nil, "negative %s %d", what, n)
		return 0
	}
	if minSize > 0 && int(n) > r.left()/minSize {
		r.failAt(start, io.ErrUnexpectedEOF, "%s %d too large: %d bytes remain (truncated or corrupt: the input ends at byte %d)", what, n, r.left(), r.end())
		return 0
	}
	return int(n)
}

// utf reads a DataOutput.writeUTF string (modified UTF-8). Plain ASCII
// strings alias the input rather than being copied.
func (r *reader) utf(what string) string {
	start := r.off
	p := r.take(2, what)
	if p == nil {
		return ""
	}
	n := int(binary.BigEndian.Uint16(p))
	s := r.take(n, what)
	if s == nil {
		return ""
	}
	if isASCII(s) {
		return unsafe.String(unsafe.SliceData(s), len(s))
	}
	str, err := decodeMUTF8(s)
	if err != nil {
		r.failAt(start, nil, "invalid modified UTF-8 in %s: %v", what, err)
		return ""
	}
	return str
}

// stringValue reads a string as Flink's StringValue.writeString writes it
// (StringUtils.writeString; flink-core StringValue.java, Flink 1.18 to 2.2):
// the length plus one as a base-128 varint, low group first (0 is null), then
// each UTF-16 code unit as a base-128 varint. Each unit takes at least one
// byte, so a length beyond the bytes left is rejected before allocating.
func (r *reader) stringValue(what string) string {
	start := r.off
	n, ok := r.varint7(what)
	if !ok {
		return ""
	}
	if n == 0 {
		r.failAt(start, nil, "%s is null", what)
		return ""
	}
	n--
	if n > uint32(r.left()) {
		r.failAt(start, io.ErrUnexpectedEOF, "%s length %d too large: %d bytes remain (truncated or corrupt: the input ends at byte %d)", what, n, r.left(), r.end())
		return ""
	}
	units := make([]uint16, 0, n)
	for i := uint32(0); i < n; i++ {
		at := r.off
		c, ok := r.varint7(what)
		if !ok {
			return ""
		}
		if c > 0xffff {
			r.failAt(at, nil, "character %#x of %s is not a UTF-16 unit", c, what)
			return ""
		}
		units = append(units, uint16(c))
	}
	return string(utf16.Decode(units))
}

// varint7 reads StringValue's base-128 varint of at most 5 bytes (a Java int).
func (r *reader) varint7(what string) (uint32, bool) {
	start := r.off
	var v uint32
	for shift := 0; shift < 35; shift += 7 {
		b := r.u8(what)
		if r.err != nil {
			return 0, false
		}
		v |= uint32(b&0x7f) << shift
		if b < 0x80 {
			return v, true
		}
	}
	r.failAt(start, nil, "variable-length number in %s longer than 5 bytes", what)
	return 0, false
}

// isASCII reports whether s has no byte >= 0x80: then modified UTF-8
// decodes it to itself (a literal 0 byte, which the JDK reader accepts,
// decodes to U+0000 either way). It checks 32 bytes at a time.
func isASCII(s []byte) bool {
	const hi = 0x8080808080808080
	for len(s) >= 32 {
		w := binary.LittleEndian.Uint64(s) | binary.LittleEndian.Uint64(s[8:]) |
			binary.LittleEndian.Uint64(s[16:]) | binary.LittleEndian.Uint64(s[24:])
		if w&hi != 0 {
			return false
		}
		s = s[32:]
	}
	for len(s) >= 8 {
		if binary.LittleEndian.Uint64(s)&hi != 0 {
			return false
		}
		s = s[8:]
	}
	for _, c := range s {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

func (r *reader) operatorID() OperatorID {
	var id OperatorID
	copy(id[:], r.take(16, "operator ID"))
	return id
}

func (r *reader) keyGroupRange() KeyGroupRange {
	start := r.i32("key-group range start")
	off := r.off
	n := r.i32("key-group count")
	switch {
	case r.err != nil:
	case n < 0:
		r.failAt(off, nil, "negative key-group count %d", n)
	case start < 0 && n > 0:
		r.failAt(off-4, nil, "negative key-group range start %d", start)
	case r.maxKeyGroups > 0 && n > 0 && int64(start)+int64(n) > int64(r.maxKeyGroups):
		// KeyGroupRangeAssignment: key groups are 0 … maxParallelism-1.
		r.failAt(off-4, nil, "key groups %d to %d lie beyond the operator's max parallelism %d", start, int64(start)+int64(n)-1, r.maxKeyGroups)
	}
	return KeyGroupRange{Start: start, Count: n}
}

func (r *reader) longs(n int, what string) []int64 {
	p := r.take(8*n, what)
	if p == nil {
		return nil
	}
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(binary.BigEndian.Uint64(p[8*i:]))
	}
	return out
}
