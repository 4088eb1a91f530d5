package savepoint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path"
	"strings"

	"github.com/spcheck/spcheck/metadata"
)

// MetadataFileName is the name Flink gives the metadata file.
const MetadataFileName = "_metadata"

// DefaultMaxMetadataSize bounds the size of a metadata file spcheck reads.
// Its bytes are held in memory while it is decoded, and its decoded
// structures take up to metadata.MaxDecodedSize more; with this bound
// spcheck stays under 400 MB whatever the file holds. Real metadata files
// are kilobytes to tens of megabytes; Options.MaxMetadataSize raises the
// bound for larger ones (memory then grows to about twice the file).
const DefaultMaxMetadataSize = 128 << 20

// MaxStreamedMetadataSize bounds the size of a local metadata file that
// OpenSummaries reads: it never holds the file, only a window of it, one
// subtask state's structures (bounded by metadata.MaxDecodedSize) and 16
// bytes per file reference (bounded by metadata.MaxFileReferences).
const MaxStreamedMetadataSize = 1 << 30

// ErrNoMetadata reports a location that holds no _metadata.
var ErrNoMetadata = errors.New("no _metadata found")

// A Savepoint is a decoded savepoint or checkpoint and where it lives.
type Savepoint struct {
	// Location is the location as given, without credentials.
	Location string
	// URL is the parsed location of the metadata file.
	URL *url.URL
	// Dir is the store path of the directory holding the metadata file,
	// against which relative state handles resolve.
	Dir string
	// MetadataPath is the store path of the metadata file.
	MetadataPath string
	// Picked explains a choice made while locating the metadata (e.g. the
	// latest complete chk-N of a checkpoint directory); empty otherwise.
	Picked   string
	Size     int64
	Metadata *metadata.Metadata
	Store    Store
	// Roots are the cleaned store paths under which the files the
	// handles reference may be read (see Where).
	Roots []string

	// files is what VerifyFiles needs (Options.VerifyFiles); raw holds
	// the bytes of a metadata file fetched from a remote store for its
	// second pass.
	files *metadata.FileCheck
	raw   []byte
	// lists holds the listings of the directories of verified files,
	// started while the metadata was decoded (Options.VerifyFiles).
	lists *prelister
}

// FullReader is implemented by objects that can fetch their whole content
// in a single request (the S3 driver's objects do).
type FullReader interface {
	ReadFull(ctx context.Context) ([]byte, error)
}

// Open locates, reads and decodes the metadata at location: a metadata
// file (whatever its name), a savepoint or chk-N directory, or a checkpoint
// directory whose latest complete chk-N is meant. The caller closes the
// returned Savepoint's Store with Close.
func Open(ctx context.Context, location string, opts Options) (*Savepoint, error) {
	return openLocation(ctx, location, opts, false)
}

// OpenSummaries is Open for callers that need no state handles: it decodes
// the metadata with metadata.DecodeSummaries, so that Metadata's operators
// hold summaries (Summarize, HasState, StateSize, FileCount) in place of
// their subtask states. A local metadata file is read through a window of
// a few megabytes and never held whole; from other stores it is fetched as
// Open fetches it (one request where the driver allows) and decoded from
// memory. Deep reads and file lists need Open.
func OpenSummaries(ctx context.Context, location string, opts Options) (*Savepoint, error) {
	return openLocation(ctx, location, opts, true)
}

func openLocation(ctx context.Context, location string, opts Options, summaries bool) (*Savepoint, error) {
	u, err := ParseLocation(location)
	if err != nil {
		return nil, err
	}
	st, err := OpenStore(ctx, u, opts)
	if err != nil {
		return nil, err
	}
	sp, err := open(ctx, st, u, opts, summaries)
	if err != nil {
		st.Close()
		return nil, err
	}
	return sp, nil
}

// Close releases the store.
func (sp *Savepoint) Close() error {
	sp.lists.stop()
	return sp.Store.Close()
}

