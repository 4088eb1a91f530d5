package metadata

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// corpusDir holds real Flink metadata files, read in place.
const corpusDir = "../testdata/flink"

// corpusFiles returns every _metadata file of the corpus; the test fails
// when the corpus is missing.
func corpusFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(corpusDir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && d.Name() == "_metadata" {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading the corpus: %v", err)
	}
	if len(files) == 0 {
		t.Fatalf("no _metadata files under %s", corpusDir)
	}
	return files
}

func TestCorpusDecodes(t *testing.T) {
	versions := map[int32]int{}
	for _, f := range corpusFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Decode(b)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		versions[m.Version]++
	}
	t.Logf("decoded by version: %v", versions)
}

func TestCorpusReencodes(t *testing.T) {
	quirky := 0
	reencodes(t, corpusFiles(t), func(m *Metadata) {
		if len(m.Quirks) > 0 {
			quirky++
		}
	})
	t.Logf("files in a quirk layout: %d", quirky)
}

// reencodes checks that each file decodes and re-encodes byte for byte,
// and calls each with the decoded metadata.
func reencodes(t *testing.T, files []string, each func(*Metadata)) {
	t.Helper()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Decode(b)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		each(m)
		out, err := Encode(m)
		if err != nil {
			t.Errorf("%s: encode: %v", f, err)
			continue
		}
		if !bytes.Equal(out, b) {
			t.Errorf("%s: re-encoding differs (%d bytes, want %d) from offset %d", f, len(out), len(b), firstDiff(out, b))
		}
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// The snapshots the restore oracle took with real Flink 1.18 to 2.3
// (testdata/oracle: savepoints, retained checkpoints with in-flight data
// or with file merging, ForSt's, the SQL sink materializers'): each
// decodes and re-encodes byte for byte, as the corpus does.
func TestOracleSnapshotsReencode(t *testing.T) {
	files, err := filepath.Glob("../testdata/oracle/*/savepoints/*/_metadata")
	if err != nil {
		t.Fatal(err)
	}
	sink, err := filepath.Glob("../testdata/oracle/*/sink-materializer/*/savepoint/_metadata")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, sink...)
	merging, err := filepath.Glob("../testdata/oracle/*/file-merging/*/_metadata")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, merging...)
	if len(files) < 100 {
		t.Fatalf("%d oracle snapshots; the oracle wrote more", len(files))
	}
	versions := map[int32]int{}
	reencodes(t, files, func(m *Metadata) { versions[m.Version]++ })
	t.Logf("%d oracle snapshots by format version: %v", len(files), versions)
}
