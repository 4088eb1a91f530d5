package metadata_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spcheck/spcheck/fixtures"
	"github.com/spcheck/spcheck/metadata"
)

// allMetadataFiles returns every _metadata file of the Flink corpus and of
// the fixtures.
func allMetadataFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, dir := range []string{"../testdata/flink", "../fixtures"} {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && d.Name() == "_metadata" {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(files) < 200 {
		t.Fatalf("found only %d metadata files", len(files))
	}
	return files
}

// sameSummaries fails unless s (from DecodeSummaries) reports what the
// full decoding m does.
func sameSummaries(t *testing.T, name string, m, s *metadata.Metadata) {
	t.Helper()
	if s.Version != m.Version || s.CheckpointID != m.CheckpointID || !reflect.DeepEqual(s.Quirks, m.Quirks) ||
		!reflect.DeepEqual(s.Properties, m.Properties) || !bytes.Equal(s.PropertiesRaw, m.PropertiesRaw) {
		t.Errorf("%s: header differs", name)
	}
	if !reflect.DeepEqual(s.MasterStates, m.MasterStates) {
		t.Errorf("%s: master states differ", name)
	}
	if !reflect.DeepEqual(s.HandleTags(), m.HandleTags()) || !reflect.DeepEqual(s.KeyedTags(), m.KeyedTags()) {
		t.Errorf("%s: handle tags %v, keyed %v; want %v, %v", name, s.HandleTags(), s.KeyedTags(), m.HandleTags(), m.KeyedTags())
	}
	if s.Kind() != m.Kind() {
		t.Errorf("%s: kind %+v, want %+v", name, s.Kind(), m.Kind())
	}
	if got, want := s.FileCount(), len(metadata.AllFiles(m)); got != want {
		t.Errorf("%s: %d files, want %d", name, got, want)
	}
	if len(s.Operators) != len(m.Operators) {
		t.Fatalf("%s: %d operators, want %d", name, len(s.Operators), len(m.Operators))
	}
	for i := range m.Operators {
		a, b := &m.Operators[i], &s.Operators[i]
		if !b.Summarized() || b.Subtasks != nil {
			t.Errorf("%s: operator %d not summarized", name, i)
		}
		if a.ID != b.ID || a.Name != b.Name || a.UID != b.UID || a.Parallelism != b.Parallelism ||
			a.MaxParallelism != b.MaxParallelism || a.ChainLength != b.ChainLength || a.FullyFinished != b.FullyFinished ||
			!reflect.DeepEqual(a.CoordinatorState, b.CoordinatorState) {
			t.Errorf("%s: operator %d head differs", name, i)
		}
		if a.HasState() != b.HasState() || a.StateSize() != b.StateSize() || a.NumSubtasks() != b.NumSubtasks() {
			t.Errorf("%s: operator %d: has state %v, size %d, %d subtasks; want %v, %d, %d", name, i,
				b.HasState(), b.StateSize(), b.NumSubtasks(), a.HasState(), a.StateSize(), a.NumSubtasks())
		}
		if got, want := metadata.Summarize(b), metadata.Summarize(a); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: operator %d summary\n %+v\nwant\n %+v", name, i, got, want)
		}
		if got, want := metadata.FileCount(b), len(metadata.Files(a)); got != want {
			t.Errorf("%s: operator %d: %d files, want %d", name, i, got, want)
		}
	}
}

