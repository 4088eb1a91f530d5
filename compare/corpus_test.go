package compare_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spcheck/spcheck/compare"
	tablecorpus "github.com/spcheck/spcheck/internal/corpus"
	"github.com/spcheck/spcheck/metadata"
)

const corpus = "../testdata/flink"

type restoreCase struct {
	name string
	sp   *metadata.Metadata
	plan *compare.JobGraph
}

// tableRestoreCases loads every table-restore pair (internal/corpus): the
// savepoint and the compiled plan Flink restored it into.
func tableRestoreCases(t *testing.T) []restoreCase {
	t.Helper()
	pairs, err := tablecorpus.TableRestorePairs(corpus)
	require.NoError(t, err)
	var out []restoreCase
	for _, p := range pairs {
		b, err := os.ReadFile(filepath.Join(p.Savepoint, "_metadata"))
		require.NoError(t, err)
		m, err := metadata.Decode(b)
		require.NoError(t, err, p.Name)
		pb, err := os.ReadFile(p.Plan)
		require.NoError(t, err)
		g, err := compare.ReadGraph(pb, p.Plan, "")
		require.NoError(t, err, p.Plan)
		require.Equal(t, compare.FormatSQLPlan, g.Format)
		out = append(out, restoreCase{p.Name, m, g})
	}
	return out
}

// preRelease2: see tablecorpus.PreRelease2.
func preRelease2(c restoreCase) bool {
	return tablecorpus.PreRelease2(c.sp.Version, c.plan.FlinkVersion)
}

// Flink restored each savepoint into its plan without
// --allowNonRestoredState: spcheck must say compatible. A pre-release 2.0
// savepoint (preRelease2) must say unknown, through SP073 alone, which
// --deep decides (internal/cli TestTableRestorePairsDeep).
func TestTableRestorePairsCompatible(t *testing.T) {
	cases := tableRestoreCases(t)
	perDir := map[string]int{}
	versions := map[int32]int{}
	for _, c := range cases {
		perDir[strings.SplitN(c.name, "/", 2)[0]]++
		versions[c.sp.Version]++
		for _, op := range c.plan.Operators {
			if op.IDGuessed && op.IDGuess == "" {
				t.Errorf("%s: the plan reader does not know %s and guesses uid %q", c.name, op.Node, op.UID)
			}
		}
		rep := compare.Check(c.sp, c.name, c.plan, compare.Options{})
		if preRelease2(c) {
			if rep.Verdict != compare.VerdictUnknown || len(rep.Findings) != 1 || rep.Findings[0].Rule != "SP073" {
				t.Errorf("%s: verdict %s, findings %+v, want unknown through SP073 alone", c.name, rep.Verdict, rep.Findings)
			}
			continue
		}
		if rep.Verdict != compare.Compatible || rep.Summary.Errors+rep.Summary.Unknown > 0 {
			t.Errorf("%s: verdict %s, findings %+v", c.name, rep.Verdict, rep.Findings)
		}
	}
	t.Logf("%d table-restore pairs checked: %v; savepoints by metadata format: %v", len(cases), perDir, versions)
	// The corpus: 88 pairs of Flink's repository, 196 of the 2.3.0 test
	// JAR, of which 6 in format 5 and 95 in format 6.
	if perDir["table-restore"] != 88 || perDir["table-restore-2.3"] != 196 || versions[5] != 6 || versions[6] != 95 {
		t.Errorf("pairs %v, formats %v: want 88 and 196 pairs, 6 of format 5 and 95 of format 6", perDir, versions)
	}
}

