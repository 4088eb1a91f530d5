package savepoint_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spcheck/spcheck/savepoint"
	"github.com/spcheck/spcheck/savepoint/storetest"
)

func TestLocalConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, files map[string][]byte) (savepoint.Store, string) {
		dir := t.TempDir()
		for name, b := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		u, err := savepoint.ParseLocation(dir)
		if err != nil {
			t.Fatal(err)
		}
		st, err := savepoint.OpenStore(t.Context(), u, savepoint.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return st, filepath.ToSlash(dir)
	})
}
