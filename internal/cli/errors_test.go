package cli

import (
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
