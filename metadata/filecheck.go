package metadata

import (
	"encoding/binary"
	"io"
	"slices"
	"strings"
	"unsafe"
)

// A FileCheck verifies that the files a savepoint references exist, in
// memory that grows with the number of distinct files by 18 to 20 bytes
// each and not with their paths: while the metadata is decoded (with
// FileCheck.DecodeSummaries, or Index for metadata Decode read) it keeps
// the distinct directories of the referenced paths and a 96-bit hash of
// each distinct file in a verified one (the hashes DecodeSummaries counts
// files by). The caller lists each directory once and marks the names it
// finds (Mark); Missing then counts the files no listing had. Only when
// some are missing does Locate decode the metadata a second time to name
// them: operator, subtask and path.
//
// A file in a directory that is not verified is not hashed at all, only
// counted as a reference of its directory (FileDir.Refs): a retained
// checkpoint whose shared files are in another store spends little time
// on them (check of the 351 MiB synthetic checkpoint, whose 2.9 million
// shared files are on S3, in one interleaved run: 212 ms, where hashing,
// filing and deduplicating them took 270).
//
// A directory is the stored path up to and including its last '/' (the
// empty string for a bare name), relative or not, exactly as the handle
// spells it: the caller resolves it against the savepoint (and its read
// roots) when Dirs reports it, and says whether its files are verified.
type FileCheck struct {
	// verify is called once for each new directory: whether its files
	// are verified (listed) at all.
	verify func(prefix string, rel bool) bool

	keyed bool
	keys  pathKeys

	dirs     []FileDir
	dirIdx   map[dirKey]int
	dirBytes int
	partial  bool
	// The directories of the last references: consecutive references
	// mostly share one of a few (a RocksDB handle's shared files, then its
	// private ones, then the operator state's).
	recent    [4]recentDir
	recentOK  int // recent[:recentOK] are set
	recentPos int // the next to replace
	recentHit int // the last one used
	// tables holds per bucket the distinct verified files, sorted; op is
	// 1 once Mark found the file.
	tables [fileBuckets]fileTable
	files  int
	// beyond counts the references to files in directories beyond
	// MaxFileDirs.
	beyond   int
	locate   func(op int, subtask int32, ref FileRef)
	locating bool
	scratch  []byte     // MarkAll's paths
	marks    []markHash // and their hashes
}

// A FileDir is a directory of referenced files, as the handles spell it.
type FileDir struct {
	// Prefix is the stored path up to and including its last '/': ""
	// for a bare relative name, "shared/", "file:/flink/cp/job/shared/",
	// "s3://bucket/cp/job/chk-7/".
	Prefix   string
	Relative bool
	// Verify is what the FileCheck's verify function said of it.
	Verify bool
	// Refs is the number of references to files in it (a file two
	// subtasks reference counts twice).
	Refs int
}

type dirKey struct {
	prefix string
	rel    bool
}

// MaxFileDirs bounds the distinct directories a FileCheck keeps (and so
// the listings a caller makes), and maxFileDirBytes their total length.
// Files in further directories are not verified (Partial). Flink writes a
// checkpoint's files into three directories (chk-N, shared, taskowned).
const (
	MaxFileDirs     = 1_000
	maxFileDirBytes = 16 << 20
)

// NewFileCheck returns a FileCheck; verify says, once per directory of
// referenced files, whether the files there are to be verified.
func NewFileCheck(verify func(prefix string, rel bool) bool) *FileCheck {
	return &FileCheck{verify: verify, dirIdx: map[dirKey]int{}}
}

// DecodeSummaries is metadata.DecodeSummaries that keeps what the
// FileCheck needs instead of counting files: the files in directories not
// verified are not hashed, so the metadata's FileCount is -1, as
// DecodeSummariesNoFiles leaves it. Call it (or Index) once.
func (fc *FileCheck) DecodeSummaries(src io.ReaderAt, size int64) (*Metadata, error) {
	return decodeSummaries(src, size, fc, true)
}

// Index keeps what the FileCheck needs from metadata Decode read (with
// its subtask states). Call it (or DecodeSummaries) once.
func (fc *FileCheck) Index(m *Metadata) {
	fc.walk(m)
}

func (fc *FileCheck) walk(m *Metadata) {
	fs := newFileSet(fc, true)
	for i := range m.Operators {
		op := &m.Operators[i]
		for j := range op.Subtasks {
			fs.subtask = op.Subtasks[j].Index
			WalkSubtask(&op.Subtasks[j], func(h StateHandle) {
				if p, rel, _, ok := fileOf(h); ok {
					fs.add(p, rel, i)
				}
			})
		}
	}
	if !fc.locating {
		fs.count(make([]int, len(m.Operators)))
	}
}

