package savepoint

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Checkpoints with the same ID and the same modification time (a copied
// _metadata, a coarse file-system clock) are listed by chk-N, highest
// first, then by name: the same order on every run.
func TestListSnapshotsTies(t *testing.T) {
	dir := t.TempDir()
	when := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	checkpoint, err := os.ReadFile("../testdata/flink/flink-tests/new-stateful-udf-migration-itcase-flink1.19-hashmap-checkpoint/_metadata") // checkpoint 1
	if err != nil {
		t.Fatal(err)
	}
	savepoint, err := os.ReadFile("../fixtures/versions/v2/_metadata") // checkpoint 42
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"chk-7": checkpoint, "chk-9": checkpoint, "chk-10": []byte("not metadata"),
		"savepoint-a": savepoint, "savepoint-b": savepoint,
	} {
		p := filepath.Join(dir, name, MetadataFileName)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, when, when); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ListSnapshots(context.Background(), localStore{}, dir, true)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range got {
		names = append(names, s.Name)
	}
	want := []string{"savepoint-a", "savepoint-b", "chk-10", "chk-9", "chk-7"}
	if len(names) != len(want) {
		t.Fatalf("listed %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("listed %v, want %v", names, want)
		}
	}
}
