package gcsstore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	mrand "math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spcheck/spcheck/internal/testserver/gcsserver"
	"github.com/spcheck/spcheck/savepoint"
	"github.com/spcheck/spcheck/savepoint/gcsstore"
	"github.com/spcheck/spcheck/savepoint/storetest"
)

func TestMain(m *testing.M) {
	// Start from a clean slate: no credentials or emulator from the
	// machine, and never ask a metadata server.
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GOOGLE_") || strings.HasPrefix(k, "STORAGE_EMULATOR_HOST") ||
			strings.HasPrefix(k, "CLOUDSDK_") || k == "FLINK_CONF_DIR" {
			os.Unsetenv(k)
		}
	}
	os.Setenv("CLOUDSDK_CONFIG", "/nonexistent/spcheck-test/gcloud")
	os.Setenv("GCE_METADATA_HOST", "127.0.0.1:9") // the discard port: nothing answers
	os.Setenv("NO_GCE_CHECK", "true")
	os.Exit(m.Run())
}

func openStore(t *testing.T, location string, opts savepoint.Options) savepoint.Store {
	t.Helper()
	u, err := savepoint.ParseLocation(location)
	if err != nil {
		t.Fatal(err)
	}
	st, err := savepoint.OpenStore(t.Context(), u, opts)
	if err != nil {
		t.Fatalf("OpenStore(%s): %v", location, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newStore(t *testing.T, location string, opts savepoint.Options, set gcsstore.Settings) *gcsstore.Store {
	t.Helper()
	u, err := savepoint.ParseLocation(location)
	if err != nil {
		t.Fatal(err)
	}
	st, err := gcsstore.New(t.Context(), u, opts, set)
	if err != nil {
		t.Fatalf("New(%s): %v", location, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// A proxy stands between the driver and the emulator: it records every
// request and can make chosen ones misbehave.
type proxy struct {
	*httptest.Server
	mu    sync.Mutex
	reqs  []request
	fault func(r request) string // "", "stall-headers", "stall-body", "forbidden", "unauthorized"
	done  chan struct{}
}

type request struct {
	Method, Op, Path, Range string
	Auth, Query             string
}

func (r request) String() string { return r.Method + " " + r.Op + " " + r.Path + " " + r.Range }

func newProxy(t *testing.T, upstream string) *proxy {
	target, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{done: make(chan struct{})}
	rp := &httputil.ReverseProxy{
		// The emulator routes XML API requests by the Host header.
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme, pr.Out.URL.Host, pr.Out.Host = target.Scheme, target.Host, target.Host
		},
		FlushInterval: -1,
		ErrorLog:      log.New(io.Discard, "", 0),
	}
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Context().Value(stallKey{}) != nil {
			resp.Body = &stallingBody{rc: resp.Body, ctx: resp.Request.Context(), done: p.done, after: 1000}
		}
		return nil
	}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := classify(r)
		p.mu.Lock()
		p.reqs = append(p.reqs, req)
		ff := p.fault
		p.mu.Unlock()
		f := ""
		if ff != nil {
			f = ff(req)
		}
		switch f {
		case "stall-headers":
			select {
			case <-r.Context().Done():
			case <-p.done:
			}
			return
		case "stall-body":
			r = r.WithContext(context.WithValue(r.Context(), stallKey{}, true))
		case "forbidden", "unauthorized":
			code, msg := http.StatusForbidden, "sa@p.iam.gserviceaccount.com does not have storage.objects.get access"
			if f == "unauthorized" {
				code, msg = http.StatusUnauthorized, "Invalid Credentials"
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			fmt.Fprintf(w, `{"error":{"code":%d,"message":%q,"errors":[{"message":%q,"domain":"global","reason":%q}]}}`,
				code, msg, msg, map[int]string{403: "forbidden", 401: "authError"}[code])
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		close(p.done)
		p.CloseClientConnections()
		p.Close()
	})
	return p
}

type stallKey struct{}

// stallingBody passes after bytes, then stalls until the request ends.
type stallingBody struct {
	rc    io.ReadCloser
	sent  int
	after int
	ctx   context.Context
	done  chan struct{}
}

func (b *stallingBody) Read(p []byte) (int, error) {
	left := b.after - b.sent
	if left <= 0 {
		select {
		case <-b.ctx.Done():
		case <-b.done:
		}
		return 0, errors.New("proxy: stalled")
	}
	if len(p) > left {
		p = p[:left]
	}
	n, err := b.rc.Read(p)
	b.sent += n
	return n, err
}

func (b *stallingBody) Close() error { return b.rc.Close() }

// classify names the GCS operation a request is.
func classify(r *http.Request) request {
	op := r.Method + " ?"
	p := r.URL.EscapedPath()
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/storage/v1/b/") && strings.HasSuffix(p, "/o"):
		op = "objects.list"
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/storage/v1/b/") && strings.Contains(p, "/o/") && r.URL.Query().Get("alt") == "media":
		op = "media"
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/storage/v1/b/") && strings.Contains(p, "/o/"):
		op = "objects.get"
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/download/"):
		op = "media"
	case r.Method == http.MethodGet && !strings.HasPrefix(p, "/storage/") && !strings.HasPrefix(p, "/upload/"):
		op = "media" // XML API download
	}
	return request{Method: r.Method, Op: op, Path: p, Range: r.Header.Get("Range"), Auth: r.Header.Get("Authorization"), Query: r.URL.RawQuery}
}

func (p *proxy) requests() []request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]request(nil), p.reqs...)
}

