// Package gcsstore reads savepoints from Google Cloud Storage. Importing it
// registers the scheme gs with package savepoint, Flink's name for GCS.
//
// The driver only ever reads objects, their metadata and bucket listings
// (objects.get, both media and metadata, and objects.list): it never
// writes, renames or deletes, and asks for a read-only OAuth scope.
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
//  3. Application Default Credentials: the key file named by
//     GOOGLE_APPLICATION_CREDENTIALS, the file "gcloud auth
//     application-default login" writes, or the metadata server (GCE, GKE
//     workload identity, Cloud Run).
//
// # Requests, retries and timeouts
//
// Open sends a single GET for the whole object (the media download) and
// reads only its headers, which give the size and the generation. An
// object of up to WholeObjectMax bytes (64 MiB by default) is read whole
// by its first ReadAt and served from memory afterwards, so Open plus
// reading a _metadata file costs exactly one GET. Larger objects are read
// with ranged GETs pinned to the generation seen at Open, reusing the
// first response for a sequential read from offset 0. The objects also
// implement ReadFull(ctx), the whole-object read savepoint.Open uses.
// Objects stored with Content-Encoding gzip are read as stored, not
// decompressed, so that their size holds.
//
// Failed requests and response bodies that break off are retried by the
// client library (3 attempts in all, exponential backoff with jitter).
// Every operation (Stat, one page of List, Open, one ReadAt) is bounded by
// savepoint.Options.Timeout, 30 s by default, so a server that stops
// answering gives an error, never a hang. ReadAt runs under the context
// given to Open. The library's client-side metrics export is turned off.
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
// # Why cloud.google.com/go/storage
//
// The driver uses Google's client library directly rather than
// gocloud.dev/blob/gcsblob, which is a layer over the same library: the
// layer would add a dependency tree of its own and hide what the driver
// needs to control (the generation of ranged reads, the read-only scope,
// page sizes, retries, the exact requests sent), for a portability that
// the savepoint.Store interface already gives.
package gcsstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/auth"
	"cloud.google.com/go/storage"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"

	"github.com/spcheck/spcheck/savepoint"
	"github.com/spcheck/spcheck/savepoint/internal/objread"
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
	DefaultTimeout        = 30 * time.Second
	DefaultPageSize       = 1000
	DefaultMaxAttempts    = 3
	DefaultWholeObjectMax = 64 << 20
	maxBackoff            = 5 * time.Second
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
// ReadFull returns the whole object; when nothing has been read yet it
// costs the GET that Open started and nothing more, and the caller owns
// the returned slice. It is savepoint.FullReader.
type ReadFuller = savepoint.FullReader

// Store is a bucket.
type Store struct {
	client     *storage.Client
	bucket     *storage.BucketHandle
	name       string // the bucket's
	endpoint   string // for messages: the custom endpoint, or "" for Google's
	credSource string // for messages: where the credentials came from
	timeout    time.Duration
	pageSize   int
	wholeMax   int64
}

