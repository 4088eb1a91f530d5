package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spcheck/spcheck/internal/fakehdfs"
	"github.com/spcheck/spcheck/internal/testserver"
	"github.com/spcheck/spcheck/internal/testserver/azuriteserver"
	"github.com/spcheck/spcheck/internal/testserver/gcsserver"
	"github.com/spcheck/spcheck/metadata"
	"github.com/spcheck/spcheck/savepoint/storetest"
)

// jobCheckpoint builds a retained checkpoint of a job from a fixture whose
// absolute handles start with from: the handles are rewritten to start
// with to (the job's checkpoint directory in the store under test), the
// relative files go to chk-N/ beside _metadata, and a file is created for
// every absolute handle (shared/, taskowned/). It returns the files by
// path relative to the job's directory, and the paths of the absolute
// files.
func jobCheckpoint(t *testing.T, fixture, from, to, chk string) (files map[string][]byte, abs []string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixture, "_metadata"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := metadata.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	files = map[string][]byte{}
	seen := map[string]bool{}
	rewrite := func(p *string) {
		if rest, ok := strings.CutPrefix(*p, from); ok {
			*p = to + rest
			if !seen[rest] {
				seen[rest] = true
				abs = append(abs, rest)
				files[rest] = []byte("state bytes of " + rest)
			}
		}
	}
	for i := range m.Operators {
		metadata.Walk(&m.Operators[i], func(h metadata.StateHandle) {
			switch h := h.(type) {
			case *metadata.FileHandle:
				rewrite(&h.Path)
			case *metadata.SegmentFileHandle:
				rewrite(&h.PhysicalPath)
			}
		})
	}
	if len(abs) == 0 {
		t.Fatalf("%s has no handle under %s", fixture, from)
	}
	enc, err := metadata.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	files[chk+"/_metadata"] = enc
	ents, err := os.ReadDir(fixture)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() == "_metadata" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(fixture, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[chk+"/"+e.Name()] = b
	}
	return files, abs
}