// Dirs returns the distinct directories of the referenced files, in
// order of first appearance.
func (fc *FileCheck) Dirs() []FileDir { return slices.Clone(fc.dirs) }

// Partial reports whether the files referenced more directories than
// MaxFileDirs (or longer ones): files in the directories beyond were not
// verified.
func (fc *FileCheck) Partial() bool { return fc.partial }

// Files is the number of distinct files in verified directories.
func (fc *FileCheck) Files() int { return fc.files }

// Unverified is the number of references to files not verified: in
// directories the verify function did not verify, or beyond MaxFileDirs.
// Those files are not hashed, so their references are not told apart.
func (fc *FileCheck) Unverified() int {
	n := fc.beyond
	for _, d := range fc.dirs {
		if !d.Verify {
			n += d.Refs
		}
	}
	return n
}

// Mark records that the file name exists in directory d (a name its
// listing returned). It reports whether a handle references it.
func (fc *FileCheck) Mark(d FileDir, name string) bool {
	return fc.MarkAll(d, []string{name}) == 1
}

// MarkAll is Mark for the names of a directory's listing; it returns how
// many of them a handle references. A name is the file the path
// d.Prefix+name is, by the hash the file set gives a path (of its bytes;
// a path the decoder decoded from modified UTF-8 has those of the Go
// string). It hashes them (markChunk at a time), sorts the hashes by
// bucket and looks them up bucket by bucket, so that each bucket's table
// stays in the cache while it is searched (fileTable). Calls may not
// overlap.
func (fc *FileCheck) MarkAll(d FileDir, names []string) int {
	n := 0
	for len(names) > 0 {
		c := min(len(names), markChunk)
		n += fc.markChunk(d, names[:c])
		names = names[c:]
	}
	return n
}

// markChunk bounds the names MarkAll sorts at a time (32 bytes each),
// and still looks up a thousand in each bucket's table; tests set it.
var markChunk = 1 << 16

type markHash struct {
	h0 uint64
	h1 uint32
}

func (fc *FileCheck) markChunk(d FileDir, names []string) int {
	if cap(fc.marks) < 2*len(names) {
		fc.marks = make([]markHash, 2*len(names))
	}
	hs, byBucket := fc.marks[:len(names)], fc.marks[len(names):2*len(names)]
	var counts [fileBuckets + 1]int
	buf := fc.scratch
	for i, name := range names {
		buf = append(append(buf[:0], d.Prefix...), name...)
		h0, h1, _ := fc.keys.hashPath(buf)
		hs[i] = markHash{h0, keyedH1(h1, d.Relative)}
		counts[h0>>(64-fileBucketBits)+1]++
	}
	fc.scratch = buf
	for b := 1; b <= fileBuckets; b++ {
		counts[b] += counts[b-1]
	}
	next := counts
	for _, h := range hs {
		b := h.h0 >> (64 - fileBucketBits)
		byBucket[next[b]] = h
		next[b]++
	}
	n := 0
	for b := range fileBuckets {
		t := &fc.tables[b]
		for _, h := range byBucket[counts[b]:counts[b+1]] {
			if i, ok := t.find(h.h0, h.h1); ok {
				t.e[i].op = 1
				n++
			}
		}
	}
	return n
}

// Missing is the number of distinct files in verified directories that
// Mark did not find.
func (fc *FileCheck) Missing() int {
	n := 0
	for _, t := range fc.tables {
		for _, e := range t.e {
			if e.op == 0 {
				n++
			}
		}
	}
	return n
}

// Locate decodes the metadata at src again (the bytes DecodeSummaries
// read) and calls fn for every reference to a file in a verified directory
// that Mark did not find: the operator's index, the subtask's index and
// the path as stored (a file several subtasks reference is reported for
// each).
func (fc *FileCheck) Locate(src io.ReaderAt, size int64, fn func(op int, subtask int32, ref FileRef)) error {
	fc.locating, fc.locate = true, fn
	defer func() { fc.locating, fc.locate = false, nil }()
	_, err := decodeSummaries(src, size, fc, true)
	return err
}

// LocateIn is Locate for metadata Decode read (the metadata Index saw).
func (fc *FileCheck) LocateIn(m *Metadata, fn func(op int, subtask int32, ref FileRef)) {
	fc.locating, fc.locate = true, fn
	defer func() { fc.locating, fc.locate = false, nil }()
	fc.walk(m)
}

