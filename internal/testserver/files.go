package testserver

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// ReadDir returns the files under dir, by slash-separated relative path.
func ReadDir(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	files, err := ReadTree(dir)
	if err != nil {
		t.Fatalf("testserver: read %s: %v", filepath.Clean(dir), err)
	}
	return files
}

// ReadTree reads the files under dir, by slash-separated relative path.
func ReadTree(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = b
		return nil
	})
	return files, err
}
