package metadata

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"
)

// A fileSet counts distinct files, and per operator the distinct files
// it references, by a 96-bit hash of each path (pathhash.go). While
// decoding it only appends each reference's hash to one of 64 buckets
// (chosen by the hash's top bits, so that the appends stay within the
// cache); count then deduplicates each bucket in a small table. Sixteen
// bytes per reference, no random access to a large table.
//
// When it runs concurrently (start; DecodeSummaries does so on more than
// one CPU), the references are queued as offsets of their paths in the
// input, and a goroutine hashes them while the decoder reads on. Through
// a window, the window hands each buffer over with the references into it
// when it moves to the next (swap), and takes it back once hashed; on an
// input in memory (shared), the references go over every flushRefs, and
// releasing the input behind the decoder waits for them to be hashed.
type fileSet struct {
	// h is what hashing uses, in memory of its own: the hashing
	// goroutine reads it for every reference, and had it cache lines in
	// common with the fields the decoder writes here, each write would
	// wait for the line to come back (it cost inspect a third of its
	// decoding time).
	h       *fileHasher
	refs    int
	subtask int32 // the index of the subtask being visited
	off     bool  // DecodeSummariesNoFiles: no file is counted

	async   bool
	pending []fileRef
	queued  int    // the paths pending holds (a run holds many)
	win     []byte // the window buffer pending's paths are in
	extra   []byte // paths of pending the decoder made
	tooLong bool   // a path or the extra bytes outgrew a fileRef
	// shared: win is the whole input (InMemory), which stays: pending
	// goes to the goroutine every flushRefs references.
	shared  bool
	batches chan fileBatch
	free    chan fileBatch
	bufs    int // window buffers made, at most maxWindowBuffers
	wg      sync.WaitGroup
}

// A fileHasher hashes references into buckets: on the hashing goroutine
// when there is one. fc, when not nil, is the FileCheck the set keeps its
// distinct files for; with a goroutine hashing, it is only used there.
// On a shared input, fault says that reading a path faulted, and release
// is the input's ReleaseBefore, if it has one.
//
// invalid says that a path the fast path read is not modified UTF-8:
// DecodeSummaries decodes the file again without it, for the decoder's
// error.
type fileHasher struct {
	keys    pathKeys
	buckets [fileBuckets]fileBucket
	fc      *FileCheck
	shared  bool
	invalid bool
	fault   atomic.Bool
	release releaser
}

// MaxFileReferences bounds the file references DecodeSummaries counts (16
// bytes each): sixteen million, five times those of a 352 MiB checkpoint
// at parallelism 1,000 with 40 shared files per RocksDB handle.
const MaxFileReferences = 16 << 20

// maxFileReferences is MaxFileReferences; tests set it.
var maxFileReferences = MaxFileReferences

const fileBucketBits = 6
const fileBuckets = 1 << fileBucketBits

type fileEntry struct {
	h0 uint64
	h1 uint32
	op int32 // operators are appended in order
}

// A fileBucket holds its entries in blocks that are never copied: cur,
// the block being filled, and the full ones before it. Appending touches
// only cur's header, which the bucket array holds in line.
type fileBucket struct {
	cur  []fileEntry
	full [][]fileEntry
}

const maxFileBlock = 4096

func (b *fileBucket) add(e fileEntry) {
	if len(b.cur) < cap(b.cur) {
		b.cur = append(b.cur, e)
		return
	}
	b.grow(e)
}

// grow starts a new block with e; blocks double up to maxFileBlock. It
// is kept out of add, so that add inlines small.
//
//go:noinline
func (b *fileBucket) grow(e fileEntry) {
	size := 64
	if b.cur != nil {
		b.full = append(b.full, b.cur)
		size = min(2*cap(b.cur), maxFileBlock)
	}
	b.cur = make([]fileEntry, 1, size)
	b.cur[0] = e
}

// blocks returns the bucket's blocks, in order.
func (b *fileBucket) blocks() [][]fileEntry {
	if b.cur == nil {
		return b.full
	}
	return append(b.full, b.cur)
}

func (b *fileBucket) len() int {
	n := len(b.cur)
	for _, blk := range b.full {
		n += len(blk)
	}
	return n
}

