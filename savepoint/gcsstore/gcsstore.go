// Package gcsstore reads savepoints from Google Cloud Storage. Importing it
// registers the scheme gs with package savepoint, Flink's name for GCS.
//
// The driver speaks the JSON API of Cloud Storage over net/http and only
// ever reads objects, their metadata and bucket listings (objects.get,
// both media and metadata, and objects.list): it never writes, renames or
// deletes, and asks for a read-only OAuth scope. It is a driver of the
// portable layer savepoint/objstore, which implements directories,
// errors, timeouts and reads for every object store.
//
// # URLs
//
// gs://bucket/key/path: the host is the bucket and the path, leading slash
// included, is the store path of the key ("/key/path"). A "directory" is a
// key prefix ending in "/" with at least one object under it (a folder
// placeholder object "dir/" counts). Credentials in the URL and query
// parameters are rejected.
//
// # Configuration
//
// Settings come from, in order of precedence:
//
//  1. The Flink configuration named by savepoint.Options.FlinkConf, or else
//     $FLINK_CONF_DIR (see savepoint.LoadFlinkConf), with the keys of the
//     GCS connector that Flink's gs file system is built on (each also
//     accepted with the prefix "gs." instead of "fs.gs."):
//     fs.gs.storage.root.url (the endpoint, e.g. https://storage.googleapis.com/)
//     and fs.gs.storage.service.path (default storage/v1/);
//     fs.gs.auth.type (APPLICATION_DEFAULT, COMPUTE_ENGINE,
//     SERVICE_ACCOUNT_JSON_KEYFILE or UNAUTHENTICATED);
//     fs.gs.auth.service.account.json.keyfile (or the connector 1.x name
//     google.cloud.auth.service.account.json.keyfile), a service account
//     key file, which implies SERVICE_ACCOUNT_JSON_KEYFILE;
//     fs.gs.auth.null.enable (true: unauthenticated, for public buckets);
//     fs.gs.project.id, and fs.gs.requester.pays.mode (ENABLED, or CUSTOM
//     with fs.gs.requester.pays.buckets) with
//     fs.gs.requester.pays.project.id, for requester-pays buckets.
//  2. STORAGE_EMULATOR_HOST (host:port or a URL): an emulator such as
//     fake-gcs-server, spoken to without authentication. A Flink endpoint
//     wins over it, but authentication stays off.
//  3. Application Default Credentials (golang.org/x/oauth2/google): the
//     key file named by GOOGLE_APPLICATION_CREDENTIALS, the file "gcloud
//     auth application-default login" writes, or the metadata server (GCE,
//     GKE workload identity, Cloud Run).
//
// # Requests, retries and timeouts
//
// Open sends a single GET for the whole object (alt=media) and reads only
// its headers, which give the size and the generation; objstore reads a
// _metadata file from that one response. Ranged reads are pinned to the
// generation seen at Open. Objects stored with Content-Encoding gzip are
// read as stored (Accept-Encoding: gzip), not decompressed, so that their
// size holds.
//
// A request that fails with a network error, 429 or 5xx is retried (3
// attempts in all, exponential backoff with jitter); a body that breaks off
// is resumed by objstore with a ranged GET. Every operation is bounded by
// savepoint.Options.Timeout, 30 s by default.
//
// # Errors
//
// A missing bucket, object or prefix gives an error satisfying
// errors.Is(err, fs.ErrNotExist); a refusal (HTTP 401 or 403, or no token
// to be had for the credentials) satisfies errors.Is(err, fs.ErrPermission)
// and says where the credentials came from; a timeout satisfies
// errors.Is(err, context.DeadlineExceeded). Messages never hold keys or
// tokens.
//
// # Why not cloud.google.com/go/storage
//
// Google's client library brings gRPC, OpenTelemetry and the envoy xDS
// packages, about 40 MB of the binary, for the three GET requests this
// driver sends. The JSON API is small and stable; credentials come from
// golang.org/x/oauth2/google, which implements Application Default
// Credentials, service account key files and the metadata server.
package gcsstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/spcheck/spcheck/savepoint"
	"github.com/spcheck/spcheck/savepoint/objstore"
)

// Scheme is the URL scheme the driver registers.
const Scheme = "gs"

func init() {
	savepoint.Register(Scheme, func(ctx context.Context, u *url.URL, opts savepoint.Options) (savepoint.Store, error) {
		return New(ctx, u, opts, Settings{})
	})
}