// TestMissingFilesOnEveryStore verifies retained checkpoints whose
// handles name shared/ files by s3://, gs://, abfss:// and hdfs:// URLs
// (the fixtures of format 5 and 7, rewritten into each store) and a moved
// savepoint with relative handles, on MinIO, fake-gcs-server, Azurite and
// the HDFS test server: complete, check passes; with a file deleted, check
// fails with SP040 naming it. On the object stores a recording proxy
// shows that no request names a state file (one listing per directory)
// and, on S3, that _metadata is read with one GET, also when the second
// pass names the missing file; on HDFS the test NameNode counts its calls.
func TestMissingFilesOnEveryStore(t *testing.T) {
	s3srv := testserver.MinIO(t)
	bucket := s3srv.NewBucket(t)
	ps3 := testserver.NewRecordingProxy(t, s3srv.Endpoint)
	useMinIO(t, s3srv, ps3.URL)

	gcs := gcsserver.GCS(t)
	gbucket := gcs.NewBucket(t)
	pgs := testserver.NewRecordingProxy(t, gcs.Endpoint)
	t.Setenv("STORAGE_EMULATOR_HOST", strings.TrimPrefix(pgs.URL, "http://"))

	az := azuriteserver.Azurite(t)
	container := az.NewContainer(t)
	paz := testserver.NewRecordingProxy(t, az.Endpoint)
	t.Setenv("SPCHECK_AZURE_BLOB_ENDPOINT", paz.URL+"/"+az.Account)
	t.Setenv("AZURE_STORAGE_ACCOUNT", az.Account)
	t.Setenv("AZURE_STORAGE_KEY", az.Key)

	hroot := t.TempDir()
	hsrv, err := fakehdfs.Start(hroot, fakehdfs.Options{BlockSize: 1 << 20, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hsrv.Close() })
	nn := hsrv.Addr()
	t.Setenv("HADOOP_USER_NAME", "flink")

	type store struct {
		name, base string
		proxy      *testserver.RecordingProxy
		upload     func(prefix string, files map[string][]byte)
		remove     func(prefix, name string)
	}
	stores := []store{
		{"s3", "s3://" + bucket, ps3,
			func(prefix string, files map[string][]byte) { s3srv.Upload(t, bucket, prefix, files) },
			func(prefix, name string) { s3srv.Delete(t, bucket, prefix+"/"+name) }},
		{"gs", "gs://" + gbucket, pgs,
			func(prefix string, files map[string][]byte) { gcs.Upload(t, gbucket, prefix, files) },
			func(prefix, name string) { gcs.Delete(t, gbucket, prefix+"/"+name) }},
		{"abfss", "abfss://" + container + "@" + az.Account + ".dfs.core.windows.net", paz,
			func(prefix string, files map[string][]byte) { az.Upload(t, container, prefix, files) },
			func(prefix, name string) { az.Delete(t, container, prefix+"/"+name) }},
		{"hdfs", "hdfs://" + nn, nil,
			func(prefix string, files map[string][]byte) {
				storetest.WriteFiles(t, filepath.Join(hroot, prefix), files)
			},
			func(prefix, name string) { must(t, os.Remove(filepath.Join(hroot, prefix, name))) }},
	}
	stateFiles := map[string]bool{}
	for _, s := range stores {
		for _, c := range []struct {
			fixture, from, chk string
		}{
			{fixtures + "/versions/v5", "s3://flink/checkpoints/job/", "chk-42"},
			{fixtures + "/versions/v7", "hdfs://namenode:8020/flink/checkpoints/job/", "chk-7"},
		} {
			job := "job-" + filepath.Base(c.fixture)
			files, abs := jobCheckpoint(t, c.fixture, c.from, s.base+"/"+job+"/", c.chk)
			for name := range files {
				if !strings.HasSuffix(name, "_metadata") {
					stateFiles[filepath.Base(name)] = true
				}
			}
			s.upload(job, files)
			graph := filepath.Join(t.TempDir(), "graph-metadata")
			must(t, os.WriteFile(graph, files[c.chk+"/_metadata"], 0o644))
			loc := s.base + "/" + job + "/" + c.chk
			checkOn := func() (string, string, int) {
				if s.proxy != nil {
					s.proxy.Reset()
				}
				before := hsrv.Calls()
				out, errOut, code := run("check", loc, "--graph", graph)
				if s.proxy != nil {
					assertListingsOnly(t, s.name, s.proxy.Requests(), stateFiles)
				}
				if s.name == "hdfs" {
					// The NameNode: one getBlockLocations (the read of
					// _metadata), and a getListing per directory (chk-N
					// and shared/ or taskowned/) besides the one that
					// finds _metadata; nothing per state file.
					after := hsrv.Calls()
					// getFileInfo: the lookups of the directory and of
					// _metadata, and one per listed directory.
					reads, lists, stats := after["getBlockLocations"]-before["getBlockLocations"], after["getListing"]-before["getListing"], after["getFileInfo"]-before["getFileInfo"]
					if reads != 1 || lists > 3 || stats > 5 {
						t.Errorf("hdfs: check %s: %d getBlockLocations, %d getListing and %d getFileInfo calls; want 1, at most 3 and at most 5: %v", loc, reads, lists, stats, after)
					}
					t.Logf("hdfs: %d getBlockLocations, %d getListing, %d getFileInfo", reads, lists, stats)
				}
				return out, errOut, code
			}
			// inspect --files: on an object store, one listing per
			// directory too; the file gone is missing, and only it.
			inspectFiles := func(wantMissing string) {
				if s.proxy == nil {
					return
				}
				s.proxy.Reset()
				out, errOut, code := run("inspect", "--files", "-o", "json", loc)
				assertListingsOnly(t, s.name, s.proxy.Requests(), stateFiles)
				var d struct {
					Files []struct{ Path, Status string }
				}
				if err := json.Unmarshal([]byte(out), &d); err != nil {
					t.Fatalf("%s: inspect --files %s: %v\n%s%s", s.name, loc, err, out, errOut)
				}
				var missing []string
				for _, f := range d.Files {
					switch f.Status {
					case "present":
					case "missing":
						missing = append(missing, f.Path)
					default:
						t.Errorf("%s: inspect --files %s: %s is %q", s.name, loc, f.Path, f.Status)
					}
				}
				wantCode, want := 0, []string(nil)
				if wantMissing != "" {
					wantCode, want = 1, []string{wantMissing}
				}
				if code != wantCode || len(d.Files) < 2 || !slices.Equal(missing, want) {
					t.Errorf("%s: inspect --files %s: exit %d, %d files, missing %v; want exit %d, missing %v\n%s", s.name, loc, code, len(d.Files), missing, wantCode, want, errOut)
				}
			}
			out, errOut, code := checkOn()
			if code != 0 || strings.Contains(out, "SP040") || errOut != "" {
				t.Errorf("%s: check %s: exit %d; want 0, no SP040 and nothing on stderr\n%s%s", s.name, loc, code, out, errOut)
			}
			inspectFiles("")
			// A lifecycle rule deletes a shared (or task-owned) file.
			gone := abs[len(abs)-1]
			s.remove(job, gone)
			out, errOut, code = checkOn()
			want := "references " + s.base + "/" + job + "/" + gone + ", which does not exist (looked for at " + s.base + "/" + job + "/" + gone + ")"
			if code != 1 || strings.Count(out, "SP040 missing-state-file") != 1 || !strings.Contains(out, want) {
				t.Errorf("%s: check %s without %s: exit %d; want 1 and one SP040 saying %q\n%s%s", s.name, loc, gone, code, want, out, errOut)
			}
			inspectFiles(s.base + "/" + job + "/" + gone)
		}
	}
	t.Logf("S3, GCS, Azure, HDFS: shared and task-owned files verified by listing")
}

// assertListingsOnly fails the test when a request names a state file,
// and on S3 unless _metadata was read with exactly one GET.
func assertListingsOnly(t *testing.T, store string, reqs []testserver.Request, stateFiles map[string]bool) {
	t.Helper()
	gets := 0
	for _, r := range reqs {
		target := r.Path + "?" + r.Query
		for f := range stateFiles {
			if strings.Contains(target, f) {
				t.Errorf("%s: check sent %s: a request for the state file %s", store, r, f)
			}
		}
		if r.Method == "GET" && strings.HasSuffix(r.Path, "/_metadata") {
			gets++
		}
	}
	if store == "s3" && gets != 1 {
		t.Errorf("s3: %d GETs of _metadata; want 1: %v", gets, reqs)
	}
	t.Logf("%s: %d requests: %v", store, len(reqs), reqs)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