// A fileRef is a queued reference: its path is at off, n bytes long, in
// the window buffer of its batch, or, when refExtra is set in n, in the
// batch's extra bytes (a path the decoder made). With refRun, it is the n
// paths of a run of named file-handle entries at off, which the fast path
// read (nextInRun). It holds no pointer, so queueing millions costs the
// garbage collector nothing.
type fileRef struct {
	off, n  uint32 // n: the length (or the run's entries), with the flags
	op      int32
	subtask int32
}

const (
	refRel       = 1 << 31 // a relative path
	refExtra     = 1 << 30 // the path is in the batch's extra bytes
	refUnchecked = 1 << 29 // the fast path read it: its bytes may not be ASCII
	refRun       = 1 << 28 // a run of entries (unchecked, not relative)
	refLen       = refRun - 1
)

// A fileBatch is references and the window buffer and extra bytes their
// paths are in.
type fileBatch struct {
	refs    []fileRef
	buf     []byte
	extra   []byte
	release int64 // > 0: release the shared input before it, once hashed
}

// maxWindowBuffers bounds the window buffers of a concurrent fileSet:
// the decoder's, the one being hashed and one queued.
const maxWindowBuffers = 3

// asyncFiles says whether DecodeSummaries hashes on a goroutine of its
// own; tests set it.
var asyncFiles = func() bool { return runtime.GOMAXPROCS(0) > 1 }

// newFileSet returns a fileSet for fc (or nil); without files it
// counts references (MaxFileReferences) and no files.
func newFileSet(fc *FileCheck, files bool) *fileSet {
	if !files {
		return &fileSet{off: true}
	}
	h := &fileHasher{fc: fc}
	if fc != nil {
		fc.start()
		h.keys = fc.useKeys()
	} else {
		h.keys = newPathKeys()
	}
	return &fileSet{h: h}
}

// start hashes on a goroutine of its own from now on, until wait.
func (s *fileSet) start() {
	s.async = true
	s.batches = make(chan fileBatch, 1)
	// Room for every window buffer (the first and those swap makes), so
	// that the goroutine never waits to give one back.
	s.free = make(chan fileBatch, 1+maxWindowBuffers)
	s.h.shared = s.shared
	h, batches, free := s.h, s.batches, s.free
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for b := range batches {
			h.hashBatch(b)
			if b.release > 0 {
				// Every path before it is hashed.
				h.release.ReleaseBefore(b.release)
			}
			b = fileBatch{refs: b.refs[:0], buf: b.buf, extra: b.extra[:0]}
			if !h.shared {
				free <- b
				continue
			}
			select {
			case free <- b:
			default:
			}
		}
	}()
}

// hashBatch hashes the references of b. On an InMemory input, a fault
// reading a path (the mapped file was truncated) sets h.fault and the
// rest of the batch is skipped.
func (h *fileHasher) hashBatch(b fileBatch) {
	if h.fault.Load() {
		return
	}
	if h.shared {
		defer guardFaults()()
		var err error
		defer func() {
			if err != nil {
				h.fault.Store(true)
			}
		}()
		defer recoverFault(b.buf, &err)
	}
	for _, r := range b.refs {
		if r.n&refRun != 0 {
			h.hashRun(b.buf, r)
			continue
		}
		src := b.buf
		if r.n&refExtra != 0 {
			src = b.extra
		}
		p := src[r.off : r.off+r.n&refLen]
		unchecked, rel := r.n&refUnchecked != 0, r.n&refRel != 0
		if h.fc != nil && h.fc.skip(p, rel) {
			continue
		}
		h0, h1, ascii := h.keys.hashPath(p)
		if h.fc == nil && (ascii || !unchecked) {
			// hashed and hash in line for nearly every reference: two
			// calls fewer each, 10 to 20 ms less CPU for inspect on the
			// 351 MiB checkpoint (perf stat, A/B).
			h.buckets[h0>>(64-fileBucketBits)].add(fileEntry{h0, keyedH1(h1, rel), r.op})
			continue
		}
		h.hashed(p, h0, h1, ascii, unchecked, rel, int(r.op), r.subtask)
	}
}

// hashRun hashes the paths of a run reference r into buf.
func (h *fileHasher) hashRun(buf []byte, r fileRef) {
	buf = buf[:cap(buf)] // a window buffer is handed over with length 0
	off := int(r.off)
	for range r.n & refLen {
		path, end := nextInRun(buf, off)
		p := buf[path:end]
		off = end
		if h.fc != nil && h.fc.skip(p, false) {
			continue
		}
		h0, h1, ascii := h.keys.hashPath(p)
		if h.fc == nil && ascii {
			h.buckets[h0>>(64-fileBucketBits)].add(fileEntry{h0, keyedH1(h1, false), r.op})
		} else {
			h.hashed(p, h0, h1, ascii, true, false, int(r.op), r.subtask)
		}
	}
}

