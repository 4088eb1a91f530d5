package metadata

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestFileCheck marks every referenced file of real checkpoints but one
// and checks that Missing counts it and Locate names it with the operator
// and subtask that reference it, through both DecodeSummaries and Index;
// files in directories the verify function declines are not counted.
func TestFileCheck(t *testing.T) {
	for _, name := range []string{
		"../testdata/oracle/2.0.0/savepoints/rocksdb-checkpoint/_metadata",
		"../fixtures/versions/v5/_metadata",
		"../fixtures/versions/v2/_metadata",
	} {
		t.Run(filepath.Base(filepath.Dir(filepath.Dir(name)))+"/"+filepath.Base(filepath.Dir(name)), func(t *testing.T) {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			// The references, independently of FileCheck: operator,
			// subtask, path.
			type ref struct {
				op      int
				subtask int32
				f       FileRef
			}
			var refs []ref
			for i := range m.Operators {
				for _, st := range m.Operators[i].Subtasks {
					WalkSubtask(&st, func(h StateHandle) {
						if p, rel, _, ok := fileOf(h); ok {
							refs = append(refs, ref{i, st.Index, FileRef{Path: p, Relative: rel}})
						}
					})
				}
			}
			// Files in other stores are not verified.
			verified := func(prefix string, rel bool) bool { return !strings.Contains(prefix, "://") }
			isVerified := func(f FileRef) bool { return verified(f.Path, f.Relative) }
			var victim FileRef
			for _, r := range refs {
				if isVerified(r.f) {
					victim = r.f
					break
				}
			}
			if victim.Path == "" {
				t.Fatal("no verified file to delete")
			}
			var wantLoc []ref
			distinct, unverified := map[FileRef]bool{}, 0
			dirRefs := map[dirKey]int{}
			for _, r := range refs {
				if r.f == victim {
					wantLoc = append(wantLoc, r)
				}
				if isVerified(r.f) {
					distinct[r.f] = true
				} else {
					unverified++
				}
				dirRefs[dirKey{r.f.Path[:strings.LastIndexByte(r.f.Path, '/')+1], r.f.Relative}]++
			}
			for _, full := range []bool{false, true} {
				fc := NewFileCheck(verified)
				if full {
					fc.Index(m)
				} else {
					sm, err := fc.DecodeSummaries(bytes.NewReader(b), int64(len(b)))
					if err != nil {
						t.Fatal(err)
					}
					// The files of directories not verified are not
					// hashed: no count covers them all.
					if sm.FileCount() != -1 {
						t.Errorf("FileCount %d with a FileCheck, want -1", sm.FileCount())
					}
				}
				if fc.Files() != len(distinct) || fc.Unverified() != unverified {
					t.Errorf("full=%v: %d files verified, %d references not; want %d and %d", full, fc.Files(), fc.Unverified(), len(distinct), unverified)
				}
				if len(fc.Dirs()) != len(dirRefs) {
					t.Errorf("full=%v: %d directories, want %d", full, len(fc.Dirs()), len(dirRefs))
				}
				for _, d := range fc.Dirs() {
					if d.Verify != verified(d.Prefix, d.Relative) {
						t.Errorf("dir %+v: Verify is not what the function said", d)
					}
					if want := dirRefs[dirKey{d.Prefix, d.Relative}]; d.Refs != want {
						t.Errorf("full=%v: dir %+v: %d references, want %d", full, d, d.Refs, want)
					}
				}
				// Mark one name at a time, or (from DecodeSummaries)
				// each directory's names together, with one more that
				// no handle references.
				listings := map[FileDir][]string{{Relative: true, Verify: true}: {"not-referenced"}}
				for f := range distinct {
					if f == victim {
						continue
					}
					i := strings.LastIndexByte(f.Path, '/')
					d := FileDir{Prefix: f.Path[:i+1], Relative: f.Relative, Verify: true}
					if !full {
						listings[d] = append(listings[d], f.Path[i+1:])
					} else if !fc.Mark(d, f.Path[i+1:]) {
						t.Errorf("Mark(%s) found no reference", f.Path)
					}
				}
				if full && fc.Mark(FileDir{Relative: true, Verify: true}, "not-referenced") {
					t.Error("Mark of a name no handle references reported a reference")
				}
				marked := 0
				for d, names := range listings {
					marked += fc.MarkAll(d, names)
				}
				if !full && marked != len(distinct)-1 {
					t.Errorf("MarkAll found %d referenced names, want %d", marked, len(distinct)-1)
				}
				if n := fc.Missing(); n != 1 {
					t.Fatalf("full=%v: Missing() = %d, want 1", full, n)
				}
				var got []ref
				fn := func(op int, subtask int32, f FileRef) { got = append(got, ref{op, subtask, f}) }
				if full {
					fc.LocateIn(m, fn)
				} else if err := fc.Locate(bytes.NewReader(b), int64(len(b)), fn); err != nil {
					t.Fatal(err)
				}
				if len(got) != len(wantLoc) {
					t.Fatalf("full=%v: Locate found %v, want %v", full, got, wantLoc)
				}
				for i := range got {
					if got[i] != wantLoc[i] {
						t.Errorf("full=%v: Locate found %v, want %v", full, got[i], wantLoc[i])
					}
				}
			}
		})
	}
}

