package s3store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"math/rand"
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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/spcheck/spcheck/internal/testserver"
	"github.com/spcheck/spcheck/savepoint"
	"github.com/spcheck/spcheck/savepoint/s3store"
	"github.com/spcheck/spcheck/savepoint/storetest"
)

func TestMain(m *testing.M) {
	// Start from a clean slate: no credentials or endpoints from the
	// machine, and never ask an EC2 metadata service.
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || k == "FLINK_CONF_DIR" {
			os.Unsetenv(k)
		}
	}
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	os.Setenv("AWS_CONFIG_FILE", "/nonexistent/spcheck-test/aws-config")
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/spcheck-test/aws-credentials")
	code := m.Run()
	testserver.Stop()
	os.Exit(code)
}

// useEnv points the AWS SDK's environment at srv's endpoint with the
// given credentials.
func useEnv(t *testing.T, endpoint, accessKey, secretKey string) {
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", accessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secretKey)
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

func newStore(t *testing.T, location string, opts savepoint.Options, set s3store.Settings) *s3store.Store {
	t.Helper()
	u, err := savepoint.ParseLocation(location)
	if err != nil {
		t.Fatal(err)
	}
	st, err := s3store.New(t.Context(), u, opts, set)
	if err != nil {
		t.Fatalf("New(%s): %v", location, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// A proxy stands between the driver and MinIO: it records every request
// and can make chosen ones misbehave.
type proxy struct {
	*httptest.Server
	mu    sync.Mutex
	reqs  []request
	fault func(r request) fault
	done  chan struct{}
}

type request struct {
	Method, Op, Key, Range string
}

func (r request) String() string { return r.Method + " " + r.Op + " " + r.Key + " " + r.Range }

type fault struct {
	kind  string // "stall-headers", "stall-body", "die-body"
	after int    // body bytes sent before stalling or dying
}

func newProxy(t *testing.T, upstream string) *proxy {
	target, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{done: make(chan struct{})}
	rp := &httputil.ReverseProxy{
		// Keep the Host header (Rewrite copies it from the inbound
		// request): it is part of the request signature.
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme, pr.Out.URL.Host = target.Scheme, target.Host
		},
		FlushInterval: -1,
		ErrorLog:      log.New(io.Discard, "", 0),
	}
	rp.ModifyResponse = func(resp *http.Response) error {
		if f, ok := resp.Request.Context().Value(faultKey{}).(fault); ok && (f.kind == "stall-body" || f.kind == "die-body") {
			resp.Body = &faultyBody{rc: resp.Body, f: f, ctx: resp.Request.Context(), done: p.done}
		}
		return nil
	}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := classify(r)
		p.mu.Lock()
		p.reqs = append(p.reqs, req)
		ff := p.fault
		p.mu.Unlock()
		var f fault
		if ff != nil {
			f = ff(req)
		}
		if f.kind == "stall-headers" {
			select {
			case <-r.Context().Done():
			case <-p.done:
			}
			return
		}
		if f.kind != "" {
			r = r.WithContext(context.WithValue(r.Context(), faultKey{}, f))
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

type faultKey struct{}

// faultyBody passes f.after bytes, then stalls until the request ends or
// fails.
type faultyBody struct {
	rc   io.ReadCloser
	f    fault
	sent int
	ctx  context.Context
	done chan struct{}
}

func (b *faultyBody) Read(p []byte) (int, error) {
	if left := b.f.after - b.sent; left <= 0 {
		if b.f.kind == "die-body" {
			return 0, errors.New("proxy: connection dropped on purpose")
		}
		select {
		case <-b.ctx.Done():
		case <-b.done:
		}
		return 0, errors.New("proxy: stalled")
	} else if len(p) > left {
		p = p[:left]
	}
	n, err := b.rc.Read(p)
	b.sent += n
	return n, err
}

func (b *faultyBody) Close() error { return b.rc.Close() }

func classify(r *http.Request) request {
	q := r.URL.Query()
	op := "?"
	switch {
	case r.Method == http.MethodHead:
		op = "HeadObject"
	case r.Method == http.MethodGet && q.Get("list-type") == "2":
		op = "ListObjectsV2"
	case r.Method == http.MethodGet && q.Get("x-id") == "GetObject":
		op = "GetObject"
	case r.Method == http.MethodGet && len(q) == 0:
		op = "GetObject"
	default:
		op = r.Method + " " + r.URL.RawQuery
	}
	return request{Method: r.Method, Op: op, Key: r.URL.Path, Range: r.Header.Get("Range")}
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

func (p *proxy) setFault(f func(r request) fault) {
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
	srv := testserver.MinIO(t)
	for _, scheme := range []string{"s3", "s3a", "s3p"} {
		t.Run(scheme, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, files map[string][]byte) (savepoint.Store, string) {
				bucket := srv.NewBucket(t)
				srv.Upload(t, bucket, "savepoints/x", files)
				useEnv(t, srv.Endpoint, srv.AccessKey, srv.SecretKey)
				t.Setenv("AWS_REGION", srv.Region)
				return openStore(t, scheme+"://"+bucket+"/savepoints/x", savepoint.Options{}), "/savepoints/x"
			})
		})
	}
	t.Run("BucketRoot", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T, files map[string][]byte) (savepoint.Store, string) {
			bucket := srv.NewBucket(t)
			srv.Upload(t, bucket, "", files)
			useEnv(t, srv.Endpoint, srv.AccessKey, srv.SecretKey)
			return openStore(t, "s3://"+bucket, savepoint.Options{}), "/"
		})
	})
}