func open(ctx context.Context, st Store, u *url.URL, opts Options, summaries bool) (*Savepoint, error) {
	loc := Redact(u)
	metaPath, picked, err := Locate(ctx, st, u.Path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", loc, plainPathError(err))
	}
	mu := *u
	mu.Path = metaPath
	name := Redact(&mu)
	var fc *metadata.FileCheck
	var raw []byte
	var pre *prelister
	load := func(p string) (*metadata.Metadata, int64, error) {
		fc, raw = nil, nil
		pre.stop()
		pre = nil
		if opts.VerifyFiles && !opts.NoFileCounts {
			// Which directories of referenced files are verified: those
			// under a read root of the savepoint at p. Each is listed as
			// soon as the decoder finds it.
			at := &Savepoint{URL: u, Dir: path.Dir(p), Store: st}
			if err := at.setRoots(opts.StateRoots); err != nil {
				return nil, 0, err
			}
			pre = newPrelister(ctx, at)
			fc = metadata.NewFileCheck(func(prefix string, rel bool) bool {
				if !at.verifiedDir(prefix, rel) {
					return false
				}
				pre.start(at.storeDir(metadata.FileDir{Prefix: prefix, Relative: rel}))
				return true
			})
		}
		if summaries {
			m, n, b, err := decodeSummaries(ctx, st, p, opts.MaxMetadataSize, fc, !opts.NoFileCounts)
			raw = b
			return m, n, err
		}
		b, err := readAll(ctx, st, p, opts.MaxMetadataSize)
		if err != nil {
			return nil, 0, err
		}
		m, err := metadata.Decode(b)
		if err == nil && fc != nil {
			fc.Index(m)
		}
		return m, int64(len(b)), err
	}
	m, size, err := load(metaPath)
	if err != nil {
		err = plainPathError(err)
	}
	if firstErr := err; err != nil && picked != "" {
		// The newest complete chk-N of a checkpoint directory does not
		// read: take the latest one that does, as ls marks it, and say
		// which was skipped and why.
		if snaps, lerr := ListSnapshots(ctx, st, u.Path, true); lerr == nil {
			if s, msg := latestComplete(snaps); s != nil {
				skippedName := path.Base(path.Dir(metaPath))
				metaPath = joinPath(s.Path, MetadataFileName)
				mu.Path = metaPath
				name = Redact(&mu)
				if m, size, err = load(metaPath); err == nil {
					picked = fmt.Sprintf("%s is unreadable (%s); %s", skippedName, strings.TrimPrefix(RedactText(firstErr.Error()), "metadata: "), msg)
				} else {
					err = plainPathError(err)
				}
			}
		}
	}
	if err != nil {
		pre.stop()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	sp := &Savepoint{
		Location: loc, URL: &mu, Dir: path.Dir(metaPath), MetadataPath: metaPath,
		Picked: picked, Size: size, Metadata: m, Store: st, files: fc, raw: raw, lists: pre,
	}
	if err := sp.setRoots(opts.StateRoots); err != nil {
		pre.stop()
		return nil, err
	}
	return sp, nil
}

func readAll(ctx context.Context, st Store, p string, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = DefaultMaxMetadataSize
	}
	obj, err := st.Open(ctx, p)
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	return readObject(ctx, obj, limit)
}

