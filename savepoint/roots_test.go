//go:build unix

package savepoint_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spcheck/spcheck/metadata"
	"github.com/spcheck/spcheck/savepoint"
	"github.com/spcheck/spcheck/savepoint/storetest"
)

// secret is in a file outside the savepoint; no message may show it.
const secret = "TOP-SECRET-BYTES-0123456789"

// hostileCheckpoint writes a chk-3 whose handles point everywhere: inside
// the checkpoint, into the job's shared/ directory, outside by absolute
// and relative paths, at a FIFO, and into a directory only --state-root
// allows. It returns the base directory and the chk-3 directory.
func hostileCheckpoint(t *testing.T) (base, chk string) {
	t.Helper()
	base = t.TempDir()
	job := filepath.Join(base, "job")
	chk = filepath.Join(job, "chk-3")
	kH := keyedHeader("counts")
	files := map[string][]byte{
		"outside/secret":      []byte(secret),
		"job/chk-3/keyed":     kH,
		"job/shared/shared-1": kH,
		"relocated/elsewhere": kH,
	}
	for name, b := range files {
		p := filepath.Join(base, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(chk, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	handle := func(d metadata.StreamHandle) *metadata.KeyGroupsHandle {
		return &metadata.KeyGroupsHandle{Tag_: metadata.TagKeyGroupsHandleV2, Range: metadata.KeyGroupRange{Start: 0, Count: 1},
			Offsets: []int64{0}, Delegate: d, HandleID: "h"}
	}
	abs := func(p string) string { return "file:" + filepath.ToSlash(filepath.Join(base, p)) }
	n := int64(len(kH))
	delegates := []metadata.StreamHandle{
		&metadata.RelativeFileHandle{RelativePath: "keyed", Size: n},                         // 0 inside chk-3
		&metadata.FileHandle{Path: abs("job/shared/shared-1"), Size: n},                      // 1 the job's shared/
		&metadata.FileHandle{Path: abs("outside/secret"), Size: int64(len(secret))},          // 2 absolute, outside
		&metadata.RelativeFileHandle{RelativePath: "../../outside/secret", Size: 27},         // 3 relative, climbs out
		&metadata.RelativeFileHandle{RelativePath: "a/../../../../outside/secret", Size: 27}, // 4 relative, climbs out
		&metadata.FileHandle{Path: "/etc/passwd", Size: 100},                                 // 5 absolute, no scheme
		&metadata.RelativeFileHandle{RelativePath: "fifo", Size: 100},                        // 6 a FIFO
		&metadata.FileHandle{Path: abs("relocated/elsewhere"), Size: n},                      // 7 allowed by --state-root only
	}
	m := &metadata.Metadata{Version: 3, CheckpointID: 3}
	for i, d := range delegates {
		m.Operators = append(m.Operators, metadata.OperatorState{
			ID: metadata.OperatorIDFromUID(string(rune('a' + i))), Parallelism: 1, MaxParallelism: 128,
			Subtasks: []metadata.SubtaskState{{ManagedKeyedState: handle(d)}},
		})
	}
	b, err := metadata.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(chk, "_metadata"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return base, chk
}

// TestReadRoots: handles that point outside the savepoint are listed, never
// opened or stat'ed (the guarded store fails the test on any access outside
// the job's checkpoint directory); a FIFO is reported, not opened; nothing
// printed shows the secret's bytes.
func TestReadRoots(t *testing.T) {
	base, chk := hostileCheckpoint(t)
	u, _ := savepoint.ParseLocation(chk)
	local, err := savepoint.OpenStore(t.Context(), u, savepoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, withRoot := range []bool{false, true} {
		roots := []string{filepath.ToSlash(filepath.Join(base, "job"))}
		var opts savepoint.Options
		if withRoot {
			opts.StateRoots = []string{filepath.Join(base, "relocated")}
			roots = append(roots, filepath.ToSlash(filepath.Join(base, "relocated")))
		}
		g := storetest.Guard(t, local, roots...)
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		sp, err := savepoint.OpenIn(ctx, g, chk, opts)
		if err != nil {
			t.Fatal(err)
		}
		st := sp.CheckFiles(ctx, sp.AllFiles())
		wantOutside := []bool{false, false, true, true, true, true, false, !withRoot}
		if len(st) != len(wantOutside) {
			t.Fatalf("%d files, want %d", len(st), len(wantOutside))
		}
		for i, s := range st {
			if s.Outside != wantOutside[i] || s.Checked == s.Outside {
				t.Errorf("root %v: file %d %s: outside %v checked %v, want outside %v", withRoot, i, s.Ref.Path, s.Outside, s.Checked, wantOutside[i])
			}
		}
		res, err := savepoint.ReadStates(ctx, sp, savepoint.DeepOptions{})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		var text []string
		for _, p := range res.Problems {
			text = append(text, p.String())
		}
		all := strings.Join(text, "\n")
		if strings.Contains(all, secret) {
			t.Errorf("a problem shows the secret:\n%s", all)
		}
		for _, want := range []string{"outside/secret: skipped: savepoint: " + filepath.ToSlash(base) + "/outside/secret: outside the savepoint, not read",
			"fifo: read: not a regular file (a FIFO), not read"} {
			if !strings.Contains(all, want) {
				t.Errorf("root %v: problems lack %q:\n%s", withRoot, want, all)
			}
		}
		decoded := 0
		for _, o := range res.Operators {
			if len(o.KeyedStates) == 1 {
				decoded++
			}
		}
		if want := 2 + map[bool]int{false: 0, true: 1}[withRoot]; decoded != want {
			t.Errorf("root %v: %d operators decoded, want %d:\n%s", withRoot, decoded, want, all)
		}
		if g.Accesses == 0 {
			t.Error("the guarded store saw no access at all")
		}
	}
}

// A state root in another store is refused.
func TestStateRootOtherStore(t *testing.T) {
	_, chk := hostileCheckpoint(t)
	_, err := savepoint.Open(t.Context(), chk, savepoint.Options{StateRoots: []string{"s3://bucket/x"}})
	if err == nil || !strings.Contains(err.Error(), "state root s3://bucket/x is not in the savepoint's store") {
		t.Errorf("error %v", err)
	}
}

// Opening a FIFO as the metadata file returns at once with an error.
func TestOpenFIFO(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "_metadata")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := savepoint.Open(context.Background(), p, savepoint.Options{})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file (a FIFO)") {
			t.Errorf("error %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("opening a FIFO hangs")
	}
}

// A symbolic link inside the savepoint that leads out of it is not
// followed (the local store opens through os.Root); one that stays inside
// is.
func TestSymlinkOutOfRoot(t *testing.T) {
	base := t.TempDir()
	kH := keyedHeader("counts")
	sp := filepath.Join(base, "sp")
	for name, b := range map[string][]byte{"outside/secret": []byte(secret), "outside/header": kH, "sp/real": kH} {
		p := filepath.Join(base, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{"out": "../outside/header", "in": "real"} {
		if err := os.Symlink(target, filepath.Join(sp, link)); err != nil {
			t.Fatal(err)
		}
	}
	m := &metadata.Metadata{Version: 3, CheckpointID: 1}
	for i, name := range []string{"out", "in"} {
		m.Operators = append(m.Operators, metadata.OperatorState{ID: metadata.OperatorIDFromUID(name), Parallelism: 1, MaxParallelism: 128,
			Subtasks: []metadata.SubtaskState{{ManagedKeyedState: &metadata.KeyGroupsHandle{Tag_: metadata.TagKeyGroupsHandleV2,
				Range: metadata.KeyGroupRange{Count: 1}, Offsets: []int64{0}, HandleID: "h",
				Delegate: &metadata.RelativeFileHandle{RelativePath: name, Size: int64(len(kH))}}}}})
		_ = i
	}
	b, err := metadata.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sp, "_metadata"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := savepoint.Open(t.Context(), sp, savepoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := savepoint.ReadStates(t.Context(), s, savepoint.DeepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Operators[0].KeyedStates) != 0 || len(res.Operators[1].KeyedStates) != 1 {
		t.Errorf("out: %d states, in: %d states; want 0 and 1", len(res.Operators[0].KeyedStates), len(res.Operators[1].KeyedStates))
	}
	if len(res.Problems) != 1 || !strings.Contains(res.Problems[0].String(), "path escapes from parent") {
		t.Errorf("problems %v", res.Problems)
	}
}
