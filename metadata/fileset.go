package metadata

import (
	"hash/maphash"
	"runtime"
	"sync"
	"unsafe"
)

// A fileSet counts distinct files, and per operator the distinct files
// it references, by a 96-bit hash of each path (64 + 32 bits from two
// random seeds). While decoding it only appends each reference's hash to
// one of 256 buckets (chosen by the hash's top bits, so that the appends
// stay within the cache); count then deduplicates each bucket in a small
// table. Sixteen bytes per reference, no random access to a large table.
//
// When it runs concurrently (start; the window of DecodeSummaries does so
// on more than one CPU), the references are queued with their paths still
// in the window's buffer, and a goroutine hashes them while the decoder
// reads on: the window hands each buffer over with the references into it
// when it moves to the next (swap), and takes it back once hashed.
type fileSet struct {
	seeds   [2]maphash.Seed
	buckets [fileBuckets]fileBucket
	refs    int
	// fc, when not nil, is the FileCheck the set keeps its distinct
	// files for; subtask is the index of the subtask being visited. With
	// a goroutine hashing, fc is only used there.
	fc      *FileCheck
	subtask int32

	async   bool
	pending []fileRef
	batches chan fileBatch
	free    chan fileBatch
	bufs    int // window buffers made, at most maxWindowBuffers
	wg      sync.WaitGroup
}

// MaxFileReferences bounds the file references DecodeSummaries counts (16
// bytes each): sixteen million, five times those of a 352 MiB checkpoint
// at parallelism 1,000 with 40 shared files per RocksDB handle.
const MaxFileReferences = 16 << 20

const fileBucketBits = 8
const fileBuckets = 1 << fileBucketBits

type fileEntry struct {
	h0 uint64
	h1 uint32
	op int32 // operators are appended in order
}

// A fileBucket holds its entries in blocks that are never copied.
type fileBucket struct {
	blocks [][]fileEntry
}

const maxFileBlock = 4096

func (b *fileBucket) add(e fileEntry) {
	if n := len(b.blocks); n > 0 {
		last := &b.blocks[n-1]
		if len(*last) < cap(*last) {
			*last = append(*last, e)
			return
		}
	}
	size := 64
	if n := len(b.blocks); n > 0 {
		size = min(2*cap(b.blocks[n-1]), maxFileBlock)
	}
	blk := make([]fileEntry, 1, size)
	blk[0] = e
	b.blocks = append(b.blocks, blk)
}

func (b *fileBucket) len() int {
	n := 0
	for _, blk := range b.blocks {
		n += len(blk)
	}
	return n
}

// A fileRef is a queued reference; path may alias a window buffer.
type fileRef struct {
	path    string
	rel     bool
	op      int32
	subtask int32
}

// A fileBatch is references and the window buffer their paths may alias.
type fileBatch struct {
	refs []fileRef
	buf  []byte
}

// maxWindowBuffers bounds the window buffers of a concurrent fileSet:
// the decoder's, the one being hashed and one queued.
const maxWindowBuffers = 3

// asyncFiles says whether DecodeSummaries hashes on a goroutine of its
// own; tests set it.
var asyncFiles = func() bool { return runtime.GOMAXPROCS(0) > 1 }

func newFileSet(fc *FileCheck) *fileSet {
	if fc != nil {
		fc.start()
		return &fileSet{seeds: fc.useSeeds(), fc: fc}
	}
	return &fileSet{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
}

// start hashes on a goroutine of its own from now on, until wait.
func (s *fileSet) start() {
	s.async = true
	s.batches = make(chan fileBatch, 1)
	s.free = make(chan fileBatch, maxWindowBuffers)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for b := range s.batches {
			for _, r := range b.refs {
				s.hash(r.path, r.rel, int(r.op), r.subtask)
			}
			if b.buf != nil {
				clear(b.refs) // drop the paths
				s.free <- fileBatch{refs: b.refs[:0], buf: b.buf}
			}
		}
	}()
}

// wait hashes what is queued and stops the goroutine; the buckets are
// then complete. It may be called more than once, and on a fileSet never
// started.
func (s *fileSet) wait() {
	if !s.async {
		return
	}
	if len(s.pending) > 0 {
		s.batches <- fileBatch{refs: s.pending}
		s.pending = nil
	}
	close(s.batches)
	s.wg.Wait()
	s.async = false
}