// decodeSummaries reads the metadata file at p with
// metadata.DecodeSummaries: a local file through its window (up to
// MaxStreamedMetadataSize, or limit if larger), a remote one fetched whole
// first (up to limit; see OpenSummaries).
//
// With fc it decodes through fc (metadata.FileCheck.DecodeSummaries) and
// returns the bytes of a remote file, which fc's second pass reads again.
func decodeSummaries(ctx context.Context, st Store, p string, limit int64, fc *metadata.FileCheck, files bool) (*metadata.Metadata, int64, []byte, error) {
	if limit <= 0 {
		limit = DefaultMaxMetadataSize
	}
	decode := metadata.DecodeSummaries
	switch {
	case fc != nil:
		decode = fc.DecodeSummaries
	case !files:
		decode = metadata.DecodeSummariesNoFiles
	}
	obj, err := st.Open(ctx, p)
	if err != nil {
		return nil, 0, nil, err
	}
	defer obj.Close()
	if f, ok := obj.(localFile); ok {
		n := f.Size()
		if streamed := max(limit, MaxStreamedMetadataSize); n > streamed {
			return nil, 0, nil, fmt.Errorf("metadata file is %d bytes, more than the %d MiB spcheck reads (--max-metadata-size)", n, streamed>>20)
		}
		src, done := f.decodeSource()
		defer done()
		m, err := decode(src, n)
		return m, n, nil, err
	}
	b, err := readObject(ctx, obj, limit)
	if err != nil {
		return nil, 0, nil, err
	}
	n := int64(len(b))
	m, err := decode(metadata.Memory(b), n)
	if fc == nil {
		b = nil
	}
	return m, n, b, err
}

func readObject(ctx context.Context, obj Object, limit int64) ([]byte, error) {
	if n := obj.Size(); n > limit {
		return nil, fmt.Errorf("metadata file is %d bytes, more than the %d MiB spcheck reads (--max-metadata-size)", n, limit>>20)
	}
	if fr, ok := obj.(FullReader); ok {
		b, err := fr.ReadFull(ctx)
		if err == nil && int64(len(b)) > limit {
			return nil, fmt.Errorf("metadata file is %d bytes, more than the %d MiB spcheck reads (--max-metadata-size)", len(b), limit>>20)
		}
		return b, err
	}
	n := obj.Size()
	b := make([]byte, n)
	if _, err := io.ReadFull(io.NewSectionReader(obj, 0, n), b); err != nil {
		return nil, fmt.Errorf("reading: %w", err)
	}
	return b, nil
}

// Locate finds the metadata file for p: p itself when it is a file;
// p/_metadata when p is a savepoint or chk-N directory; else the newest
// complete chk-N or savepoint-* directory below p (a checkpoint directory,
// or a directory of savepoints). picked says which one was chosen, when
// one was.
func Locate(ctx context.Context, st Store, p string) (metaPath, picked string, err error) {
	fi, err := st.Stat(ctx, p)
	if err != nil {
		return "", "", err
	}
	if !fi.IsDir {
		return p, "", nil
	}
	direct := joinPath(p, MetadataFileName)
	if _, err := st.Stat(ctx, direct); err == nil {
		return direct, "", nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", "", err
	}
	ents, err := st.List(ctx, p)
	if err != nil {
		return "", "", err
	}
	if s, msg := latestComplete(snapshots(ctx, st, ents, false)); s != nil {
		return joinPath(s.Path, MetadataFileName), msg, nil
	}
	return "", "", noMetadataError(p, ents)
}

func noMetadataError(p string, ents []FileInfo) error {
	var names []string
	for _, e := range ents {
		n := e.Name
		if e.IsDir {
			n += "/"
		}
		names = append(names, n)
	}
	what := "the directory is empty"
	if len(names) > 0 {
		if len(names) > 8 {
			names = append(names[:8], fmt.Sprintf("… (%d more)", len(ents)-8))
		}
		what = "it holds " + strings.Join(names, ", ")
	}
	return fmt.Errorf("%w in %s (%s); pass a savepoint directory, a chk-N directory, a checkpoint directory or a metadata file", ErrNoMetadata, p, what)
}

// Display returns a store path of this savepoint's store as a location
// people can use: a local path, or a URL with the savepoint's scheme and
// host, without credentials.
func (sp *Savepoint) Display(p string) string {
	u := *sp.URL
	u.Path, u.RawPath = p, ""
	return Redact(&u)
}

func alias(s string) string {
	switch s {
	case "s3a", "s3p", "s3n":
		return "s3"
	}
	return s
}

// plainPathError drops the operation and path of a *fs.PathError, which
// the caller's message already names ("x: stat x: no such file" becomes
// "x: no such file or directory"), keeping the error chain for errors.Is.
func plainPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && err == error(pe) {
		return pe.Err
	}
	return err
}