func (p *proxy) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reqs = nil
}

func (p *proxy) setFault(f func(r request) string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault = f
}

func count(reqs []request, op string) int {
	n := 0
	for _, r := range reqs {
		if r.Op == op {
			n++
		}
	}
	return n
}

func TestConformance(t *testing.T) {
	srv := gcsserver.GCS(t)
	t.Run("gs", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T, files map[string][]byte) (savepoint.Store, string) {
			bucket := srv.NewBucket(t)
			srv.Upload(t, bucket, "savepoints/x", files)
			t.Setenv("STORAGE_EMULATOR_HOST", srv.Host)
			return openStore(t, "gs://"+bucket+"/savepoints/x", savepoint.Options{}), "/savepoints/x"
		})
	})
	t.Run("BucketRoot", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T, files map[string][]byte) (savepoint.Store, string) {
			bucket := srv.NewBucket(t)
			srv.Upload(t, bucket, "", files)
			t.Setenv("STORAGE_EMULATOR_HOST", srv.Endpoint) // a URL works too
			return openStore(t, "gs://"+bucket, savepoint.Options{}), "/"
		})
	})
	t.Run("FolderPlaceholders", func(t *testing.T) {
		// The console's "folders" are empty objects named "dir/".
		storetest.Run(t, func(t *testing.T, files map[string][]byte) (savepoint.Store, string) {
			bucket := srv.NewBucket(t)
			srv.Upload(t, bucket, "fp", files)
			srv.Upload(t, bucket, "", map[string][]byte{"fp/": {}, "fp/sp/": {}, "fp/sp/sub/": {}})
			t.Setenv("STORAGE_EMULATOR_HOST", srv.Host)
			return openStore(t, "gs://"+bucket+"/fp", savepoint.Options{}), "/fp"
		})
	})
}

