package objstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/spcheck/spcheck/savepoint"
)

// Defaults of Config.
const (
	DefaultTimeout        = 30 * time.Second
	DefaultPageSize       = 1000
	DefaultMaxAttempts    = 3
	DefaultWholeObjectMax = 64 << 20
	// DefaultMaxPages and DefaultMaxEntries bound one listing: a
	// directory of a savepoint holds at most a few hundred thousand files.
	DefaultMaxPages   = 10_000
	DefaultMaxEntries = 1_000_000
)

// Config configures the portable Store.
type Config struct {
	// Name prefixes every error message: the driver package, "s3store".
	Name string
	// Server names the server in timeout messages, e.g. "the server at
	// http://127.0.0.1:9000"; empty: "the server".
	Server string
	// Timeout bounds each remote call (Stat, one page of List, Open up to
	// the response headers, one ReadAt).
	Timeout time.Duration
	// PageSize is the number of entries asked for per listing request;
	// the driver's New caps it at what its store allows.
	PageSize int
	// MaxPages and MaxEntries bound one List; past them List fails.
	MaxPages, MaxEntries int
	// MaxAttempts bounds the requests spent on one read whose body breaks
	// off, the first included.
	MaxAttempts int
	// WholeObjectMax is the size up to which an object opened with Open
	// is read whole by its first read.
	WholeObjectMax int64
}

func (c *Config) fill() {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.PageSize <= 0 {
		c.PageSize = DefaultPageSize
	}
	if c.MaxPages <= 0 {
		c.MaxPages = DefaultMaxPages
	}
	if c.MaxEntries <= 0 {
		c.MaxEntries = DefaultMaxEntries
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.WholeObjectMax <= 0 {
		c.WholeObjectMax = DefaultWholeObjectMax
	}
	if c.Server == "" {
		c.Server = "the server"
	}
}

// Store implements savepoint.Store over a Driver. Store paths are keys
// with a leading slash.
type Store struct {
	d   Driver
	cfg Config
}

var (
	_ savepoint.Store        = (*Store)(nil)
	_ savepoint.RangeOpener  = (*Store)(nil)
	_ savepoint.ObjectLister = (*Store)(nil)
)

// ListsObjects says that a listing tells what a Stat of each object would
// (savepoint.ObjectLister): an object store has no links and no special
// files.
func (s *Store) ListsObjects() {}

// New returns the portable Store over d.
func New(d Driver, cfg Config) *Store {
	cfg.fill()
	return &Store{d: d, cfg: cfg}
}

// Driver returns the store's driver.
func (s *Store) Driver() Driver { return s.d }

// Config returns the store's configuration, defaults filled in.
func (s *Store) Config() Config { return s.cfg }

// Error is the error the portable Store returns for a failed operation.
type Error struct {
	Driver   string // the driver package, "s3store"
	Op       string // "open", "read", "stat", "list"
	Location string // scheme://bucket/key
	Msg      string // what went wrong, with a hint
	kind     error  // fs.ErrNotExist, fs.ErrPermission, fs.ErrInvalid, context.DeadlineExceeded or nil
	err      error  // the driver's error, if any
}

func (e *Error) Error() string { return e.Driver + ": " + e.Op + " " + e.Location + ": " + e.Msg }

// Unwrap returns the kind of failure (fs.ErrNotExist, fs.ErrPermission,
// fs.ErrInvalid, context.DeadlineExceeded) and the driver's error.
func (e *Error) Unwrap() []error {
	var errs []error
	for _, x := range []error{e.kind, e.err} {
		if x != nil {
			errs = append(errs, x)
		}
	}
	return errs
}

// Kind returns the driver's classification of the failure.
func (e *Error) Kind() error { return e.kind }

// ErrNoBucket is in the chain of the error for a missing bucket, container
// or account.
var ErrNoBucket = errors.New("bucket not found")

// errTimeout is the cause with which a request is cancelled when it takes
// longer than the timeout.
var errTimeout = fmt.Errorf("operation timed out: %w", context.DeadlineExceeded)

func (s *Store) newError(op, key, msg string, kind error) *Error {
	return &Error{Driver: s.cfg.Name, Op: op, Location: s.d.Location(key), Msg: msg, kind: kind}
}

// wrap turns a driver error into an *Error. parent is the caller's
// context, to tell its cancellation from the store's timeout.
func (s *Store) wrap(parent context.Context, op, key string, err error) error {
	var e0 *Error
	if errors.As(err, &e0) {
		return err
	}
	e := &Error{Driver: s.cfg.Name, Op: op, Location: s.d.Location(key), err: err}
	switch {
	case parent.Err() != nil:
		e.Msg, e.kind = parent.Err().Error(), parent.Err()
		return e
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		e.Msg = fmt.Sprintf("timed out: no complete answer from %s within %v", s.cfg.Server, s.cfg.Timeout)
		e.kind = context.DeadlineExceeded
		return e
	}
	k, msg := s.d.Describe(op, err)
	e.Msg = msg
	switch k {
	case KindNotFound:
		e.kind = fs.ErrNotExist
	case KindNoBucket:
		e.kind = fs.ErrNotExist
		e.err = errors.Join(ErrNoBucket, err)
	case KindPermission:
		e.kind = fs.ErrPermission
	case KindChanged:
		if msg == "" {
			e.Msg = "the object changed while it was being read"
		}
	}
	if e.Msg == "" {
		e.Msg = err.Error()
	}
	return e
}

func (s *Store) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.cfg.Timeout)
}