// TestConformanceReadOnlyRequests runs the suite through a recording
// proxy, with two keys per listing page and small whole-object reads so
// that every read path is taken, and checks that only GET and HEAD
// requests were sent.
func TestConformanceReadOnlyRequests(t *testing.T) {
	srv := testserver.MinIO(t)
	p := newProxy(t, srv.Endpoint)
	storetest.Run(t, func(t *testing.T, files map[string][]byte) (savepoint.Store, string) {
		bucket := srv.NewBucket(t)
		srv.Upload(t, bucket, "sp-root", files)
		useEnv(t, p.URL, srv.AccessKey, srv.SecretKey)
		p.reset()
		return newStore(t, "s3://"+bucket+"/sp-root", savepoint.Options{}, s3store.Settings{PageSize: 2, WholeObjectMax: 1 << 20}), "/sp-root"
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
		if op != "GetObject" && op != "HeadObject" && op != "ListObjectsV2" {
			t.Errorf("driver sent %s requests", op)
		}
	}
	t.Logf("requests during the conformance run: %v", ops)
}

func TestMetadataCostsOneGET(t *testing.T) {
	srv := testserver.MinIO(t)
	p := newProxy(t, srv.Endpoint)
	bucket := srv.NewBucket(t)
	rnd := rand.New(rand.NewSource(2))
	meta := make([]byte, 3<<20+17)
	rnd.Read(meta)
	srv.Upload(t, bucket, "savepoint-abc", map[string][]byte{"_metadata": meta, "empty": {}})
	useEnv(t, p.URL, srv.AccessKey, srv.SecretKey)
	ctx := t.Context()

	check := func(t *testing.T, wantGETs int, read func(obj savepoint.Object) []byte, set s3store.Settings) {
		t.Helper()
		st := newStore(t, "s3://"+bucket+"/savepoint-abc", savepoint.Options{}, set)
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
		if count(reqs, "GetObject") != wantGETs || count(reqs, "HeadObject") != 0 || len(reqs) != wantGETs {
			t.Errorf("requests = %v; want %d GetObject and nothing else", reqs, wantGETs)
		}
	}
	readFull := func(obj savepoint.Object) []byte {
		b, err := obj.(s3store.ReadFuller).ReadFull(ctx)
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
	t.Run("ReadFull", func(t *testing.T) { check(t, 1, readFull, s3store.Settings{}) })
	t.Run("ReadAt", func(t *testing.T) { check(t, 1, readAt, s3store.Settings{}) })
	t.Run("Sequential", func(t *testing.T) { check(t, 1, readSeq, s3store.Settings{}) })
	t.Run("Twice", func(t *testing.T) { check(t, 1, readTwice, s3store.Settings{}) })
	large := s3store.Settings{WholeObjectMax: 1 << 20}
	t.Run("LargeReadFull", func(t *testing.T) { check(t, 1, readFull, large) })
	t.Run("LargeSequential", func(t *testing.T) { check(t, 1, readSeq, large) })
	t.Run("LargeTwice", func(t *testing.T) { check(t, 2, readTwice, large) })

	t.Run("RangedReads", func(t *testing.T) {
		st := newStore(t, "s3://"+bucket, savepoint.Options{}, large)
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
		if len(reqs) != 1 || reqs[0].Op != "GetObject" || reqs[0].Range != "bytes=12345-12444" {
			t.Errorf("requests = %v; want one GetObject with Range bytes=12345-12444", reqs)
		}
	})

	t.Run("Empty", func(t *testing.T) {
		st := newStore(t, "s3://"+bucket, savepoint.Options{}, s3store.Settings{})
		p.reset()
		obj, err := st.Open(ctx, "/savepoint-abc/empty")
		if err != nil {
			t.Fatal(err)
		}
		defer obj.Close()
		b, err := obj.(s3store.ReadFuller).ReadFull(ctx)
		if err != nil || len(b) != 0 || obj.Size() != 0 {
			t.Fatalf("ReadFull(empty) = %d bytes, %v; Size %d", len(b), err, obj.Size())
		}
		if reqs := p.requests(); len(reqs) != 1 {
			t.Errorf("requests = %v; want one GetObject", reqs)
		}
	})
}

func TestListPagination(t *testing.T) {
	srv := testserver.MinIO(t)
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
	sort.Strings(want)
	useEnv(t, p.URL, srv.AccessKey, srv.SecretKey)
	st := newStore(t, "s3a://"+bucket+"/chk", savepoint.Options{}, s3store.Settings{PageSize: 2})
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
	if n := count(p.requests(), "ListObjectsV2"); n != 5 {
		t.Errorf("%d ListObjectsV2 requests for 10 entries at 2 a page; want 5", n)
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

func TestErrors(t *testing.T) {
	srv := testserver.MinIO(t)
	bucket := srv.NewBucket(t)
	srv.Upload(t, bucket, "sp", map[string][]byte{"_metadata": []byte("meta"), "dir/file": []byte("f")})
	ctx := t.Context()

	type op struct {
		name string
		do   func(st savepoint.Store) error
	}
	ops := func(p string) []op {
		return []op{
			{"Open", func(st savepoint.Store) error { _, err := st.Open(ctx, p); return err }},
			{"Stat", func(st savepoint.Store) error { _, err := st.Stat(ctx, p); return err }},
			{"List", func(st savepoint.Store) error { _, err := st.List(ctx, p); return err }},
		}
	}

	t.Run("MissingBucket", func(t *testing.T) {
		useEnv(t, srv.Endpoint, srv.AccessKey, srv.SecretKey)
		st := openStore(t, "s3://no-such-bucket-spcheck/sp", savepoint.Options{})
		for _, o := range ops("/sp/_metadata") {
			err := o.do(st)
			if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), `bucket "no-such-bucket-spcheck" does not exist`) {
				t.Errorf("%s: error = %v; want fs.ErrNotExist naming the bucket", o.name, err)
			}
		}
	})

	t.Run("MissingKey", func(t *testing.T) {
		useEnv(t, srv.Endpoint, srv.AccessKey, srv.SecretKey)
		st := openStore(t, "s3://"+bucket+"/sp", savepoint.Options{})
		for _, o := range ops("/sp/nope") {
			err := o.do(st)
			if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "s3store: ") ||
				!strings.Contains(err.Error(), "s3://"+bucket+"/sp/nope") {
				t.Errorf("%s: error = %v; want fs.ErrNotExist naming the location", o.name, err)
			}
		}
		_, err := st.Open(ctx, "/sp/dir")
		if err == nil || errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "is a directory") {
			t.Errorf("Open(directory) error = %v; want one saying it is a directory", err)
		}
	})

	const wrongSecret = "Wr0ngSecret/NotTheRealOne+xyz"
	t.Run("WrongSecret", func(t *testing.T) {
		useEnv(t, srv.Endpoint, srv.AccessKey, wrongSecret)
		st := openStore(t, "s3://"+bucket+"/sp", savepoint.Options{})
		for _, o := range ops("/sp/_metadata") {
			err := o.do(st)
			if !errors.Is(err, fs.ErrPermission) {
				t.Errorf("%s: error = %v; want fs.ErrPermission", o.name, err)
				continue
			}
			if !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") {
				t.Errorf("%s: error = %v; want it to say where the credentials came from", o.name, err)
			}
			assertNoSecrets(t, err, wrongSecret, srv.SecretKey, srv.AccessKey)
			t.Logf("%s: %v", o.name, err)
		}
	})

	t.Run("WrongSecretFromFlinkConf", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "config.yaml"), fmt.Sprintf(
			"s3:\n  endpoint: %s\n  access-key: %s\n  secret-key: %q\n  session-token: tok-SeCrEt-123\n", srv.Endpoint, srv.AccessKey, wrongSecret))
		st := openStore(t, "s3://"+bucket+"/sp", savepoint.Options{FlinkConf: dir})
		for _, o := range ops("/sp/_metadata") {
			err := o.do(st)
			if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "Flink configuration "+dir) {
				t.Errorf("%s: error = %v; want fs.ErrPermission naming the Flink configuration", o.name, err)
			}
			assertNoSecrets(t, err, wrongSecret, "tok-SeCrEt-123", srv.SecretKey, srv.AccessKey)
		}
	})

	t.Run("UnknownAccessKey", func(t *testing.T) {
		useEnv(t, srv.Endpoint, "AKIANOSUCHKEY0000000", "whatever-secret-value")
		st := openStore(t, "s3://"+bucket+"/sp", savepoint.Options{})
		_, err := st.Open(ctx, "/sp/_metadata")
		if !errors.Is(err, fs.ErrPermission) {
			t.Fatalf("error = %v; want fs.ErrPermission", err)
		}
		assertNoSecrets(t, err, "AKIANOSUCHKEY0000000", "whatever-secret-value")
	})

	t.Run("NoCredentials", func(t *testing.T) {
		t.Setenv("AWS_ENDPOINT_URL", srv.Endpoint)
		u, _ := savepoint.ParseLocation("s3://" + bucket + "/sp")
		start := time.Now()
		_, err := savepoint.OpenStore(ctx, u, savepoint.Options{Timeout: 5 * time.Second})
		if err == nil {
			t.Fatal("OpenStore without credentials succeeded")
		}
		for _, want := range []string{"s3store: cannot get AWS credentials", "Flink configuration", "AWS_ACCESS_KEY_ID", "~/.aws/credentials", "AWS_WEB_IDENTITY_TOKEN_FILE", "EC2 instance role"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %q", err, want)
			}
		}
		t.Log(err)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("took %v", d)
		}
	})

	t.Run("HalfFlinkCredentials", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "flink-conf.yaml"), "s3.access-key: someone\n")
		u, _ := savepoint.ParseLocation("s3://" + bucket + "/sp")
		_, err := savepoint.OpenStore(ctx, u, savepoint.Options{FlinkConf: dir})
		if err == nil || !strings.Contains(err.Error(), "s3.access-key but no secret key") {
			t.Errorf("error = %v; want one about the missing secret key", err)
		}
	})

	t.Run("BadLocations", func(t *testing.T) {
		useEnv(t, srv.Endpoint, srv.AccessKey, srv.SecretKey)
		for _, tc := range []struct{ loc, want string }{
			{"s3://AKIAUSER:hunter2secret@" + bucket + "/sp", "credentials in the location are not supported"},
			{"s3://" + bucket + "/sp?region=eu-west-1", `invalid query parameter "region"`},
			{"s3:///sp", "names no bucket"},
			{"s3://" + bucket + ":9000/sp", "has a port"},
		} {
			u, err := savepoint.ParseLocation(tc.loc)
			if err != nil {
				t.Fatal(err)
			}
			_, err = savepoint.OpenStore(ctx, u, savepoint.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "s3store: ") {
				t.Errorf("%s: error = %v; want %q", tc.loc, err, tc.want)
				continue
			}
			assertNoSecrets(t, err, "hunter2secret")
		}
	})
}

