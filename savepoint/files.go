package savepoint

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"sync"

	"github.com/spcheck/spcheck/metadata"
)

// FileStatus says whether a referenced file exists.
type FileStatus struct {
	Ref metadata.FileRef
	// Path is where the file was looked for (resolved).
	Path string
	// Checked is false when the file was not looked for: it lies in
	// another store (scheme or host), or outside the read roots
	// (Outside).
	Checked bool
	Outside bool
	Exists  bool
	// Size is the file's actual size, when it exists.
	Size int64
	// Err is a failure other than "does not exist".
	Err error
}

// maxConcurrentStats bounds the concurrent existence checks.
const maxConcurrentStats = 16

// An ObjectLister is a store whose listing of a directory tells what a
// Stat of each entry would (an object store: no links, no special files).
// CheckFiles lists each directory of referenced files there once, where
// it looks up each file elsewhere.
type ObjectLister interface {
	Store
	ListsObjects()
}

// CheckFiles reports, in the order given, whether each referenced file
// exists. On an object store it lists each directory of referenced files
// once (at most maxConcurrentLists at a time), never a request per file;
// on other stores it looks up each file (at most maxConcurrentStats at a
// time).
func (sp *Savepoint) CheckFiles(ctx context.Context, refs []metadata.FileRef) []FileStatus {
	out := make([]FileStatus, len(refs))
	_, listing := sp.Store.(ObjectLister)
	byDir := map[string][]*FileStatus{}
	var dirs []string
	sem := make(chan struct{}, maxConcurrentStats)
	var wg sync.WaitGroup
	for i, ref := range refs {
		p, w := sp.Where(ref)
		out[i] = FileStatus{Ref: ref, Path: p, Checked: w == InRoot, Outside: w == OutsideRoot}
		if w != InRoot {
			continue
		}
		if listing {
			d := path.Dir(p)
			if byDir[d] == nil {
				dirs = append(dirs, d)
			}
			byDir[d] = append(byDir[d], &out[i])
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(fs_ *FileStatus) {
			defer func() { <-sem; wg.Done() }()
			fi, err := sp.stat(ctx, fs_.Path)
			setStatus(fs_, fi, err)
		}(&out[i])
	}
	lsem := make(chan struct{}, maxConcurrentLists)
	for _, d := range dirs {
		wg.Add(1)
		lsem <- struct{}{}
		go func(sts []*FileStatus) {
			defer func() { <-lsem; wg.Done() }()
			ents, err := sp.Store.List(ctx, d)
			if errors.Is(err, fs.ErrNotExist) {
				err = nil // a directory that does not exist holds none of them
			}
			byName := make(map[string]FileInfo, len(ents))
			for _, e := range ents {
				if old, ok := byName[e.Name]; !ok || old.IsDir {
					byName[e.Name] = e // an object before a prefix of its name, as Stat
				}
			}
			for _, st := range sts {
				if err != nil {
					st.Err = err
					continue
				}
				fi, ok := byName[path.Base(st.Path)]
				if !ok {
					setStatus(st, FileInfo{}, fs.ErrNotExist)
					continue
				}
				setStatus(st, fi, nil)
			}
		}(byDir[d])
	}
	wg.Wait()
	return out
}

// setStatus sets what a lookup of the file (fi, err) says of it.
func setStatus(st *FileStatus, fi FileInfo, err error) {
	switch {
	case err == nil && !fi.IsDir:
		st.Exists, st.Size = true, fi.Size
	case err == nil:
		st.Err = errors.New("is a directory")
	case errors.Is(err, fs.ErrNotExist):
	default:
		st.Err = err
	}
}

// AllFiles lists the files every operator of the savepoint references, each
// once, in operator order.
// Sizes of a file several handles share add up.
func (sp *Savepoint) AllFiles() []metadata.FileRef { return metadata.AllFiles(sp.Metadata) }
