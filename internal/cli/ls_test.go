package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// snapshotDir builds a directory as Flink leaves it: complete checkpoints,
// an incomplete one (state files but no _metadata), a savepoint, a
// corrupt one, and things that are neither.
func snapshotDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	put := func(rel string, data []byte) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	read := func(rel string) []byte {
		b, err := os.ReadFile(rel)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// Two retained checkpoints, each with its state files (check verifies
	// that they exist).
	src := corpus + "/flink-tests/new-stateful-udf-migration-itcase-flink1.19-hashmap-checkpoint"
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Type().IsRegular() {
			b := read(filepath.Join(src, e.Name()))
			put("chk-7/"+e.Name(), b)
			put("chk-9/"+e.Name(), b)
		}
	}
	put("chk-10/some-state-file", []byte("incomplete"))
	put("chk-11/_metadata", []byte("garbage, not metadata"))
	put("shared/000001.sst", []byte("x"))
	put("taskowned/x", []byte("x"))
	put("savepoint-1a2b3c-4d5e6f7a8b9c/_metadata", read(fixtures+"/versions/v2/_metadata"))
	put("notes.txt", []byte("x"))
	return dir
}

func TestLs(t *testing.T) {
	dir := snapshotDir(t)
	stdout, stderr, code := run("ls", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var names []string
	for _, l := range lines[1:] {
		f := strings.Fields(strings.TrimPrefix(l, "*"))
		names = append(names, f[0])
	}
	// Newest first by checkpoint ID: the savepoint's metadata says 42.
	want := []string{"savepoint-1a2b3c-4d5e6f7a8b9c", "chk-11", "chk-10", "chk-9", "chk-7"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("order %v, want %v\n%s", names, want, stdout)
	}
	for _, tc := range []struct{ name, want string }{
		{"savepoint-1a2b3c-4d5e6f7a8b9c", "*"},
		{"chk-11", "unreadable: not a Flink checkpoint metadata file"},
		{"chk-10", "incomplete (no _metadata)"},
		{"chk-9", "checkpoint"},
	} {
		found := false
		for _, l := range lines {
			if strings.Contains(l, tc.name+" ") && strings.Contains(l, tc.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("no line for %s containing %q:\n%s", tc.name, tc.want, stdout)
		}
	}
	if strings.Count(stdout, "*") != 1 {
		t.Errorf("want exactly one latest mark:\n%s", stdout)
	}

	// JSON marks the same one.
	stdout, _, _ = run("ls", "-o", "json", dir)
	if !strings.Contains(stdout, `"latest_complete": true`) || strings.Count(stdout, `"latest_complete": true`) != 1 {
		t.Errorf("json: want one latest_complete:\n%s", stdout)
	}
}

// inspect and check given such a directory use its latest complete
// snapshot and say which on stderr.
func TestPickLatest(t *testing.T) {
	dir := snapshotDir(t)
	os.RemoveAll(filepath.Join(dir, "savepoint-1a2b3c-4d5e6f7a8b9c"))
	os.RemoveAll(filepath.Join(dir, "chk-11"))
	stdout, stderr, code := run("check", dir, "--graph", fixtures+"/flink-tests/stateful-job.json")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, stderr, stdout)
	}
	if !strings.Contains(stderr, "picked chk-9, the latest complete of 3 snapshots (checkpoint ID 9); skipped 1 newer incomplete or unreadable") {
		t.Errorf("stderr %q", stderr)
	}
	stdout, _, _ = run("inspect", dir)
	if !strings.Contains(stdout, "(picked chk-9") || !strings.Contains(stdout, filepath.Join(dir, "chk-9", "_metadata")) {
		t.Errorf("inspect does not say what it picked:\n%s", stdout)
	}

	empty := t.TempDir()
	os.Mkdir(filepath.Join(empty, "chk-3"), 0o755)
	_, stderr, code = run("inspect", empty)
	if code != ExitInput || !strings.Contains(stderr, "no _metadata found") || !strings.Contains(stderr, "chk-3/") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestDiffCommand(t *testing.T) {
	a := corpus + "/flink-tests/new-stateful-udf-migration-itcase-flink1.18-rocksdb-checkpoint"
	b := corpus + "/flink-tests/new-stateful-udf-migration-itcase-flink1.19-rocksdb-savepoint-native"
	stdout, stderr, code := run("diff", a, b)
	if code != 0 || !strings.Contains(stdout, "0 added, 0 removed, 0 changed (0 rescaled), 8 unchanged") {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
	stdout, _, code = run("diff", fixtures+"/example/savepoint", fixtures+"/versions/v5")
	if code != 0 || !strings.Contains(stdout, "2 added, 3 removed, 2 changed (2 rescaled)") {
		t.Errorf("exit %d\n%s", code, stdout)
	}
	if _, _, code := run("diff", a); code != ExitUsage {
		t.Errorf("one argument: exit %d, want 2", code)
	}
}
