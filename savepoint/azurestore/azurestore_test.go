package azurestore_test

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

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"

	"github.com/spcheck/spcheck/internal/testserver/azuriteserver"
	"github.com/spcheck/spcheck/savepoint"
	"github.com/spcheck/spcheck/savepoint/azurestore"
	"github.com/spcheck/spcheck/savepoint/storetest"
)

func TestMain(m *testing.M) {
	// Start from a clean slate: no credentials or endpoints from the
	// machine, and no managed identity endpoint to ask.
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AZURE_") || strings.HasPrefix(k, "SPCHECK_AZURE_") || strings.HasPrefix(k, "IDENTITY_") ||
			strings.HasPrefix(k, "MSI_") || k == "FLINK_CONF_DIR" {
			os.Unsetenv(k)
		}
	}
	code := m.Run()
	azuriteserver.StopAzurite()
	os.Exit(code)
}

// useEmulator points the driver at endpoint for every account, with the
// account key from the environment.
func useEmulator(t *testing.T, endpoint, account, key string) {
	t.Setenv(azurestore.EnvBlobEndpoint, endpoint)
	t.Setenv(azurestore.EnvAccount, account)
	t.Setenv(azurestore.EnvKey, key)
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

func newStore(t *testing.T, location string, opts savepoint.Options, set azurestore.Settings) *azurestore.Store {
	t.Helper()
	u, err := savepoint.ParseLocation(location)
	if err != nil {
		t.Fatal(err)
	}
	st, err := azurestore.New(t.Context(), u, opts, set)
	if err != nil {
		t.Fatalf("New(%s): %v", location, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// loc returns a location of the given scheme for container in Azurite's
// account.
func loc(scheme, container, p string) string {
	service := "blob"
	if strings.HasPrefix(scheme, "abfs") {
		service = "dfs"
	}
	return fmt.Sprintf("%s://%s@%s.%s.core.windows.net%s", scheme, container, azuriteserver.AzuriteAccount, service, p)
}

// A proxy stands between the driver and Azurite: it records every request
// and can make chosen ones misbehave.
type proxy struct {
	*httptest.Server
	mu    sync.Mutex
	reqs  []request
	fault func(r request) string // "", "stall-headers", "stall-body"
	done  chan struct{}
}

type request struct {
	Method, Op, Path, Range, IfMatch string
}

func (r request) String() string { return r.Method + " " + r.Op + " " + r.Path + " " + r.Range }

func newProxy(t *testing.T, upstream string) *proxy {
	target, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{done: make(chan struct{})}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme, pr.Out.URL.Host = target.Scheme, target.Host
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

// classify names the Blob service operation a request is.
func classify(r *http.Request) request {
	q := r.URL.Query()
	op := r.Method + " " + r.URL.RawQuery
	switch {
	case r.Method == http.MethodGet && q.Get("comp") == "list":
		op = "ListBlobs"
	case r.Method == http.MethodHead && q.Get("comp") == "":
		op = "GetBlobProperties"
	case r.Method == http.MethodGet && q.Get("comp") == "":
		op = "GetBlob"
	}
	rng := r.Header.Get("x-ms-range")
	if rng == "" {
		rng = r.Header.Get("Range")
	}
	return request{Method: r.Method, Op: op, Path: r.URL.Path, Range: rng, IfMatch: r.Header.Get("If-Match")}
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

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestConformance(t *testing.T) {
	srv := azuriteserver.Azurite(t)
	for _, scheme := range azurestore.Schemes {
		t.Run(scheme, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, files map[string][]byte) (savepoint.Store, string) {
				c := srv.NewContainer(t)
				srv.Upload(t, c, "savepoints/x", files)
				useEmulator(t, srv.Endpoint, srv.Account, srv.Key)
				return openStore(t, loc(scheme, c, "/savepoints/x"), savepoint.Options{}), "/savepoints/x"
			})
		})
	}
	t.Run("ContainerRoot", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T, files map[string][]byte) (savepoint.Store, string) {
			c := srv.NewContainer(t)
			srv.Upload(t, c, "", files)
			useEmulator(t, srv.Endpoint, srv.Account, srv.Key)
			return openStore(t, loc("wasbs", c, ""), savepoint.Options{}), "/"
		})
	})
	t.Run("ConnectionString", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T, files map[string][]byte) (savepoint.Store, string) {
			c := srv.NewContainer(t)
			srv.Upload(t, c, "cs", files)
			t.Setenv(azurestore.EnvConnectionString, srv.ConnectionString())
			return openStore(t, loc("abfss", c, "/cs"), savepoint.Options{}), "/cs"
		})
	})
	t.Run("FlinkAccountKey", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T, files map[string][]byte) (savepoint.Store, string) {
			c := srv.NewContainer(t)
			srv.Upload(t, c, "fk", files)
			t.Setenv(azurestore.EnvBlobEndpoint, srv.Endpoint)
			t.Setenv(azurestore.EnvKey, "d3Jvbmcta2V5") // loses to Flink's
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "config.yaml"), fmt.Sprintf("fs.azure.account.key.%s.dfs.core.windows.net: %s\n", srv.Account, srv.Key))
			return openStore(t, loc("wasb", c, "/fk"), savepoint.Options{FlinkConf: dir}), "/fk"
		})
	})
	t.Run("HadoopDirectoryMarkers", func(t *testing.T) {
		// Directories as a hierarchical namespace shows them through the
		// Blob API, and as Hadoop's WASB driver writes them: blobs with
		// the metadata hdi_isfolder=true.
		storetest.Run(t, func(t *testing.T, files map[string][]byte) (savepoint.Store, string) {
			c := srv.NewContainer(t)
			srv.Upload(t, c, "hns", files)
			for _, d := range []string{"hns", "hns/sp", "hns/sp/sub", "hns/chk", "hns/empty-dir"} {
				uploadFolderMarker(t, srv, c, d)
			}
			useEmulator(t, srv.Endpoint, srv.Account, srv.Key)
			return openStore(t, loc("abfs", c, "/hns"), savepoint.Options{}), "/hns"
		})
	})
}

