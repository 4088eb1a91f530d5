package compare

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func seedFiles(f *testing.F, pattern string, n int) {
	files, _ := filepath.Glob(pattern)
	for i, p := range files {
		if i >= n {
			break
		}
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

// FuzzReadGraph reads job graphs of every kind (manifests in JSON and
// YAML, SQL plans), detected from the content.
func FuzzReadGraph(f *testing.F) {
	seedFiles(f, "../fixtures/example/job-v*.json", 3)
	seedFiles(f, "../testdata/flink/table-restore/stream-exec-join_1/*/plan/*.json", 2)
	f.Add([]byte("format: spcheck/jobgraph/v1\noperators:\n  - uid: a\n    stateful: true\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ReadGraph(b, "fuzz", "")
	})
}

// FuzzReadManifest reads job-graph manifests.
func FuzzReadManifest(f *testing.F) {
	seedFiles(f, "../fixtures/example/job-v*.json", 3)
	f.Add([]byte("a: &a [1, 2]\nb: *a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ReadManifest(b, "fuzz")
	})
}

// FuzzReadSQLPlan reads compiled SQL plans.
func FuzzReadSQLPlan(f *testing.F) {
	seedFiles(f, "../testdata/flink/table-restore/*/*/plan/*.json", 6)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ReadSQLPlan(bytes.NewReader(b), "fuzz")
	})
}

// FuzzLoadConfig reads .spcheck.yaml accept files.
func FuzzLoadConfig(f *testing.F) {
	seedFiles(f, "testdata/config/*.yaml", 20)
	seedFiles(f, "../internal/cli/testdata/accept*.yaml", 2)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = LoadConfig(b, "fuzz")
	})
}

// FuzzAvroSchema parses Avro schemas (as state headers carry them).
func FuzzAvroSchema(f *testing.F) {
	for _, s := range []string{`"long"`, `{"type":"record","name":"R","namespace":"n","fields":[{"name":"a","type":["null","string"],"default":null}]}`,
		`{"type":"array","items":{"type":"map","values":"int"}}`, `{"type":"enum","name":"E","symbols":["A","B"]}`, strings.Repeat("[", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = parseAvroSchema(s)
	})
}