// For a plan of one case and the savepoint of another, the findings follow
// from Flink's rules alone: every savepoint operator whose ID is not among
// the plan's operator IDs is unmatched; unmatched with subtask state is
// SP001, unmatched with only coordinator state SP020, unmatched without
// state SP002; the restore fails iff one of the first two exists (SQL plans
// set no max parallelism, so nothing else can fail).
func TestTableRestoreCrossedPairs(t *testing.T) {
	cases := tableRestoreCases(t)
	checked, failing, guessedPairs := 0, 0, 0
	for i, a := range cases {
		for j, b := range cases {
			if i == j {
				continue
			}
			ids := map[metadata.OperatorID]bool{}
			for _, op := range a.plan.Operators {
				for _, id := range op.IDs() {
					ids[id] = true
				}
			}
			spIDs := map[metadata.OperatorID]bool{}
			for k := range b.sp.Operators {
				spIDs[b.sp.Operators[k].ID] = true
			}
			// A source of a table source scan of version 2 whose guessed
			// ID matches no savepoint operator may be the one its
			// connector names otherwise (SP007).
			guessed := false
			for _, op := range a.plan.Operators {
				guessed = guessed || op.IDGuessed && !spIDs[op.ID]
			}
			want := map[string]string{} // operator ID → rule
			for k := range b.sp.Operators {
				op := &b.sp.Operators[k]
				if ids[op.ID] {
					continue
				}
				subtaskState := false
				for s := range op.Subtasks {
					subtaskState = subtaskState || op.Subtasks[s].HasState()
				}
				switch {
				case subtaskState:
					want[op.ID.String()] = "SP001"
				case op.CoordinatorState != nil:
					want[op.ID.String()] = "SP020"
				default:
					want[op.ID.String()] = "SP002"
				}
			}
			if !sameMajorReadable(a.plan.FlinkVersion, b.sp.Version) {
				// A plan for Flink 2.x and a savepoint of 1.x, or one
				// the plan's Flink cannot read: the upgrade rules
				// (SP070, SP073) apply; upgrade_test.go covers them.
				continue
			}
			rep := compare.Check(b.sp, b.name, a.plan, compare.Options{})
			got := map[string]string{}
			for _, f := range rep.Findings {
				if f.Rule == "SP001" || f.Rule == "SP002" || f.Rule == "SP020" {
					got[f.Operator.ID] = string(f.Rule)
				}
				if f.Rule != "SP001" && f.Rule != "SP002" && f.Rule != "SP020" && f.Rule != "SP004" && !(guessed && f.Rule == "SP007") {
					t.Errorf("plan %s, savepoint %s: unexpected finding %s %s", a.name, b.name, f.Rule, f.Message)
				}
			}
			if !equalMaps(got, want) {
				t.Errorf("plan %s, savepoint %s:\n got %v\nwant %v", a.name, b.name, got, want)
			}
			blocking := false
			for _, r := range want {
				blocking = blocking || r != "SP002"
			}
			checked++
			if blocking && guessed {
				// The unmatched state may be the guessed source's: spcheck
				// cannot tell, with or without -n.
				unknownN := compare.Check(b.sp, b.name, a.plan, compare.Options{AllowNonRestoredState: true}).Verdict
				if rep.Verdict != compare.VerdictUnknown || unknownN != compare.VerdictUnknown {
					t.Errorf("plan %s, savepoint %s: verdicts %s and %s (-n), want unknown: a guessed source ID", a.name, b.name, rep.Verdict, unknownN)
				}
				guessedPairs++
				continue
			}
			if blocking != (rep.Verdict == compare.Incompatible) {
				t.Errorf("plan %s, savepoint %s: verdict %s, want incompatible=%v", a.name, b.name, rep.Verdict, blocking)
			}
			if blocking {
				failing++
			}
			// With -n the same pairs restore, dropping that state.
			repN := compare.Check(b.sp, b.name, a.plan, compare.Options{AllowNonRestoredState: true})
			if blocking && repN.Verdict != compare.CompatibleWithStateLoss {
				t.Errorf("plan %s, savepoint %s, -n: verdict %s, want %s", a.name, b.name, repN.Verdict, compare.CompatibleWithStateLoss)
			}
		}
	}
	t.Logf("%d crossed pairs checked, %d of them incompatible, %d unknown through a guessed source ID", checked, failing, guessedPairs)
}

