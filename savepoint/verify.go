package savepoint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"sync"

	"github.com/spcheck/spcheck/metadata"
)

// FileVerification is what VerifyFiles found.
type FileVerification struct {
	// Files is the number of distinct files verified, Dirs the number of
	// directories listed for them.
	Files, Dirs int
	// Missing are the references to files that do not exist, by
	// operator, subtask and path, in metadata order.
	Missing []MissingRef
	// MissingFiles is the number of distinct missing files.
	MissingFiles int
	// Unlisted are the directories of referenced files that were not
	// listed, in order of first reference: in another store, or outside
	// the read roots (not read, see Where). Their files are not verified,
	// nor hashed: only their references are counted.
	Unlisted []UnlistedDir
	// NotVerified is the number of references to files not verified:
	// in the Unlisted directories, or in directories beyond
	// metadata.MaxFileDirs (Partial). The files of a directory whose
	// listing failed (Failed) are not verified either, nor missing.
	NotVerified int
	Failed      []string
	Partial     bool
}

// An UnlistedDir is a directory of referenced files that was not listed.
type UnlistedDir struct {
	// Dir is the directory as a location: as the handles spell it for
	// another store, the path it resolves to in this one (redacted).
	Dir   string
	Where Where // OtherStore or OutsideRoot
	Refs  int   // the references to files in it
}

// A MissingRef is a reference to a file that does not exist.
type MissingRef struct {
	Operator int   // index in Metadata.Operators
	Subtask  int32 // the subtask's index
	Ref      metadata.FileRef
	// Resolved is where the file was looked for, as a location.
	Resolved string
}

// verifiedDir is the metadata.FileCheck's verify function: the files of
// a directory (a stored path prefix) are verified when it lies under a
// read root of the savepoint's store.
func (sp *Savepoint) verifiedDir(prefix string, rel bool) bool {
	_, w := sp.Where(metadata.FileRef{Path: prefix + "f", Relative: rel})
	return w == InRoot
}

// maxConcurrentLists bounds the concurrent directory listings.
const maxConcurrentLists = 8

// VerifyFiles verifies that every file the handles reference exists, with
// one listing per directory (never a request per file): the savepoint must
// have been opened with Options.VerifyFiles. Files outside the read roots
// or in another store are not verified (Unlisted). Only when files are
// missing is the metadata decoded a second time, to name them. It fails
// only when ctx is done or the second pass cannot read the metadata.
func (sp *Savepoint) VerifyFiles(ctx context.Context) (*FileVerification, error) {
	fc := sp.files
	if fc == nil {
		return nil, errors.New("savepoint: VerifyFiles needs a savepoint opened with Options.VerifyFiles")
	}
	// The directories to list: several stored prefixes (file:/x/ and
	// file:///x/, or s3:// and s3a://) may name one.
	byDir := map[string][]metadata.FileDir{}
	var dirs []string
	var unlisted []UnlistedDir
	unlistedIdx := map[UnlistedDir]int{} // by Dir and Where
	for _, d := range fc.Dirs() {
		if !d.Verify {
			// Several stored prefixes may name one directory.
			u := sp.unlisted(d)
			k := UnlistedDir{Dir: u.Dir, Where: u.Where}
			if i, ok := unlistedIdx[k]; ok {
				unlisted[i].Refs += u.Refs
			} else {
				unlistedIdx[k] = len(unlisted)
				unlisted = append(unlisted, u)
			}
			continue
		}
		sd := sp.storeDir(d)
		if _, ok := byDir[sd]; !ok {
			dirs = append(dirs, sd)
		}
		byDir[sd] = append(byDir[sd], d)
	}
	v := &FileVerification{Files: fc.Files(), Dirs: len(dirs), Unlisted: unlisted, NotVerified: fc.Unverified(), Partial: fc.Partial()}
	failed := map[string]error{}
	var mu sync.Mutex
	sem := make(chan struct{}, maxConcurrentLists)
	var wg sync.WaitGroup
	for _, sd := range dirs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			names, err := sp.listed(ctx, sd)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				failed[sd] = err
				return
			}
			// A directory that does not exist holds none of its files.
			for _, d := range byDir[sd] {
				fc.MarkAll(d, names)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, sd := range dirs {
		if err := failed[sd]; err != nil {
			v.Failed = append(v.Failed, fmt.Sprintf("%s: %s", sp.Display(sd), RedactText(plainPathError(err).Error())))
		}
	}
	if fc.Missing() == 0 {
		return v, nil
	}
	// The second pass: which operator, subtask and path.
	distinct := map[metadata.FileRef]bool{}
	type at struct {
		op      int
		subtask int32
		ref     metadata.FileRef
	}
	seen := map[at]bool{} // a retried layout variant may report one twice
	report := func(op int, subtask int32, ref metadata.FileRef) {
		if seen[at{op, subtask, ref}] {
			return
		}
		seen[at{op, subtask, ref}] = true
		p, _ := sp.Where(ref)
		if failed[path.Dir(p)] != nil {
			return // not verified
		}
		distinct[ref] = true
		v.Missing = append(v.Missing, MissingRef{Operator: op, Subtask: subtask, Ref: ref, Resolved: sp.Display(p)})
	}
	if err := sp.locateMissing(ctx, fc, report); err != nil {
		return nil, err
	}
	v.MissingFiles = len(distinct)
	sort.SliceStable(v.Missing, func(i, j int) bool { return v.Missing[i].Operator < v.Missing[j].Operator })
	return v, nil
}

