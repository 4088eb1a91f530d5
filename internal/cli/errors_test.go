package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Errors point at the mistake: unknown commands, help topics and flags get
// a suggestion; manifest errors give file:line:column, the field's path
// and, for unknown fields, the field the schema allows there.
func TestErrorsPointAtTheMistake(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(s), 0o644))
		return p
	}
	sp := fixtures + "/example/savepoint"
	badYAML := write("bad.yaml", "format: spcheck/jobgraph/v1\noperators:\n  - uid: a\n    paralelism: 2\n  - uid: b\n    parallelism: \"x\"\n")
	badJSON := write("bad.json", "{\n  \"format\": \"spcheck/jobgraph/v1\",\n  \"operators\": [\n    {\"uid\": \"a\", \"stateful\": true,\n     \"states\": [{\"name\": \"s\", \"kidn\": \"value\"}]}\n  ]\n}\n")
	syntaxJSON := write("syntax.json", "{\n  \"format\": \"spcheck/jobgraph/v1\",\n  \"operators\": [\n    {\"uid\": \"a\", }\n  ]\n}\n")
	missing := write("missing.yaml", "format: spcheck/jobgraph/v1\noperators:\n  - name: x\n")
	ttl := write("ttl.yaml", "format: spcheck/jobgraph/v1\noperators:\n  - uid: a\n    states:\n      - name: s\n        ttl: 3 fortnights\n")
	// Several mistakes: listed in the file's order, whatever the order
	// of the schema's keywords.
	several := write("several.yaml", "format: spcheck/jobgraph/v1\nmaxParallelism: 40000\noperators:\n  - uid: a\n    id: 0123456789abcdef0123456789abcdef\n  - uid: b\n    parallelism: 0\n")
	dep := write("dep.yaml", "apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\nmetadata: {name: x\nspec:\n")
	for _, c := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"inspec", sp}, 2, []string{"spcheck inspec: unknown command (did you mean inspect?)"}},
		{[]string{"help", "chek"}, 2, []string{"unknown command or topic (did you mean check?)"}},
		{[]string{"help", "location"}, 2, []string{"(did you mean locations?)"}},
		{[]string{"inspect", "--dep", sp}, 2, []string{"unknown flag: --dep (did you mean --deep?)"}},
		{[]string{"check", "--grpah", "x", sp}, 2, []string{"unknown flag: --grpah (did you mean --graph?)"}},
		{[]string{"check", sp, "--graph", badYAML}, 3, []string{
			badYAML + `:4:5: operators[0]: unknown field "paralelism" (did you mean "parallelism"?)`,
			badYAML + `:6:18: operators[1].parallelism: got string, want integer`}},
		{[]string{"check", sp, "--graph", badJSON}, 3, []string{
			badJSON + `:5:31: operators[0].states[0]: unknown field "kidn" (did you mean "kind"?)`}},
		{[]string{"check", sp, "--graph", syntaxJSON}, 3, []string{syntaxJSON + ":4:18: not valid JSON: invalid character '}'"}},
		{[]string{"check", sp, "--graph", missing}, 3, []string{missing + ":3:5: operators[0]: needs one of the properties 'uid', 'uidHash', 'id'"}},
		{[]string{"check", sp, "--graph", several}, 3, []string{strings.Join([]string{
			several + ":2:17: maxParallelism: maximum: got 40000, want 32768",
			several + ":4:5: operators[0]: 'id' and 'uid' are given together; give only one of them",
			several + ":7:18: operators[1].parallelism: minimum: got 0, want 1"}, "\n  ")}},
		{[]string{"check", sp, "--graph", ttl}, 3, []string{ttl + `:6:14: operators[0].states[0].ttl (state "s"): "3 fortnights": unknown unit "fortnights"`}},
		{[]string{"check", "--deployment", dep, "--graph", badYAML}, 3, []string{dep + ":2: not valid YAML: did not find expected ',' or '}'"}},
	} {
		_, stderr, code := run(c.args...)
		require.Equal(t, c.code, code, "%v: %s", c.args, stderr)
		for _, w := range c.want {
			require.Contains(t, stderr, w, "%v", c.args)
		}
	}
}

// No message starts with a Go package name, also after the location it
// names first.
func TestMessagesWithoutPackageNames(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "_metadata")
	require.NoError(t, os.WriteFile(p, []byte("not a checkpoint at all, just text"), 0o644))
	_, stderr, code := run("inspect", p)
	require.Equal(t, 3, code)
	require.Equal(t, "spcheck inspect: "+p+": not a Flink checkpoint metadata file (bad magic number)\n", stderr)
	require.Equal(t, "operator ID x", userMessage("metadata: compare: operator ID x"))
	require.False(t, strings.Contains(userMessage("f: metadata: bad"), "metadata:"))
}