func TestTimeoutsAndRetries(t *testing.T) {
	srv := testserver.MinIO(t)
	p := newProxy(t, srv.Endpoint)
	bucket := srv.NewBucket(t)
	meta := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	srv.Upload(t, bucket, "sp", map[string][]byte{"_metadata": meta})
	useEnv(t, p.URL, srv.AccessKey, srv.SecretKey)
	const timeout = time.Second
	ctx := t.Context()
	st := newStore(t, "s3://"+bucket+"/sp", savepoint.Options{Timeout: timeout}, s3store.Settings{})

	// within runs f and fails if it takes longer than limit.
	within := func(t *testing.T, limit time.Duration, f func() error) error {
		t.Helper()
		start := time.Now()
		err := f()
		if d := time.Since(start); d > limit {
			t.Errorf("took %v; want at most %v", d, limit)
		}
		return err
	}
	wantTimeout := func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "timed out") {
			t.Errorf("error = %v; want a timeout", err)
		}
	}
	faultOn := func(op string, f fault) func(request) fault {
		return func(r request) fault {
			if r.Op == op {
				return f
			}
			return fault{}
		}
	}
	readFull := func() error {
		obj, err := st.Open(ctx, "/sp/_metadata")
		if err != nil {
			return err
		}
		defer obj.Close()
		b, err := obj.(s3store.ReadFuller).ReadFull(ctx)
		if err == nil && !bytes.Equal(b, meta) {
			return errors.New("wrong bytes")
		}
		return err
	}

	t.Run("StallBeforeHeaders", func(t *testing.T) {
		p.setFault(faultOn("GetObject", fault{kind: "stall-headers"}))
		defer p.setFault(nil)
		wantTimeout(t, within(t, 3*timeout, readFull))
	})
	t.Run("StallMidBody", func(t *testing.T) {
		p.setFault(faultOn("GetObject", fault{kind: "stall-body", after: 1000}))
		defer p.setFault(nil)
		wantTimeout(t, within(t, 3*timeout, readFull))
		obj, err := st.Open(ctx, "/sp/_metadata")
		if err != nil {
			t.Fatal(err)
		}
		defer obj.Close()
		buf := make([]byte, 10)
		wantTimeout(t, within(t, 3*timeout, func() error { _, err := obj.ReadAt(buf, 5000); return err }))
	})
	t.Run("StallStat", func(t *testing.T) {
		p.setFault(faultOn("HeadObject", fault{kind: "stall-headers"}))
		defer p.setFault(nil)
		wantTimeout(t, within(t, 3*timeout, func() error { _, err := st.Stat(ctx, "/sp/_metadata"); return err }))
	})
	t.Run("StallList", func(t *testing.T) {
		p.setFault(faultOn("ListObjectsV2", fault{kind: "stall-headers"}))
		defer p.setFault(nil)
		wantTimeout(t, within(t, 3*timeout, func() error { _, err := st.List(ctx, "/sp"); return err }))
	})
	t.Run("DiesMidBodyEveryTime", func(t *testing.T) {
		p.setFault(faultOn("GetObject", fault{kind: "die-body", after: 1000}))
		defer p.setFault(nil)
		p.reset()
		err := within(t, 3*timeout, readFull)
		if err == nil || !strings.HasPrefix(err.Error(), "s3store: read s3://"+bucket+"/sp/_metadata: ") {
			t.Errorf("error = %v; want a read error", err)
		}
		if n := count(p.requests(), "GetObject"); n != 3 {
			t.Errorf("%d GetObject requests; want 3 (the attempt bound)", n)
		}
	})
	t.Run("DiesMidBodyOnce", func(t *testing.T) {
		var mu sync.Mutex
		first := true
		p.setFault(func(r request) fault {
			mu.Lock()
			defer mu.Unlock()
			if r.Op == "GetObject" && first {
				first = false
				return fault{kind: "die-body", after: 1000}
			}
			return fault{}
		})
		defer p.setFault(nil)
		p.reset()
		if err := readFull(); err != nil {
			t.Fatalf("read after one broken response: %v", err)
		}
		reqs := p.requests()
		if len(reqs) != 2 || reqs[1].Range != fmt.Sprintf("bytes=1000-%d", len(meta)-1) {
			t.Errorf("requests = %v; want the whole GET and one resuming at byte 1000", reqs)
		}
	})
	t.Run("ServerGone", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := "http://" + l.Addr().String()
		l.Close()
		useEnv(t, dead, srv.AccessKey, srv.SecretKey)
		st := newStore(t, "s3://"+bucket+"/sp", savepoint.Options{Timeout: 20 * time.Second}, s3store.Settings{})
		err = within(t, 15*time.Second, func() error { _, err := st.Stat(ctx, "/sp/_metadata"); return err })
		if err == nil || !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("error = %v; want connection refused", err)
		}
	})
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadFlinkConf(t *testing.T) {
	dir := t.TempDir()
	legacy := `# Flink 1.18 style
jobmanager.rpc.address: localhost
s3.endpoint: http://minio:9000   # trailing comment
s3.path.style.access: true
s3.access-key: AKIA
s3.secret-key: "quoted"
no.value:
  indented.key: 5
broken line without separator
`
	writeFile(t, filepath.Join(dir, "legacy", "flink-conf.yaml"), legacy)
	got, err := savepoint.LoadFlinkConf(filepath.Join(dir, "legacy"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"jobmanager.rpc.address": "localhost",
		"s3.endpoint":            "http://minio:9000",
		"s3.path.style.access":   "true",
		"s3.access-key":          "AKIA",
		"s3.secret-key":          `"quoted"`, // Flink keeps legacy values verbatim
		"indented.key":           "5",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("flink-conf.yaml:\n got %v\nwant %v", got, want)
	}

	nested := `# Flink 1.19+ config.yaml
s3:
  endpoint: "http://minio:9000"
  path:
    style:
      access: true
fs.s3a:
  access.key: AKIA
  secret.key: 'sec ret'
  endpoint.region: eu-central-1
state.checkpoints.dir: s3://bucket/checkpoints
env.java.opts.all: ~
pipeline.jars: [a.jar, b.jar]
taskmanager.numberOfTaskSlots: 4
`
	writeFile(t, filepath.Join(dir, "nested", "config.yaml"), nested)
	writeFile(t, filepath.Join(dir, "nested", "flink-conf.yaml"), "s3.endpoint: http://ignored\n")
	got, err = savepoint.LoadFlinkConf(filepath.Join(dir, "nested"))
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]string{
		"s3.endpoint":                   "http://minio:9000",
		"s3.path.style.access":          "true",
		"fs.s3a.access.key":             "AKIA",
		"fs.s3a.secret.key":             "sec ret",
		"fs.s3a.endpoint.region":        "eu-central-1",
		"state.checkpoints.dir":         "s3://bucket/checkpoints",
		"pipeline.jars":                 "[a.jar, b.jar]",
		"taskmanager.numberOfTaskSlots": "4",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("config.yaml (which wins over flink-conf.yaml):\n got %v\nwant %v", got, want)
	}

	// A file named directly; $FLINK_CONF_DIR when no path is given.
	if got, err := savepoint.LoadFlinkConf(filepath.Join(dir, "nested", "flink-conf.yaml")); err != nil || got["s3.endpoint"] != "http://ignored" {
		t.Errorf("LoadFlinkConf(file) = %v, %v", got, err)
	}
	t.Setenv("FLINK_CONF_DIR", filepath.Join(dir, "legacy"))
	if got, err := savepoint.LoadFlinkConf(""); err != nil || got["s3.access-key"] != "AKIA" {
		t.Errorf("LoadFlinkConf(\"\") with $FLINK_CONF_DIR = %v, %v", got, err)
	}
	t.Setenv("FLINK_CONF_DIR", "")
	if got, err := savepoint.LoadFlinkConf(""); err != nil || len(got) != 0 {
		t.Errorf("LoadFlinkConf(\"\") without $FLINK_CONF_DIR = %v, %v", got, err)
	}

	// Errors.
	if _, err := savepoint.LoadFlinkConf(filepath.Join(dir, "none")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing path: error = %v", err)
	}
	if _, err := savepoint.LoadFlinkConf(t.TempDir()); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "config.yaml") {
		t.Errorf("directory without configuration: error = %v", err)
	}
	writeFile(t, filepath.Join(dir, "bad", "config.yaml"), "s3:\n  secret-key: TopSecret99\n bad: [\n")
	_, err = savepoint.LoadFlinkConf(filepath.Join(dir, "bad"))
	if err == nil || !strings.HasPrefix(err.Error(), "savepoint: ") {
		t.Errorf("bad YAML: error = %v", err)
	} else {
		assertNoSecrets(t, err, "TopSecret99")
	}
}