// Defaults.
const (
	DefaultTimeout        = objstore.DefaultTimeout
	DefaultPageSize       = objstore.DefaultPageSize
	DefaultMaxAttempts    = objstore.DefaultMaxAttempts
	DefaultWholeObjectMax = objstore.DefaultWholeObjectMax
	maxBackoff            = 5 * time.Second
	// ScopeReadOnly is the OAuth scope asked for.
	ScopeReadOnly = "https://www.googleapis.com/auth/devstorage.read_only"
	defaultAPI    = "https://storage.googleapis.com/storage/v1/"
)

// Settings are driver settings that savepoint.Options does not carry. The
// zero value means the defaults; the registered scheme uses it.
type Settings struct {
	// PageSize is the number of objects asked for per listing request (at
	// most 1000).
	PageSize int
	// MaxAttempts bounds the attempts of each request, the first included.
	MaxAttempts int
	// WholeObjectMax is the size up to which an object is read whole by
	// its first read.
	WholeObjectMax int64
}

// ReadFuller is implemented by the Objects the driver's Open returns.
type ReadFuller = savepoint.FullReader

// Store is a bucket: the portable objstore.Store over this package's
// driver.
type Store = objstore.Store

// Error is the error the store returns for a failed operation.
type Error = objstore.Error

// New connects to the bucket that u (gs://bucket/…) names, configured as
// the package documentation describes. It looks for credentials (so that
// missing ones are reported at once) but sends no request to the bucket.
func New(ctx context.Context, u *url.URL, opts savepoint.Options, set Settings) (*Store, error) {
	loc := savepoint.Redact(u)
	if u.User != nil {
		return nil, fmt.Errorf("gcsstore: open bucket %s: credentials in the location are not supported; use Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS) or the Flink configuration", loc)
	}
	if u.RawQuery != "" {
		for k := range u.Query() {
			return nil, fmt.Errorf("gcsstore: open bucket %s: invalid query parameter %q", loc, k)
		}
	}
	if u.Host == "" {
		return nil, fmt.Errorf("gcsstore: location %s names no bucket; want gs://bucket/path", loc)
	}
	if u.Port() != "" {
		return nil, fmt.Errorf("gcsstore: location %s: bucket %q has a port; give an emulator's address in STORAGE_EMULATOR_HOST or the endpoint in the Flink configuration (fs.gs.storage.root.url)", loc, u.Host)
	}
	cfg := objstore.Config{
		Name:           "gcsstore",
		Timeout:        opts.Timeout,
		PageSize:       min(set.PageSize, DefaultPageSize),
		MaxAttempts:    set.MaxAttempts,
		WholeObjectMax: set.WholeObjectMax,
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	d := &driver{bucket: u.Host, api: defaultAPI, attempts: set.MaxAttempts, client: newHTTPClient()}
	if d.attempts <= 0 {
		d.attempts = DefaultMaxAttempts
	}

	fc, err := loadFlinkGCS(opts.FlinkConf)
	if err != nil {
		return nil, err
	}
	d.userProject = fc.userProject(d.bucket)
	emulator := os.Getenv("STORAGE_EMULATOR_HOST")
	switch {
	case fc.endpoint != "":
		d.api, d.endpoint = fc.endpoint, fc.endpoint
	case emulator != "":
		e := emulator
		if !strings.Contains(e, "://") {
			e = "http://" + e
		}
		d.api = strings.TrimSuffix(e, "/") + "/storage/v1/"
		d.endpoint = emulator
	}
	if _, err := url.Parse(d.api); err != nil {
		return nil, fmt.Errorf("gcsstore: open bucket %s: bad endpoint: %v", loc, err)
	}
	switch {
	case emulator != "":
		d.credSource = "none (STORAGE_EMULATOR_HOST is set: no authentication)"
	case fc.unauthenticated:
		d.credSource = "none (the Flink configuration " + fc.file + " asks for no authentication)"
	case fc.keyFile != "":
		d.credSource = "the service account key file " + fc.keyFile + " (from the Flink configuration " + fc.file + ")"
		b, err := os.ReadFile(fc.keyFile)
		if err != nil {
			return nil, fmt.Errorf("gcsstore: open bucket %s: cannot read %s: %v", loc, d.credSource, plainErr(err))
		}
		creds, err := google.CredentialsFromJSONWithTypeAndParams(context.Background(), b, google.ServiceAccount,
			google.CredentialsParams{Scopes: []string{ScopeReadOnly}})
		if err != nil {
			return nil, fmt.Errorf("gcsstore: open bucket %s: %s is not a service account key file", loc, d.credSource)
		}
		d.tokens = creds.TokenSource
	default:
		d.credSource = describeADC()
		// The token source outlives New: its own requests are bounded by
		// the operations that ask for a token (see token).
		creds, err := google.FindDefaultCredentials(context.Background(), ScopeReadOnly)
		if err != nil {
			return nil, fmt.Errorf("gcsstore: open bucket %s: cannot find Application Default Credentials (%s); set GOOGLE_APPLICATION_CREDENTIALS to a key file, "+
				"run gcloud auth application-default login, or set fs.gs.auth.service.account.json.keyfile in the Flink configuration", loc, d.credSource)
		}
		d.tokens = creds.TokenSource
	}
	if d.endpoint != "" {
		if eu, err := url.Parse(d.endpoint); err == nil && eu.Host != "" {
			d.endpoint = savepoint.Redact(eu)
		}
		cfg.Server = "the server at " + d.endpoint
	}
	if d.tokens != nil {
		d.tokens = oauth2.ReuseTokenSource(nil, d.tokens)
	}
	return objstore.New(d, cfg), nil
}

// plainErr drops the operation and path of an *os.PathError.
func plainErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// newHTTPClient returns a client with its own transport: no proxy
// surprises beyond the environment's, and connections reused across the
// store's requests.
func newHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return &http.Client{Transport: t}
}