// key turns a store path into an object key. Keys with a "." or ".."
// segment are refused: they would name another object than the path
// says (or, on stores that normalise keys, escape the savepoint), so they
// are never sent.
func (s *Store) key(op, p string) (string, error) {
	k := strings.TrimPrefix(p, "/")
	t := strings.TrimSuffix(k, "/")
	if t == "" {
		return k, nil
	}
	for _, seg := range strings.Split(t, "/") {
		if seg == "." || seg == ".." {
			return "", &Error{Driver: s.cfg.Name, Op: op, Location: s.d.Location(k),
				Msg:  fmt.Sprintf("the key has a %q segment; refused, not sent", seg),
				kind: fs.ErrInvalid}
		}
	}
	return k, nil
}

// hasChildren reports whether any object has a key starting with prefix.
func (s *Store) hasChildren(ctx context.Context, op, prefix string) (bool, error) {
	octx, cancel := s.opContext(ctx)
	defer cancel()
	pg, err := s.d.ListPage(octx, prefix, "", 1, "")
	if err != nil {
		return false, s.wrap(ctx, op, strings.TrimSuffix(prefix, "/"), err)
	}
	return len(pg.Objects) > 0 || len(pg.Prefixes) > 0, nil
}

func isNotFound(err error) bool      { return errors.Is(err, fs.ErrNotExist) }
func isBucketMissing(err error) bool { return errors.Is(err, ErrNoBucket) }

func (s *Store) isDirError(op, key string) error {
	return s.newError(op, key, "is a directory", nil)
}

// dirOr turns a not-found error for key into "is a directory" when objects
// lie under key+"/".
func (s *Store) dirOr(ctx context.Context, op, key string, werr error) error {
	if !isNotFound(werr) || isBucketMissing(werr) {
		return werr
	}
	dir, derr := s.hasChildren(ctx, op, key+"/")
	switch {
	case derr == nil && dir:
		return s.isDirError(op, key)
	case derr != nil && (!isNotFound(derr) || isBucketMissing(derr)):
		return derr
	}
	return werr
}

// Open starts a GET of the whole object at path and returns once the
// response headers are in. Its first read of an object of up to
// WholeObjectMax bytes reads it whole, so Open plus reading a _metadata
// file costs one GET.
func (s *Store) Open(ctx context.Context, p string) (savepoint.Object, error) {
	return s.open(ctx, p, 0, -1)
}