// DecodeSummaries reports what Decode does on every real file and fixture,
// with windows far smaller than a subtask state (the window slides and
// grows) and with the default one.
// Both ways of reading subtask records (the fast path and the decoder)
// and both ways of hashing paths (on the decoding goroutine and on one of
// their own) are held to it.
func TestDecodeSummariesCorpus(t *testing.T) {
	type mode struct {
		ws          int
		fast, async bool
	}
	var modes []mode
	// Window size -1: the input is metadata.Memory, read in place.
	for _, ws := range []int{0, 7, 100, 4096, -1} {
		for _, fast := range []bool{true, false} {
			for _, async := range []bool{true, false} {
				modes = append(modes, mode{ws, fast, async})
			}
		}
	}
	for _, md := range modes {
		ws := md.ws
		func() {
			if ws > 0 {
				defer metadata.SetWindowSize(ws)()
			}
			// In memory, the references go to the hashing goroutine in
			// batches of 5.
			defer metadata.SetFlushRefs(5)()
			defer metadata.SetFastPath(md.fast)()
			defer metadata.SetAsyncFiles(md.async)()
			for _, f := range allMetadataFiles(t) {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				m, err := metadata.Decode(b)
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				var src io.ReaderAt = bytes.NewReader(b)
				if ws < 0 {
					src = metadata.Memory(b)
				}
				s, err := metadata.DecodeSummaries(src, int64(len(b)))
				if err != nil {
					t.Errorf("%s (%+v): %v", f, md, err)
					continue
				}
				sameSummaries(t, f, m, s)
				if md.fast && md.async {
					// Without files: the same but for the file counts.
					n, err := metadata.DecodeSummariesNoFiles(src, int64(len(b)))
					if err != nil {
						t.Fatalf("%s: %v", f, err)
					}
					if n.FileCount() != -1 || len(n.Operators) > 0 && metadata.FileCount(&n.Operators[0]) != -1 {
						t.Errorf("%s: without files, %d files", f, n.FileCount())
					}
					if n.Kind() != s.Kind() || len(n.Operators) != len(s.Operators) {
						t.Fatalf("%s: without files, kind %+v and %d operators, want %+v and %d", f, n.Kind(), len(n.Operators), s.Kind(), len(s.Operators))
					}
					for i := range n.Operators {
						if got, want := metadata.Summarize(&n.Operators[i]), metadata.Summarize(&s.Operators[i]); !reflect.DeepEqual(got, want) || n.Operators[i].HasState() != s.Operators[i].HasState() {
							t.Errorf("%s: without files, operator %d: %+v, want %+v", f, i, got, want)
						}
					}
				}
			}
		}()
	}
}

// encodeDecode encodes m and decodes it again with Decode.
func encodeDecode(t *testing.T, m *metadata.Metadata) ([]byte, *metadata.Metadata) {
	t.Helper()
	b, err := metadata.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	full, err := metadata.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return b, full
}