// TestFileCheckBoundsDirectories: files in more directories than
// MaxFileDirs are counted, the directories beyond are neither kept nor
// verified, and Partial says so.
func TestFileCheckBoundsDirectories(t *testing.T) {
	n := MaxFileDirs + 500
	op := OperatorState{Parallelism: int32(n), MaxParallelism: 32768}
	for i := range n {
		op.Subtasks = append(op.Subtasks, SubtaskState{Index: int32(i), ManagedKeyedState: &KeyGroupsHandle{
			Tag_: TagKeyGroupsHandleV2, Range: KeyGroupRange{Start: int32(i), Count: 1}, Offsets: []int64{0},
			Delegate: &RelativeFileHandle{RelativePath: "d" + strconv.Itoa(i) + "/f", Size: 1}}})
	}
	m := &Metadata{Version: 3, Operators: []OperatorState{op}}
	calls := 0
	fc := NewFileCheck(func(string, bool) bool { calls++; return true })
	fc.Index(m)
	if len(fc.Dirs()) != MaxFileDirs || calls != MaxFileDirs || !fc.Partial() {
		t.Errorf("%d directories kept, %d classified, partial %v; want %d, %d, true", len(fc.Dirs()), calls, fc.Partial(), MaxFileDirs, MaxFileDirs)
	}
	if fc.Files() != MaxFileDirs || fc.Unverified() != 500 {
		t.Errorf("%d files verified, %d not; want %d and 500", fc.Files(), fc.Unverified(), MaxFileDirs)
	}
}

// MarkAll finds the names of every bucket, and only those referenced.
func TestMarkAllEveryBucket(t *testing.T) {
	fc := NewFileCheck(func(string, bool) bool { return true })
	fs := newFileSet(fc, true)
	var names []string
	for i := range 5000 {
		names = append(names, fmt.Sprintf("f-%d", i))
		fs.add("d/"+names[i], true, 0)
	}
	fs.count(make([]int, 1))
	for b, tb := range fc.tables {
		if len(tb.e) == 0 {
			t.Fatalf("bucket %d holds no file: the test would not see it", b)
		}
	}
	d := FileDir{Prefix: "d/", Relative: true, Verify: true}
	defer func(c int) { markChunk = c }(markChunk)
	markChunk = 777 // names in several chunks
	if n := fc.MarkAll(d, append(names[1:], "f-x", "f-5000")); n != len(names)-1 {
		t.Errorf("MarkAll found %d referenced names, want %d", n, len(names)-1)
	}
	if n := fc.Missing(); n != 1 {
		t.Errorf("Missing() = %d, want 1 (f-0)", n)
	}
	if !fc.Mark(d, "f-0") || fc.Missing() != 0 {
		t.Error("Mark(f-0) did not find the last one")
	}
	if n := fc.MarkAll(FileDir{Prefix: "d/", Verify: true}, names); n != 0 {
		t.Errorf("absolute d/ names: %d referenced, want 0 (the handles' paths are relative)", n)
	}
}

// A fileTable finds every entry, also among entries that share h0 or a
// slot of its index, and nothing else, in tables of 0 to 70 entries.
func TestFind(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := range 70 {
		for _, few := range []bool{true, false} {
			var tb []fileEntry
			for range n {
				h0 := r.Uint64() >> fileBucketBits
				if few {
					h0 = uint64(r.IntN(16)) << 54 // runs of one h0, and of one slot
				}
				tb = append(tb, fileEntry{h0: h0, h1: uint32(r.IntN(8))})
			}
			slices.SortFunc(tb, func(a, b fileEntry) int {
				if entryLess(a, b) {
					return -1
				}
				if entryLess(b, a) {
					return 1
				}
				return 0
			})
			tb = slices.Compact(tb)
			ft := newFileTable(tb)
			var probes []fileEntry
			for _, e := range tb {
				probes = append(probes, e, fileEntry{h0: e.h0, h1: e.h1 + 1}, fileEntry{h0: e.h0 + 1, h1: e.h1})
			}
			probes = append(probes, fileEntry{}, fileEntry{h0: math.MaxUint64 >> fileBucketBits, h1: 7})
			for _, p := range probes {
				i, ok := ft.find(p.h0, p.h1)
				want := slices.Index(tb, p)
				if ok != (want >= 0) || ok && i != want {
					t.Fatalf("table %v: find(%d, %d) = %d, %v; want %d", tb, p.h0, p.h1, i, ok, want)
				}
			}
		}
	}
}

// inDir is a prefix test, a search for '/' and an ASCII check, in one.
func TestInDir(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	alphabet := []byte("ab/\x00\x7f\x80\xc3\xff")
	for range 200_000 {
		n := r.IntN(24)
		prefix := make([]byte, n)
		for i := range prefix {
			prefix[i] = alphabet[r.IntN(3)] // a, b or /
		}
		p := append([]byte(nil), prefix...)
		if r.IntN(4) == 0 && n > 0 {
			p[r.IntN(n)] = alphabet[r.IntN(len(alphabet))]
		}
		for range r.IntN(24) {
			c := alphabet[r.IntN(len(alphabet))]
			if r.IntN(3) > 0 {
				c = 'a'
			}
			p = append(p, c)
		}
		want := len(p) > n && string(p[:n]) == string(prefix) && !strings.Contains(string(p[n:]), "/") && isASCII(p)
		if got := inDir(p, string(prefix)); got != want {
			t.Fatalf("inDir(%q, %q) = %v, want %v", p, prefix, got, want)
		}
	}
}