func uploadFolderMarker(t *testing.T, srv *azuriteserver.AzureServer, c, name string) {
	t.Helper()
	_, err := srv.Client(t).UploadBuffer(t.Context(), c, name, nil, &blockblob.UploadBufferOptions{
		Metadata: map[string]*string{"hdi_isfolder": to.Ptr("true")},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDirectoryMarkers(t *testing.T) {
	srv := azuriteserver.Azurite(t)
	c := srv.NewContainer(t)
	srv.Upload(t, c, "", map[string][]byte{"d/sub/f": []byte("f")})
	for _, d := range []string{"d", "d/sub", "d/empty"} {
		uploadFolderMarker(t, srv, c, d)
	}
	useEmulator(t, srv.Endpoint, srv.Account, srv.Key)
	st := openStore(t, loc("abfss", c, "/d"), savepoint.Options{})
	ctx := t.Context()
	ents, err := st.List(ctx, "/d")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, fmt.Sprintf("%s:%v", e.Name, e.IsDir))
	}
	if strings.Join(got, " ") != "empty:true sub:true" {
		t.Errorf("List(/d) = %v; want the directories empty and sub, once each", got)
	}
	if ents, err := st.List(ctx, "/d/empty"); err != nil || len(ents) != 0 {
		t.Errorf("List(empty directory) = %v, %v; want no entries and no error", ents, err)
	}
	if fi, err := st.Stat(ctx, "/d/empty"); err != nil || !fi.IsDir {
		t.Errorf("Stat(empty directory) = %+v, %v", fi, err)
	}
	if _, err := st.Open(ctx, "/d/empty"); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("Open(directory marker) error = %v; want one saying it is a directory", err)
	}
}