var _ savepoint.Store = (*Store)(nil)

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
	s := &Store{
		name:     u.Host,
		timeout:  opts.Timeout,
		pageSize: set.PageSize,
		wholeMax: set.WholeObjectMax,
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.pageSize <= 0 || s.pageSize > DefaultPageSize {
		s.pageSize = DefaultPageSize
	}
	attempts := set.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	if s.wholeMax <= 0 {
		s.wholeMax = DefaultWholeObjectMax
	}

	fc, err := loadFlinkGCS(opts.FlinkConf)
	if err != nil {
		return nil, err
	}
	copts := []option.ClientOption{
		option.WithScopes(storage.ScopeReadOnly),
		storage.WithDisabledClientMetrics(),
	}
	emulator := os.Getenv("STORAGE_EMULATOR_HOST")
	if fc.endpoint != "" {
		copts = append(copts, option.WithEndpoint(fc.endpoint))
		s.endpoint = fc.endpoint
	} else if emulator != "" {
		s.endpoint = emulator
	}
	switch {
	case emulator != "":
		s.credSource = "none (STORAGE_EMULATOR_HOST is set: no authentication)"
	case fc.unauthenticated:
		copts = append(copts, option.WithoutAuthentication())
		s.credSource = "none (the Flink configuration " + fc.file + " asks for no authentication)"
	case fc.keyFile != "":
		copts = append(copts, option.WithAuthCredentialsFile(option.ServiceAccount, fc.keyFile))
		s.credSource = "the service account key file " + fc.keyFile + " (from the Flink configuration " + fc.file + ")"
	default:
		s.credSource = describeADC()
	}
	if s.endpoint != "" {
		if eu, err := url.Parse(s.endpoint); err == nil && eu.Host != "" {
			s.endpoint = savepoint.Redact(eu)
		}
	}

	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	client, err := storage.NewClient(cctx, copts...)
	if err != nil {
		return nil, fmt.Errorf("gcsstore: open bucket %s: cannot set up the client with credentials from %s: %v", loc, s.credSource, err)
	}
	client.SetRetry(
		storage.WithMaxAttempts(attempts),
		storage.WithBackoff(gax.Backoff{Initial: 100 * time.Millisecond, Max: maxBackoff, Multiplier: 2}),
	)
	s.client = client
	s.bucket = client.Bucket(s.name)
	if fc.userProject(s.name) != "" {
		s.bucket = s.bucket.UserProject(fc.userProject(s.name))
	}
	return s, nil
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

// key turns a store path into an object name.
func key(p string) string { return strings.TrimPrefix(p, "/") }

func (s *Store) loc(key string) string { return "gs://" + s.name + "/" + key }

func (s *Store) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// object returns the handle of an object, read as stored.
func (s *Store) object(k string) *storage.ObjectHandle {
	return s.bucket.Object(k).ReadCompressed(true)
}

// Error is the error the driver returns for a failed operation.
type Error struct {
	Op       string // "open", "read", "stat", "list"
	Location string // gs://bucket/key
	Msg      string // what went wrong, with a hint
	kind     error  // fs.ErrNotExist, fs.ErrPermission, context.DeadlineExceeded or nil
	err      error  // the underlying error, if any
}

func (e *Error) Error() string { return "gcsstore: " + e.Op + " " + e.Location + ": " + e.Msg }

// Unwrap returns the kind of failure (fs.ErrNotExist, fs.ErrPermission,
// context.DeadlineExceeded) and the library's error.
func (e *Error) Unwrap() []error {
	var errs []error
	for _, x := range []error{e.kind, e.err} {
		if x != nil {
			errs = append(errs, x)
		}
	}
	return errs
}

func (s *Store) at() string {
	if s.endpoint == "" {
		return ""
	}
	return " at " + s.endpoint
}

// errTimeout is the cause with which the driver cancels a request that
// took longer than the timeout.
var errTimeout = fmt.Errorf("gcsstore: operation timed out: %w", context.DeadlineExceeded)

// wrap turns a library error into an *Error. parent is the caller's
// context, to tell its cancellation from the driver's timeout.
func (s *Store) wrap(parent context.Context, op, key string, err error) error {
	e := &Error{Op: op, Location: s.loc(key), err: err}
	code := 0
	reason := ""
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		code = ge.Code
		if len(ge.Errors) > 0 {
			reason = ge.Errors[0].Reason
		}
		if reason == "" {
			reason = http.StatusText(code)
		}
	}
	var ae *auth.Error
	creds := "credentials from " + s.credSource
	switch {
	case parent.Err() != nil:
		e.Msg, e.kind = parent.Err().Error(), parent.Err()
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		e.Msg = fmt.Sprintf("timed out: no complete answer from the server%s within %v", s.at(), s.timeout)
		e.kind = context.DeadlineExceeded
	case errors.Is(err, storage.ErrBucketNotExist):
		e.Msg = fmt.Sprintf("bucket %q does not exist%s", s.name, s.at())
		e.kind = fs.ErrNotExist
	case errors.Is(err, storage.ErrObjectNotExist) || code == http.StatusNotFound:
		e.Msg, e.kind = "no such object", fs.ErrNotExist
	case errors.As(err, &ae):
		e.Msg = fmt.Sprintf("access denied: cannot get an access token with the %s: %v", creds, ae)
		e.kind = fs.ErrPermission
	case code == 0 && strings.Contains(err.Error(), "cannot fetch token"):
		e.Msg = fmt.Sprintf("cannot get an access token with the %s; set GOOGLE_APPLICATION_CREDENTIALS to a key file, "+
			"run gcloud auth application-default login, or set fs.gs.auth.service.account.json.keyfile in the Flink configuration: %v", creds, err)
		e.kind = fs.ErrPermission
	case code == http.StatusUnauthorized:
		e.Msg = fmt.Sprintf("access denied (401 %s): the server%s does not accept the %s", reason, s.at(), creds)
		e.kind = fs.ErrPermission
	case code == http.StatusForbidden:
		e.Msg = fmt.Sprintf("access denied (403 %s): check that the %s may read bucket %q (storage.objects.get, storage.objects.list; e.g. the role Storage Object Viewer)", reason, creds, s.name)
		e.kind = fs.ErrPermission
	case code == http.StatusPreconditionFailed:
		e.Msg = "the object changed while it was being read"
	case code != 0:
		e.Msg = fmt.Sprintf("the server%s answered %d %s", s.at(), code, reason)
		if ge.Message != "" {
			e.Msg += ": " + ge.Message
		}
	default:
		e.Msg = err.Error()
	}
	return e
}

