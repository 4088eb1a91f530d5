package savepoint

import (
	"context"
	"errors"
	"io/fs"
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

// CheckFiles looks up every referenced file concurrently (bounded) and
// reports, in the order given, whether each exists.
func (sp *Savepoint) CheckFiles(ctx context.Context, refs []metadata.FileRef) []FileStatus {
	out := make([]FileStatus, len(refs))
	sem := make(chan struct{}, maxConcurrentStats)
	var wg sync.WaitGroup
	for i, ref := range refs {
		p, w := sp.Where(ref)
		out[i] = FileStatus{Ref: ref, Path: p, Checked: w == InRoot, Outside: w == OutsideRoot}
		if w != InRoot {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(fs_ *FileStatus) {
			defer func() { <-sem; wg.Done() }()
			fi, err := sp.stat(ctx, fs_.Path)
			switch {
			case err == nil && !fi.IsDir:
				fs_.Exists, fs_.Size = true, fi.Size
			case err == nil:
				fs_.Err = errors.New("is a directory")
			case errors.Is(err, fs.ErrNotExist):
			default:
				fs_.Err = err
			}
		}(&out[i])
	}
	wg.Wait()
	return out
}

// AllFiles lists the files every operator of the savepoint references, each
// once, in operator order.
// Sizes of a file several handles share add up.
func (sp *Savepoint) AllFiles() []metadata.FileRef { return metadata.AllFiles(sp.Metadata) }