// TestConformanceReadOnlyRequests runs the suite through a recording
// proxy, with two blobs per listing page and small whole-object reads so
// that every read path is taken, and checks that only GET and HEAD
// requests were sent.
func TestConformanceReadOnlyRequests(t *testing.T) {
	srv := azuriteserver.Azurite(t)
	p := newProxy(t, srv.Endpoint)
	storetest.Run(t, func(t *testing.T, files map[string][]byte) (savepoint.Store, string) {
		c := srv.NewContainer(t)
		srv.Upload(t, c, "sp-root", files)
		useEmulator(t, p.URL+"/"+srv.Account, srv.Account, srv.Key)
		p.reset()
		return newStore(t, loc("abfss", c, "/sp-root"), savepoint.Options{}, azurestore.Settings{PageSize: 2, WholeObjectMax: 1 << 20}), "/sp-root"
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
		if op != "GetBlob" && op != "GetBlobProperties" && op != "ListBlobs" {
			t.Errorf("driver sent %s requests", op)
		}
	}
	t.Logf("requests during the conformance run: %v", ops)
}

func TestMetadataCostsOneGET(t *testing.T) {
	srv := azuriteserver.Azurite(t)
	p := newProxy(t, srv.Endpoint)
	c := srv.NewContainer(t)
	rnd := rand.New(rand.NewSource(2))
	meta := make([]byte, 3<<20+17)
	rnd.Read(meta)
	srv.Upload(t, c, "savepoint-abc", map[string][]byte{"_metadata": meta, "empty": {}})
	useEmulator(t, p.URL+"/"+srv.Account, srv.Account, srv.Key)
	ctx := t.Context()

	check := func(t *testing.T, wantGETs int, read func(obj savepoint.Object) []byte, set azurestore.Settings) {
		t.Helper()
		st := newStore(t, loc("abfss", c, "/savepoint-abc"), savepoint.Options{}, set)
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
		if count(reqs, "GetBlob") != wantGETs || len(reqs) != wantGETs {
			t.Errorf("requests = %v; want %d GetBlob and nothing else", reqs, wantGETs)
		}
	}
	readFull := func(obj savepoint.Object) []byte {
		b, err := obj.(azurestore.ReadFuller).ReadFull(ctx)
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
	t.Run("ReadFull", func(t *testing.T) { check(t, 1, readFull, azurestore.Settings{}) })
	t.Run("ReadAt", func(t *testing.T) { check(t, 1, readAt, azurestore.Settings{}) })
	t.Run("Sequential", func(t *testing.T) { check(t, 1, readSeq, azurestore.Settings{}) })
	t.Run("Twice", func(t *testing.T) { check(t, 1, readTwice, azurestore.Settings{}) })
	large := azurestore.Settings{WholeObjectMax: 1 << 20}
	t.Run("LargeReadFull", func(t *testing.T) { check(t, 1, readFull, large) })
	t.Run("LargeSequential", func(t *testing.T) { check(t, 1, readSeq, large) })
	t.Run("LargeTwice", func(t *testing.T) { check(t, 2, readTwice, large) })

	t.Run("RangedReads", func(t *testing.T) {
		st := newStore(t, loc("wasbs", c, ""), savepoint.Options{}, large)
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
		if len(reqs) != 1 || reqs[0].Op != "GetBlob" || reqs[0].Range != "bytes=12345-12444" || reqs[0].IfMatch == "" {
			t.Errorf("requests = %v; want one GetBlob with range bytes=12345-12444 and If-Match", reqs)
		}
	})

	t.Run("Empty", func(t *testing.T) {
		st := newStore(t, loc("wasbs", c, ""), savepoint.Options{}, azurestore.Settings{})
		p.reset()
		obj, err := st.Open(ctx, "/savepoint-abc/empty")
		if err != nil {
			t.Fatal(err)
		}
		defer obj.Close()
		b, err := obj.(azurestore.ReadFuller).ReadFull(ctx)
		if err != nil || len(b) != 0 || obj.Size() != 0 {
			t.Fatalf("ReadFull(empty) = %d bytes, %v; Size %d", len(b), err, obj.Size())
		}
		if reqs := p.requests(); len(reqs) != 1 {
			t.Errorf("requests = %v; want one GetBlob", reqs)
		}
	})
}

// TestSavepointOpenOneGET reads a real savepoint through savepoint.Open,
// as check does, and counts the GETs of blob contents: one, for the
// _metadata.
func TestSavepointOpenOneGET(t *testing.T) {
	srv := azuriteserver.Azurite(t)
	p := newProxy(t, srv.Endpoint)
	c := srv.NewContainer(t)
	srv.UploadDir(t, c, "savepoints/savepoint-1a2b3c-0123456789ab", filepath.Join("..", "..", "fixtures", "example", "savepoint"))
	useEmulator(t, p.URL+"/"+srv.Account, srv.Account, srv.Key)
	for _, l := range []string{
		loc("abfss", c, "/savepoints/savepoint-1a2b3c-0123456789ab"),
		loc("wasbs", c, "/savepoints/savepoint-1a2b3c-0123456789ab/_metadata"),
	} {
		p.reset()
		sp, err := savepoint.Open(t.Context(), l, savepoint.Options{})
		if err != nil {
			t.Fatalf("savepoint.Open(%s): %v", l, err)
		}
		sp.Close()
		reqs := p.requests()
		if n := count(reqs, "GetBlob"); n != 1 {
			t.Errorf("%s: %d GetBlob requests; want 1 (all requests: %v)", l, n, reqs)
		}
		t.Logf("%s: %v", l, reqs)
	}
}

func TestListPagination(t *testing.T) {
	srv := azuriteserver.Azurite(t)
	p := newProxy(t, srv.Endpoint)
	c := srv.NewContainer(t)
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
	srv.Upload(t, c, "", files)
	useEmulator(t, p.URL+"/"+srv.Account, srv.Account, srv.Key)
	st := newStore(t, loc("abfs", c, "/chk"), savepoint.Options{}, azurestore.Settings{PageSize: 2})
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
	if n := count(p.requests(), "ListBlobs"); n < 5 {
		t.Errorf("%d ListBlobs requests for 10 entries at 2 a page; want at least 5", n)
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
	srv := azuriteserver.Azurite(t)
	c := srv.NewContainer(t)
	srv.Upload(t, c, "sp", map[string][]byte{"_metadata": []byte("meta"), "dir/file": []byte("f")})
	ctx := t.Context()

	t.Run("MissingContainer", func(t *testing.T) {
		useEmulator(t, srv.Endpoint, srv.Account, srv.Key)
		st := openStore(t, loc("abfss", "no-such-container", "/sp"), savepoint.Options{})
		for _, o := range ops(ctx, "/sp/_metadata") {
			err := o.do(st)
			if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), `container "no-such-container" does not exist`) {
				t.Errorf("%s: error = %v; want fs.ErrNotExist naming the container", o.name, err)
			}
		}
	})

	t.Run("MissingBlob", func(t *testing.T) {
		useEmulator(t, srv.Endpoint, srv.Account, srv.Key)
		l := loc("wasbs", c, "/sp")
		st := openStore(t, l, savepoint.Options{})
		for _, o := range ops(ctx, "/sp/nope") {
			err := o.do(st)
			if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "azurestore: ") ||
				!strings.Contains(err.Error(), strings.TrimSuffix(l, "/sp")+"/sp/nope") {
				t.Errorf("%s: error = %v; want fs.ErrNotExist naming the location", o.name, err)
			}
		}
		_, err := st.Open(ctx, "/sp/dir")
		if err == nil || errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "is a directory") {
			t.Errorf("Open(directory) error = %v; want one saying it is a directory", err)
		}
	})

	// A well-formed key that is not the account's.
	const wrongKey = "V3JvbmdLZXlOb3RUaGVSZWFsT25lV3JvbmdLZXlOb3RUaGVSZWFsT25lV3Jvbmc="
	t.Run("WrongKey", func(t *testing.T) {
		for _, how := range []string{"env", "flink", "connection-string"} {
			t.Run(how, func(t *testing.T) {
				opts := savepoint.Options{}
				switch how {
				case "env":
					useEmulator(t, srv.Endpoint, srv.Account, wrongKey)
				case "flink":
					t.Setenv(azurestore.EnvBlobEndpoint, srv.Endpoint)
					dir := t.TempDir()
					writeFile(t, filepath.Join(dir, "flink-conf.yaml"), fmt.Sprintf("fs.azure.account.key.%s.blob.core.windows.net: %s\n", srv.Account, wrongKey))
					opts.FlinkConf = dir
				case "connection-string":
					t.Setenv(azurestore.EnvConnectionString, strings.Replace(srv.ConnectionString(), srv.Key, wrongKey, 1))
				}
				st := openStore(t, loc("abfss", c, "/sp"), opts)
				for _, o := range ops(ctx, "/sp/_metadata") {
					err := o.do(st)
					if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "access denied") {
						t.Errorf("%s: error = %v; want fs.ErrPermission", o.name, err)
						continue
					}
					assertNoSecrets(t, err, wrongKey, srv.Key)
					t.Logf("%s: %v", o.name, err)
				}
			})
		}
	})

	t.Run("BadKey", func(t *testing.T) {
		useEmulator(t, srv.Endpoint, srv.Account, "not base64 !!secret!!")
		u, _ := savepoint.ParseLocation(loc("abfss", c, "/sp"))
		_, err := savepoint.OpenStore(ctx, u, savepoint.Options{})
		if err == nil || !strings.HasPrefix(err.Error(), "azurestore: ") {
			t.Fatalf("error = %v; want an azurestore error", err)
		}
		assertNoSecrets(t, err, "!!secret!!")
	})

	t.Run("NoCredentials", func(t *testing.T) {
		// Nothing for DefaultAzureCredential to find: no service
		// principal, no az or azd on the PATH. (Bearer tokens go over
		// HTTPS only; the token is sought before the request is sent.)
		t.Setenv(azurestore.EnvBlobEndpoint, "https://127.0.0.1:9/"+srv.Account)
		t.Setenv("AZURE_TOKEN_CREDENTIALS", "dev")
		t.Setenv("PATH", t.TempDir())
		st := openStore(t, loc("abfss", c, "/sp"), savepoint.Options{Timeout: 10 * time.Second})
		_, err := st.Stat(ctx, "/sp/_metadata")
		if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "AZURE_STORAGE_KEY") {
			t.Errorf("error = %v; want fs.ErrPermission with a hint", err)
		}
		t.Logf("without credentials: %v", err)
	})

	t.Run("URL", func(t *testing.T) {
		for _, l := range []string{
			"abfss://c:secret@acct.dfs.core.windows.net/x",
			"wasbs://c@acct.blob.core.windows.net/x?sig=secret",
			"abfss://acct.dfs.core.windows.net/x",
			"wasbs://c@acct.file.core.windows.net/x",
			"wasbs://c@acct.blob.core.windows.net:99/x",
		} {
			u, err := savepoint.ParseLocation(l)
			if err != nil {
				continue
			}
			_, err = savepoint.OpenStore(ctx, u, savepoint.Options{})
			if err == nil || !strings.HasPrefix(err.Error(), "azurestore: ") {
				t.Errorf("%s: error = %v; want an azurestore error", l, err)
				continue
			}
			assertNoSecrets(t, err, "secret")
		}
	})
}

