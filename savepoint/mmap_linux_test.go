package savepoint

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/spcheck/spcheck/fixtures"
	"github.com/spcheck/spcheck/metadata"
)

// mapBig writes a synthetic checkpoint of a few MiB and maps it; it
// returns its path, bytes and mapping (closed when the test ends).
func mapBig(t *testing.T) (string, []byte, *mappedFile) {
	t.Helper()
	b, err := metadata.Encode(fixtures.Synthetic(4, 200, 20))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 2*minMappedSize {
		t.Fatalf("synthetic checkpoint of %d bytes, want at least %d", len(b), 2*minMappedSize)
	}
	p := filepath.Join(t.TempDir(), "_metadata")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	mf := mapFile(f, int64(len(b)))
	if mf == nil {
		t.Fatal("not mapped")
	}
	t.Cleanup(func() { mf.Close() })
	return p, b, mf
}

// A mapped file decodes as its bytes do; released pages read again.
func TestMappedFile(t *testing.T) {
	p, b, mf := mapBig(t)
	want, err := metadata.DecodeSummaries(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := metadata.DecodeSummaries(mf, int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if got.FileCount() != want.FileCount() || got.FileCount() != 4*200*23 {
		t.Errorf("%d files, want %d (read) and %d", got.FileCount(), want.FileCount(), 4*200*23)
	}
	mf.ReleaseBefore(int64(len(b)))
	if mf.released != len(b)&^(os.Getpagesize()-1) {
		t.Errorf("released %d bytes of %d", mf.released, len(b))
	}
	buf := make([]byte, 100)
	if _, err := mf.ReadAt(buf, int64(len(b))/2); err != nil || !bytes.Equal(buf, b[len(b)/2:len(b)/2+100]) {
		t.Errorf("reading released bytes: %v", err)
	}
	// A small file is read, not mapped.
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if mapFile(f, minMappedSize-1) != nil {
		t.Error("a file under minMappedSize was mapped")
	}
}

// A mapped file truncated while it is read is an error, not a crash.
func TestMappedFileTruncated(t *testing.T) {
	p, b, mf := mapBig(t)
	if err := os.Truncate(p, int64(len(b)/3)); err != nil {
		t.Fatal(err)
	}
	if _, err := metadata.DecodeSummaries(mf, int64(len(b))); !errors.Is(err, metadata.ErrInputChanged) {
		t.Errorf("decoding: %v, want ErrInputChanged", err)
	}
	if _, err := metadata.NewFileCheck(func(string, bool) bool { return true }).DecodeSummaries(mf, int64(len(b))); !errors.Is(err, metadata.ErrInputChanged) {
		t.Errorf("decoding with a FileCheck: %v, want ErrInputChanged", err)
	}
	buf := make([]byte, 10)
	if _, err := mf.ReadAt(buf, int64(len(b))-10); !errors.Is(err, metadata.ErrInputChanged) {
		t.Errorf("ReadAt: %v, want ErrInputChanged", err)
	}
}
