package s3store_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spcheck/spcheck/internal/testserver"
	"github.com/spcheck/spcheck/savepoint"
)

// TestDeepReadsOnlyHeaders reads the state headers of a savepoint on MinIO
// (the states fixture, each state file padded with 4 MiB after its state,
// so that a reader that fetches more than the header shows) through a
// proxy that counts the bytes MinIO sent: no more than the header bytes
// plus the HTTP headers of at most two requests per file.
func TestDeepReadsOnlyHeaders(t *testing.T) {
	srv := testserver.MinIO(t)
	bucket := srv.NewBucket(t)
	src := filepath.Join("..", "..", "fixtures", "states", "savepoint")
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	const pad = 4 << 20
	var stateFiles int
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() != "_metadata" {
			b = append(b, make([]byte, pad)...)
			stateFiles++
		}
		files[e.Name()] = b
	}
	srv.Upload(t, bucket, "sp", files)
	cp := testserver.NewCountingProxy(t, strings.TrimPrefix(srv.Endpoint, "http://"))
	useEnv(t, "http://"+cp.Addr, srv.AccessKey, srv.SecretKey)

	ctx := t.Context()
	sp, err := savepoint.Open(ctx, "s3://"+bucket+"/sp", savepoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	cp.Reset()
	res, err := savepoint.ReadStates(ctx, sp, savepoint.DeepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Errorf("problem: %v", p)
	}
	sent := cp.Sent()
	const perRequest = 1 << 10 // an S3 response's status line and headers
	limit := res.BytesRead + int64(2*res.Headers)*perRequest
	t.Logf("%d headers (%d bytes) from %d state files of %d MiB each: MinIO sent %d bytes over %d connections (limit %d)",
		res.Headers, res.BytesRead, stateFiles, pad>>20, sent, cp.Conns(), limit)
	if res.Headers < stateFiles || res.BytesRead == 0 {
		t.Fatalf("read %d headers, %d bytes; want one header per state file at least", res.Headers, res.BytesRead)
	}
	if sent > limit {
		t.Errorf("MinIO sent %d bytes for %d header bytes; want at most %d", sent, res.BytesRead, limit)
	}
}