// TestConformanceReadOnlyRequests runs the suite through a recording
// proxy, with two objects per listing page and small whole-object reads
// so that every read path is taken, and checks that only GET requests for
// reads, metadata and listings were sent.
func TestConformanceReadOnlyRequests(t *testing.T) {
	srv := gcsserver.GCS(t)
	p := newProxy(t, srv.Endpoint)
	storetest.Run(t, func(t *testing.T, files map[string][]byte) (savepoint.Store, string) {
		bucket := srv.NewBucket(t)
		srv.Upload(t, bucket, "sp-root", files)
		t.Setenv("STORAGE_EMULATOR_HOST", strings.TrimPrefix(p.URL, "http://"))
		p.reset()
		return newStore(t, "gs://"+bucket+"/sp-root", savepoint.Options{}, gcsstore.Settings{PageSize: 2, WholeObjectMax: 1 << 20}), "/sp-root"
	})
	reqs := p.requests()
	if len(reqs) == 0 {
		t.Fatal("the proxy saw no request")
	}
	ops := map[string]int{}
	for _, r := range reqs {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			t.Errorf("driver sent %s", r)
		}
		ops[r.Op]++
	}
	for op := range ops {
		if op != "media" && op != "objects.get" && op != "objects.list" {
			t.Errorf("driver sent %s requests", op)
		}
	}
	t.Logf("requests during the conformance run: %v", ops)
}