// The synthetic checkpoint: files shared between subtasks and between
// operators are counted once, and per operator once.
func TestDecodeSummariesSharedFiles(t *testing.T) {
	defer metadata.SetWindowSize(1000)()
	m := fixtures.Synthetic(3, 20, 5)
	// Subtask 1 of every operator shares subtask 0's files, and operator 2
	// shares operator 0's.
	for o := range m.Operators {
		k0 := m.Operators[o].Subtasks[0].ManagedKeyedState.(*metadata.IncrementalKeyedHandle)
		k1 := m.Operators[o].Subtasks[1].ManagedKeyedState.(*metadata.IncrementalKeyedHandle)
		k1.Shared = k0.Shared
	}
	m.Operators[2].Subtasks = m.Operators[0].Subtasks
	b, full := encodeDecode(t, m)
	s, err := metadata.DecodeSummaries(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	sameSummaries(t, "synthetic", full, s)
	// 20 subtasks of 5 shared files, 2 private ones and an operator state
	// file, less subtask 1's 5 shared ones; operator 2 adds nothing.
	if got, want := s.FileCount(), 2*(20*8-5); got != want {
		t.Errorf("%d files, want %d", got, want)
	}
	if got, want := metadata.FileCount(&s.Operators[2]), 20*8-5; got != want {
		t.Errorf("operator 2: %d files, want %d", got, want)
	}
}

// DecodeSummaries counts references up to MaxFileReferences and fails
// past it, whether the fast path queues a RocksDB handle's shared files as
// one run or the decoder one by one, with files counted or not.
func TestDecodeSummariesBoundsReferences(t *testing.T) {
	b, err := metadata.Encode(fixtures.Synthetic(3, 20, 5))
	if err != nil {
		t.Fatal(err)
	}
	const refs = 3 * 20 * 8 // 5 shared files, 2 private ones, an operator state file
	for _, fast := range []bool{true, false} {
		for _, async := range []bool{true, false} {
			restore := []func(){metadata.SetFastPath(fast), metadata.SetAsyncFiles(async)}
			for _, src := range []io.ReaderAt{bytes.NewReader(b), metadata.Memory(b)} {
				for _, decode := range []func(io.ReaderAt, int64) (*metadata.Metadata, error){metadata.DecodeSummaries, metadata.DecodeSummariesNoFiles} {
					func() {
						defer metadata.SetMaxFileReferences(refs)()
						if _, err := decode(src, int64(len(b))); err != nil {
							t.Errorf("fast %v, async %v, %T: %d references at a bound of %d: %v", fast, async, src, refs, refs, err)
						}
					}()
					func() {
						defer metadata.SetMaxFileReferences(refs - 1)()
						_, err := decode(src, int64(len(b)))
						if err == nil || !strings.Contains(err.Error(), "reference more than 479 files") {
							t.Errorf("fast %v, async %v, %T: %d references at a bound of %d: error %v", fast, async, src, refs, refs-1, err)
						}
					}()
				}
			}
			for _, r := range restore {
				r()
			}
		}
	}
}

// The fast path reads the records of the shapes Flink writes most: all of
// the synthetic checkpoint's, and most of the corpus'.
func TestDecodeSummariesFastPath(t *testing.T) {
	b, err := metadata.Encode(fixtures.Synthetic(3, 20, 5))
	if err != nil {
		t.Fatal(err)
	}
	before := metadata.FastRecords()
	if _, err := metadata.DecodeSummaries(bytes.NewReader(b), int64(len(b))); err != nil {
		t.Fatal(err)
	}
	if got := metadata.FastRecords() - before; got != 3*20 {
		t.Errorf("the fast path read %d records of 60", got)
	}
	before = metadata.FastRecords()
	var records int
	for _, f := range allMetadataFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := metadata.DecodeSummaries(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		if m.Version >= 3 {
			for i := range m.Operators {
				records += m.Operators[i].NumSubtasks()
			}
		}
	}
	if got := metadata.FastRecords() - before; got < int64(records)/2 {
		t.Errorf("the fast path read %d of the corpus' %d subtask records of versions 3+", got, records)
	} else {
		t.Logf("the fast path read %d of the corpus' %d subtask records of versions 3+", got, records)
	}
}

// Every prefix and many corruptions of real files (and of a synthetic
// checkpoint, all of whose records the fast path reads) fail with the
// error Decode gives, at the same offset.
func TestDecodeSummariesErrors(t *testing.T) {
	defer metadata.SetWindowSize(64)()
	synthetic, err := metadata.Encode(fixtures.Synthetic(2, 3, 2))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{
		"synthetic",
		"../testdata/flink/flink-tests/new-stateful-udf-migration-itcase-flink1.19-rocksdb-checkpoint/_metadata",
		"../testdata/flink/flink-tests/new-stateful-broadcast-udf-migration-itcase-flink1.12-savepoint/_metadata",
		"../fixtures/versions/v3/_metadata",
		"../fixtures/versions/v5/_metadata",
		"../fixtures/versions/v7/_metadata",
		"../fixtures/versions/v6/_metadata",
	} {
		b := synthetic
		if name != "synthetic" {
			if b, err = os.ReadFile(name); err != nil {
				t.Fatal(err)
			}
		}
		check := func(what string, in []byte) {
			_, want := metadata.Decode(in)
			for _, src := range []io.ReaderAt{bytes.NewReader(in), metadata.Memory(in)} {
				_, got := metadata.DecodeSummaries(src, int64(len(in)))
				if (got == nil) != (want == nil) || got != nil && got.Error() != want.Error() {
					t.Fatalf("%s: %s (%T): error\n %v\nwant\n %v", name, what, src, got, want)
				}
				if want != nil && errors.Is(want, io.ErrUnexpectedEOF) != errors.Is(got, io.ErrUnexpectedEOF) {
					t.Fatalf("%s: %s (%T): errors.Is(ErrUnexpectedEOF) differs", name, what, src)
				}
			}
		}
		for n := 0; n < len(b); n++ {
			check("prefix", b[:n])
		}
		c := bytes.Clone(b)
		for i := 0; i < len(c); i += 1 + len(c)/3000 {
			for _, v := range []byte{0, 0x7f, 0xff} {
				old := c[i]
				c[i] = v
				check("corruption", c)
				c[i] = old
			}
		}
	}
}

// A read error is returned as it is.
func TestDecodeSummariesReadError(t *testing.T) {
	b, err := os.ReadFile("../fixtures/versions/v4/_metadata")
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	_, err = metadata.DecodeSummaries(failingReader{b[:40], boom}, int64(len(b)))
	if !errors.Is(err, boom) {
		t.Errorf("error %v, want one wrapping %v", err, boom)
	}
}

type failingReader struct {
	b   []byte
	err error
}

func (f failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(f.b)) {
		return 0, f.err
	}
	n := copy(p, f.b[off:])
	if n < len(p) {
		return n, f.err
	}
	return n, nil
}

