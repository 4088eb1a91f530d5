package savepoint

// Read roots: which files a savepoint's handles may make spcheck read.
// A savepoint is untrusted input; its handles can name any path. spcheck
// opens or stats only files under the savepoint's directory, under the
// job's checkpoint directory for a chk-N (where Flink keeps shared/ and
// taskowned/), and under the roots the user adds (Options.StateRoots).

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spcheck/spcheck/metadata"
)

// Where says where a referenced file lies.
type Where int

const (
	// InRoot: in the savepoint's store, under a read root; it may be read.
	InRoot Where = iota
	// OtherStore: another scheme or host than the savepoint's.
	OtherStore
	// OutsideRoot: in the savepoint's store, but outside every read
	// root (an absolute path elsewhere, or a relative one whose ".."
	// segments climb out); never opened, never stat'ed.
	OutsideRoot
)

// OutsideStatus is how a file outside the read roots is listed.
const OutsideStatus = "outside the savepoint, not read"

var chkDir = regexp.MustCompile(`^chk-[0-9]+$`)

// setRoots computes the read roots of sp from its directory and the
// extra roots of opts.
func (sp *Savepoint) setRoots(extra []string) error {
	sp.Roots = []string{sp.norm(sp.Dir)}
	if chkDir.MatchString(path.Base(path.Clean(sp.Dir))) {
		// A retained checkpoint: its files live in chk-N, shared/ and
		// taskowned/ of the job's checkpoint directory
		// (FsCheckpointStorageAccess, Flink 1.x and 2.x).
		sp.Roots = append(sp.Roots, sp.norm(path.Dir(path.Clean(sp.Dir))))
	}
	for _, loc := range extra {
		u, err := ParseLocation(loc)
		if err != nil {
			return err
		}
		if alias(u.Scheme) != alias(sp.URL.Scheme) || u.Host != sp.URL.Host {
			return fmt.Errorf("savepoint: state root %s is not in the savepoint's store (%s)", Redact(u), sp.Display("/"))
		}
		sp.Roots = append(sp.Roots, sp.norm(u.Path))
	}
	return nil
}

// norm cleans a store path; local paths are made absolute (without
// following symbolic links) so that roots and paths compare.
func (sp *Savepoint) norm(p string) string {
	p = path.Clean(p)
	if sp.URL.Scheme == "file" && !path.IsAbs(p) {
		if a, err := filepath.Abs(filepath.FromSlash(p)); err == nil {
			p = filepath.ToSlash(a)
		}
	}
	return p
}

// within reports whether the cleaned path p is root or below it.
func within(p, root string) bool {
	if root == "/" {
		return strings.HasPrefix(p, "/")
	}
	return p == root || strings.HasPrefix(p, root+"/")
}

// InRoots reports whether the store path p lies under a read root.
func (sp *Savepoint) InRoots(p string) bool {
	if strings.IndexByte(p, 0) >= 0 {
		return false
	}
	n := sp.norm(p)
	for _, r := range sp.Roots {
		if within(n, r) {
			return true
		}
	}
	return false
}

// Where returns the store path of a file a handle references and where it
// lies. Relative paths resolve against the directory holding _metadata;
// absolute ones must name the same scheme and authority as the savepoint
// (Flink writes "file:/…" for local paths). Only InRoot paths may be
// read.
func (sp *Savepoint) Where(ref metadata.FileRef) (p string, w Where) {
	if ref.Relative {
		p = path.Clean(joinPath(sp.Dir, ref.Path))
	} else {
		u, err := url.Parse(ref.Path)
		if err != nil {
			return ref.Path, OtherStore
		}
		scheme := strings.ToLower(u.Scheme)
		if scheme == "" {
			scheme = "file"
		}
		// The user part names the container in Azure locations
		// (container@account…): another container is another store.
		if alias(scheme) != alias(sp.URL.Scheme) || u.Host != sp.URL.Host || u.User.Username() != sp.URL.User.Username() {
			return ref.Path, OtherStore
		}
		p = u.Path
	}
	if !sp.InRoots(p) {
		return p, OutsideRoot
	}
	return path.Clean(p), InRoot
}

// Resolve returns the store path of a file a handle references, and
// whether spcheck may read it: in this savepoint's store and under a read
// root (see Where).
func (sp *Savepoint) Resolve(ref metadata.FileRef) (p string, readable bool) {
	p, w := sp.Where(ref)
	return p, w == InRoot
}

// OpenIn opens the savepoint at location in an already opened store st
// (tests use it to watch every access). The caller closes st.
func OpenIn(ctx context.Context, st Store, location string, opts Options) (*Savepoint, error) {
	u, err := ParseLocation(location)
	if err != nil {
		return nil, err
	}
	return open(ctx, st, u, opts, false)
}

// A RootedStore can open and stat a path so that symbolic links cannot
// lead out of root (the local store does, with os.Root). Object stores
// have no links.
type RootedStore interface {
	OpenIn(ctx context.Context, root, p string) (Object, error)
	StatIn(ctx context.Context, root, p string) (FileInfo, error)
}

// rootOf returns the read root p lies under, "" if none.
func (sp *Savepoint) rootOf(p string) string {
	n := sp.norm(p)
	for _, r := range sp.Roots {
		if within(n, r) {
			return r
		}
	}
	return ""
}

// open opens a file under a read root; through a RootedStore, symbolic
// links that lead out of the root are refused.
func (sp *Savepoint) open(ctx context.Context, p string) (Object, error) {
	if rs, ok := sp.Store.(RootedStore); ok {
		if r := sp.rootOf(p); r != "" {
			return rs.OpenIn(ctx, r, sp.norm(p))
		}
	}
	return sp.Store.Open(ctx, p)
}

// stat is open's Stat.
func (sp *Savepoint) stat(ctx context.Context, p string) (FileInfo, error) {
	if rs, ok := sp.Store.(RootedStore); ok {
		if r := sp.rootOf(p); r != "" {
			return rs.StatIn(ctx, r, sp.norm(p))
		}
	}
	return sp.Store.Stat(ctx, p)
}
