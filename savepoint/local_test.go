package savepoint_test

import (
	"path/filepath"
	"testing"

	"github.com/spcheck/spcheck/savepoint"
	"github.com/spcheck/spcheck/savepoint/storetest"
)

func TestLocalConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, files map[string][]byte) (savepoint.Store, string) {
		dir := t.TempDir()
		storetest.WriteFiles(t, dir, files)
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