// FuzzDecodeSummaries holds DecodeSummaries (and DecodeSummariesNoFiles,
// for its errors) to Decode on arbitrary bytes,
// seeded with every corpus file and a synthetic checkpoint: the same
// error, or the same summaries; and FileCheck.DecodeSummaries, which
// hashes only the files of verified directories, to FileCheck.Index of
// what Decode read: the same directories, references and files.
func FuzzDecodeSummaries(f *testing.F) {
	for _, p := range allMetadataFiles(&testing.T{}) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	synthetic, err := metadata.Encode(fixtures.Synthetic(2, 3, 2))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(synthetic)
	f.Fuzz(func(t *testing.T, b []byte) {
		defer metadata.SetWindowSize(64)()
		defer metadata.SetFlushRefs(3)()
		m, want := metadata.Decode(b)
		// Through a window, and in place (as a mapped file).
		for _, src := range []io.ReaderAt{bytes.NewReader(b), metadata.Memory(b)} {
			s, got := metadata.DecodeSummaries(src, int64(len(b)))
			if (got == nil) != (want == nil) || got != nil && got.Error() != want.Error() {
				t.Fatalf("%T: error\n %v\nwant\n %v", src, got, want)
			}
			if want == nil {
				sameSummaries(t, "input", m, s)
			}
			// Without files: the same errors, nothing to hash the paths.
			if _, got := metadata.DecodeSummariesNoFiles(src, int64(len(b))); (got == nil) != (want == nil) || got != nil && got.Error() != want.Error() {
				t.Fatalf("%T, without files: error\n %v\nwant\n %v", src, got, want)
			}
			// Directories of an even length verified, the others not.
			verify := func(prefix string, _ bool) bool { return len(prefix)%2 == 0 }
			fc := metadata.NewFileCheck(verify)
			if _, got := fc.DecodeSummaries(src, int64(len(b))); (got == nil) != (want == nil) || got != nil && got.Error() != want.Error() {
				t.Fatalf("%T, with a FileCheck: error\n %v\nwant\n %v", src, got, want)
			}
			if want == nil {
				idx := metadata.NewFileCheck(verify)
				idx.Index(m)
				if fc.Files() != idx.Files() || fc.Unverified() != idx.Unverified() || !reflect.DeepEqual(fc.Dirs(), idx.Dirs()) {
					t.Fatalf("%T: FileCheck %d files, %d references not verified, %+v; Index %d, %d, %+v",
						src, fc.Files(), fc.Unverified(), fc.Dirs(), idx.Files(), idx.Unverified(), idx.Dirs())
				}
			}
		}
	})
}