// flushRefs is how many references a shared fileSet queues before it
// hands them to the hashing goroutine (1 MiB of them); tests set it. The
// queues are used again once hashed, and the decoder's writes into one
// the goroutine read recently wait for its cache lines: with queues
// larger than the goroutine's L2 cache, they have left it (inspect on the
// 351 MiB checkpoint, in one A/B run: 180 ms with these, 250 ms with
// 128 KiB ones).
var flushRefs = 1 << 16

// flush hands the queued references of a shared fileSet to the hashing
// goroutine; with release > 0, it then releases the input before it.
func (s *fileSet) flush(release int64) {
	s.batches <- fileBatch{refs: s.pending, buf: s.win, extra: s.extra, release: release}
	s.queued = 0
	select {
	case b := <-s.free:
		s.pending, s.extra = b.refs, b.extra
	default:
		s.pending, s.extra = make([]fileRef, 0, flushRefs), nil
	}
}

// releaseBefore releases the shared input before off once every path
// queued is hashed (r is the input's releaser; the hashing goroutine
// has it as h.release).
func (s *fileSet) releaseBefore(r releaser, off int64) {
	if !s.async {
		r.ReleaseBefore(off)
		return
	}
	s.flush(off)
}

// wait hashes what is queued and stops the goroutine; the buckets are
// then complete. It may be called more than once, and on a fileSet never
// started.
func (s *fileSet) wait() {
	if !s.async {
		return
	}
	if len(s.pending) > 0 {
		s.batches <- fileBatch{refs: s.pending, buf: s.win, extra: s.extra}
		s.pending, s.extra, s.queued = nil, nil, 0
	}
	close(s.batches)
	s.wg.Wait()
	s.async = false
}

// swap hands the window buffer, which the queued references point into,
// to the hashing goroutine and returns a buffer of at least size bytes for
// the window, which becomes the window buffer.
func (s *fileSet) swap(size int) []byte {
	s.batches <- fileBatch{refs: s.pending, buf: s.win, extra: s.extra}
	s.pending, s.extra, s.win, s.queued = nil, nil, nil, 0
	for {
		var b fileBatch
		if s.bufs < maxWindowBuffers {
			select {
			case b = <-s.free:
			default:
				s.bufs++
				s.win = make([]byte, 0, size)
				return s.win
			}
		} else {
			b = <-s.free
		}
		if s.pending == nil {
			s.pending, s.extra = b.refs, b.extra
		}
		if cap(b.buf) >= size {
			s.win = b.buf[:0]
			return s.win
		}
		s.bufs-- // too small for the grown window: let it go
	}
}

// add records that operator op references a file; path may alias the
// window's buffer.
func (s *fileSet) add(path string, rel bool, op int) {
	s.addRef(path, false, rel, op)
}

// addRecord is add for the paths of a subtask record the fast path read:
// files, at base in the window's buffer buf (their bytes may not be ASCII:
// fileHasher.hashRef checks them).
func (s *fileSet) addRecord(buf []byte, base int, files []fastFile, op int) {
	if s.off {
		for _, f := range files {
			if f.run {
				s.refs += f.n
			} else {
				s.refs++
			}
		}
		return
	}
	if !s.async || len(buf) > math.MaxUint32 {
		for _, f := range files {
			if f.run {
				off := base + f.off
				for range f.n {
					path, end := nextInRun(buf, off)
					p := buf[path:end]
					s.addRef(unsafe.String(unsafe.SliceData(p), len(p)), true, false, op)
					off = end
				}
				continue
			}
			p := buf[base+f.off : base+f.off+f.n]
			s.addRef(unsafe.String(unsafe.SliceData(p), f.n), true, f.rel, op)
		}
		return
	}
	// buf is s.win: the window hands each buffer over (swap) or reads in
	// place (shared). Every offset fits 32 bits, every length 16, every
	// run's length 28.
	refs := slices.Grow(s.pending, len(files))
	for _, f := range files {
		u := uint32(f.n) | refUnchecked
		switch {
		case f.run:
			u |= refRun
			s.queued += f.n
			s.refs += f.n
		case f.rel:
			u |= refRel
			fallthrough
		default:
			s.queued++
			s.refs++
		}
		refs = append(refs, fileRef{uint32(base + f.off), u, int32(op), s.subtask})
	}
	s.pending = refs
	if s.shared && s.queued >= flushRefs {
		s.flush(0)
	}
}