func TestMetadataCostsOneGET(t *testing.T) {
	srv := gcsserver.GCS(t)
	p := newProxy(t, srv.Endpoint)
	bucket := srv.NewBucket(t)
	rnd := mrand.New(mrand.NewSource(2))
	meta := make([]byte, 3<<20+17)
	rnd.Read(meta)
	srv.Upload(t, bucket, "savepoint-abc", map[string][]byte{"_metadata": meta, "empty": {}})
	t.Setenv("STORAGE_EMULATOR_HOST", strings.TrimPrefix(p.URL, "http://"))
	ctx := t.Context()

	check := func(t *testing.T, wantGETs int, read func(obj savepoint.Object) []byte, set gcsstore.Settings) {
		t.Helper()
		st := newStore(t, "gs://"+bucket+"/savepoint-abc", savepoint.Options{}, set)
		p.reset()
		obj, err := st.Open(ctx, "/savepoint-abc/_metadata")
		if err != nil {
			t.Fatal(err)
		}
		defer obj.Close()
		if obj.Size() != int64(len(meta)) {
			t.Fatalf("Size() = %d, want %d", obj.Size(), len(meta))
		}
		if got := read(obj); !bytes.Equal(got, meta) {
			t.Fatalf("read %d bytes that differ from the %d stored", len(got), len(meta))
		}
		reqs := p.requests()
		if count(reqs, "media") != wantGETs || len(reqs) != wantGETs {
			t.Errorf("requests = %v; want %d media GETs and nothing else", reqs, wantGETs)
		}
	}
	readFull := func(obj savepoint.Object) []byte {
		b, err := obj.(gcsstore.ReadFuller).ReadFull(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	readAt := func(obj savepoint.Object) []byte {
		b := make([]byte, obj.Size())
		if n, err := obj.ReadAt(b, 0); n != len(b) || (err != nil && err != io.EOF) {
			t.Fatalf("ReadAt = %d, %v", n, err)
		}
		return b
	}
	readSeq := func(obj savepoint.Object) []byte {
		b, err := io.ReadAll(io.NewSectionReader(obj, 0, obj.Size()))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	readTwice := func(obj savepoint.Object) []byte {
		readSeq(obj)
		return readAt(obj)
	}
	t.Run("ReadFull", func(t *testing.T) { check(t, 1, readFull, gcsstore.Settings{}) })
	t.Run("ReadAt", func(t *testing.T) { check(t, 1, readAt, gcsstore.Settings{}) })
	t.Run("Sequential", func(t *testing.T) { check(t, 1, readSeq, gcsstore.Settings{}) })
	t.Run("Twice", func(t *testing.T) { check(t, 1, readTwice, gcsstore.Settings{}) })
	large := gcsstore.Settings{WholeObjectMax: 1 << 20}
	t.Run("LargeReadFull", func(t *testing.T) { check(t, 1, readFull, large) })
	t.Run("LargeSequential", func(t *testing.T) { check(t, 1, readSeq, large) })
	t.Run("LargeTwice", func(t *testing.T) { check(t, 2, readTwice, large) })

	t.Run("RangedReads", func(t *testing.T) {
		st := newStore(t, "gs://"+bucket, savepoint.Options{}, large)
		obj, err := st.Open(ctx, "/savepoint-abc/_metadata")
		if err != nil {
			t.Fatal(err)
		}
		defer obj.Close()
		p.reset()
		buf := make([]byte, 100)
		if _, err := obj.ReadAt(buf, 12345); err != nil || !bytes.Equal(buf, meta[12345:12445]) {
			t.Fatalf("ReadAt(100 at 12345) = %v or wrong bytes", err)
		}
		reqs := p.requests()
		if len(reqs) != 1 || reqs[0].Op != "media" || reqs[0].Range != "bytes=12345-12444" {
			t.Errorf("requests = %v; want one media GET with Range bytes=12345-12444", reqs)
		}
	})

	t.Run("Empty", func(t *testing.T) {
		st := newStore(t, "gs://"+bucket, savepoint.Options{}, gcsstore.Settings{})
		p.reset()
		obj, err := st.Open(ctx, "/savepoint-abc/empty")
		if err != nil {
			t.Fatal(err)
		}
		defer obj.Close()
		b, err := obj.(gcsstore.ReadFuller).ReadFull(ctx)
		if err != nil || len(b) != 0 || obj.Size() != 0 {
			t.Fatalf("ReadFull(empty) = %d bytes, %v; Size %d", len(b), err, obj.Size())
		}
		if reqs := p.requests(); len(reqs) != 1 {
			t.Errorf("requests = %v; want one media GET", reqs)
		}
	})
}

// TestSavepointOpenOneGET reads a real savepoint through savepoint.Open,
// as check does, and counts the media GETs: one, for the _metadata.
func TestSavepointOpenOneGET(t *testing.T) {
	srv := gcsserver.GCS(t)
	p := newProxy(t, srv.Endpoint)
	bucket := srv.NewBucket(t)
	srv.UploadDir(t, bucket, "savepoints/savepoint-1a2b3c-0123456789ab", filepath.Join("..", "..", "fixtures", "example", "savepoint"))
	t.Setenv("STORAGE_EMULATOR_HOST", strings.TrimPrefix(p.URL, "http://"))
	for _, loc := range []string{
		"gs://" + bucket + "/savepoints/savepoint-1a2b3c-0123456789ab",
		"gs://" + bucket + "/savepoints/savepoint-1a2b3c-0123456789ab/_metadata",
	} {
		p.reset()
		sp, err := savepoint.Open(t.Context(), loc, savepoint.Options{})
		if err != nil {
			t.Fatalf("savepoint.Open(%s): %v", loc, err)
		}
		sp.Close()
		reqs := p.requests()
		if n := count(reqs, "media"); n != 1 {
			t.Errorf("%s: %d media GETs; want 1 (all requests: %v)", loc, n, reqs)
		}
		t.Logf("%s: %v", loc, reqs)
	}
}

func TestListPagination(t *testing.T) {
	srv := gcsserver.GCS(t)
	p := newProxy(t, srv.Endpoint)
	bucket := srv.NewBucket(t)
	files := map[string][]byte{}
	var want []string
	for i := range 7 {
		name := fmt.Sprintf("f%02d", i)
		files["chk/"+name] = []byte(name)
		want = append(want, name)
	}
	for _, d := range []string{"chk-1", "shared", "taskowned"} {
		files["chk/"+d+"/x"] = []byte("x")
		want = append(want, d+"/")
	}
	files["chk-sibling"] = []byte("not in chk/")
	srv.Upload(t, bucket, "", files)
	t.Setenv("STORAGE_EMULATOR_HOST", strings.TrimPrefix(p.URL, "http://"))
	st := newStore(t, "gs://"+bucket+"/chk", savepoint.Options{}, gcsstore.Settings{PageSize: 2})
	p.reset()
	ents, err := st.List(t.Context(), "/chk")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		s := e.Name
		if e.IsDir {
			s += "/"
		}
		got = append(got, s)
		if wantPath := "/chk/" + e.Name; e.Path != wantPath {
			t.Errorf("entry %q has path %q, want %q", e.Name, e.Path, wantPath)
		}
	}
	sort.Strings(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("List = %v\nwant %v", got, want)
	}
	if n := count(p.requests(), "objects.list"); n < 2 {
		t.Errorf("%d listing requests for 10 entries at 2 a page; want several", n)
	}
}

// assertNoSecrets fails if err's message holds any of the secrets.
func assertNoSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error message reveals a credential: %v", err)
		}
	}
}

