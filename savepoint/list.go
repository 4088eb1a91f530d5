package savepoint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spcheck/spcheck/metadata"
)

// A Snapshot is a retained checkpoint (chk-N) or a savepoint
// (savepoint-…) directory found by ListSnapshots.
type Snapshot struct {
	Name string
	Path string // store path of the directory
	// Type is "checkpoint" (a chk-N directory) or "savepoint".
	Type string
	// ID is the checkpoint ID: from the directory name for chk-N, from
	// the metadata header for savepoints; -1 when unknown.
	ID int64
	// Complete says the directory holds a _metadata file: Flink writes
	// it last, so a directory without one is an incomplete (failed or
	// in-progress) snapshot.
	Complete bool
	ModTime  time.Time
	// MetadataSize is the size of _metadata.
	MetadataSize int64
	// FormatVersion and, with details, Kind and StateSize come from the
	// metadata.
	FormatVersion int32
	Kind          string
	StateSize     int64
	Operators     int
	// Err is set when the metadata could not be read or decoded.
	Err error
}

// maxConcurrentReads bounds the metadata files read at once.
const maxConcurrentReads = 8

// bigMetadata is the size above which metadata files are read one at a
// time (bigMetadataRead).
const bigMetadata = 16 << 20

var bigMetadataRead = make(chan struct{}, 1)

// ListSnapshots finds the chk-N and savepoint-* directories directly
// under dir, newest first (by checkpoint ID, then modification time).
// With details it decodes each complete snapshot's metadata for its kind
// and state size; without, it reads only the 16-byte header of savepoints.
func ListSnapshots(ctx context.Context, st Store, dir string, details bool) ([]Snapshot, error) {
	ents, err := st.List(ctx, dir)
	if err != nil {
		return nil, err
	}
	return snapshots(ctx, st, ents, details), nil
}

func snapshots(ctx context.Context, st Store, ents []FileInfo, details bool) []Snapshot {
	var out []Snapshot
	for _, e := range ents {
		if !e.IsDir {
			continue
		}
		s := Snapshot{Name: e.Name, Path: e.Path, ID: -1, ModTime: e.ModTime}
		id, isChk := chkNumber(e.Name)
		switch {
		case isChk:
			s.Type, s.ID = "checkpoint", id
		case strings.HasPrefix(e.Name, "savepoint-"):
			s.Type = "savepoint"
		default:
			continue
		}
		out = append(out, s)
	}
	sem := make(chan struct{}, maxConcurrentReads)
	var wg sync.WaitGroup
	for i := range out {
		wg.Add(1)
		sem <- struct{}{}
		go func(s *Snapshot) {
			defer func() { <-sem; wg.Done() }()
			s.read(ctx, st, details)
		}(&out[i])
	}
	wg.Wait()
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].ID != out[j].ID {
			return out[i].ID > out[j].ID
		}
		if !out[i].ModTime.Equal(out[j].ModTime) {
			return out[i].ModTime.After(out[j].ModTime)
		}
		// The same ID and time (a file system's clock is coarse): the
		// higher chk-N first (a savepoint counts as 0), then by name, so
		// that the order is the same on every run.
		ni, _ := chkNumber(out[i].Name)
		nj, _ := chkNumber(out[j].Name)
		if ni != nj {
			return ni > nj
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// chkNumber is N of a chk-N directory name, and whether name is one.
func chkNumber(name string) (int64, bool) {
	rest, ok := strings.CutPrefix(name, "chk-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	return n, err == nil
}

func (s *Snapshot) read(ctx context.Context, st Store, details bool) {
	p := joinPath(s.Path, MetadataFileName)
	fi, err := st.Stat(ctx, p)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.Err = err
		}
		return
	}
	s.Complete, s.MetadataSize = true, fi.Size
	if !fi.ModTime.IsZero() {
		s.ModTime = fi.ModTime
	}
	if !details && s.Type == "checkpoint" {
		return
	}
	if !details {
		obj, err := st.Open(ctx, p)
		if err != nil {
			s.Err = err
			return
		}
		defer obj.Close()
		var head [16]byte
		if _, err := io.ReadFull(io.NewSectionReader(obj, 0, 16), head[:]); err != nil {
			s.Err = fmt.Errorf("reading the metadata header: %w", err)
			return
		}
		h, err := metadata.DecodeHeader(head[:])
		if err != nil {
			s.Err = err
			return
		}
		s.FormatVersion, s.ID = h.Version, h.CheckpointID
		return
	}
	if fi.Size > bigMetadata {
		// Large files are read and decoded one at a time, so that
		// memory stays bounded however many there are.
		select {
		case bigMetadataRead <- struct{}{}:
			defer func() { <-bigMetadataRead }()
		case <-ctx.Done():
			s.Err = ctx.Err()
			return
		}
	}
	b, err := readAll(ctx, st, p, 0)
	if err != nil {
		s.Err = err
		return
	}
	m, err := metadata.Decode(b)
	if err != nil {
		s.Err = err
		return
	}
	s.FormatVersion, s.ID, s.Kind = m.Version, m.CheckpointID, m.Kind().Label
	s.Operators = len(m.Operators)
	for i := range m.Operators {
		s.StateSize += m.Operators[i].StateSize()
	}
}

// latestComplete returns the newest complete snapshot, if any, and a
// sentence saying what was picked.
func latestComplete(snaps []Snapshot) (*Snapshot, string) {
	skipped := 0
	for i := range snaps {
		s := &snaps[i]
		if s.Complete && s.Err == nil {
			msg := fmt.Sprintf("picked %s, the latest complete of %d snapshots (checkpoint ID %d)", s.Name, len(snaps), s.ID)
			if skipped > 0 {
				msg += fmt.Sprintf("; skipped %d newer incomplete or unreadable", skipped)
			}
			return s, msg
		}
		skipped++
	}
	return nil, ""
}
