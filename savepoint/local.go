package savepoint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"syscall"
)

func init() { Register("file", openLocal) }

// localStore reads the local file system.
type localStore struct{}

func openLocal(_ context.Context, u *url.URL, _ Options) (Store, error) {
	if u.Host != "" && u.Host != "localhost" {
		return nil, fmt.Errorf("savepoint: file location %s names host %q; only local files can be read", u.String(), u.Host)
	}
	return localStore{}, nil
}

type localFile struct {
	*os.File
	size int64
}

func (f localFile) Size() int64 { return f.size }

// decodeSource returns what the metadata decoder reads f from: its
// mapping where it can be mapped (mmap_linux.go), or f; done releases the
// mapping.
func (f localFile) decodeSource() (src io.ReaderAt, done func()) {
	if mf := mapFile(f.File, f.size); mf != nil {
		return mf, func() { mf.Close() }
	}
	return f, func() {}
}

// ErrNotRegular reports a path that is a FIFO, device, socket or other
// non-regular file: spcheck never opens one (a FIFO would block the read
// forever, a device could be endless).
var ErrNotRegular = errors.New("not a regular file")

func (localStore) Open(_ context.Context, path string) (Object, error) {
	p := filepath.FromSlash(path)
	return openRegular(path,
		func() (os.FileInfo, error) { return os.Stat(p) },
		func() (*os.File, error) { return os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0) })
}

// openRegular opens a regular file and nothing else. It looks before
// opening, as opening a FIFO blocks until a writer comes; it opens with
// O_NONBLOCK, so that a path swapped for a FIFO after the look still
// returns at once; and it checks again what it opened.
func openRegular(name string, stat func() (os.FileInfo, error), open func() (*os.File, error)) (Object, error) {
	if st, err := stat(); err != nil {
		return nil, err
	} else if err := regular(name, st); err != nil {
		return nil, err
	}
	f, err := open()
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if err := regular(name, st); err != nil {
		f.Close()
		return nil, err
	}
	return localFile{f, st.Size()}, nil
}

// regular refuses anything but a regular file.
func regular(path string, st os.FileInfo) error {
	m := st.Mode()
	switch {
	case m.IsRegular():
		return nil
	case m.IsDir():
		return &fs.PathError{Op: "open", Path: path, Err: errors.New("is a directory")}
	}
	kind := "special file"
	switch t := m.Type(); {
	case t&fs.ModeNamedPipe != 0:
		kind = "FIFO"
	case t&fs.ModeSocket != 0:
		kind = "socket"
	case t&fs.ModeDevice != 0:
		kind = "device"
	}
	return &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w (a %s), not read", ErrNotRegular, kind)}
}

func (localStore) Stat(_ context.Context, path string) (FileInfo, error) {
	st, err := os.Stat(filepath.FromSlash(path))
	if err != nil {
		return FileInfo{}, err
	}
	return FileInfo{Name: st.Name(), Path: path, Size: st.Size(), IsDir: st.IsDir(), ModTime: st.ModTime()}, nil
}

func (localStore) List(_ context.Context, path string) ([]FileInfo, error) {
	ents, err := os.ReadDir(filepath.FromSlash(path))
	if err != nil {
		return nil, err
	}
	out := make([]FileInfo, 0, len(ents))
	for _, e := range ents {
		st, err := e.Info()
		if err != nil {
			continue // vanished while listing
		}
		out = append(out, FileInfo{Name: e.Name(), Path: joinPath(path, e.Name()), Size: st.Size(), IsDir: st.IsDir(), ModTime: st.ModTime()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (localStore) Close() error { return nil }

func joinPath(dir, name string) string {
	if dir == "" || dir[len(dir)-1] == '/' {
		return dir + name
	}
	return dir + "/" + name
}

// OpenIn opens p (absolute, under root) through os.Root: a symbolic link
// that leads out of root is refused, as is anything but a regular file.
func (localStore) OpenIn(_ context.Context, root, p string) (Object, error) {
	r, rel, err := openRoot(root, p)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return openRegular(p,
		func() (os.FileInfo, error) { return r.Stat(rel) },
		func() (*os.File, error) { return r.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0) })
}

// StatIn is Stat through os.Root.
func (localStore) StatIn(_ context.Context, root, p string) (FileInfo, error) {
	r, rel, err := openRoot(root, p)
	if err != nil {
		return FileInfo{}, err
	}
	defer r.Close()
	st, err := r.Stat(rel)
	if err != nil {
		return FileInfo{}, err
	}
	return FileInfo{Name: st.Name(), Path: p, Size: st.Size(), IsDir: st.IsDir(), ModTime: st.ModTime()}, nil
}

func openRoot(root, p string) (*os.Root, string, error) {
	rel, err := filepath.Rel(filepath.FromSlash(root), filepath.FromSlash(p))
	if err != nil {
		return nil, "", err
	}
	r, err := os.OpenRoot(filepath.FromSlash(root))
	if err != nil {
		return nil, "", err
	}
	return r, rel, nil
}

// ListFileNamesIn returns the names of the entries of the directory p
// (absolute, under root, opened through os.Root: a symbolic link out of
// root is refused), in directory order, without a stat per entry: the
// file verification of a checkpoint with hundreds of thousands of files
// in one directory needs only the names.
func (localStore) ListFileNamesIn(_ context.Context, root, p string) ([]string, error) {
	r, rel, err := openRoot(root, p)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, err := r.Open(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Readdirnames, not ReadDir: on file systems whose directory entries
	// carry no type (overlayfs, XFS without ftype) ReadDir stats every
	// entry. A subdirectory is then taken for a file of its name, which
	// no Flink handle names.
	return f.Readdirnames(-1)
}