// Paths that are not ASCII: the fast path leaves their bytes to the file
// set, which decodes them as the decoder does (U+0000 and characters
// beyond U+FFFF differ from UTF-8 in modified UTF-8), so that files are
// counted and matched by listed names alike; a path that is not modified
// UTF-8 gives the decoder's error.
func TestDecodeSummariesNonASCIIPaths(t *testing.T) {
	m := fixtures.Synthetic(2, 3, 2)
	names := []string{"s3://b/données/été.sst", "s3://b/x/nul\x00.sst", "s3://b/x/😀.sst"}
	for o := range m.Operators {
		for s := range m.Operators[o].Subtasks {
			k := m.Operators[o].Subtasks[s].ManagedKeyedState.(*metadata.IncrementalKeyedHandle)
			for i := range k.Shared {
				k.Shared[i].Handle.(*metadata.FileHandle).Path = fmt.Sprintf("%s-%d", names[(o+s+i)%len(names)], (s+i)%2)
			}
		}
	}
	b, full := encodeDecode(t, m)
	for _, async := range []bool{true, false} {
		restore := metadata.SetAsyncFiles(async)
		before := metadata.FastRecords()
		for _, src := range []io.ReaderAt{bytes.NewReader(b), metadata.Memory(b)} {
			s, err := metadata.DecodeSummaries(src, int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			sameSummaries(t, "non-ASCII", full, s)
		}
		if got := metadata.FastRecords() - before; got != 2*2*3 {
			t.Errorf("async %v: the fast path read %d records of 12", async, got)
		}
		// FileCheck matches the names a listing gives (UTF-8).
		fc := metadata.NewFileCheck(func(string, bool) bool { return true })
		if _, err := fc.DecodeSummaries(metadata.Memory(b), int64(len(b))); err != nil {
			t.Fatal(err)
		}
		marked := 0
		for _, d := range fc.Dirs() {
			if d.Relative {
				continue
			}
			for _, n := range names {
				for v := 0; v < 2; v++ {
					if p := fmt.Sprintf("%s-%d", n, v); strings.HasPrefix(p, d.Prefix) && fc.Mark(d, p[len(d.Prefix):]) {
						marked++
					}
				}
			}
		}
		if marked != 6 {
			t.Errorf("async %v: Mark found %d of the 6 non-ASCII files", async, marked)
		}
		restore()
	}
	// A lone continuation byte in a path: the decoder's error.
	bad := bytes.Clone(b)
	i := bytes.Index(bad, []byte("données"))
	bad[i+2] = 0x80
	_, want := metadata.Decode(bad)
	if want == nil {
		t.Fatal("Decode accepts an invalid path")
	}
	for _, src := range []io.ReaderAt{bytes.NewReader(bad), metadata.Memory(bad)} {
		if _, err := metadata.DecodeSummaries(src, int64(len(bad))); err == nil || err.Error() != want.Error() {
			t.Errorf("%T: error %v, want %v", src, err, want)
		}
		// Without file counts nothing hashes the paths: the fast path
		// checks them itself.
		if _, err := metadata.DecodeSummariesNoFiles(src, int64(len(bad))); err == nil || err.Error() != want.Error() {
			t.Errorf("%T, without files: error %v, want %v", src, err, want)
		}
	}
	for _, src := range []io.ReaderAt{bytes.NewReader(b), metadata.Memory(b)} {
		n, err := metadata.DecodeSummariesNoFiles(src, int64(len(b)))
		if err != nil {
			t.Fatalf("%T, without files: %v", src, err)
		}
		for i := range n.Operators {
			if got, want := metadata.Summarize(&n.Operators[i]), metadata.Summarize(&full.Operators[i]); !reflect.DeepEqual(got, want) {
				t.Errorf("%T, without files, operator %d: %+v, want %+v", src, i, got, want)
			}
		}
	}
}

// A FileCheck hashes only the files of verified directories: those of the
// others count as references of their directory, also when the fast path
// reads a RocksDB handle's shared files as a run, and whether the hashing
// runs on a goroutine, from the input in memory or through the window.
// What it keeps finds every verified file, and Locate the references of
// the one missing, as Index does from metadata Decode read.
func TestFileCheckSkipsUnverified(t *testing.T) {
	m := fixtures.Synthetic(3, 20, 5)
	for o := range m.Operators {
		k0 := m.Operators[o].Subtasks[0].ManagedKeyedState.(*metadata.IncrementalKeyedHandle)
		k1 := m.Operators[o].Subtasks[1].ManagedKeyedState.(*metadata.IncrementalKeyedHandle)
		k1.Shared = k0.Shared // the same files, referenced twice
		k2 := m.Operators[o].Subtasks[2].ManagedKeyedState.(*metadata.IncrementalKeyedHandle)
		// In a run: another directory, a file in a subdirectory of it, one
		// whose name is not ASCII, one in the directory's parent.
		for i, p := range []string{"s3://bucket/other/z.sst", "s3://bucket/other/sub/x.sst", "s3://bucket/other/été.sst", "s3://bucket/x.sst"} {
			k2.Shared[1+i].Handle.(*metadata.FileHandle).Path = p
		}
		m.Operators[o].Subtasks[3].ManagedKeyedState.(*metadata.IncrementalKeyedHandle).Shared[0].Handle.(*metadata.FileHandle).Path = "s3://bucket/other/y.sst"
	}
	b, full := encodeDecode(t, m)
	// The references by directory, from the decoded handles.
	type dir struct {
		prefix string
		rel    bool
	}
	type ref struct {
		op      int
		subtask int32
		f       metadata.FileRef
	}
	var refs []ref
	for i := range full.Operators {
		for _, st := range full.Operators[i].Subtasks {
			metadata.WalkSubtask(&st, func(h metadata.StateHandle) {
				switch h := h.(type) {
				case *metadata.FileHandle:
					refs = append(refs, ref{i, st.Index, metadata.FileRef{Path: h.Path}})
				case *metadata.RelativeFileHandle:
					refs = append(refs, ref{i, st.Index, metadata.FileRef{Path: h.RelativePath, Relative: true}})
				}
			})
		}
	}
	split := func(f metadata.FileRef) (dir, string) {
		i := strings.LastIndexByte(f.Path, '/') + 1
		return dir{f.Path[:i], f.Relative}, f.Path[i:]
	}
	for _, c := range []struct {
		name   string
		verify func(prefix string, rel bool) bool
	}{
		{"relative verified", func(_ string, rel bool) bool { return rel }},
		{"shared verified", func(p string, rel bool) bool { return !rel && strings.HasSuffix(p, "/shared/") }},
		{"other verified", func(p string, _ bool) bool { return strings.Contains(p, "/other/") }},
	} {
		wantRefs := map[dir]int{}
		distinct := map[metadata.FileRef]bool{}
		unverified := 0
		var victim metadata.FileRef
		var wantLoc []ref
		for _, r := range refs {
			d, _ := split(r.f)
			wantRefs[d]++
			if !c.verify(d.prefix, d.rel) {
				unverified++
				continue
			}
			distinct[r.f] = true
			if victim.Path == "" {
				victim = r.f
			}
			if r.f == victim {
				wantLoc = append(wantLoc, r)
			}
		}
		check := func(name string, decode func(fc *metadata.FileCheck) error, locate func(fc *metadata.FileCheck, fn func(int, int32, metadata.FileRef)) error) {
			t.Helper()
			fc := metadata.NewFileCheck(c.verify)
			if err := decode(fc); err != nil {
				t.Fatal(err)
			}
			if fc.Files() != len(distinct) || fc.Unverified() != unverified {
				t.Errorf("%s, %s: %d files verified, %d references not; want %d and %d", c.name, name, fc.Files(), fc.Unverified(), len(distinct), unverified)
			}
			got := map[dir]int{}
			for _, d := range fc.Dirs() {
				got[dir{d.Prefix, d.Relative}] = d.Refs
			}
			if !reflect.DeepEqual(got, wantRefs) {
				t.Errorf("%s, %s: references by directory %v, want %v", c.name, name, got, wantRefs)
			}
			listed := map[metadata.FileDir][]string{}
			for f := range distinct {
				if f != victim {
					d, n := split(f)
					fd := metadata.FileDir{Prefix: d.prefix, Relative: d.rel, Verify: true}
					listed[fd] = append(listed[fd], n)
				}
			}
			for d, names := range listed {
				if n := fc.MarkAll(d, names); n != len(names) {
					t.Errorf("%s, %s: MarkAll(%q) found %d of %d names", c.name, name, d.Prefix, n, len(names))
				}
			}
			if n := fc.Missing(); n != 1 {
				t.Fatalf("%s, %s: %d missing, want 1", c.name, name, n)
			}
			var loc []ref
			if err := locate(fc, func(op int, st int32, f metadata.FileRef) { loc = append(loc, ref{op, st, f}) }); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(loc, wantLoc) {
				t.Errorf("%s, %s: Locate found %v, want %v", c.name, name, loc, wantLoc)
			}
			// Locating counts nothing again.
			if fc.Unverified() != unverified {
				t.Errorf("%s, %s: %d references not verified after Locate, want %d", c.name, name, fc.Unverified(), unverified)
			}
		}
		check("Index", func(fc *metadata.FileCheck) error { fc.Index(full); return nil },
			func(fc *metadata.FileCheck, fn func(int, int32, metadata.FileRef)) error {
				fc.LocateIn(full, fn)
				return nil
			})
		for _, fast := range []bool{true, false} {
			for _, async := range []bool{true, false} {
				for _, src := range []io.ReaderAt{bytes.NewReader(b), metadata.Memory(b)} {
					restore := [...]func(){metadata.SetFastPath(fast), metadata.SetAsyncFiles(async), metadata.SetFlushRefs(7), metadata.SetWindowSize(1000)}
					check(fmt.Sprintf("fast %v, async %v, %T", fast, async, src),
						func(fc *metadata.FileCheck) error {
							s, err := fc.DecodeSummaries(src, int64(len(b)))
							if err == nil && s.FileCount() != -1 {
								t.Errorf("FileCount %d with a FileCheck, want -1", s.FileCount())
							}
							return err
						},
						func(fc *metadata.FileCheck, fn func(int, int32, metadata.FileRef)) error {
							return fc.Locate(src, int64(len(b)), fn)
						})
					for _, r := range restore {
						r()
					}
				}
			}
		}
	}
}