type op struct {
	name string
	do   func(st savepoint.Store) error
}

func ops(ctx context.Context, p string) []op {
	return []op{
		{"Open", func(st savepoint.Store) error { _, err := st.Open(ctx, p); return err }},
		{"Stat", func(st savepoint.Store) error { _, err := st.Stat(ctx, p); return err }},
		{"List", func(st savepoint.Store) error { _, err := st.List(ctx, p); return err }},
	}
}

func TestErrors(t *testing.T) {
	srv := gcsserver.GCS(t)
	bucket := srv.NewBucket(t)
	srv.Upload(t, bucket, "sp", map[string][]byte{"_metadata": []byte("meta"), "dir/file": []byte("f")})
	ctx := t.Context()

	t.Run("MissingBucket", func(t *testing.T) {
		t.Setenv("STORAGE_EMULATOR_HOST", srv.Host)
		st := openStore(t, "gs://no-such-bucket-spcheck/sp", savepoint.Options{})
		for _, o := range ops(ctx, "/sp/_metadata") {
			err := o.do(st)
			if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), `bucket "no-such-bucket-spcheck" does not exist`) {
				t.Errorf("%s: error = %v; want fs.ErrNotExist naming the bucket", o.name, err)
			}
		}
	})

	t.Run("MissingObject", func(t *testing.T) {
		t.Setenv("STORAGE_EMULATOR_HOST", srv.Host)
		st := openStore(t, "gs://"+bucket+"/sp", savepoint.Options{})
		for _, o := range ops(ctx, "/sp/nope") {
			err := o.do(st)
			if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "gcsstore: ") ||
				!strings.Contains(err.Error(), "gs://"+bucket+"/sp/nope") {
				t.Errorf("%s: error = %v; want fs.ErrNotExist naming the location", o.name, err)
			}
		}
		_, err := st.Open(ctx, "/sp/dir")
		if err == nil || errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "is a directory") {
			t.Errorf("Open(directory) error = %v; want one saying it is a directory", err)
		}
	})

	t.Run("Refused", func(t *testing.T) {
		p := newProxy(t, srv.Endpoint)
		t.Setenv("STORAGE_EMULATOR_HOST", strings.TrimPrefix(p.URL, "http://"))
		st := openStore(t, "gs://"+bucket+"/sp", savepoint.Options{})
		for _, f := range []string{"forbidden", "unauthorized"} {
			p.setFault(func(request) string { return f })
			for _, o := range ops(ctx, "/sp/_metadata") {
				err := o.do(st)
				if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "access denied") {
					t.Errorf("%s %s: error = %v; want fs.ErrPermission", f, o.name, err)
				}
			}
		}
	})

	t.Run("URL", func(t *testing.T) {
		for _, loc := range []string{"gs://user:secret@bucket/x", "gs://bucket/x?key=secret", "gs:///x", "gs://bucket:99/x"} {
			u, err := savepoint.ParseLocation(loc)
			if err != nil {
				continue
			}
			_, err = savepoint.OpenStore(ctx, u, savepoint.Options{})
			if err == nil || !strings.HasPrefix(err.Error(), "gcsstore: ") {
				t.Errorf("%s: error = %v; want a gcsstore error", loc, err)
				continue
			}
			assertNoSecrets(t, err, "secret")
		}
	})
}