// TestStalledServer checks that a server that accepts connections and
// never answers, or stops sending a body, gives a timeout error within the
// timeout, not a hang.
func TestStalledServer(t *testing.T) {
	srv := azuriteserver.Azurite(t)
	c := srv.NewContainer(t)
	big := make([]byte, 2<<20)
	srv.Upload(t, c, "sp", map[string][]byte{"_metadata": []byte("meta"), "big": big})
	p := newProxy(t, srv.Endpoint)
	useEmulator(t, p.URL+"/"+srv.Account, srv.Account, srv.Key)
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
		st := newStore(t, loc("abfss", c, "/sp"), savepoint.Options{Timeout: timeout}, azurestore.Settings{})
		for _, o := range ops(ctx, "/sp/_metadata") {
			within(t, o.name, func() error { return o.do(st) })
		}
	})
	t.Run("Body", func(t *testing.T) {
		p.setFault(func(r request) string {
			if r.Op == "GetBlob" {
				return "stall-body"
			}
			return ""
		})
		defer p.setFault(nil)
		for _, set := range []azurestore.Settings{{}, {WholeObjectMax: 1 << 20}} {
			st := newStore(t, loc("abfss", c, "/sp"), savepoint.Options{Timeout: timeout}, set)
			obj, err := st.Open(ctx, "/sp/big")
			if err != nil {
				t.Fatal(err)
			}
			within(t, "ReadAt", func() error {
				_, err := obj.ReadAt(make([]byte, 10000), 0)
				return err
			})
			within(t, "ReadFull", func() error {
				_, err := obj.(azurestore.ReadFuller).ReadFull(ctx)
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
		useEmulator(t, "http://"+l.Addr().String()+"/"+srv.Account, srv.Account, srv.Key)
		st := newStore(t, loc("abfss", c, "/sp"), savepoint.Options{Timeout: timeout}, azurestore.Settings{})
		for _, o := range ops(ctx, "/sp/_metadata") {
			within(t, o.name, func() error { return o.do(st) })
		}
	})
}
