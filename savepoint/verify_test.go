//go:build unix

package savepoint_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spcheck/spcheck/metadata"
	"github.com/spcheck/spcheck/savepoint"
	"github.com/spcheck/spcheck/savepoint/storetest"
)

// listCounter counts a store's listings.
type listCounter struct {
	savepoint.Store
	lists atomic.Int32
}

func (c *listCounter) List(ctx context.Context, p string) ([]savepoint.FileInfo, error) {
	c.lists.Add(1)
	return c.Store.List(ctx, p)
}

// TestVerifyFilesReadRoots verifies the files of a checkpoint whose handles
// point inside chk-3, into the job's shared/ directory (whose file is
// deleted), outside by absolute and relative paths, at a FIFO and into a
// directory only --state-root allows: the deleted shared file is missing,
// named with its operator and subtask; files outside the read roots are
// not verified (and the guarded store fails the test if anything outside
// is listed); each directory is listed once.
func TestVerifyFilesReadRoots(t *testing.T) {
	wantDirs := func(withRoot bool) int {
		if withRoot {
			return 3
		}
		return 2
	}
	base, chk := hostileCheckpoint(t)
	// A lifecycle rule deleted the whole shared/ directory.
	if err := os.RemoveAll(filepath.Join(base, "job", "shared")); err != nil {
		t.Fatal(err)
	}
	u, _ := savepoint.ParseLocation(chk)
	local, err := savepoint.OpenStore(t.Context(), u, savepoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantMissing := metadata.FileRef{Path: "file:" + filepath.ToSlash(filepath.Join(base, "job/shared/shared-1"))}
	for _, withRoot := range []bool{false, true} {
		roots := []string{filepath.ToSlash(filepath.Join(base, "job"))}
		opts := savepoint.Options{VerifyFiles: true}
		if withRoot {
			opts.StateRoots = []string{filepath.Join(base, "relocated")}
			roots = append(roots, filepath.ToSlash(filepath.Join(base, "relocated")))
		}
		lc := &listCounter{Store: storetest.Guard(t, local, roots...)}
		sp, err := savepoint.OpenIn(t.Context(), lc, chk, opts)
		if err != nil {
			t.Fatal(err)
		}
		// Each directory is listed once: open starts the listings while
		// it decodes the metadata, and VerifyFiles takes them.
		for deadline := time.Now().Add(10 * time.Second); int(lc.lists.Load()) < wantDirs(withRoot); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("root %v: %d listings started by open, want %d", withRoot, lc.lists.Load(), wantDirs(withRoot))
			}
		}
		v, err := sp.VerifyFiles(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		// Verified: chk-3/keyed, shared/shared-1, chk-3/fifo, and with
		// the root relocated/elsewhere. Not: the secret by an absolute and
		// two relative paths, /etc/passwd (and relocated/elsewhere).
		wantFiles, wantNot, wantDirs := 3, 5, wantDirs(withRoot)
		if withRoot {
			wantFiles, wantNot = 4, 4
		}
		if v.Files != wantFiles || v.NotVerified != wantNot || v.Dirs != wantDirs || int(lc.lists.Load()) != wantDirs {
			t.Errorf("root %v: %d files verified, %d not, %d dirs, %d listings; want %d, %d, %d, %d",
				withRoot, v.Files, v.NotVerified, v.Dirs, lc.lists.Load(), wantFiles, wantNot, wantDirs, wantDirs)
		}
		// The directories not listed, each once: the secret's, by an
		// absolute and a relative path, and the one a longer climb out
		// reaches, /etc, and without the root relocated/.
		slash := func(p string) string { return filepath.ToSlash(p) + "/" }
		wantUnlisted := []savepoint.UnlistedDir{
			{Dir: slash(filepath.Join(base, "outside")), Where: savepoint.OutsideRoot, Refs: 2},
			{Dir: slash(filepath.Join(filepath.Dir(base), "outside")), Where: savepoint.OutsideRoot, Refs: 1},
			{Dir: "/etc/", Where: savepoint.OutsideRoot, Refs: 1},
		}
		if !withRoot {
			wantUnlisted = append(wantUnlisted, savepoint.UnlistedDir{Dir: slash(filepath.Join(base, "relocated")), Where: savepoint.OutsideRoot, Refs: 1})
		}
		if !reflect.DeepEqual(v.Unlisted, wantUnlisted) {
			t.Errorf("root %v: not listed %+v, want %+v", withRoot, v.Unlisted, wantUnlisted)
		}
		if v.MissingFiles != 1 || len(v.Missing) != 1 || v.Missing[0].Operator != 1 || v.Missing[0].Subtask != 0 || v.Missing[0].Ref != wantMissing {
			t.Errorf("root %v: missing %+v (%d files); want operator 1 subtask 0 %s", withRoot, v.Missing, v.MissingFiles, wantMissing.Path)
		}
	}
}