// A token server plays Google's OAuth token endpoint for service account
// key files: it grants a token to one account and refuses the others.
func newTokenServer(t *testing.T, goodEmail, token string) *httptest.Server {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		assertion := r.Form.Get("assertion")
		parts := strings.Split(assertion, ".")
		var claims struct {
			Iss string `json:"iss"`
		}
		if len(parts) == 3 {
			if b, err := base64URLDecode(parts[1]); err == nil {
				json.Unmarshal(b, &claims)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		if claims.Iss != goodEmail {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`)
			return
		}
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":3600}`, token)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func base64URLDecode(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(s)
}

// writeKeyFile writes a service account key file for email whose token
// endpoint is tokenURL, and returns its path and private key text.
func writeKeyFile(t *testing.T, email, tokenURL string) (string, string) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	b, _ := json.Marshal(map[string]string{
		"type":           "service_account",
		"project_id":     "spcheck-test",
		"private_key_id": "0123456789abcdef",
		"private_key":    pemKey,
		"client_email":   email,
		"client_id":      "1234567890",
		"token_uri":      tokenURL,
	})
	f := filepath.Join(t.TempDir(), "key.json")
	writeFile(t, f, string(b))
	return f, pemKey
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestServiceAccountKeyFile reads with a service account key file named by
// the Flink configuration or GOOGLE_APPLICATION_CREDENTIALS, through a
// proxy that checks the bearer token; a key the token endpoint refuses and
// a token the server refuses give permission errors that show neither the
// key nor the token.
func TestServiceAccountKeyFile(t *testing.T) {
	srv := gcsserver.GCS(t)
	bucket := srv.NewBucket(t)
	srv.Upload(t, bucket, "sp", map[string][]byte{"_metadata": []byte("meta")})
	const good, token = "reader@spcheck-test.iam.gserviceaccount.com", "ya29.spcheck-secret-token"
	ts := newTokenServer(t, good, token)
	p := newProxy(t, srv.Endpoint)
	p.setFault(func(r request) string {
		if r.Auth != "Bearer "+token {
			return "unauthorized"
		}
		return ""
	})
	goodKey, _ := writeKeyFile(t, good, ts.URL+"/token")
	badKey, badPEM := writeKeyFile(t, "intruder@spcheck-test.iam.gserviceaccount.com", ts.URL+"/token")
	conf := func(t *testing.T, keyFile string) string {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "config.yaml"), fmt.Sprintf("fs.gs.storage.root.url: %s\nfs.gs.auth.type: SERVICE_ACCOUNT_JSON_KEYFILE\nfs.gs.auth.service.account.json.keyfile: %s\n", p.URL, keyFile))
		return dir
	}
	ctx := t.Context()

	t.Run("FlinkKeyFile", func(t *testing.T) {
		st := openStore(t, "gs://"+bucket+"/sp", savepoint.Options{FlinkConf: conf(t, goodKey)})
		p.reset()
		b, err := readAll(ctx, st, "/sp/_metadata")
		if err != nil || string(b) != "meta" {
			t.Fatalf("read = %q, %v", b, err)
		}
		if n := count(p.requests(), "media"); n != 1 {
			t.Errorf("%d media GETs; want 1", n)
		}
	})
	t.Run("ADCKeyFile", func(t *testing.T) {
		t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", goodKey)
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "flink-conf.yaml"), "fs.gs.storage.root.url: "+p.URL+"\n")
		st := openStore(t, "gs://"+bucket+"/sp", savepoint.Options{FlinkConf: dir})
		if _, err := st.Stat(ctx, "/sp/_metadata"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("TokenRefused", func(t *testing.T) {
		st := openStore(t, "gs://"+bucket+"/sp", savepoint.Options{FlinkConf: conf(t, badKey)})
		for _, o := range ops(ctx, "/sp/_metadata") {
			err := o.do(st)
			if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), badKey) {
				t.Errorf("%s: error = %v; want fs.ErrPermission naming the key file", o.name, err)
				continue
			}
			assertNoSecrets(t, err, badPEM, "PRIVATE KEY", token)
		}
	})
	t.Run("TokenNotAccepted", func(t *testing.T) {
		p.setFault(func(r request) string { return "unauthorized" })
		defer p.setFault(func(r request) string {
			if r.Auth != "Bearer "+token {
				return "unauthorized"
			}
			return ""
		})
		st := openStore(t, "gs://"+bucket+"/sp", savepoint.Options{FlinkConf: conf(t, goodKey)})
		for _, o := range ops(ctx, "/sp/_metadata") {
			err := o.do(st)
			if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "401") {
				t.Errorf("%s: error = %v; want fs.ErrPermission (401)", o.name, err)
				continue
			}
			assertNoSecrets(t, err, token)
		}
	})
}

