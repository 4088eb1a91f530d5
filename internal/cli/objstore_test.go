package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spcheck/spcheck/internal/testserver"
	"github.com/spcheck/spcheck/metadata"
	"github.com/spcheck/spcheck/savepoint"
)

// useMinIO points the S3 driver at endpoint with srv's credentials.
func useMinIO(t *testing.T, srv *testserver.S3Server, endpoint string) {
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	t.Setenv("AWS_REGION", srv.Region)
}

// isList reports whether a request is a listing (ListObjectsV2).
func isList(r testserver.Request) bool { return strings.Contains(r.Query, "list-type=2") }

// TestCheckRequestsOnS3 counts the requests check sends to an object
// store (MinIO): one GET, for _metadata, and no request per state file;
// one listing of the savepoint directory verifies that its state files
// exist; the rest are the lookups that locate _metadata.
func TestCheckRequestsOnS3(t *testing.T) {
	srv := testserver.MinIO(t)
	bucket := srv.NewBucket(t)
	sp := fixtures + "/states/savepoint"
	srv.UploadDir(t, bucket, "sp", sp)
	ents, _ := os.ReadDir(sp)
	stateFiles := len(ents) - 1
	p := testserver.NewRecordingProxy(t, srv.Endpoint)
	useMinIO(t, srv, p.URL)
	graph := fixtures + "/states/job-compatible.json"

	_, _, wantCode := run("check", sp, "--graph", graph)
	p.Reset()
	out, errOut, code := run("check", "s3://"+bucket+"/sp", "--graph", graph)
	if code != wantCode {
		t.Fatalf("check exit %d, want %d (as locally)\n%s%s", code, wantCode, out, errOut)
	}
	reqs := p.Requests()
	gets, lists, other := 0, 0, 0
	for _, r := range reqs {
		switch {
		case r.Method == "GET" && isList(r):
			lists++
		case r.Method == "GET" && strings.HasSuffix(r.Path, "/sp/_metadata"):
			gets++
		case r.Method == "GET" || r.Method == "HEAD" && !strings.HasSuffix(r.Path, "/sp") && !strings.HasSuffix(r.Path, "/_metadata"):
			t.Errorf("check sent %s: a request for a state file", r)
		default:
			other++
		}
	}
	if gets != 1 {
		t.Errorf("%d GETs of _metadata; want 1", gets)
	}
	// The file verification lists the savepoint's directory once: all
	// its state files are there.
	verifyLists := 0
	for _, r := range reqs {
		if isList(r) && strings.Contains(r.Query, "delimiter=%2F") && strings.Contains(r.Query, "prefix=sp%2F") {
			verifyLists++
		}
	}
	if verifyLists != 1 {
		t.Errorf("%d listings of the savepoint directory; want 1, verifying its %d state files: %v", verifyLists, stateFiles, reqs)
	}
	// Locating _metadata: Stat of the directory (HEAD, then one listing)
	// and of _metadata (HEAD). Listings for file verification are one per
	// directory, never one per file.
	if len(reqs) > 4+lists || lists > 2+1 || len(reqs) >= stateFiles+1 {
		t.Errorf("%d requests for a savepoint of %d state files (%d listings): %v", len(reqs), stateFiles, lists, reqs)
	}
	t.Logf("check on S3: %d requests (%d GET of _metadata, %d listings, %d HEAD): %v", len(reqs), gets, lists, other, reqs)
}

