// Package objstore is the one object-store layer of package savepoint, in
// the shape of gocloud.dev/blob: a small Driver per store (S3, GCS, Azure)
// does the store's requests, and the portable Store implements
// savepoint.Store once on top of it.
//
// The portable type owns what every object store shares: "directories"
// over key prefixes (a prefix with at least one object under it; a folder
// marker counts), the mapping of failures to fs.ErrNotExist,
// fs.ErrPermission and context.DeadlineExceeded, one Error type, a timeout
// on every remote call, listings bounded in pages and entries (a listing
// that repeats a continuation token stops with an error), keys with "." or
// ".." segments refused before any request is sent, the single GET of a
// _metadata file, ranged reads pinned to the version seen at Open that
// resume a body that breaks off, and OpenRange, a ranged GET for reading a
// state file's header.
//
// A Driver only translates: it sends one request per call and says what
// kind of failure an error is. It does not retry broken bodies, does not
// time out (the portable type passes a context with a deadline), and does
// not interpret prefixes.
package objstore

import (
	"context"
	"io"
	"time"
)

// Kind is the kind of a failure, as a driver classifies its errors.
type Kind int

const (
	// KindOther is any other failure.
	KindOther Kind = iota
	// KindNotFound: no such object (a prefix may still exist).
	KindNotFound
	// KindNoBucket: the bucket, container or account does not exist.
	KindNoBucket
	// KindPermission: the credentials were refused or could not be had.
	KindPermission
	// KindChanged: the object changed since Open (a failed If-Match or
	// generation precondition).
	KindChanged
	// KindRange: the range asked for starts at or after the object's end
	// (HTTP 416).
	KindRange
)

// Attributes describe an object.
type Attributes struct {
	// Size is the size of the whole object, also for a ranged read.
	Size    int64
	ModTime time.Time
	// Version pins later ranged reads to this version of the object (an
	// ETag or a GCS generation); empty: no pinning.
	Version string
	// IsDir marks a directory marker object (Azure's hdi_isfolder).
	IsDir bool
}

// An Entry is an object in a listing.
type Entry struct {
	Key     string
	Size    int64
	ModTime time.Time
	// IsDir marks a directory marker object (Azure's hdi_isfolder).
	IsDir bool
}

// A Page is one page of a listing.
type Page struct {
	Objects []Entry
	// Prefixes are the common prefixes (with the delimiter at the end).
	Prefixes []string
	// Next is the continuation token; empty on the last page.
	Next string
}

// A Reader is the body of a GET.
type Reader interface {
	io.ReadCloser
	// Attributes describe the whole object (Size is not the length of
	// the range).
	Attributes() Attributes
}

// A Driver sends one store's requests. Every method runs under ctx, which
// carries the operation's deadline; a driver must return when ctx is done.
type Driver interface {
	// Location names a key for messages, e.g. "s3://bucket/key".
	Location(key string) string
	// Attributes describes the object key (a HEAD or metadata GET).
	Attributes(ctx context.Context, key string) (Attributes, error)
	// ListPage returns one page of at most pageSize objects whose keys
	// start with prefix, with keys that contain delimiter after the prefix
	// rolled up into Prefixes. token is the previous page's Next, or "".
	ListPage(ctx context.Context, prefix, delimiter string, pageSize int, token string) (*Page, error)
	// NewRangeReader sends a GET of length bytes from off (length < 0: to
	// the end of the object). A non-empty version makes the read fail with
	// KindChanged if the object is no longer that version. The body stays
	// readable until ctx is done or the reader is closed.
	NewRangeReader(ctx context.Context, key string, off, length int64, version string) (Reader, error)
	// Describe classifies an error of the driver and words it for a
	// message, with a hint where one helps. It never includes secrets.
	Describe(op string, err error) (Kind, string)
	// Close releases the driver's resources.
	Close() error
}
