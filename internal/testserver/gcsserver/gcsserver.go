package gcsserver

// # GCS
//
// GCS returns a Google Cloud Storage emulator: fake-gcs-server
// (github.com/fsouza/fake-gcs-server, the version go.mod pins) running in
// the test binary itself on 127.0.0.1, in memory. Nothing needs to be
// installed. Each call starts a server of its own, stopped when the test
// ends; starting one takes a millisecond.
//
// fake-gcs-server checks no credentials: clients reach it through
// STORAGE_EMULATOR_HOST (or an explicit endpoint) without authentication.

import (
	"github.com/spcheck/spcheck/internal/testserver"

	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
)

// GCSServer is a running GCS emulator.
type GCSServer struct {
	Endpoint string // http://127.0.0.1:port
	Host     string // 127.0.0.1:port, the value for STORAGE_EMULATOR_HOST

	srv *fakestorage.Server
}

// GCS starts a GCS emulator for the test and stops it when the test ends.
func GCS(t testing.TB) *GCSServer {
	t.Helper()
	var lastErr error
	for range 3 { // a free port may be taken before the server binds it
		port, err := testserver.FreePort()
		if err != nil {
			t.Fatalf("testserver: %v", err)
		}
		host := fmt.Sprintf("127.0.0.1:%d", port)
		srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{
			Scheme: "http",
			Host:   "127.0.0.1",
			Port:   uint16(port),
			// XML API requests (object downloads) reach the server at its
			// own address; it must know that address as its public host.
			PublicHost: host,
			Writer:     io.Discard,
		})
		if err != nil {
			lastErr = err
			continue
		}
		s := &GCSServer{Endpoint: "http://" + host, Host: host, srv: srv}
		t.Cleanup(srv.Stop)
		return s
	}
	t.Fatalf("testserver: start fake-gcs-server: %v", lastErr)
	return nil
}

var gcsBucketSeq atomic.Int64

var notGCSBucketChar = regexp.MustCompile(`[^a-z0-9-]+`)

// NewBucket creates an empty bucket with a name made from the test's and
// returns the name.
func (s *GCSServer) NewBucket(t testing.TB) string {
	t.Helper()
	name := notGCSBucketChar.ReplaceAllString(strings.ToLower(t.Name()), "-")
	if len(name) > 40 {
		name = name[:40]
	}
	name = fmt.Sprintf("t-%s-%d", strings.Trim(name, "-"), gcsBucketSeq.Add(1))
	s.CreateBucket(t, name)
	return name
}

// CreateBucket creates a bucket.
func (s *GCSServer) CreateBucket(t testing.TB, name string) {
	t.Helper()
	s.srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: name})
}

// Upload puts files (slash-separated relative paths to contents) under
// prefix in bucket; an empty prefix means the bucket root.
func (s *GCSServer) Upload(t testing.TB, bucket, prefix string, files map[string][]byte) {
	t.Helper()
	for name, b := range files {
		s.srv.CreateObject(fakestorage.Object{
			ObjectAttrs: fakestorage.ObjectAttrs{BucketName: bucket, Name: testserver.JoinKey(prefix, name)},
			Content:     append([]byte(nil), b...),
		})
	}
}

// UploadDir uploads the files under localDir to prefix in bucket.
func (s *GCSServer) UploadDir(t testing.TB, bucket, prefix, localDir string) {
	t.Helper()
	s.Upload(t, bucket, prefix, testserver.ReadDir(t, localDir))
}

// Delete removes the object name from bucket.
func (s *GCSServer) Delete(t testing.TB, bucket, name string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodDelete, s.Endpoint+"/storage/v1/b/"+url.PathEscape(bucket)+"/o/"+url.PathEscape(name), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("testserver: delete %s/%s: %v", bucket, name, err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("testserver: delete %s/%s: %s", bucket, name, resp.Status)
	}
}