// TestFlinkConf reads through the driver with settings from Flink
// configurations, and checks the precedence: Flink's keys over the AWS
// environment, s3.* over fs.s3a.*.
func TestFlinkConf(t *testing.T) {
	srv := testserver.MinIO(t)
	p := newProxy(t, srv.Endpoint)
	bucket := srv.NewBucket(t)
	srv.Upload(t, bucket, "sp", map[string][]byte{"_metadata": []byte("meta")})
	hostport := strings.TrimPrefix(p.URL, "http://")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()

	for _, tc := range []struct {
		name, file, conf string
		env              bool // AWS_* variables that must lose: a dead endpoint, wrong credentials
	}{
		{"Legacy", "flink-conf.yaml", fmt.Sprintf("s3.endpoint: %s\ns3.path.style.access: true\ns3.access-key: %s\ns3.secret-key: %s\ns3.region: us-east-1\n",
			p.URL, srv.AccessKey, srv.SecretKey), false},
		{"Nested", "config.yaml", fmt.Sprintf("s3:\n  endpoint: %s\n  path.style.access: true\n  access-key: %s\n  secret-key: %s\n",
			p.URL, srv.AccessKey, srv.SecretKey), false},
		{"S3AKeys", "config.yaml", fmt.Sprintf("fs.s3a.endpoint: %s\nfs.s3a.path.style.access: true\nfs.s3a.access.key: %s\nfs.s3a.secret.key: %s\nfs.s3a.endpoint.region: us-east-1\n",
			p.URL, srv.AccessKey, srv.SecretKey), false},
		{"NoScheme", "config.yaml", fmt.Sprintf("s3.endpoint: %s\ns3.connection.ssl.enabled: false\ns3.access-key: %s\ns3.secret-key: %s\n",
			hostport, srv.AccessKey, srv.SecretKey), false},
		{"FlinkOverEnv", "config.yaml", fmt.Sprintf("s3.endpoint: %s\ns3.access-key: %s\ns3.secret-key: %s\n",
			p.URL, srv.AccessKey, srv.SecretKey), true},
		{"S3OverS3A", "config.yaml", fmt.Sprintf("s3.endpoint: %s\nfs.s3a.endpoint: %s\ns3.access-key: %s\ns3.secret-key: %s\nfs.s3a.secret.key: wrong\n",
			p.URL, dead, srv.AccessKey, srv.SecretKey), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, tc.file), tc.conf)
			if tc.env {
				useEnv(t, dead, "AKIAWRONG", "wrong-secret")
			}
			p.reset()
			st := openStore(t, "s3://"+bucket+"/sp", savepoint.Options{FlinkConf: dir, Timeout: 10 * time.Second})
			obj, err := st.Open(t.Context(), "/sp/_metadata")
			if err != nil {
				t.Fatal(err)
			}
			obj.Close()
			if n := len(p.requests()); n != 1 {
				t.Errorf("the configured endpoint saw %d requests; want 1", n)
			}
		})
	}

	t.Run("EnvEndpointFlinkCredentials", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "conf", "config.yaml"), fmt.Sprintf("s3.access-key: %s\ns3.secret-key: %s\n", srv.AccessKey, srv.SecretKey))
		t.Setenv("AWS_ENDPOINT_URL_S3", p.URL)
		t.Setenv("FLINK_CONF_DIR", filepath.Join(dir, "conf"))
		p.reset()
		st := openStore(t, "s3p://"+bucket+"/sp", savepoint.Options{})
		if _, err := st.Stat(t.Context(), "/sp/_metadata"); err != nil {
			t.Fatal(err)
		}
		if n := len(p.requests()); n != 1 {
			t.Errorf("the endpoint from AWS_ENDPOINT_URL_S3 saw %d requests; want 1", n)
		}
	})

	t.Run("BadValues", func(t *testing.T) {
		for _, conf := range []string{"s3.path.style.access: maybe\n", "s3.endpoint: ftp://host\n"} {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "config.yaml"), conf)
			u, _ := savepoint.ParseLocation("s3://" + bucket)
			if _, err := savepoint.OpenStore(t.Context(), u, savepoint.Options{FlinkConf: dir}); err == nil || !strings.HasPrefix(err.Error(), "s3store: Flink configuration") {
				t.Errorf("%q: error = %v", conf, err)
			}
		}
	})
}