// OpenRange is Open for a caller that will read only the n bytes at off
// (a state file's header): the GET asks for that range only, so the
// server sends no more. Reads elsewhere cost ranged GETs of their own.
func (s *Store) OpenRange(ctx context.Context, p string, off, n int64) (savepoint.Object, error) {
	if off < 0 || n < 0 {
		return nil, s.newError("open", strings.TrimPrefix(p, "/"), "negative range", fs.ErrInvalid)
	}
	return s.open(ctx, p, off, n)
}

func (s *Store) open(ctx context.Context, p string, off, n int64) (savepoint.Object, error) {
	k, err := s.key("open", p)
	if err != nil {
		return nil, err
	}
	if k == "" || strings.HasSuffix(k, "/") {
		return nil, s.isDirError("open", k)
	}
	if n == 0 {
		// Nothing to read: the attributes tell existence and size.
		return s.openAttrs(ctx, k)
	}
	// The body outlives Open, so its request runs under a context that
	// only the timeout for the headers, Close and the reads' timeouts
	// cancel.
	rctx, cancel := context.WithCancelCause(ctx)
	timer := time.AfterFunc(s.cfg.Timeout, func() { cancel(errTimeout) })
	r, err := s.d.NewRangeReader(rctx, k, off, n, "")
	if !timer.Stop() && err == nil {
		r.Close()
		err = errTimeout
	}
	if err != nil {
		cancel(nil)
		if n >= 0 {
			if kind, _ := s.d.Describe("open", err); kind == KindRange {
				// The range starts at or past the end (an empty object
				// has no byte 0): the object exists.
				return s.openAttrs(ctx, k)
			}
		}
		return nil, s.dirOr(ctx, "open", k, s.wrap(ctx, "open", k, err))
	}
	a := r.Attributes()
	if a.IsDir {
		r.Close()
		cancel(nil)
		return nil, s.isDirError("open", k)
	}
	if a.Size < 0 {
		r.Close()
		cancel(nil)
		return nil, s.newError("open", k, "the server sent no object size", nil)
	}
	end := a.Size
	if n >= 0 && off+n < end {
		end = off + n
	}
	o := &object{
		st: s, key: k, ctx: ctx, size: a.Size, version: a.Version,
		body: r, bodyPos: off, bodyEnd: end,
		abort:   func() { cancel(errTimeout) },
		release: func() { cancel(nil) },
		whole:   off == 0 && n < 0 && a.Size <= s.cfg.WholeObjectMax,
	}
	return o, nil
}

// openAttrs opens an object without starting a GET.
func (s *Store) openAttrs(ctx context.Context, k string) (savepoint.Object, error) {
	octx, cancel := s.opContext(ctx)
	a, err := s.d.Attributes(octx, k)
	cancel()
	if err != nil {
		return nil, s.dirOr(ctx, "open", k, s.wrap(ctx, "open", k, err))
	}
	if a.IsDir {
		return nil, s.isDirError("open", k)
	}
	return &object{st: s, key: k, ctx: ctx, size: a.Size, version: a.Version, abort: func() {}, release: func() {}}, nil
}

