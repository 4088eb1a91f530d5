// Package savepoint finds and reads Flink savepoints and checkpoints where
// they live: local disk, HDFS, S3 and other object stores. It never writes,
// renames or deletes anything.
//
// A Store is one storage system; drivers for schemes other than file live
// in subpackages and register themselves with Register, as database/sql
// drivers do.
package savepoint

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// A Store reads objects from one storage system. Paths are slash-separated
// and absolute within the store ("/bucket-less/key/path" for object stores
// is the key with a leading slash).
type Store interface {
	// Open returns a random-access view of the object at path. A missing
	// object gives an error satisfying errors.Is(err, fs.ErrNotExist).
	Open(ctx context.Context, path string) (Object, error)
	// Stat describes path: a file, or a directory (for object stores, a
	// prefix with objects under it). A missing path gives an error
	// satisfying errors.Is(err, fs.ErrNotExist).
	Stat(ctx context.Context, path string) (FileInfo, error)
	// List returns the direct children of the directory path, sorted by
	// name.
	List(ctx context.Context, path string) ([]FileInfo, error)
	Close() error
}

// Object is a readable object of known size.
type Object interface {
	io.ReaderAt
	Size() int64
	Close() error
}

// A RangeOpener is a Store that can open an object for reading only the n
// bytes at off, so that the request asks the server for that range and no
// more (the object stores' ranged GET). The Object still has the object's
// full Size; reads outside the range cost requests of their own. Deep
// reads of state-file headers use it when the store has it.
type RangeOpener interface {
	OpenRange(ctx context.Context, path string, off, n int64) (Object, error)
}

// FileInfo describes a file or directory.
type FileInfo struct {
	Name    string // base name
	Path    string // full path within the store
	Size    int64
	IsDir   bool
	ModTime time.Time
}

// Options configure the drivers.
type Options struct {
	// FlinkConf is the path of a Flink configuration directory or file
	// (config.yaml or flink-conf.yaml) whose s3.* / fs.s3a.* settings the
	// S3 driver honours. Empty: $FLINK_CONF_DIR, if set.
	FlinkConf string
	// Timeout bounds each remote operation; 0 means a driver default.
	Timeout time.Duration
	// StateRoots are further locations (in the savepoint's store) under
	// which the files its handles reference may be read, e.g. where a
	// relocated savepoint's shared state now lives. The savepoint's own
	// directory, and for a chk-N the job's checkpoint directory, always
	// are.
	StateRoots []string
	// MaxMetadataSize bounds the metadata file read; 0 means
	// DefaultMaxMetadataSize.
	MaxMetadataSize int64
	// VerifyFiles keeps, while the metadata is decoded, what
	// Savepoint.VerifyFiles needs to verify the referenced files with one
	// listing per directory.
	VerifyFiles bool
	// NoFileCounts: OpenSummaries counts no files, for a caller that
	// reports no file counts (a job graph, check without file
	// verification, diff); FileCount is -1. VerifyFiles is then ignored.
	NoFileCounts bool
}

// An Opener connects to the store a location lives in. u is the parsed
// location; the returned store resolves paths as u.Path does.
type Opener func(ctx context.Context, u *url.URL, opts Options) (Store, error)

var (
	openersMu sync.RWMutex
	openers   = map[string]Opener{}
)

// Register makes a driver available for a URL scheme. It panics if the
// scheme is registered twice.
func Register(scheme string, open Opener) {
	openersMu.Lock()
	defer openersMu.Unlock()
	if _, dup := openers[scheme]; dup {
		panic("savepoint: Register called twice for scheme " + scheme)
	}
	openers[scheme] = open
}

// Schemes returns the registered URL schemes, sorted.
func Schemes() []string {
	openersMu.RLock()
	defer openersMu.RUnlock()
	s := make([]string, 0, len(openers))
	for k := range openers {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// ParseLocation parses a location: a bare path (local), or a URL with a
// scheme. The returned URL's Path is absolute and cleaned of a trailing
// slash.
func ParseLocation(location string) (*url.URL, error) {
	if location == "" {
		return nil, fmt.Errorf("savepoint: empty location")
	}
	if !strings.Contains(location, "://") && !strings.HasPrefix(location, "file:") {
		return &url.URL{Scheme: "file", Path: location}, nil
	}
	u, err := url.Parse(location)
	if err != nil {
		return nil, fmt.Errorf("savepoint: bad location %q: %v", location, err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme == "file" && u.Path == "" && u.Opaque != "" {
		// file:relative/path
		u.Path, u.Opaque = u.Opaque, ""
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u, nil
}

// OpenStore returns the store for a parsed location.
func OpenStore(ctx context.Context, u *url.URL, opts Options) (Store, error) {
	openersMu.RLock()
	open, ok := openers[u.Scheme]
	openersMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("savepoint: unsupported scheme %q in %s (supported: %s)",
			u.Scheme, Redact(u), strings.Join(Schemes(), ", "))
	}
	return open(ctx, u, opts)
}

// Redact returns the location without credentials (user info and any
// query parameter that looks like a secret), for messages.
func Redact(u *url.URL) string {
	c := *u
	// In abfs and wasb locations the user part names the container
	// (container@account…), which is not a secret; a password never is
	// kept.
	_, hasPassword := u.User.Password()
	switch {
	case u.User != nil && !hasPassword && (u.Scheme == "abfs" || u.Scheme == "abfss" || u.Scheme == "wasb" || u.Scheme == "wasbs"):
		c.User = url.User(u.User.Username())
	default:
		c.User = nil
	}
	if c.RawQuery != "" {
		q := c.Query()
		for k := range q {
			if secretParam(k) {
				q.Set(k, "REDACTED")
			}
		}
		c.RawQuery = q.Encode()
	}
	if c.Scheme == "file" {
		return c.Path
	}
	return c.String()
}