// swap hands buf, which the queued references may alias, to the hashing
// goroutine and returns a buffer of at least size bytes for the window.
func (s *fileSet) swap(buf []byte, size int) []byte {
	s.batches <- fileBatch{refs: s.pending, buf: buf}
	s.pending = nil
	for {
		var b fileBatch
		if s.bufs < maxWindowBuffers {
			select {
			case b = <-s.free:
			default:
				s.bufs++
				return make([]byte, 0, size)
			}
		} else {
			b = <-s.free
		}
		if s.pending == nil {
			s.pending = b.refs
		}
		if cap(b.buf) >= size {
			return b.buf[:0]
		}
		s.bufs-- // too small for the grown window: let it go
	}
}

// add records that operator op references a file. Its path may alias the
// window's buffer.
func (s *fileSet) add(path string, rel bool, op int) {
	s.refs++
	if s.async {
		s.pending = append(s.pending, fileRef{path, rel, int32(op), s.subtask})
		return
	}
	s.hash(path, rel, op, s.subtask)
}

// addBytes is add for a path's bytes (which may be the window's).
func (s *fileSet) addBytes(path []byte, rel bool, op int) {
	s.add(unsafe.String(unsafe.SliceData(path), len(path)), rel, op)
}

// fileHash is the hash of a path (its bytes; for a path decoded from
// modified UTF-8, those of the Go string) under the set's seeds.
func (s *fileSet) fileHash(path string, rel bool) (uint64, uint32) {
	return pathHash(&s.seeds, path, rel)
}

// pathHash is the 96-bit hash of a path under two seeds, by which the file
// set counts distinct files and FileCheck matches listed names.
func pathHash(seeds *[2]maphash.Seed, path string, rel bool) (uint64, uint32) {
	h0 := maphash.String(seeds[0], path)
	h1 := uint32(maphash.String(seeds[1], path))
	if rel {
		// Relative and absolute paths are different files even when
		// spelled alike.
		h1 = ^h1
	}
	return h0, h1
}

// hash adds a reference of subtask subtask of operator op; path may alias
// a window buffer.
func (s *fileSet) hash(path string, rel bool, op int, subtask int32) {
	h0, h1 := s.fileHash(path, rel)
	if s.fc != nil {
		var keep bool
		if h1, keep = s.fc.add(path, rel, op, subtask, h0, h1); !keep {
			return
		}
	}
	s.buckets[h0>>(64-fileBucketBits)].add(fileEntry{h0, h1, int32(op)})
}

// count returns the number of distinct files and, per operator (perOp
// has one element per operator), the number of distinct files it
// references. It empties s. With more than one CPU, two goroutines count
// half the buckets each.
func (s *fileSet) count(perOp []int) int {
	s.wait()
	var k keptFiles
	if !asyncFiles() {
		n := s.countBuckets(0, fileBuckets, perOp, &k)
		s.kept(k)
		return n
	}
	perOp2 := make([]int, len(perOp))
	var n2 int
	var k2 keptFiles
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		n2 = s.countBuckets(fileBuckets/2, fileBuckets, perOp2, &k2)
	}()
	n := s.countBuckets(0, fileBuckets/2, perOp, &k)
	wg.Wait()
	for i, c := range perOp2 {
		perOp[i] += c
	}
	s.kept(k)
	s.kept(k2)
	return n + n2
}

// keptFiles counts what FileCheck.keep kept of some buckets.
type keptFiles struct{ files, unverified int }

func (s *fileSet) kept(k keptFiles) {
	if s.fc != nil {
		s.fc.files += k.files
		s.fc.unverified += k.unverified
	}
}

// countBuckets counts buckets from to to-1 (see count), and what the
// FileCheck keeps of them in k.
func (s *fileSet) countBuckets(from, to int, perOp []int, k *keptFiles) int {
	n := 0
	var keys []fileEntry // h0, h1 of the slot; op+1 of the last operator counted, 0: empty
	for bi := from; bi < to; bi++ {
		b := &s.buckets[bi]
		size := 16
		for size < 2*b.len() {
			size *= 2
		}
		if cap(keys) < size {
			keys = make([]fileEntry, size)
		}
		keys = keys[:size]
		clear(keys)
		mask := uint64(size - 1)
		for _, blk := range b.blocks {
			for _, e := range blk {
				for i := e.h0 & mask; ; i = (i + 1) & mask {
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
		}
		b.blocks = nil
		if s.fc != nil {
			files, unverified := s.fc.keep(bi, keys)
			k.files += files
			k.unverified += unverified
		}
	}
	return n
}

// setCounts sets the file counts of m and its operators, and m.summary.
func (s *fileSet) setCounts(m *Metadata, ms *metaSummary) {
	perOp := make([]int, len(m.Operators))
	ms.files = s.count(perOp)
	for i := range m.Operators {
		m.Operators[i].summary.files = perOp[i]
	}
	m.summary = ms
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