// Stat describes the object at path or, failing that, the prefix path+"/"
// (a listing of one object). The bucket root is a directory when the
// bucket exists.
func (s *Store) Stat(ctx context.Context, p string) (savepoint.FileInfo, error) {
	k, err := s.key("stat", p)
	if err != nil {
		return savepoint.FileInfo{}, err
	}
	k = strings.TrimSuffix(k, "/")
	name := path.Base("/" + k)
	if k == "" {
		if _, err := s.hasChildren(ctx, "stat", ""); err != nil {
			return savepoint.FileInfo{}, err
		}
		return savepoint.FileInfo{Name: name, Path: p, IsDir: true}, nil
	}
	octx, cancel := s.opContext(ctx)
	a, err := s.d.Attributes(octx, k)
	cancel()
	if err == nil {
		fi := savepoint.FileInfo{Name: name, Path: p, IsDir: a.IsDir, ModTime: a.ModTime}
		if !a.IsDir {
			fi.Size = a.Size
		}
		return fi, nil
	}
	werr := s.wrap(ctx, "stat", k, err)
	if !isNotFound(werr) {
		return savepoint.FileInfo{}, werr
	}
	// A 404 for the object does not say whether the bucket is missing;
	// the listing does.
	dir, err := s.hasChildren(ctx, "stat", k+"/")
	if err != nil {
		return savepoint.FileInfo{}, err
	}
	if !dir {
		return savepoint.FileInfo{}, s.newError("stat", k, "no such object or prefix", fs.ErrNotExist)
	}
	return savepoint.FileInfo{Name: name, Path: p, IsDir: true}, nil
}

// List returns the objects and prefixes directly under path, sorted by
// name, reading every page of the listing (delimiter "/"), at most
// MaxPages pages and MaxEntries entries. A page whose continuation token
// was seen before ends the listing with an error.
func (s *Store) List(ctx context.Context, p string) ([]savepoint.FileInfo, error) {
	k, err := s.key("list", p)
	if err != nil {
		return nil, err
	}
	k = strings.TrimSuffix(k, "/")
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
	var out []savepoint.FileInfo
	dirs := map[string]bool{} // prefixes may recur on later pages
	addDir := func(name string) {
		if name != "" && !dirs[name] {
			dirs[name] = true
			out = append(out, savepoint.FileInfo{Name: name, Path: join(name), IsDir: true})
		}
	}
	found := false
	tokens := map[string]bool{}
	token := ""
	entries := 0
	for pages := 0; ; pages++ {
		if pages == s.cfg.MaxPages {
			return nil, s.newError("list", prefix, fmt.Sprintf("more than %d pages; stopped (a listing this long is not a savepoint directory)", s.cfg.MaxPages), nil)
		}
		octx, cancel := s.opContext(ctx)
		pg, err := s.d.ListPage(octx, prefix, "/", s.cfg.PageSize, token)
		cancel()
		if err != nil {
			return nil, s.wrap(ctx, "list", prefix, err)
		}
		entries += len(pg.Objects) + len(pg.Prefixes)
		if entries > s.cfg.MaxEntries {
			return nil, s.newError("list", prefix, fmt.Sprintf("more than %d entries; stopped (a listing this long is not a savepoint directory)", s.cfg.MaxEntries), nil)
		}
		for _, cp := range pg.Prefixes {
			found = true
			addDir(strings.TrimSuffix(strings.TrimPrefix(cp, prefix), "/"))
		}
		for _, o := range pg.Objects {
			found = true
			name := strings.TrimPrefix(o.Key, prefix)
			if name == "" || strings.HasSuffix(name, "/") { // a directory marker
				continue
			}
			if o.IsDir {
				addDir(name)
				continue
			}
			out = append(out, savepoint.FileInfo{Name: name, Path: join(name), Size: o.Size, ModTime: o.ModTime})
		}
		if pg.Next == "" {
			break
		}
		if tokens[pg.Next] || pg.Next == token {
			return nil, s.newError("list", prefix, fmt.Sprintf("the server repeated a continuation token after %d pages; stopped", pages+1), nil)
		}
		tokens[pg.Next] = true
		token = pg.Next
	}
	if !found && k != "" {
		// An empty directory of a hierarchical namespace, or a directory
		// marker, exists with nothing under it.
		octx, cancel := s.opContext(ctx)
		a, err := s.d.Attributes(octx, k)
		cancel()
		if err == nil && a.IsDir {
			return []savepoint.FileInfo{}, nil
		}
		return nil, s.newError("list", prefix, "no objects under this prefix", fs.ErrNotExist)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Close closes the driver.
func (s *Store) Close() error { return s.d.Close() }