func (s *fileSet) addRef(path string, unchecked, rel bool, op int) {
	s.refs++
	if s.off {
		return
	}
	if !s.async {
		s.h.hashRef(unsafe.Slice(unsafe.StringData(path), len(path)), unchecked, rel, op, s.subtask)
		return
	}
	var u uint32
	if rel {
		u = refRel
	}
	if unchecked {
		u |= refUnchecked
	}
	s.queued++
	if off, ok := within(s.win, path); ok {
		s.pending = append(s.pending, fileRef{off, u | uint32(len(path)), int32(op), s.subtask})
		if s.shared && s.queued >= flushRefs {
			s.flush(0)
		}
		return
	}
	// A path the decoder made: its bytes are kept with the batch.
	if len(path) > refLen-len(s.extra) {
		s.tooLong = true
		return
	}
	s.pending = append(s.pending, fileRef{uint32(len(s.extra)), u | refExtra | uint32(len(path)), int32(op), s.subtask})
	s.extra = append(s.extra, path...)
	if s.shared && s.queued >= flushRefs {
		s.flush(0)
	}
}

// full returns an error once the set counts no more: more than
// MaxFileReferences references, or more path bytes the decoder made than
// a window's references can hold (reported at operator op, subtask record
// rec).
func (s *fileSet) full(op, rec int) error {
	switch {
	case s.refs > maxFileReferences:
		return fmt.Errorf("metadata: the state handles reference more than %d files (at operator %d, subtask record %d); spcheck counts no more", maxFileReferences, op, rec)
	case s.tooLong:
		return fmt.Errorf("metadata: the file paths of the state handles near operator %d, subtask record %d are longer than %d bytes together; spcheck counts no more", op, rec, refLen)
	}
	return nil
}

// within returns the offset of path in buf when it is there and the
// offset and length fit a fileRef.
func within(buf []byte, path string) (uint32, bool) {
	if cap(buf) == 0 || len(path) == 0 {
		return 0, false
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(buf[:1])))
	p := uintptr(unsafe.Pointer(unsafe.StringData(path)))
	if p < start || p-start > uintptr(cap(buf)-len(path)) {
		return 0, false
	}
	off := p - start
	if off > math.MaxUint32 || len(path) > refLen {
		return 0, false
	}
	return uint32(off), true
}

// keyedH1 is the 32 bits of the second hash the set keeps.
func keyedH1(h1 uint64, rel bool) uint32 {
	if rel {
		// Relative and absolute paths are different files even when
		// spelled alike.
		return ^uint32(h1)
	}
	return uint32(h1)
}

// hashRef adds a reference to the file at path (bytes that may alias the
// input) of subtask subtask of operator op. When unchecked (the fast path
// read it), a path that is not ASCII is decoded as the decoder decodes it,
// and one that is not modified UTF-8 sets h.invalid.
func (h *fileHasher) hashRef(path []byte, unchecked, rel bool, op int, subtask int32) {
	if h.fc != nil && h.fc.skip(path, rel) {
		return
	}
	h0, h1, ascii := h.keys.hashPath(path)
	h.hashed(path, h0, h1, ascii, unchecked, rel, op, subtask)
}

// hashed is hashRef once the path's bytes are hashed (h0, h1, ascii).
func (h *fileHasher) hashed(path []byte, h0, h1 uint64, ascii, unchecked, rel bool, op int, subtask int32) {
	p := unsafe.String(unsafe.SliceData(path), len(path))
	if unchecked && !ascii {
		s, err := decodeMUTF8(path)
		if err != nil {
			h.invalid = true
			return
		}
		p = s
		h0, h1, _ = h.keys.hashPath([]byte(s))
	}
	h.hash(p, h0, keyedH1(h1, rel), rel, op, subtask)
}

// hash adds a reference, of hash h0, h1, of subtask subtask of operator
// op; path may alias the input.
func (h *fileHasher) hash(path string, h0 uint64, h1 uint32, rel bool, op int, subtask int32) {
	if h.fc != nil && !h.fc.add(path, rel, op, subtask, h0, h1) {
		return
	}
	h.buckets[h0>>(64-fileBucketBits)].add(fileEntry{h0, h1, int32(op)})
}