func readAll(ctx context.Context, st savepoint.Store, p string) ([]byte, error) {
	obj, err := st.Open(ctx, p)
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	return obj.(gcsstore.ReadFuller).ReadFull(ctx)
}

// TestFlinkConf checks the precedence of the Flink configuration's
// endpoint over STORAGE_EMULATOR_HOST, unauthenticated access, and bad
// values.
func TestFlinkConf(t *testing.T) {
	srv := gcsserver.GCS(t)
	p := newProxy(t, srv.Endpoint)
	bucket := srv.NewBucket(t)
	srv.Upload(t, bucket, "sp", map[string][]byte{"_metadata": []byte("meta")})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	ctx := t.Context()

	for _, tc := range []struct{ name, file, conf string }{
		{"Unauthenticated", "config.yaml", "fs.gs:\n  storage.root.url: " + p.URL + "/\n  auth.type: UNAUTHENTICATED\n  project.id: my-project\n"},
		{"NullAuth", "flink-conf.yaml", "gs.storage.root.url: " + p.URL + "\nfs.gs.auth.null.enable: true\n"},
		{"OverEmulatorEnv", "config.yaml", "fs.gs.storage.root.url: " + p.URL + "\nfs.gs.auth.type: UNAUTHENTICATED\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("STORAGE_EMULATOR_HOST", dead)
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, tc.file), tc.conf)
			p.reset()
			st := openStore(t, "gs://"+bucket+"/sp", savepoint.Options{FlinkConf: dir, Timeout: 10 * time.Second})
			if b, err := readAll(ctx, st, "/sp/_metadata"); err != nil || string(b) != "meta" {
				t.Fatalf("read = %q, %v", b, err)
			}
			reqs := p.requests()
			if len(reqs) != 1 || reqs[0].Auth != "" {
				t.Errorf("the configured endpoint saw %v (Authorization %q); want one unauthenticated GET", reqs, reqs[0].Auth)
			}
		})
	}

	t.Run("RequesterPays", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "config.yaml"), "fs.gs.storage.root.url: "+p.URL+"\nfs.gs.auth.type: UNAUTHENTICATED\n"+
			"fs.gs.requester.pays.mode: CUSTOM\nfs.gs.requester.pays.buckets: other,"+bucket+"\nfs.gs.project.id: billing-project\n")
		p.reset()
		st := openStore(t, "gs://"+bucket+"/sp", savepoint.Options{FlinkConf: dir})
		if _, err := st.List(ctx, "/sp"); err != nil {
			t.Fatal(err)
		}
		reqs := p.requests()
		if len(reqs) != 1 || !strings.Contains(reqs[0].Query, "userProject=billing-project") {
			t.Fatalf("requests = %v; want one naming the user project", reqs)
		}
	})

	t.Run("BadValues", func(t *testing.T) {
		for _, conf := range []string{
			"fs.gs.storage.root.url: ftp://host\n",
			"fs.gs.auth.type: USER_CREDENTIALS\n",
			"fs.gs.auth.type: SERVICE_ACCOUNT_JSON_KEYFILE\n",
			"fs.gs.auth.null.enable: maybe\n",
			"fs.gs.requester.pays.mode: ENABLED\n",
		} {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "config.yaml"), conf)
			u, _ := savepoint.ParseLocation("gs://" + bucket)
			if _, err := savepoint.OpenStore(ctx, u, savepoint.Options{FlinkConf: dir}); err == nil || !strings.HasPrefix(err.Error(), "gcsstore: Flink configuration") {
				t.Errorf("%q: error = %v", conf, err)
			}
		}
	})

	t.Run("NoCredentials", func(t *testing.T) {
		// Without an emulator, a key file or gcloud's credentials, ADC
		// asks the metadata server, which TestMain made unreachable.
		// The metadata client retries a refused connection for a while.
		st := newStore(t, "gs://"+bucket, savepoint.Options{Timeout: 30 * time.Second}, gcsstore.Settings{MaxAttempts: 1})
		_, err := st.Stat(ctx, "/sp/_metadata")
		if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "GOOGLE_APPLICATION_CREDENTIALS") {
			t.Errorf("error = %v; want fs.ErrPermission with a hint", err)
		}
		t.Logf("without credentials: %v", err)
	})
}

