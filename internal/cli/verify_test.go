package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	spfixtures "github.com/spcheck/spcheck/fixtures"
	"github.com/spcheck/spcheck/metadata"
	"github.com/spcheck/spcheck/savepoint"
)

// brokenExample copies the example savepoint into a temporary directory
// without the files named.
func brokenExample(t *testing.T, without ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "savepoint-moved")
	copyTree(t, fixtures+"/example/savepoint", dir)
	for _, f := range without {
		require.NoError(t, os.Remove(filepath.Join(dir, f)))
	}
	return dir
}

// TestMissingStateFiles: check verifies by default that the referenced
// files exist (SP040, refused, exit 1, naming operator, subtask and path);
// an operator whose state -n drops gets no finding, as Flink opens none of
// its files; --no-verify-files skips the verification; inspect --files
// exits 1; files outside the savepoint are not verified and stderr says
// so.
func TestMissingStateFiles(t *testing.T) {
	sp := brokenExample(t, "dedup-keyed-1", "enrich-keyed-0")
	v2, v3 := fixtures+"/example/job-v2.json", fixtures+"/example/job-v3.json"

	out, errOut, code := run("check", sp, "--graph", v2)
	require.Equal(t, 1, code, out+errOut)
	require.Contains(t, out, "INCOMPATIBLE: Flink would refuse this restore")
	require.Contains(t, out, `error   SP040 missing-state-file  5a872f3a73b9dad53994e3e6e14f16e6 (uid "dedup", name "Deduplicate")`)
	require.Contains(t, out, "subtask 1 references dedup-keyed-1, which does not exist (looked for at "+filepath.ToSlash(sp)+"/dedup-keyed-1)")
	require.Contains(t, out, `error   SP040 missing-state-file  9c32e3838cee893dbb2fc90ccad79598 (uid "enrich", name "Enrich with customers")`)
	require.Contains(t, out, "subtask 0 references enrich-keyed-0")
	require.Contains(t, out, "outcome: Flink refuses the restore")
	require.Empty(t, errOut)

	js, _, code := run("check", "-o", "json", sp, "--graph", v2)
	require.Equal(t, 1, code)
	var rep struct {
		Verdict  string `json:"verdict"`
		Findings []struct {
			Rule, Outcome, Severity, Fingerprint string
		} `json:"findings"`
	}
	require.NoError(t, json.Unmarshal([]byte(js), &rep))
	require.Equal(t, "incompatible", rep.Verdict)
	prints := map[string]bool{}
	n := 0
	for _, f := range rep.Findings {
		if f.Rule == "SP040" {
			n++
			require.Equal(t, "refused", f.Outcome)
			require.Equal(t, "error", f.Severity)
			prints[f.Fingerprint] = true
		}
	}
	require.Equal(t, 2, n)
	require.Len(t, prints, 2, "each missing file has its own fingerprint")

	// With -n, v3 drops the enrich and dedup operators' state: Flink opens
	// none of their files.
	out, _, _ = run("check", "-n", sp, "--graph", v3)
	require.NotContains(t, out, "SP040")

	out, _, code = run("check", "--no-verify-files", sp, "--graph", v2)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "COMPATIBLE")

	_, errOut, code = run("inspect", "--files", sp)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "2 referenced files are missing")
	_, _, code = run("inspect", sp)
	require.Equal(t, 0, code, "plain inspect does not look at the files")

	// Fixture v2 names an absolute file outside its directory: not read,
	// not verified, not missing.
	v2sp := fixtures + "/versions/v2"
	out, errOut, code = run("check", v2sp, "--graph", v2sp+"/_metadata")
	require.NotContains(t, out, "SP040")
	require.Equal(t, "spcheck: 1 reference to a state file not verified, outside the savepoint (not read; --state-root DIR adds a directory): /tmp/savepoints/savepoint-1a2b3c/\n", errOut)
	_, _, codeNo := run("check", "--no-verify-files", v2sp, "--graph", v2sp+"/_metadata")
	require.Equal(t, codeNo, code)
	require.False(t, strings.Contains(errOut, "missing"))
}

// A file path that is not modified UTF-8 fails the decode, as Flink's
// readUTF fails the restore, whether or not check counts and verifies
// the files: check without verification and diff count none, and the
// decoder's fast path then checks the paths' bytes itself.
func TestInvalidPathWithoutFileCounts(t *testing.T) {
	m := spfixtures.Synthetic(2, 3, 2)
	k := m.Operators[1].Subtasks[2].ManagedKeyedState.(*metadata.IncrementalKeyedHandle)
	k.Shared[1].Handle.(*metadata.FileHandle).Path = "s3://bucket/données/x.sst"
	b, err := metadata.Encode(m)
	require.NoError(t, err)
	i := bytes.Index(b, []byte("données"))
	require.Positive(t, i)
	b[i+2] = 0x80 // a lone continuation byte
	_, want := metadata.Decode(b)
	require.ErrorContains(t, want, "invalid modified UTF-8 in file path")
	sp := filepath.Join(t.TempDir(), "chk-1")
	require.NoError(t, os.MkdirAll(sp, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(sp, "_metadata"), b, 0o644))
	graph := filepath.Join(fixtures, "example", "job-v2.json")
	for _, args := range [][]string{
		{"check", sp, "--graph", graph},
		{"check", "--no-verify-files", sp, "--graph", graph},
		{"check", "--no-verify-files", fixtures + "/example/savepoint", "--graph", sp},
		{"diff", sp, fixtures + "/example/savepoint"},
		{"inspect", sp},
	} {
		out, errOut, code := run(args...)
		require.Equal(t, 3, code, "%v: %s%s", args, out, errOut) // the savepoint does not read
		require.Contains(t, errOut, "invalid modified UTF-8 in file path: invalid lead byte", args)
	}
}

// The directories not listed, by why, with the references to files in
// them: at most three named, and a path with a character that is not
// printable quoted.
func TestNoteVerificationUnlisted(t *testing.T) {
	var stderr bytes.Buffer
	noteVerification(&env{stderr: &stderr}, &savepoint.FileVerification{Unlisted: []savepoint.UnlistedDir{
		{Dir: "s3://b/cp/job/shared/", Where: savepoint.OtherStore, Refs: 2_920_000},
		{Dir: "/x/a/", Where: savepoint.OutsideRoot, Refs: 1},
		{Dir: "/x/b\x1b[2J/", Where: savepoint.OutsideRoot, Refs: 2},
		{Dir: "/x/c d/", Where: savepoint.OutsideRoot, Refs: 3},
		{Dir: "/x/e/", Where: savepoint.OutsideRoot, Refs: 4},
		{Dir: "/x/f/", Where: savepoint.OutsideRoot, Refs: 5},
	}})
	require.Equal(t, `spcheck: 15 references to state files not verified, outside the savepoint (not read; --state-root DIR adds a directory): /x/a/, "/x/b\x1b[2J/", "/x/c d/" and 2 more directories
spcheck: 2920000 references to state files not verified, in another store: s3://b/cp/job/shared/
`, stderr.String())
}