// describeADC says where Application Default Credentials will come from.
func describeADC() string {
	if f := os.Getenv("GOOGLE_APPLICATION_CREDENTIALS"); f != "" {
		return "the key file in GOOGLE_APPLICATION_CREDENTIALS (" + f + ")"
	}
	dir := os.Getenv("CLOUDSDK_CONFIG")
	if dir == "" {
		if home, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(home, ".config", "gcloud")
		}
	}
	if dir != "" {
		f := filepath.Join(dir, "application_default_credentials.json")
		if _, err := os.Stat(f); err == nil {
			return "gcloud's application default credentials (" + f + ")"
		}
	}
	return "the metadata server (Application Default Credentials: neither GOOGLE_APPLICATION_CREDENTIALS nor gcloud's application_default_credentials.json is there)"
}

// flinkGCS are the GCS settings of a Flink configuration.
type flinkGCS struct {
	file            string // for messages
	endpoint        string // JSON API base URL, e.g. https://storage.googleapis.com/storage/v1/
	keyFile         string
	unauthenticated bool
	payMode         string // requester pays: "", ENABLED, CUSTOM
	payProject      string
	payBuckets      []string
}

func (f flinkGCS) userProject(bucket string) string {
	switch f.payMode {
	case "ENABLED":
		return f.payProject
	case "CUSTOM":
		for _, b := range f.payBuckets {
			if b == bucket {
				return f.payProject
			}
		}
	}
	return ""
}

// gcsKeys returns the names under which Flink's configuration may hold the
// connector setting fs.gs.<name>.
func gcsKeys(name string) []string { return []string{"fs.gs." + name, "gs." + name} }

func lookup(conf map[string]string, keys ...string) (key, val string) {
	for _, k := range keys {
		if v := strings.TrimSpace(conf[k]); v != "" {
			return k, v
		}
	}
	return "", ""
}