// manyFiles builds a savepoint of n operator-state files: the states
// fixture's operator rules-operator with its subtask 0 repeated n times,
// each reading its own copy of the state file.
func manyFiles(t *testing.T, n int) map[string][]byte {
	t.Helper()
	dir := fixtures + "/states/savepoint"
	b, err := os.ReadFile(filepath.Join(dir, "_metadata"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := metadata.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, op := range m.Operators {
		if len(op.Subtasks) == 0 || len(op.Subtasks[0].ManagedOperatorState) != 1 {
			continue
		}
		h := op.Subtasks[0].ManagedOperatorState[0]
		rel, ok := h.Delegate.(*metadata.RelativeFileHandle)
		if !ok {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, rel.RelativePath))
		if err != nil {
			t.Fatal(err)
		}
		sub := op.Subtasks[0]
		op.Parallelism, op.MaxParallelism = int32(n), 32768
		op.Subtasks = make([]metadata.SubtaskState, n)
		for i := range n {
			name := fmt.Sprintf("op-state-%05d", i)
			hh := *h
			hh.Delegate = &metadata.RelativeFileHandle{RelativePath: name, Size: rel.Size}
			s := sub
			s.Index = int32(i)
			s.ManagedOperatorState = []*metadata.OperatorStreamHandle{&hh}
			op.Subtasks[i] = s
			files[name] = data
		}
		m.Operators = []metadata.OperatorState{op}
		enc, err := metadata.Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		files["_metadata"] = enc
		return files
	}
	t.Fatal("the states fixture has no operator with one relative operator-state file per subtask")
	return nil
}

// TestDeepManyFilesOnS3 runs inspect --deep on a savepoint of 10,000 state
// files on MinIO: every header is read, with at most 16 requests under way
// at once and a progress count that reaches the total; the time is
// reported beside that of listing the same prefix.
func TestDeepManyFilesOnS3(t *testing.T) {
	n := 10_000
	if testing.Short() {
		n = 500
	}
	srv := testserver.MinIO(t)
	bucket := srv.NewBucket(t)
	start := time.Now()
	files := manyFiles(t, n)
	srv.Upload(t, bucket, "many", files)
	t.Logf("uploaded %d files in %v", n+1, time.Since(start).Round(time.Millisecond))
	p := testserver.NewRecordingProxy(t, srv.Endpoint)
	useMinIO(t, srv, p.URL)
	loc := "s3://" + bucket + "/many"
	ctx := t.Context()

	// Listing the prefix: the floor for any per-file work.
	u, _ := savepoint.ParseLocation(loc)
	st, err := savepoint.OpenStore(ctx, u, savepoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start = time.Now()
	ents, err := st.List(ctx, "/many")
	listTime := time.Since(start)
	if err != nil || len(ents) != n+1 {
		t.Fatalf("List = %d entries, %v; want %d", len(ents), err, n+1)
	}

	// The CLI, as a user runs it.
	p.Reset()
	start = time.Now()
	out, errOut, code := run("inspect", "--deep", "-o", "json", loc)
	deepTime := time.Since(start)
	if code != 0 {
		t.Fatalf("inspect --deep: exit %d\n%s", code, errOut)
	}
	var doc struct {
		Deep struct {
			Headers  int               `json:"headers"`
			Problems []json.RawMessage `json:"problems"`
		} `json:"deep"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("inspect --deep -o json: %v", err)
	}
	if doc.Deep.Headers != n || len(doc.Deep.Problems) != 0 {
		t.Errorf("inspect --deep read %d headers with %d problems; want %d and none", doc.Deep.Headers, len(doc.Deep.Problems), n)
	}
	reqs := p.Requests()
	if in := p.MaxInFlight(); in > 16 {
		t.Errorf("%d requests under way at once; want at most 16", in)
	}
	if len(reqs) > n+10 {
		t.Errorf("%d requests for %d headers; want one per file and a few more", len(reqs), n)
	}
	t.Logf("inspect --deep on %d state files: %v, %d requests, at most %d at once; listing the prefix: %v (%.1fx)",
		n, deepTime.Round(time.Millisecond), len(reqs), p.MaxInFlight(), listTime.Round(time.Millisecond), float64(deepTime)/float64(listTime))

	// check verifies the n state files with the listing of one
	// directory: its pages (1,000 keys each), never a request per file.
	graph := filepath.Join(t.TempDir(), "graph-metadata")
	if err := os.WriteFile(graph, files["_metadata"], 0o644); err != nil {
		t.Fatal(err)
	}
	p.Reset()
	start = time.Now()
	out, errOut, code = run("check", loc, "--graph", graph)
	checkTime := time.Since(start)
	if code != 0 || strings.Contains(out, "SP040") {
		t.Errorf("check: exit %d\n%s%s", code, out, errOut)
	}
	reqs = p.Requests()
	if want := 4 + (n+1+999)/1000; len(reqs) > want {
		t.Errorf("check sent %d requests for %d state files; want at most %d (one GET of _metadata, listing pages)", len(reqs), n, want)
	}
	t.Logf("check on %d state files: %v, %d requests", n, checkTime.Round(time.Millisecond), len(reqs))

	// The progress count the CLI shows on a terminal reaches the total.
	sp, err := savepoint.Open(ctx, loc, savepoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	last, total := 0, 0
	if _, err := savepoint.ReadStates(ctx, sp, savepoint.DeepOptions{Progress: func(d, t int) { last, total = d, t }}); err != nil {
		t.Fatal(err)
	}
	if last != n || total != n {
		t.Errorf("progress ended at %d/%d; want %d/%d", last, total, n, n)
	}
}
