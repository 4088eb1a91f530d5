package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spcheck/spcheck/compare"
)

// savepointLocations are the directories (or metadata files) of every
// savepoint and checkpoint of the Flink corpus and of the fixtures.
func savepointLocations(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, root := range []string{corpus, fixtures} {
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && d.Name() == "_metadata" {
				out = append(out, filepath.Dir(p))
			}
			return nil
		})
		require.NoError(t, err)
	}
	for _, v := range []string{"v1", "v2", "v3"} {
		// The version fixtures without a _metadata name theirs otherwise.
		if ms, _ := filepath.Glob(filepath.Join(fixtures, "versions", v, "*metadata*")); len(ms) > 0 && !contains(out, filepath.Join(fixtures, "versions", v)) {
			out = append(out, ms[0])
		}
	}
	sort.Strings(out)
	return out
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// Checking a savepoint against the manifest inspect -o manifest writes for
// it gives no finding above info, with and without --deep, for every
// savepoint of the corpus and of the fixtures; YAML and JSON say the same.
func TestGeneratedManifestChecksClean(t *testing.T) {
	locs := savepointLocations(t)
	require.Greater(t, len(locs), 200, "the corpus and fixtures hold over 200 savepoints")
	dir := t.TempDir()
	withStates, states, withSerializer := 0, 0, 0
	for i, loc := range locs {
		for _, deep := range []bool{false, true} {
			args := []string{"inspect", "-o", "manifest", loc}
			if deep {
				args = append(args, "--deep")
			}
			yml, stderr, code := run(args...)
			require.Equal(t, 0, code, "%v: %s", args, stderr)
			js, _, code := run(append(args[:2:2], append([]string{"manifest-json"}, args[3:]...)...)...)
			require.Equal(t, 0, code)
			var gm compare.GeneratedManifest
			require.NoError(t, json.Unmarshal([]byte(js), &gm))
			for _, o := range gm.Operators {
				if len(o.States) > 0 {
					withStates++
				}
				for _, s := range o.States {
					states++
					if s.Serializer != "" {
						withSerializer++
					}
				}
			}
			for _, ext := range []string{"yaml", "json"} {
				name := filepath.Join(dir, fmt.Sprintf("m-%d-%s.%s", i, boolName(deep), ext))
				data := yml
				if ext == "json" {
					data = js
				}
				require.NoError(t, os.WriteFile(name, []byte(data), 0o644))
				cargs := []string{"check", "--config", "none", "-o", "json", "--fail-on", "warning", loc, "--graph", name}
				if deep {
					cargs = append(cargs, "--deep")
				}
				out, stderr, code := run(cargs...)
				var rep struct {
					Verdict  string
					Findings []struct{ Rule, Severity, Message string }
				}
				require.NoError(t, json.Unmarshal([]byte(out), &rep), "%v: %s", cargs, stderr)
				if code != 0 || rep.Verdict != compare.Compatible {
					t.Errorf("%s (deep %v, %s): exit %d, verdict %s, findings %+v\n%s", loc, deep, ext, code, rep.Verdict, rep.Findings, data)
				}
			}
		}
	}
	t.Logf("%d savepoints; with --deep %d operators with states, %d states, %d with a serializer", len(locs), withStates, states, withSerializer)
	// Left out: Java-serialized (Flink ≤1.6) serializers, SQL rows with RAW
	// or structured-type fields, and a Flink test's own serializer.
	if states != 3649 || withSerializer != 3516 {
		t.Errorf("%d of %d states declared with a serializer, want 3516 of 3649", withSerializer, states)
	}
}

func boolName(b bool) string {
	if b {
		return "deep"
	}
	return "flat"
}

// One type syntax: every state inspect --deep lists is printed with the
// type the generated manifest declares for it (without the key, which
// inspect prints on its own line), for every savepoint of the corpus and
// the fixtures.
func TestInspectDeepPrintsManifestTypes(t *testing.T) {
	compared := 0
	for _, loc := range savepointLocations(t) {
		text, _, code := run("inspect", "--deep", loc)
		require.Equal(t, 0, code, loc)
		js, _, code := run("inspect", "--deep", "-o", "manifest-json", loc)
		require.Equal(t, 0, code, loc)
		var gm compare.GeneratedManifest
		require.NoError(t, json.Unmarshal([]byte(js), &gm))
		for _, o := range gm.Operators {
			for _, s := range o.States {
				if s.Serializer == "" {
					continue
				}
				typ, _, _ := strings.Cut(s.Serializer, " keyed by ")
				found := false
				for _, line := range strings.Split(text, "\n") {
					line, _, _ = strings.Cut(line, "  namespace ")
					if strings.Contains(line, "  "+s.Name+"  ") && strings.HasSuffix(strings.TrimSpace(line), "  "+typ) {
						found = true
					}
				}
				if !found {
					t.Errorf("%s: state %q: inspect --deep does not print the manifest's type %q:\n%s", loc, s.Name, typ, text)
				}
				compared++
			}
		}
	}
	t.Logf("%d states compared", compared)
	require.Greater(t, compared, 1000)
}