func loadFlinkGCS(path string) (flinkGCS, error) {
	var f flinkGCS
	conf, err := savepoint.LoadFlinkConf(path)
	if err != nil {
		return f, err
	}
	if len(conf) == 0 {
		return f, nil
	}
	f.file = path
	if f.file == "" {
		f.file = "$FLINK_CONF_DIR"
	}
	bad := func(k, want string) error {
		return fmt.Errorf("gcsstore: Flink configuration %s: %s has a value that is not %s", f.file, k, want)
	}
	if k, root := lookup(conf, gcsKeys("storage.root.url")...); k != "" {
		ru, err := url.Parse(root)
		if err != nil || ru.Host == "" || (ru.Scheme != "http" && ru.Scheme != "https") {
			return f, bad(k, "an http(s) URL")
		}
		_, sp := lookup(conf, gcsKeys("storage.service.path")...)
		if sp == "" {
			sp = "storage/v1/"
		}
		f.endpoint = strings.TrimSuffix(root, "/") + "/" + strings.Trim(sp, "/") + "/"
	}
	_, f.keyFile = lookup(conf, append(gcsKeys("auth.service.account.json.keyfile"), "google.cloud.auth.service.account.json.keyfile")...)
	if k, v := lookup(conf, gcsKeys("auth.null.enable")...); k != "" {
		b, err := strconv.ParseBool(strings.ToLower(v))
		if err != nil {
			return f, bad(k, "true or false")
		}
		f.unauthenticated = b
	}
	if k, typ := lookup(conf, gcsKeys("auth.type")...); k != "" {
		switch strings.ToUpper(typ) {
		case "APPLICATION_DEFAULT", "COMPUTE_ENGINE":
			f.keyFile, f.unauthenticated = "", false
		case "SERVICE_ACCOUNT_JSON_KEYFILE":
			if f.keyFile == "" {
				return f, fmt.Errorf("gcsstore: Flink configuration %s: %s is SERVICE_ACCOUNT_JSON_KEYFILE but fs.gs.auth.service.account.json.keyfile is not set", f.file, k)
			}
		case "UNAUTHENTICATED":
			f.keyFile, f.unauthenticated = "", true
		default:
			return f, fmt.Errorf("gcsstore: Flink configuration %s: %s is %q, which this tool does not support; "+
				"use APPLICATION_DEFAULT (with GOOGLE_APPLICATION_CREDENTIALS), SERVICE_ACCOUNT_JSON_KEYFILE or UNAUTHENTICATED", f.file, k, typ)
		}
	}
	if k, mode := lookup(conf, gcsKeys("requester.pays.mode")...); k != "" {
		switch m := strings.ToUpper(mode); m {
		case "DISABLED", "AUTO":
			// AUTO would need a bucket metadata request, which readers
			// rarely may send; name the project with ENABLED instead.
		case "ENABLED", "CUSTOM":
			f.payMode = m
			_, f.payProject = lookup(conf, gcsKeys("requester.pays.project.id")...)
			if f.payProject == "" {
				_, f.payProject = lookup(conf, gcsKeys("project.id")...)
			}
			if f.payProject == "" {
				return f, fmt.Errorf("gcsstore: Flink configuration %s: %s is %s but neither fs.gs.requester.pays.project.id nor fs.gs.project.id is set", f.file, k, m)
			}
			_, bl := lookup(conf, gcsKeys("requester.pays.buckets")...)
			for _, b := range strings.Split(strings.Trim(bl, "[]"), ",") {
				if b = strings.TrimSpace(b); b != "" {
					f.payBuckets = append(f.payBuckets, b)
				}
			}
		default:
			return f, bad(k, "DISABLED, ENABLED, AUTO or CUSTOM")
		}
	}
	return f, nil
}

// driver speaks the JSON API of one bucket.
type driver struct {
	bucket      string
	api         string // the JSON API base URL, ending in "/"
	endpoint    string // for messages: the custom endpoint, or "" for Google's
	credSource  string // for messages: where the credentials came from
	userProject string // requester pays
	tokens      oauth2.TokenSource
	client      *http.Client
	attempts    int
}

func (d *driver) Location(key string) string { return "gs://" + d.bucket + "/" + key }

func (d *driver) Close() error {
	d.client.CloseIdleConnections()
	return nil
}

func (d *driver) at() string {
	if d.endpoint == "" {
		return ""
	}
	return " at " + d.endpoint
}

// objectURL is the URL of an object's resource, with query q.
func (d *driver) objectURL(key string, q url.Values) string {
	return d.api + "b/" + url.PathEscape(d.bucket) + "/o/" + url.PathEscape(key) + d.query(q)
}