// readOnlyPolicy allows reading and listing, nothing else.
const readOnlyPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
	`"Action":["s3:GetObject","s3:ListBucket","s3:GetBucketLocation"],"Resource":["arn:aws:s3:::*"]}]}`

// TestReadOnlyCredentials runs the conformance suite with temporary
// credentials that MinIO's STS (AssumeRole with a session policy) limits
// to reading; a write with them is refused, to show the policy holds.
func TestReadOnlyCredentials(t *testing.T) {
	srv := testserver.MinIO(t)
	ctx := t.Context()
	stsc := sts.New(sts.Options{
		BaseEndpoint: aws.String(srv.Endpoint),
		Region:       srv.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
	})
	assumeRole := func(policy string) (*sts.AssumeRoleOutput, error) {
		// MinIO answers "Server not initialized" until its IAM subsystem
		// is up, a moment after it reports ready.
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			out, err := stsc.AssumeRole(ctx, &sts.AssumeRoleInput{
				RoleArn:         aws.String("arn:aws:iam::000000000000:role/spcheck-test"),
				RoleSessionName: aws.String("spcheck-test"),
				Policy:          aws.String(policy),
				DurationSeconds: aws.Int32(900),
			})
			if err == nil || !strings.Contains(err.Error(), "not initialized") || time.Now().After(deadline) {
				return out, err
			}
		}
	}
	out, err := assumeRole(readOnlyPolicy)
	if err != nil {
		t.Fatalf("AssumeRole with a read-only session policy: %v", err)
	}
	c := out.Credentials
	ro := credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))

	t.Run("ListOnly", func(t *testing.T) {
		// Credentials that may list but not read: a permission error that
		// shows none of them.
		out, err := assumeRole(strings.Replace(readOnlyPolicy, `"s3:GetObject",`, "", 1))
		if err != nil {
			t.Fatal(err)
		}
		lc := out.Credentials
		bucket := srv.NewBucket(t)
		srv.Upload(t, bucket, "sp", map[string][]byte{"_metadata": []byte("meta")})
		useEnv(t, srv.Endpoint, aws.ToString(lc.AccessKeyId), aws.ToString(lc.SecretAccessKey))
		t.Setenv("AWS_SESSION_TOKEN", aws.ToString(lc.SessionToken))
		st := openStore(t, "s3://"+bucket, savepoint.Options{})
		if _, err := st.List(ctx, "/sp"); err != nil {
			t.Fatalf("List with list-only credentials: %v", err)
		}
		_, err = st.Open(ctx, "/sp/_metadata")
		if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "AccessDenied") {
			t.Fatalf("Open with list-only credentials: error = %v; want fs.ErrPermission (AccessDenied)", err)
		}
		assertNoSecrets(t, err, aws.ToString(lc.AccessKeyId), aws.ToString(lc.SecretAccessKey), aws.ToString(lc.SessionToken))
	})

	storetest.Run(t, func(t *testing.T, files map[string][]byte) (savepoint.Store, string) {
		bucket := srv.NewBucket(t)
		srv.Upload(t, bucket, "ro", files)
		roClient := s3.New(s3.Options{BaseEndpoint: aws.String(srv.Endpoint), Region: srv.Region, UsePathStyle: true, Credentials: ro})
		_, err := roClient.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("ro/written"), Body: strings.NewReader("x")})
		if !strings.Contains(fmt.Sprint(err), "AccessDenied") {
			t.Fatalf("a write with the read-only credentials gave %v; want AccessDenied", err)
		}
		useEnv(t, srv.Endpoint, aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey))
		t.Setenv("AWS_SESSION_TOKEN", aws.ToString(c.SessionToken))
		return openStore(t, "s3://"+bucket+"/ro", savepoint.Options{}), "/ro"
	})
}

