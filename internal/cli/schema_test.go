package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/spcheck/spcheck/schemas"
)

func compileSchema(t *testing.T, name string, data []byte) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(name, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validateJSON(t *testing.T, s *jsonschema.Schema, what, out string) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(out)))
	if err != nil {
		t.Fatalf("%s: output is not JSON: %v", what, err)
	}
	if err := s.Validate(doc); err != nil {
		t.Errorf("%s: output does not match its schema: %v", what, err)
	}
}

func metadataDirs(t *testing.T, roots ...string) []string {
	t.Helper()
	var dirs []string
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && d.Name() == "_metadata" {
				dirs = append(dirs, filepath.Dir(p))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(dirs) == 0 {
		t.Fatal("no metadata files found")
	}
	return dirs
}

// inspect -o json of every corpus and fixture savepoint matches
// schemas/inspect-v1.json.
func TestInspectJSONSchema(t *testing.T) {
	s := compileSchema(t, "inspect-v1.json", schemas.InspectV1)
	dirs := metadataDirs(t, corpus, fixtures)
	for _, d := range dirs {
		stdout, stderr, code := run("inspect", "--files", "--deep", "-o", "json", d)
		if code != 0 {
			t.Errorf("inspect %s: exit %d: %s", d, code, stderr)
			continue
		}
		validateJSON(t, s, d, stdout)
	}
	t.Logf("%d inspect outputs validated", len(dirs))
}

// check -o json matches schemas/check-v1.json, on passing and failing
// checks.
func TestCheckJSONSchema(t *testing.T) {
	s := compileSchema(t, "check-v1.json", schemas.CheckV1)
	for _, args := range [][]string{
		{fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v2.json"},
		{fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v3.json", "--old-graph", fixtures + "/example/job-v1.json"},
		{"-n", fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v3.json"},
		{corpus + "/table-restore/stream-exec-join_1/join-left-join/savepoint", "--graph", corpus + "/table-restore/stream-exec-deduplicate_1/deduplicate-asc/plan/deduplicate-asc.json"},
		{fixtures + "/versions/v3", "--graph", fixtures + "/example/savepoint/_metadata"},
		{"--deep", fixtures + "/states/savepoint", "--graph", fixtures + "/states/job-avro-incompatible.json"},
		{"--deep", fixtures + "/states/savepoint", "--graph", fixtures + "/states/job-ttl-changed.json"},
		{"--deep", fixtures + "/states/savepoint", "--graph", fixtures + "/states/job-unknown-serializer.json"},
	} {
		stdout, stderr, code := run(append([]string{"check", "-o", "json"}, args...)...)
		if code != ExitOK && code != ExitFindings {
			t.Fatalf("check %v: exit %d: %s", args, code, stderr)
		}
		validateJSON(t, s, "check "+args[0], stdout)
	}
}

// Every diff -o json output matches schemas/diff-v1.json: each corpus and
// fixture savepoint against the next one and against itself.
func TestDiffJSONSchema(t *testing.T) {
	s := compileSchema(t, "diff-v1.json", schemas.DiffV1)
	dirs := metadataDirs(t, corpus, fixtures)
	for i, d := range dirs {
		next := dirs[(i+1)%len(dirs)]
		for _, b := range []string{d, next} {
			out, stderr, code := run("diff", "-o", "json", d, b)
			if code != 0 {
				t.Fatalf("diff %s %s: exit %d: %s", d, b, code, stderr)
			}
			validateJSON(t, s, "diff "+d+" "+b, out)
		}
	}
}

// ls -o json matches schemas/ls-v1.json, for directories of checkpoints,
// of savepoints and of both, and for an empty one.
func TestLsJSONSchema(t *testing.T) {
	s := compileSchema(t, "ls-v1.json", schemas.LsV1)
	dirs := []string{t.TempDir(), fixtures, fixtures + "/versions", corpus + "/flink-tests"}
	for _, d := range dirs {
		out, stderr, code := run("ls", "-o", "json", d)
		if code != 0 {
			t.Fatalf("ls %s: exit %d: %s", d, code, stderr)
		}
		validateJSON(t, s, "ls "+d, out)
	}
}