func (d *driver) query(q url.Values) string {
	if d.userProject != "" {
		q.Set("userProject", d.userProject)
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// tokenError is the failure to get an access token.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return "cannot get an access token: " + e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

// token returns an access token, bounded by ctx (the oauth2 token sources
// take no context).
func (d *driver) token(ctx context.Context) (string, error) {
	type result struct {
		t   *oauth2.Token
		err error
	}
	ch := make(chan result, 1)
	go func() {
		t, err := d.tokens.Token()
		ch <- result{t, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return "", &tokenError{r.err}
		}
		return r.t.AccessToken, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// apiError is an error answer of the JSON API.
type apiError struct {
	noBucket bool
	Code     int
	Reason   string
	Message  string
}

func (e *apiError) Error() string {
	s := fmt.Sprintf("%d %s", e.Code, e.Reason)
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

func readAPIError(resp *http.Response) error {
	e := &apiError{Code: resp.StatusCode}
	var body struct {
		Error struct {
			Message string `json:"message"`
			Errors  []struct {
				Reason string `json:"reason"`
			} `json:"errors"`
		} `json:"error"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, &body) == nil {
		e.Message = body.Error.Message
		if len(body.Error.Errors) > 0 {
			e.Reason = body.Error.Errors[0].Reason
		}
	}
	if len(e.Message) > 300 {
		e.Message = e.Message[:300] + "…"
	}
	if e.Reason == "" {
		e.Reason = http.StatusText(e.Code)
	}
	return e
}

func retryable(err error, status int) bool {
	if status == http.StatusTooManyRequests || status >= 500 {
		return true
	}
	var ne net.Error
	return err != nil && (errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF))
}

// get sends a GET with the driver's headers and retries, and returns a
// response with a 2xx status; other statuses become *apiError.
func (d *driver) get(ctx context.Context, u string, hdr http.Header) (*http.Response, error) {
	var lastErr error
	for attempt := 0; attempt < d.attempts; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(backoff(attempt))
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			case <-t.C:
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		for k, v := range hdr {
			req.Header[k] = v
		}
		if d.tokens != nil {
			tok, err := d.token(ctx)
			if err != nil {
				return nil, err
			}
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := d.client.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			lastErr = err
			if retryable(err, 0) {
				continue
			}
			return nil, err
		}
		if resp.StatusCode/100 == 2 {
			return resp, nil
		}
		lastErr = readAPIError(resp)
		resp.Body.Close()
		if !retryable(nil, resp.StatusCode) {
			return nil, lastErr
		}
	}
	return nil, lastErr
}

// backoff is the pause before the attempt-th retry (from 1): 100 ms
// doubling up to maxBackoff, with jitter.
func backoff(attempt int) time.Duration {
	d := min(100*time.Millisecond<<min(attempt-1, 6), maxBackoff)
	return d/2 + rand.N(d/2)
}

// objectResource is the part of an object resource the driver reads.
type objectResource struct {
	Name       string `json:"name"`
	Size       string `json:"size"`
	Updated    string `json:"updated"`
	Generation string `json:"generation"`
}

func (o *objectResource) entry() objstore.Entry {
	size, _ := strconv.ParseInt(o.Size, 10, 64)
	mt, _ := time.Parse(time.RFC3339Nano, o.Updated)
	return objstore.Entry{Key: o.Name, Size: size, ModTime: mt}
}

func decodeJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(v); err != nil {
		return fmt.Errorf("the server's answer is not the JSON expected: %w", err)
	}
	return nil
}

func (d *driver) Attributes(ctx context.Context, key string) (objstore.Attributes, error) {
	resp, err := d.get(ctx, d.objectURL(key, url.Values{"fields": {"name,size,updated,generation"}}), nil)
	if err != nil {
		return objstore.Attributes{}, err
	}
	var o objectResource
	if err := decodeJSON(resp, &o); err != nil {
		return objstore.Attributes{}, err
	}
	e := o.entry()
	return objstore.Attributes{Size: e.Size, ModTime: e.ModTime, Version: o.Generation}, nil
}

func (d *driver) ListPage(ctx context.Context, prefix, delimiter string, pageSize int, token string) (*objstore.Page, error) {
	q := url.Values{
		"prefix":     {prefix},
		"maxResults": {strconv.Itoa(pageSize)},
		"projection": {"noAcl"},
		"fields":     {"items(name,size,updated),prefixes,nextPageToken"},
	}
	if delimiter != "" {
		q.Set("delimiter", delimiter)
	}
	if token != "" {
		q.Set("pageToken", token)
	}
	resp, err := d.get(ctx, d.api+"b/"+url.PathEscape(d.bucket)+"/o"+d.query(q), nil)
	var ae *apiError
	if errors.As(err, &ae) && ae.Code == http.StatusNotFound {
		// Listing a bucket that exists never answers 404.
		ae.noBucket = true
	}
	if err != nil {
		return nil, err
	}
	var body struct {
		Items         []objectResource `json:"items"`
		Prefixes      []string         `json:"prefixes"`
		NextPageToken string           `json:"nextPageToken"`
	}
	if err := decodeJSON(resp, &body); err != nil {
		return nil, err
	}
	pg := &objstore.Page{Prefixes: body.Prefixes, Next: body.NextPageToken}
	for i := range body.Items {
		pg.Objects = append(pg.Objects, body.Items[i].entry())
	}
	return pg, nil
}

// reader is a media download.
type reader struct {
	io.ReadCloser
	attrs objstore.Attributes
}

func (r *reader) Attributes() objstore.Attributes { return r.attrs }

func (d *driver) NewRangeReader(ctx context.Context, key string, off, length int64, version string) (objstore.Reader, error) {
	q := url.Values{"alt": {"media"}}
	if version != "" {
		q.Set("generation", version)
	}
	hdr := http.Header{}
	// Read objects as stored: with Accept-Encoding set here, net/http
	// does not decompress, and the server does not transcode.
	hdr.Set("Accept-Encoding", "gzip")
	if rng := objstore.RangeHeader(off, length); rng != "" {
		hdr.Set("Range", rng)
	}
	resp, err := d.get(ctx, d.objectURL(key, q), hdr)
	if err != nil {
		return nil, err
	}
	a := objstore.Attributes{Size: -1, Version: resp.Header.Get("X-Goog-Generation")}
	if t, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		a.ModTime = t
	}
	cr, whole := "", resp.ContentLength
	if resp.StatusCode == http.StatusPartialContent {
		if cr = resp.Header.Get("Content-Range"); cr == "" {
			cr = "(none)" // a 206 must say which range it holds
		}
	} else if s := resp.Header.Get("X-Goog-Stored-Content-Length"); s != "" {
		// The whole object as stored (also for a range from 0 over a
		// small object, which a server may answer with 200).
		whole, _ = strconv.ParseInt(s, 10, 64)
	}
	size, body, err := objstore.RangeBody(off, length, cr, whole, resp.Body)
	if err != nil {
		return nil, err
	}
	a.Size = size
	return &reader{ReadCloser: body, attrs: a}, nil
}

// Describe words the driver's errors.
func (d *driver) Describe(op string, err error) (objstore.Kind, string) {
	creds := "credentials from " + d.credSource
	var ae *apiError
	var te *tokenError
	switch {
	case errors.As(err, &te):
		return objstore.KindPermission, fmt.Sprintf("access denied: cannot get an access token with the %s; set GOOGLE_APPLICATION_CREDENTIALS to a key file, "+
			"run gcloud auth application-default login, or set fs.gs.auth.service.account.json.keyfile in the Flink configuration: %v", creds, redactToken(te.err))
	case errors.As(err, &ae):
		switch {
		case ae.noBucket || ae.Code == http.StatusNotFound && strings.Contains(strings.ToLower(ae.Message), "bucket"):
			return objstore.KindNoBucket, fmt.Sprintf("bucket %q does not exist%s", d.bucket, d.at())
		case ae.Code == http.StatusNotFound:
			return objstore.KindNotFound, "no such object"
		case ae.Code == http.StatusUnauthorized:
			return objstore.KindPermission, fmt.Sprintf("access denied (401 %s): the server%s does not accept the %s", ae.Reason, d.at(), creds)
		case ae.Code == http.StatusForbidden:
			return objstore.KindPermission, fmt.Sprintf("access denied (403 %s): check that the %s may read bucket %q (storage.objects.get, storage.objects.list; e.g. the role Storage Object Viewer)", ae.Reason, creds, d.bucket)
		case ae.Code == http.StatusPreconditionFailed:
			return objstore.KindChanged, "the object changed while it was being read"
		case ae.Code == http.StatusRequestedRangeNotSatisfiable:
			return objstore.KindRange, "the range starts past the end of the object"
		}
		return objstore.KindOther, fmt.Sprintf("the server%s answered %v", d.at(), ae)
	}
	return objstore.KindOther, err.Error()
}

// redactToken keeps an OAuth error's words but not the server's raw
// response, which may echo what was sent.
func redactToken(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		s := re.ErrorCode
		if re.ErrorDescription != "" {
			s += ": " + re.ErrorDescription
		}
		if s == "" && re.Response != nil {
			s = re.Response.Status
		}
		return "the token endpoint refused: " + s
	}
	return err.Error()
}
