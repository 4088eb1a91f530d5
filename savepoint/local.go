package savepoint

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
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

func (localStore) Open(_ context.Context, path string) (Object, error) {
	f, err := os.Open(filepath.FromSlash(path))
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.IsDir() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: path, Err: errors.New("is a directory")}
	}
	return localFile{f, st.Size()}, nil
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