// A prelister lists the directories of verified files in the background
// as the decoder finds them (FileCheck's verify function), so that the
// listings overlap the decoding: a checkpoint's directory of 219,000
// files takes as long to list as its 351 MiB metadata takes to decode.
// VerifyFiles takes the listings (listed). A nil prelister starts none.
type prelister struct {
	sp     *Savepoint // its store and read roots
	ctx    context.Context
	cancel context.CancelFunc
	sem    chan struct{}
	mu     sync.Mutex
	lists  map[string]*listing
}

type listing struct {
	done  chan struct{}
	names []string
	err   error
}

func newPrelister(ctx context.Context, sp *Savepoint) *prelister {
	ctx, cancel := context.WithCancel(ctx)
	return &prelister{sp: sp, ctx: ctx, cancel: cancel, sem: make(chan struct{}, maxConcurrentLists), lists: map[string]*listing{}}
}

// start lists the store directory sd, once, in the background.
func (p *prelister) start(sd string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.lists[sd]; ok {
		return
	}
	l := &listing{done: make(chan struct{})}
	p.lists[sd] = l
	go func() {
		defer close(l.done)
		select {
		case p.sem <- struct{}{}:
		case <-p.ctx.Done():
			l.err = p.ctx.Err()
			return
		}
		defer func() { <-p.sem }()
		l.names, l.err = p.sp.listFileNames(p.ctx, sd)
	}()
}

// stop cancels the listings not done.
func (p *prelister) stop() {
	if p != nil {
		p.cancel()
	}
}

// listed returns the names of the files in the store directory sd: the
// listing started while decoding, or a new one.
func (sp *Savepoint) listed(ctx context.Context, sd string) ([]string, error) {
	if p := sp.lists; p != nil {
		p.mu.Lock()
		l := p.lists[sd]
		p.mu.Unlock()
		if l != nil {
			select {
			case <-l.done:
				if l.err == nil || p.ctx.Err() == nil {
					return l.names, l.err
				}
				// Cancelled (the context open ran with is done): list
				// again, with this one.
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	return sp.listFileNames(ctx, sd)
}

// unlisted describes a directory of referenced files that is not
// verified.
func (sp *Savepoint) unlisted(d metadata.FileDir) UnlistedDir {
	p, w := sp.Where(metadata.FileRef{Path: d.Prefix + "f", Relative: d.Relative})
	u := UnlistedDir{Where: w, Refs: d.Refs}
	if w == OtherStore {
		u.Dir = RedactText(d.Prefix)
	} else {
		u.Dir = sp.Display(path.Dir(p)) + "/"
	}
	return u
}

// storeDir is the store path of a verified directory of referenced files.
func (sp *Savepoint) storeDir(d metadata.FileDir) string {
	p, _ := sp.Where(metadata.FileRef{Path: d.Prefix + "f", Relative: d.Relative})
	return path.Dir(p)
}

// A FileNameLister lists the names of the files in a directory under a
// read root more cheaply than List: without a stat per entry, and through
// os.Root, so that a symbolic link out of the root is refused (the local
// store).
type FileNameLister interface {
	ListFileNamesIn(ctx context.Context, root, dir string) ([]string, error)
}

// listFileNames lists the names of the files (not directories) in a
// directory under a read root.
func (sp *Savepoint) listFileNames(ctx context.Context, dir string) ([]string, error) {
	if nl, ok := sp.Store.(FileNameLister); ok {
		if r := sp.rootOf(dir); r != "" {
			return nl.ListFileNamesIn(ctx, r, sp.norm(dir))
		}
	}
	if rs, ok := sp.Store.(RootedStore); ok {
		if r := sp.rootOf(dir); r != "" {
			if _, err := rs.StatIn(ctx, r, sp.norm(dir)); err != nil {
				return nil, err
			}
		}
	}
	ents, err := sp.Store.List(ctx, dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		if !e.IsDir {
			names = append(names, e.Name)
		}
	}
	return names, nil
}

// locateMissing runs the FileCheck's second pass over the metadata: the bytes
// kept from a remote store, the local file again, or the handles of
// metadata decoded whole.
func (sp *Savepoint) locateMissing(ctx context.Context, fc *metadata.FileCheck, fn func(op int, subtask int32, ref metadata.FileRef)) error {
	if !sp.Metadata.Summarized() {
		fc.LocateIn(sp.Metadata, fn)
		return nil
	}
	if sp.raw != nil {
		return fc.Locate(metadata.Memory(sp.raw), int64(len(sp.raw)), fn)
	}
	obj, err := sp.Store.Open(ctx, sp.MetadataPath)
	if err != nil {
		return fmt.Errorf("%s: %w", sp.Display(sp.MetadataPath), plainPathError(err))
	}
	defer obj.Close()
	if obj.Size() != sp.Size {
		return fmt.Errorf("%s: the metadata file changed while it was read (%d bytes, was %d)", sp.Display(sp.MetadataPath), obj.Size(), sp.Size)
	}
	var src io.ReaderAt = obj
	if f, ok := obj.(localFile); ok {
		var done func()
		src, done = f.decodeSource()
		defer done()
	}
	if err := fc.Locate(src, obj.Size(), fn); err != nil {
		return fmt.Errorf("%s: %w", sp.Display(sp.MetadataPath), err)
	}
	return nil
}
