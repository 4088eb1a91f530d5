package storetest

import (
	"os"
	"path/filepath"
	"testing"
)

// WriteFiles writes files (slash-separated name → content) under the
// local directory dir, making the directories they need: the tree a
// store under test then serves.
func WriteFiles(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