// start begins a decode: a retried one (the layout variants of version
// 3) starts again from nothing, so that what a failed attempt decoded
// leaves no directories behind.
func (fc *FileCheck) start() {
	if fc.locating {
		return
	}
	fc.dirs, fc.dirIdx, fc.dirBytes, fc.partial, fc.recentOK, fc.recentPos, fc.recentHit = nil, map[dirKey]int{}, 0, false, 0, 0, 0
	fc.tables, fc.files, fc.beyond = [fileBuckets]fileTable{}, 0, 0
}

func (fc *FileCheck) useKeys() pathKeys {
	if !fc.keyed {
		fc.keys = newPathKeys()
		fc.keyed = true
	}
	return fc.keys
}

// add is fileSet.add's hook, for a path the hashing goroutine hashed
// (skip did not take it): it counts the reference, and says whether to
// keep the file, which is in a verified directory. While locating it
// reports missing files and keeps nothing.
func (fc *FileCheck) add(path string, rel bool, op int, subtask int32, h0 uint64, h1 uint32) bool {
	verify := fc.dirVerify(path, rel)
	if fc.locating {
		if verify {
			t := &fc.tables[h0>>(64-fileBucketBits)]
			if i, ok := t.find(h0, h1); ok && t.e[i].op == 0 {
				fc.locate(op, subtask, FileRef{Path: strings.Clone(path), Relative: rel})
			}
		}
		return false
	}
	return verify
}

// skip reports whether the path p (its bytes as stored) is an ASCII path in
// the directory of the last reference, and that directory is not verified:
// the file is then neither hashed nor kept, and skip counts the reference.
// Any other path is hashed and goes to add, which classifies its
// directory. ASCII bytes are the path the decoder would decode (modified
// UTF-8 differs from them only above 0x7f); its directory is what
// dirVerify takes from it.
func (fc *FileCheck) skip(p []byte, rel bool) bool {
	d := &fc.recent[fc.recentHit]
	if fc.recentOK == 0 || d.verify || d.rel != rel || !d.ascii || !inDir(p, d.prefix) {
		return false
	}
	if !fc.locating {
		fc.dirs[d.idx].Refs++
	}
	return true
}

// inDir reports whether p is a file of the directory prefix (ASCII): it
// starts with prefix, and what follows is ASCII, not empty and without
// '/'.
func inDir(p []byte, prefix string) bool {
	n := len(prefix)
	return len(p) > n && string(p[:n]) == prefix && plainName(p[n:])
}

// plainName reports whether the name b (not empty) is ASCII and has no
// '/', 8 bytes at a time: a word has a '/' when x^"////////" has a zero
// byte, which (y-0x01…)&^y tells exactly when no byte is above 0x7f
// (which the same bits of x tell). A name of 20 bytes takes 5 ns, and the
// prefix's comparison (memequal) 6: an ASCII check, IndexByte and a loop
// over both took 28 ns a path.
func plainName(b []byte) bool {
	const ones, slashes = 0x0101010101010101, 0x2f2f2f2f2f2f2f2f
	var acc uint64
	if n := len(b); n >= 8 {
		for i := 0; i+8 < n; i += 8 {
			x := binary.LittleEndian.Uint64(b[i:])
			y := x ^ slashes
			acc |= x | (y-ones)&^y
		}
		x := binary.LittleEndian.Uint64(b[n-8:]) // overlapping the last
		y := x ^ slashes
		acc |= x | (y-ones)&^y
	} else {
		// Zero bytes pad the word: ASCII, and not '/'.
		var x uint64
		for i, c := range b {
			x |= uint64(c) << (8 * i)
		}
		y := x ^ slashes
		acc |= x | (y-ones)&^y
	}
	return acc&asciiMask == 0
}

// dirVerify returns whether the directory of path is verified, recording
// it the first time it is seen, and counts the reference.
func (fc *FileCheck) dirVerify(path string, rel bool) bool {
	d := fc.dirOf(path, rel)
	if d < 0 {
		if !fc.locating {
			fc.beyond++
		}
		return false
	}
	if !fc.locating {
		fc.dirs[d].Refs++
	}
	return fc.dirs[d].Verify
}