// sameMajorReadable reports whether a savepoint of metadata format
// version is restored by the Flink of a plan (flinkVersion) of the same
// major release that reads that format: format 4 or older on 1.x, 5 on 2.0
// and later, 6 on 2.1 and later.
func sameMajorReadable(flinkVersion string, version int32) bool {
	v, err := compare.ParseFlinkVersion(flinkVersion)
	if err != nil {
		return false
	}
	switch {
	case v.Major == 1:
		return version <= 4
	case version == 5:
		return v.Major == 2
	case version == 6:
		return v.AtLeast(2, 1)
	}
	return false
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// manifestFor returns the flink-tests manifest describing a corpus case.
func manifestFor(t *testing.T, rel string) string {
	t.Helper()
	type job struct{ file, prefix string }
	jobs := []job{
		{"stateful-broadcast-job.json", "new-stateful-broadcast-udf-migration-itcase-"},
		{"stateful-job.json", "new-stateful-udf-migration-itcase-"},
		{"keyed-job.json", "operatorstate/complexKeyed-"},
		{"non-keyed-job.json", "operatorstate/nonKeyed-"},
		{"legacy-stateful-job.json", "stateful-udf-migration-itcase-flink1.4-"},
		{"unified-sink-job.json", "unified-sink-migration-test/"},
	}
	for _, j := range jobs {
		if strings.HasPrefix(rel, j.prefix) {
			return filepath.Join("..", "fixtures", "flink-tests", j.file)
		}
	}
	return ""
}

type flinkTestCase struct {
	rel      string
	sp       *metadata.Metadata
	manifest []byte
	name     string
}

// flinkTestCases returns the savepoints of flink-tests and those of
// flink-tests-2.3 written by a job a manifest describes (the migration
// tests' jobs, Flink 1.20 to 2.2). rel is the path below either root, the
// layout of Flink's test resources.
func flinkTestCases(t *testing.T) []flinkTestCase {
	t.Helper()
	out := flinkTestCasesIn(t, filepath.Join(corpus, "flink-tests"), true)
	return append(out, flinkTestCasesIn(t, filepath.Join(corpus, "flink-tests-2.3"), false)...)
}

func flinkTestCasesIn(t *testing.T, root string, all bool) []flinkTestCase {
	t.Helper()
	var out []flinkTestCase
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "_metadata" {
			return err
		}
		rel := strings.TrimPrefix(filepath.ToSlash(filepath.Dir(p)), filepath.ToSlash(root)+"/")
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		m, err := metadata.Decode(b)
		if err != nil {
			return err
		}
		mf := manifestFor(t, rel)
		if mf == "" {
			if all {
				t.Fatalf("no manifest for %s", rel)
			}
			return nil // a job no manifest describes
		}
		mb, err := os.ReadFile(mf)
		if err != nil {
			return err
		}
		out = append(out, flinkTestCase{rel, m, mb, mf})
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, out)
	return out
}

// The manifest of the job that wrote each flink-tests savepoint checks
// compatible, as Flink's migration tests restore them into the same job.
func TestFlinkTestsManifestsCompatible(t *testing.T) {
	cases := flinkTestCases(t)
	for _, c := range cases {
		g, err := compare.ReadManifest(c.manifest, c.name)
		require.NoError(t, err)
		rep := compare.Check(c.sp, c.rel, g, compare.Options{})
		if rep.Verdict != compare.Compatible {
			t.Errorf("%s with %s: verdict %s: %+v", c.rel, c.name, rep.Verdict, rep.Findings)
		}
	}
	t.Logf("%d flink-tests savepoints checked", len(cases))
}

// editManifest applies edit to the decoded manifest and returns it as JSON.
func editManifest(t *testing.T, data []byte, edit func(ops []map[string]any) []map[string]any) []byte {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	var ops []map[string]any
	for _, o := range m["operators"].([]any) {
		ops = append(ops, o.(map[string]any))
	}
	ops = edit(ops)
	anyOps := make([]any, len(ops))
	for i := range ops {
		anyOps[i] = ops[i]
	}
	m["operators"] = anyOps
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}