// diff --exit-code exits 1 exactly when the savepoints differ; --uids names
// operators of a savepoint that stores no uids; kinds of state read as in
// inspect.
func TestDiffExitCodeAndUIDs(t *testing.T) {
	v3 := fixtures + "/versions/v3"
	ex := fixtures + "/example/savepoint"
	_, _, code := run("diff", "--exit-code", ex, ex)
	require.Equal(t, 0, code)
	out, _, code := run("diff", "--exit-code", ex, fixtures+"/versions/v5")
	require.Equal(t, 1, code)
	require.Contains(t, out, "- operator: customers (broadcast)")
	require.Contains(t, out, "+ operator: SourceReaderState")
	_, _, code = run("diff", ex, fixtures+"/versions/v5")
	require.Equal(t, 0, code, "without --exit-code a diff is no failure")

	// A and B are read at the same time; A's error comes first.
	missA, missB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	for _, c := range []struct{ a, b, want string }{{missA, missB, missA}, {ex, missB, missB}, {missA, ex, missA}} {
		_, stderr, code := run("diff", c.a, c.b)
		require.Equal(t, ExitInput, code, stderr)
		require.Contains(t, stderr, c.want, stderr)
		require.Equal(t, 1, strings.Count(stderr, "\n"), "one error: %s", stderr)
	}

	dir := t.TempDir()
	insp, _, code := run("inspect", "-o", "json", v3)
	require.Equal(t, 0, code)
	require.NotContains(t, insp, `"uid"`, "format 3 stores no uids")
	uids := filepath.Join(dir, "uids")
	require.NoError(t, os.WriteFile(uids, []byte("# the fixture's uids\nsource\nwindow\nsink\n"), 0o644))
	plain, _, _ := run("diff", v3, v3)
	named, stderr, code := run("diff", "--uids", uids, v3, v3)
	require.Equal(t, 0, code, stderr)
	require.NotEqual(t, plain, named)
	require.Contains(t, named, "uid ")
}

// ls, inspect and check agree on a checkpoint directory whose newest
// chk-N does not read: all take the latest readable one, and inspect and
// check say which they skipped and why.
func TestCheckpointDirectoryUnreadableNewest(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "chk-7"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "chk-9"), 0o755))
	// chk-7 is the example savepoint with its state files (check verifies
	// that they exist).
	ents, err := os.ReadDir(fixtures + "/example/savepoint")
	require.NoError(t, err)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(fixtures, "example", "savepoint", e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "chk-7", e.Name()), b, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "chk-9", "_metadata"), []byte("torn write"), 0o644))

	ls, _, code := run("ls", dir)
	require.Equal(t, 0, code)
	require.Regexp(t, `(?m)^\*\s+chk-7`, ls)
	require.Contains(t, ls, "unreadable: not a Flink checkpoint metadata file")

	const skipped = "chk-9 is unreadable (not a Flink checkpoint metadata file (bad magic number)); picked chk-7"
	insp, _, code := run("inspect", dir)
	require.Equal(t, 0, code)
	require.Contains(t, insp, skipped)
	require.Contains(t, insp, "Checkpoint   1187")
	out, stderr, code := run("check", dir, "--graph", fixtures+"/example/job-v2.json")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, skipped)
	require.Contains(t, out, "checkpoint 1187")
}

// A uid from the savepoint that holds a terminal escape is shown quoted and
// escaped by inspect, never as the raw escape.
func TestInspectQuotesUnprintableNames(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, fixtures+"/sql-states/savepoint", dir)
	p := filepath.Join(dir, "_metadata")
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	// The same length, so that the metadata stays well formed.
	b = bytes.ReplaceAll(b, []byte("over-lag"), []byte("o\x1b[31mag"))
	require.NoError(t, os.WriteFile(p, b, 0o644))
	stdout, stderr, code := run("inspect", dir)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, `uid "o\x1b[31mag"`)
	require.NotContains(t, stdout, "\x1b")
	for in, want := range map[string]string{"": `""`, "a b": `"a b"`, `a"b`: `"a\"b"`, "a\tb": `"a\tb"`, "a\u202eb": `"a\u202eb"`, "com.x.Op$1": "com.x.Op$1", "é": "é"} {
		require.Equal(t, want, quote(in), "%q", in)
	}
}