// dirOf returns the index in fc.dirs of the directory of path, or -1
// beyond MaxFileDirs.
func (fc *FileCheck) dirOf(path string, rel bool) int {
	// Mostly the directory of the last reference.
	if d := &fc.recent[fc.recentHit]; fc.recentOK > 0 && d.rel == rel && strings.HasPrefix(path, d.prefix) && strings.IndexByte(path[len(d.prefix):], '/') < 0 {
		return d.idx
	}
	prefix := path[:strings.LastIndexByte(path, '/')+1]
	for i := range fc.recent[:fc.recentOK] {
		if d := &fc.recent[i]; d.rel == rel && d.prefix == prefix {
			fc.recentHit = i
			return d.idx
		}
	}
	j, ok := fc.dirIdx[dirKey{prefix, rel}]
	if !ok {
		if len(fc.dirs) >= MaxFileDirs || fc.dirBytes+len(prefix) > maxFileDirBytes {
			fc.partial = true
			return -1
		}
		p := strings.Clone(prefix)
		j = len(fc.dirs)
		fc.dirIdx[dirKey{p, rel}] = j
		fc.dirs = append(fc.dirs, FileDir{Prefix: p, Relative: rel, Verify: fc.verify(p, rel)})
		fc.dirBytes += len(p)
	}
	d := &fc.dirs[j]
	fc.recent[fc.recentPos] = recentDir{d.Prefix, rel, d.Verify, isASCII(unsafe.Slice(unsafe.StringData(d.Prefix), len(d.Prefix))), j}
	fc.recentHit = fc.recentPos
	fc.recentPos = (fc.recentPos + 1) % len(fc.recent)
	fc.recentOK = max(fc.recentOK, fc.recentPos)
	if fc.recentPos == 0 {
		fc.recentOK = len(fc.recent)
	}
	return j
}

type recentDir struct {
	prefix             string
	rel, verify, ascii bool
	idx                int // in FileCheck.dirs
}

// keep is fileSet.count's hook: it keeps the distinct files of bucket bi
// (the occupied slots of keys, n of them: every file the set holds is in
// a verified directory), sorted, and returns how many it kept (count adds
// them to Files). scratch is room for n+1 entries the caller may reuse.
// Calls for different buckets may run at once.
func (fc *FileCheck) keep(bi int, keys []fileEntry, n int, scratch []fileEntry) int {
	if fc.locating {
		return 0
	}
	// Without a branch: every slot is written at j, and j moves on for
	// an occupied one (op > 0). With a branch, the mispredictions on
	// slots full or not, at random, were most of check's time here.
	t := scratch[:n+1]
	j := 0
	for _, k := range keys {
		t[j] = fileEntry{h0: k.h0, h1: k.h1}
		j += int(uint32(-k.op) >> 31)
	}
	t = slices.Clone(t[:j])
	// The slots are in order of the hash but for runs of collisions and
	// the few that wrapped past the end (countBuckets): an insertion sort
	// has little to move.
	for i := 1; i < len(t); i++ {
		x := t[i]
		j := i
		for ; j > 0 && entryLess(x, t[j-1]); j-- {
			t[j] = t[j-1]
		}
		t[j] = x
	}
	fc.tables[bi] = newFileTable(t)
	return len(t)
}

func entryLess(a, b fileEntry) bool {
	return a.h0 < b.h0 || a.h0 == b.h0 && a.h1 < b.h1
}

// A fileTable is a bucket's distinct files, sorted, and an index into
// them by the bits of h0 below the bucket's: ix[k] is where the entries
// whose next bits are k start. The hashes are uniform, so a slot holds one
// or two entries: a lookup reads ix and one or two entries, where a binary
// search over the 3,400 entries of a bucket of the synthetic checkpoint's
// 219,000 files made 12 dependent reads (MarkAll of those names, in a
// benchmark: 15 to 17 ms with the search, 11 with the index). The index
// costs 2 to 4 bytes a file.
type fileTable struct {
	e     []fileEntry
	ix    []uint32
	shift uint8 // h0<<fileBucketBits>>shift is the slot
}

func newFileTable(e []fileEntry) fileTable {
	slots, b := 1, 0
	for 2*slots < len(e) {
		slots *= 2
		b++
	}
	t := fileTable{e: e, ix: make([]uint32, slots+1), shift: uint8(64 - b)}
	j := 0
	for k := range slots {
		for j < len(e) && t.slot(e[j].h0) < k {
			j++
		}
		t.ix[k] = uint32(j)
	}
	t.ix[slots] = uint32(len(e))
	return t
}

// slot is the index slot of h0 (0 for every h0 when there is one slot:
// Go shifts a uint64 by 64 to 0).
func (t *fileTable) slot(h0 uint64) int {
	return int(h0 << fileBucketBits >> t.shift)
}

// find returns the index in t.e of the file h0, h1.
func (t *fileTable) find(h0 uint64, h1 uint32) (int, bool) {
	if len(t.e) == 0 {
		return 0, false
	}
	k := t.slot(h0)
	for i := t.ix[k]; i < t.ix[k+1]; i++ {
		if e := &t.e[i]; e.h0 == h0 && e.h1 == h1 {
			return int(i), true
		}
	}
	return 0, false
}