func (s *Store) notExist(op, key, msg string) error {
	return &Error{Op: op, Location: s.loc(key), Msg: msg, kind: fs.ErrNotExist}
}

func isDirError(op, loc string) error {
	return &Error{Op: op, Location: loc, Msg: "is a directory"}
}

// hasChildren reports whether any object has a name starting with prefix.
func (s *Store) hasChildren(ctx context.Context, op, prefix string) (bool, error) {
	octx, cancel := s.opContext(ctx)
	defer cancel()
	q := &storage.Query{Prefix: prefix, Projection: storage.ProjectionNoACL}
	if err := q.SetAttrSelection([]string{"Name"}); err != nil {
		return false, err
	}
	var objs []*storage.ObjectAttrs
	_, err := iterator.NewPager(s.bucket.Objects(octx, q), 1, "").NextPage(&objs)
	if err != nil {
		return false, s.wrap(ctx, op, strings.TrimSuffix(prefix, "/"), err)
	}
	return len(objs) > 0, nil
}

// Open starts a GET of the object at path and returns once the response
// headers are in; see the package documentation.
func (s *Store) Open(ctx context.Context, p string) (savepoint.Object, error) {
	k := key(p)
	if k == "" || strings.HasSuffix(k, "/") {
		return nil, isDirError("open", s.loc(k))
	}
	// The response body outlives Open, so its request runs under a
	// context that only the timeout for the headers, Close and the reads'
	// timeouts cancel.
	rctx, cancel := context.WithCancelCause(ctx)
	timer := time.AfterFunc(s.timeout, func() { cancel(errTimeout) })
	r, err := s.object(k).NewReader(rctx)
	if !timer.Stop() && err == nil {
		r.Close()
		err = errTimeout
	}
	if err != nil {
		cancel(nil)
		werr := s.wrap(ctx, "open", k, err)
		if errors.Is(werr, fs.ErrNotExist) {
			dir, derr := s.hasChildren(ctx, "open", k+"/")
			switch {
			case derr == nil && dir:
				return nil, isDirError("open", s.loc(k))
			case derr != nil && (!errors.Is(derr, fs.ErrNotExist) || errors.Is(derr, storage.ErrBucketNotExist)):
				return nil, derr
			}
		}
		return nil, werr
	}
	size := r.Attrs.Size
	if size < 0 {
		r.Close()
		cancel(nil)
		return nil, &Error{Op: "open", Location: s.loc(k), Msg: "the server sent no object size"}
	}
	return objread.New(ctx, size, s.wholeMax,
		objread.Response{Body: r, Abort: func() { cancel(errTimeout) }, Release: func() { cancel(nil) }},
		&source{st: s, key: k, handle: s.object(k).Generation(r.Attrs.Generation)}), nil
}