// TestStalledServer checks that a server that accepts connections and
// never answers, or stops sending a body, gives a timeout error within the
// timeout, not a hang.
func TestStalledServer(t *testing.T) {
	srv := gcsserver.GCS(t)
	bucket := srv.NewBucket(t)
	big := make([]byte, 2<<20)
	srv.Upload(t, bucket, "sp", map[string][]byte{"_metadata": []byte("meta"), "big": big})
	p := newProxy(t, srv.Endpoint)
	t.Setenv("STORAGE_EMULATOR_HOST", strings.TrimPrefix(p.URL, "http://"))
	const timeout = time.Second
	ctx := t.Context()
	within := func(t *testing.T, name string, f func() error) {
		t.Helper()
		start := time.Now()
		err := f()
		el := time.Since(start)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "timed out") {
			t.Errorf("%s: error = %v; want a timeout", name, err)
		}
		if el > 4*timeout {
			t.Errorf("%s: took %v with a timeout of %v", name, el, timeout)
		}
	}

	t.Run("Headers", func(t *testing.T) {
		p.setFault(func(request) string { return "stall-headers" })
		defer p.setFault(nil)
		st := newStore(t, "gs://"+bucket+"/sp", savepoint.Options{Timeout: timeout}, gcsstore.Settings{})
		for _, o := range ops(ctx, "/sp/_metadata") {
			within(t, o.name, func() error { return o.do(st) })
		}
	})
	t.Run("Body", func(t *testing.T) {
		p.setFault(func(r request) string {
			if r.Op == "media" {
				return "stall-body"
			}
			return ""
		})
		defer p.setFault(nil)
		for _, set := range []gcsstore.Settings{{}, {WholeObjectMax: 1 << 20}} {
			st := newStore(t, "gs://"+bucket+"/sp", savepoint.Options{Timeout: timeout}, set)
			obj, err := st.Open(ctx, "/sp/big")
			if err != nil {
				t.Fatal(err)
			}
			within(t, "ReadAt", func() error {
				_, err := obj.ReadAt(make([]byte, 10000), 0)
				return err
			})
			within(t, "ReadFull", func() error {
				_, err := obj.(gcsstore.ReadFuller).ReadFull(ctx)
				return err
			})
			obj.Close()
		}
	})
	t.Run("DeadServer", func(t *testing.T) {
		// A listener that accepts and never answers.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			var conns []net.Conn
			defer func() {
				for _, c := range conns {
					c.Close()
				}
			}()
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				conns = append(conns, c)
			}
		}()
		t.Setenv("STORAGE_EMULATOR_HOST", l.Addr().String())
		st := newStore(t, "gs://"+bucket+"/sp", savepoint.Options{Timeout: timeout}, gcsstore.Settings{})
		for _, o := range ops(ctx, "/sp/_metadata") {
			within(t, o.name, func() error { return o.do(st) })
		}
	})
}