// TestSavepointOpenOneGET reads a real savepoint through savepoint.Open,
// as check does, and counts the GETs: one, for the _metadata.
func TestSavepointOpenOneGET(t *testing.T) {
	srv := testserver.MinIO(t)
	p := newProxy(t, srv.Endpoint)
	bucket := srv.NewBucket(t)
	srv.UploadDir(t, bucket, "savepoints/savepoint-1a2b3c-0123456789ab", filepath.Join("..", "..", "fixtures", "example", "savepoint"))
	useEnv(t, p.URL, srv.AccessKey, srv.SecretKey)
	for _, loc := range []string{
		"s3://" + bucket + "/savepoints/savepoint-1a2b3c-0123456789ab",
		"s3a://" + bucket + "/savepoints/savepoint-1a2b3c-0123456789ab/_metadata",
	} {
		p.reset()
		sp, err := savepoint.Open(t.Context(), loc, savepoint.Options{})
		if err != nil {
			t.Fatalf("savepoint.Open(%s): %v", loc, err)
		}
		sp.Close()
		reqs := p.requests()
		if n := count(reqs, "GetObject"); n != 1 {
			t.Errorf("%s: %d GetObject requests; want 1 (all requests: %v)", loc, n, reqs)
		}
		t.Logf("%s: %v", loc, reqs)
	}
}