// Stat describes the object at path (its metadata) or, failing that, the
// prefix path+"/" (a listing of one object). The bucket root is a
// directory when the bucket exists.
func (s *Store) Stat(ctx context.Context, p string) (savepoint.FileInfo, error) {
	k := strings.TrimSuffix(key(p), "/")
	name := path.Base("/" + k)
	if k == "" {
		if _, err := s.hasChildren(ctx, "stat", ""); err != nil {
			return savepoint.FileInfo{}, err
		}
		return savepoint.FileInfo{Name: name, Path: p, IsDir: true}, nil
	}
	octx, cancel := s.opContext(ctx)
	attrs, err := s.object(k).Attrs(octx)
	cancel()
	if err == nil {
		return savepoint.FileInfo{Name: name, Path: p, Size: attrs.Size, ModTime: attrs.Updated}, nil
	}
	werr := s.wrap(ctx, "stat", k, err)
	if !errors.Is(werr, fs.ErrNotExist) {
		return savepoint.FileInfo{}, werr
	}
	// A 404 for the object does not say whether the bucket is missing; the
	// listing does.
	dir, err := s.hasChildren(ctx, "stat", k+"/")
	if err != nil {
		return savepoint.FileInfo{}, err
	}
	if !dir {
		return savepoint.FileInfo{}, s.notExist("stat", k, "no such object or prefix")
	}
	return savepoint.FileInfo{Name: name, Path: p, IsDir: true}, nil
}

// List returns the objects and prefixes directly under path, sorted by
// name, reading every page of the listing (delimiter "/").
func (s *Store) List(ctx context.Context, p string) ([]savepoint.FileInfo, error) {
	k := strings.TrimSuffix(key(p), "/")
	prefix := ""
	if k != "" {
		prefix = k + "/"
	}
	dir := strings.TrimSuffix(p, "/")
	if dir == "" {
		dir = "/"
	}
	join := func(name string) string {
		if strings.HasSuffix(dir, "/") {
			return dir + name
		}
		return dir + "/" + name
	}
	q := &storage.Query{Prefix: prefix, Delimiter: "/", Projection: storage.ProjectionNoACL}
	if err := q.SetAttrSelection([]string{"Name", "Size", "Updated"}); err != nil {
		return nil, err
	}
	var out []savepoint.FileInfo
	seen := map[string]bool{} // prefixes, which may recur on later pages
	found := false
	token := ""
	for {
		octx, cancel := s.opContext(ctx)
		var page []*storage.ObjectAttrs
		next, err := iterator.NewPager(s.bucket.Objects(octx, q), s.pageSize, token).NextPage(&page)
		cancel()
		if err != nil {
			return nil, s.wrap(ctx, "list", prefix, err)
		}
		for _, o := range page {
			found = true
			if o.Prefix != "" {
				name := strings.TrimSuffix(strings.TrimPrefix(o.Prefix, prefix), "/")
				if name != "" && !seen[name] {
					seen[name] = true
					out = append(out, savepoint.FileInfo{Name: name, Path: join(name), IsDir: true})
				}
				continue
			}
			name := strings.TrimPrefix(o.Name, prefix)
			if name == "" { // a folder placeholder
				continue
			}
			out = append(out, savepoint.FileInfo{Name: name, Path: join(name), Size: o.Size, ModTime: o.Updated})
		}
		if next == "" {
			break
		}
		token = next
	}
	if !found && k != "" {
		return nil, s.notExist("list", prefix, "no objects under this prefix")
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Close closes the client.
func (s *Store) Close() error { return s.client.Close() }

// source gives the shared object reader (objread) what it needs of GCS:
// ranged reads of the object generation seen at Open, and the driver's
// errors.
type source struct {
	st     *Store
	key    string
	handle *storage.ObjectHandle // pinned to the generation seen at Open
}

var _ ReadFuller = (*objread.Object)(nil)

func (r *source) OpContext(parent context.Context) (context.Context, context.CancelFunc) {
	return r.st.opContext(parent)
}

func (r *source) BodyError(parent, _ context.Context, err error) error {
	return r.st.wrap(parent, "read", r.key, err)
}

func (r *source) Error(op, msg string, kind error) error {
	return &Error{Op: op, Location: r.st.loc(r.key), Msg: msg, kind: kind}
}

// ReadRange reads len(p) bytes from off with a ranged GET of the object's
// generation seen at Open.
func (r *source) ReadRange(parent, ctx context.Context, p []byte, off int64) (int, error) {
	rd, err := r.handle.NewRangeReader(ctx, off, int64(len(p)))
	if err != nil {
		return 0, r.st.wrap(parent, "read", r.key, err)
	}
	defer rd.Close()
	n, err := io.ReadFull(rd, p)
	if err != nil {
		return n, r.st.wrap(parent, "read", r.key, err)
	}
	return n, nil
}