// TestVerifyFilesRelocated verifies a savepoint moved to another
// directory (relative handles resolve against where _metadata now is), as
// streamed summaries and as decoded handles: complete, then with one file
// deleted.
func TestVerifyFilesRelocated(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "moved", "savepoint-1")
	src := "../fixtures/example/savepoint"
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	verify := func(open func(context.Context, string, savepoint.Options) (*savepoint.Savepoint, error)) *savepoint.FileVerification {
		t.Helper()
		sp, err := open(t.Context(), dir, savepoint.Options{VerifyFiles: true})
		if err != nil {
			t.Fatal(err)
		}
		defer sp.Close()
		v, err := sp.VerifyFiles(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for name, open := range map[string]func(context.Context, string, savepoint.Options) (*savepoint.Savepoint, error){
		"summaries": savepoint.OpenSummaries, "handles": savepoint.Open,
	} {
		if v := verify(open); v.Files != 10 || v.MissingFiles != 0 || v.NotVerified != 0 || v.Dirs != 1 {
			t.Errorf("%s: complete savepoint: %+v; want 10 files in 1 directory, none missing", name, v)
		}
	}
	if err := os.Remove(filepath.Join(dir, "enrich-keyed-2")); err != nil {
		t.Fatal(err)
	}
	for name, open := range map[string]func(context.Context, string, savepoint.Options) (*savepoint.Savepoint, error){
		"summaries": savepoint.OpenSummaries, "handles": savepoint.Open,
	} {
		v := verify(open)
		if v.MissingFiles != 1 || len(v.Missing) != 1 {
			t.Fatalf("%s: %+v; want enrich-keyed-2 missing", name, v)
		}
		m := v.Missing[0]
		if m.Operator != 3 || m.Subtask != 2 || m.Ref != (metadata.FileRef{Path: "enrich-keyed-2", Relative: true}) || m.Resolved != filepath.ToSlash(filepath.Join(dir, "enrich-keyed-2")) {
			t.Errorf("%s: missing %+v; want operator 3 (enrich) subtask 2, enrich-keyed-2 in %s", name, m, dir)
		}
	}
}

// TestWhereAzureContainer: in Azure locations the user part names the
// container; a handle in another container of the same account is in
// another store (not listed in the savepoint's container, so never
// reported missing there).
func TestWhereAzureContainer(t *testing.T) {
	u, err := savepoint.ParseLocation("abfss://flink@acct.dfs.core.windows.net/cp/job/chk-3/_metadata")
	if err != nil {
		t.Fatal(err)
	}
	sp := &savepoint.Savepoint{URL: u, Dir: "/cp/job/chk-3", Roots: []string{"/cp/job/chk-3", "/cp/job"}}
	for path, want := range map[string]savepoint.Where{
		"abfss://flink@acct.dfs.core.windows.net/cp/job/shared/a": savepoint.InRoot,
		"abfss://other@acct.dfs.core.windows.net/cp/job/shared/a": savepoint.OtherStore,
	} {
		if _, w := sp.Where(metadata.FileRef{Path: path}); w != want {
			t.Errorf("Where(%s) = %v, want %v", path, w, want)
		}
	}
}

// TestVerifyFilesSymlinkOut: a directory of the savepoint that is a
// symbolic link out of it is not listed (os.Root refuses it): its files
// are not verified, and not missing.
func TestVerifyFilesSymlinkOut(t *testing.T) {
	base := t.TempDir()
	sp := filepath.Join(base, "savepoint-1")
	for _, d := range []string{sp, filepath.Join(base, "outside")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(base, "outside", "keyed"), []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../outside", filepath.Join(sp, "sub")); err != nil {
		t.Fatal(err)
	}
	m := &metadata.Metadata{Version: 3, CheckpointID: 1, Operators: []metadata.OperatorState{{
		ID: metadata.OperatorIDFromUID("a"), Parallelism: 1, MaxParallelism: 128,
		Subtasks: []metadata.SubtaskState{{ManagedKeyedState: &metadata.KeyGroupsHandle{Tag_: metadata.TagKeyGroupsHandleV2,
			Range: metadata.KeyGroupRange{Start: 0, Count: 1}, Offsets: []int64{0}, HandleID: "h",
			Delegate: &metadata.RelativeFileHandle{RelativePath: "sub/keyed", Size: 27}}}},
	}}}
	b, err := metadata.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sp, "_metadata"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := savepoint.OpenSummaries(t.Context(), sp, savepoint.Options{VerifyFiles: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v, err := s.VerifyFiles(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if v.MissingFiles != 0 || v.NotVerified != 0 || len(v.Unlisted) != 0 || len(v.Failed) != 1 {
		t.Errorf("%+v; want the file not verified: its directory's listing failed, nothing missing", v)
	}
}