// Edits of the flink-tests jobs give exactly the finding Flink's rules
// imply, naming the right operator: removing a stateful operator (SP001),
// changing its uid (SP003 against the old graph), setting an explicit max
// parallelism that differs (SP010).
func TestFlinkTestsEdits(t *testing.T) {
	for _, c := range flinkTestCases(t) {
		old, err := compare.ReadManifest(c.manifest, c.name)
		require.NoError(t, err)
		// The first operator that holds state in this savepoint and has a uid.
		var target *metadata.OperatorState
		var uid, name string
		for i := range c.sp.Operators {
			op := &c.sp.Operators[i]
			if !op.HasState() {
				continue
			}
			for _, o := range old.Operators {
				if o.ID == op.ID && o.UID != "" {
					target, uid, name = op, o.UID, o.Name
				}
			}
			if target != nil {
				break
			}
		}
		require.NotNil(t, target, c.rel)
		only := func(rep *compare.Report, rule compare.RuleID) {
			t.Helper()
			var hits []compare.Finding
			for _, f := range rep.Findings {
				if f.Severity >= compare.Warning && f.Rule != "SP005" {
					hits = append(hits, f)
				}
			}
			if len(hits) != 1 || hits[0].Rule != rule || hits[0].Operator.ID != target.ID.String() {
				t.Errorf("%s: want exactly %s on %s (uid %s), got %+v", c.rel, rule, target.ID, uid, hits)
			}
		}

		removed := editManifest(t, c.manifest, func(ops []map[string]any) []map[string]any {
			var out []map[string]any
			for _, o := range ops {
				if o["uid"] != uid {
					out = append(out, o)
				}
			}
			return out
		})
		g, err := compare.ReadManifest(removed, "removed.json")
		require.NoError(t, err)
		rep := compare.Check(c.sp, c.rel, g, compare.Options{})
		only(rep, "SP001")
		require.Equal(t, compare.Incompatible, rep.Verdict)

		renamed := editManifest(t, c.manifest, func(ops []map[string]any) []map[string]any {
			for _, o := range ops {
				if o["uid"] == uid {
					o["uid"] = uid + "-renamed"
				}
			}
			return ops
		})
		g, err = compare.ReadManifest(renamed, "renamed.json")
		require.NoError(t, err)
		rep = compare.Check(c.sp, c.rel, g, compare.Options{OldGraph: old})
		only(rep, "SP003")
		if len(rep.Findings) > 0 && rep.Findings[0].NewOperator != nil {
			require.Equal(t, uid+"-renamed", rep.Findings[0].NewOperator.UID)
			require.Equal(t, name, rep.Findings[0].NewOperator.Name)
			require.Contains(t, rep.Findings[0].Fix, target.ID.String())
		}

		maxed := editManifest(t, c.manifest, func(ops []map[string]any) []map[string]any {
			for _, o := range ops {
				if o["uid"] == uid {
					o["maxParallelism"] = int(target.MaxParallelism) * 2
				}
			}
			return ops
		})
		g, err = compare.ReadManifest(maxed, "maxed.json")
		require.NoError(t, err)
		rep = compare.Check(c.sp, c.rel, g, compare.Options{})
		only(rep, "SP010")
	}
}

// The uids in the manifests hash to the IDs Flink stored (the test vectors
// of DESIGN.md are covered in package metadata).
func TestManifestIDsAreInSavepoints(t *testing.T) {
	seen := map[string]int{}
	for _, c := range flinkTestCases(t) {
		g, err := compare.ReadManifest(c.manifest, c.name)
		require.NoError(t, err)
		stored := map[metadata.OperatorID]bool{}
		for _, op := range c.sp.Operators {
			stored[op.ID] = true
		}
		for _, o := range g.Operators {
			if o.UID != "" && stored[o.ID] {
				seen[o.UID]++
			}
		}
	}
	var uids []string
	for u := range seen {
		uids = append(uids, u)
	}
	sort.Strings(uids)
	require.Contains(t, uids, "CheckpointingSource1")
	require.Contains(t, uids, "BrProcess2")
	t.Logf("%d distinct uids found in savepoints", len(uids))
}

// Findings on SQL plans speak SQL: no fix mentions .uid(...) or
// .setUidHash(...), and a table source scan the savepoint has no state for
// is SP004 like any new stateful operator (its connector decides its
// state).
func TestTableRestoreSQLFindings(t *testing.T) {
	cases := tableRestoreCases(t)
	sp004, sources := 0, 0
	for i, a := range cases {
		b := cases[(i+1)%len(cases)]
		rep := compare.Check(b.sp, b.name, a.plan, compare.Options{})
		for _, f := range rep.Findings {
			if strings.Contains(f.Fix, "setUidHash") || strings.Contains(f.Fix, ".uid(") {
				t.Errorf("plan %s, savepoint %s: %s fix speaks DataStream: %s", a.name, b.name, f.Rule, f.Fix)
			}
			if f.Rule == "SP004" {
				sp004++
				if strings.HasPrefix(f.Message, "table source") {
					sources++
					if f.Severity != compare.Warning || !strings.Contains(f.Fix, "table.exec.uid.format") {
						t.Errorf("plan %s: source SP004 %s: %s", a.name, f.Severity, f.Fix)
					}
				}
			}
		}
	}
	if sources == 0 || sp004 == 0 {
		t.Errorf("%d SP004 findings, %d on table sources; want some of each", sp004, sources)
	}
	t.Logf("%d SP004 findings, %d on table sources", sp004, sources)
}