// count returns the number of distinct files and, per operator (perOp
// has one element per operator), the number of distinct files it
// references. It empties s. With more than one CPU, two goroutines count
// half the buckets each.
func (s *fileSet) count(perOp []int) int {
	s.wait()
	var kept int
	if !asyncFiles() {
		n := s.countBuckets(0, fileBuckets, perOp, &kept)
		s.kept(kept)
		return n
	}
	perOp2 := make([]int, len(perOp))
	var n2, kept2 int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		n2 = s.countBuckets(fileBuckets/2, fileBuckets, perOp2, &kept2)
	}()
	n := s.countBuckets(0, fileBuckets/2, perOp, &kept)
	wg.Wait()
	for i, c := range perOp2 {
		perOp[i] += c
	}
	s.kept(kept + kept2)
	return n + n2
}

// kept adds to the FileCheck's files those keep kept.
func (s *fileSet) kept(files int) {
	if fc := s.h.fc; fc != nil {
		fc.files += files
	}
}

// countBuckets counts buckets from to to-1 (see count), and the files the
// FileCheck keeps of them in kept.
func (s *fileSet) countBuckets(from, to int, perOp []int, kept *int) int {
	n := 0
	var keys []fileEntry    // h0, h1 of the slot; op+1 of the last operator counted, 0: empty
	var scratch []fileEntry // FileCheck.keep's
	for bi := from; bi < to; bi++ {
		b := &s.h.buckets[bi]
		size, sizeBits := 16, 4
		for size < 2*b.len() {
			size *= 2
			sizeBits++
		}
		if cap(keys) < size {
			keys = make([]fileEntry, size)
		}
		keys = keys[:size]
		clear(keys)
		distinct := n
		for _, blk := range b.blocks() {
			n += insertBlock(keys, blk, uint(sizeBits), perOp)
		}
		*b = fileBucket{}
		if fc := s.h.fc; fc != nil {
			if cap(scratch) < n-distinct+1 {
				scratch = make([]fileEntry, n-distinct+1)
			}
			*kept += fc.keep(bi, keys, n-distinct, scratch)
		}
	}
	return n
}

// insertBlock adds the entries of blk to the table keys (of 1<<sizeBits
// slots) and returns how many were not there; it counts in perOp the
// operators' files it had not counted. The home slot is given by the
// hash's bits below the bucket's: the slots hold the files in order of
// their hash, but for runs of collisions (FileCheck.keep). It is a
// function of its own so that its loop keeps its variables in registers:
// in countBuckets' nested loops they were on the stack (3.1 million
// random entries in 64 buckets, a throwaway benchmark: 27 ms against 31;
// inspect on the 351 MiB checkpoint, perf stat, 3 × 7 interleaved runs:
// 3% less CPU).
func insertBlock(keys, blk []fileEntry, sizeBits uint, perOp []int) int {
	n := 0
	mask := uint64(len(keys) - 1)
	for _, e := range blk {
		for i := (e.h0 << fileBucketBits) >> (64 - sizeBits); ; i = (i + 1) & mask {
			k := &keys[i]
			if k.op == 0 {
				*k = fileEntry{e.h0, e.h1, e.op + 1}
				n++
				perOp[e.op]++
				break
			}
			if k.h0 == e.h0 && k.h1 == e.h1 {
				if k.op != e.op+1 {
					k.op = e.op + 1
					perOp[e.op]++
				}
				break
			}
		}
	}
	return n
}

// setCounts sets the file counts of m and its operators, and m.summary.
// With a FileCheck the set holds only the files of verified directories
// (FileCheck.skip): the FileCheck keeps them, and m counts no files.
func (s *fileSet) setCounts(m *Metadata, ms *metaSummary) {
	m.summary = ms
	if !s.off {
		perOp := make([]int, len(m.Operators))
		ms.files = s.count(perOp)
		if s.h.fc == nil {
			for i := range m.Operators {
				m.Operators[i].summary.files = perOp[i]
			}
			return
		}
	}
	ms.files = -1
	for i := range m.Operators {
		m.Operators[i].summary.files = -1
	}
}

// visit returns a handle visitor that records the kinds Kind guesses from
// in hk and adds the files operator op references to s.
func (s *fileSet) visit(hk *handleKinds, op int) func(StateHandle) {
	return func(h StateHandle) {
		hk.add(h)
		if p, rel, _, ok := fileOf(h); ok {
			s.add(p, rel, op)
		}
	}
}
