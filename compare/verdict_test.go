package compare_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spcheck/spcheck/compare"
	"github.com/spcheck/spcheck/metadata"
)

func readMetadata(t *testing.T, path string) *metadata.Metadata {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	m, err := metadata.Decode(b)
	require.NoError(t, err)
	return m
}

func readManifest(t *testing.T, path string) *compare.JobGraph {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	g, err := compare.ReadManifest(b, path)
	require.NoError(t, err)
	return g
}

func byRule(rep *compare.Report) map[compare.RuleID][]compare.Finding {
	out := map[compare.RuleID][]compare.Finding{}
	for _, f := range rep.Findings {
		out[f.Rule] = append(out[f.Rule], f)
	}
	return out
}

// -n is Flink's --allowNonRestoredState: Checkpoints.loadAndValidateCheckpoint
// skips unmatched state instead of throwing
// (flink-runtime/src/main/java/org/apache/flink/runtime/checkpoint/Checkpoints.java
// L194-L196, Flink 1.20; without it L198-L208 throw). So SP001, SP003 and
// SP009 lead to "restores losing this state", never to a refusal; SP010
// (L175-L191, checked before) still refuses.
func TestAllowNonRestoredStateOutcomes(t *testing.T) {
	m := readMetadata(t, "../fixtures/example/savepoint/_metadata")
	g := readManifest(t, "../fixtures/example/job-v3.json")
	for _, tc := range []struct {
		anrs      bool
		sp001     compare.Outcome
		sp001Sev  compare.Severity
		sp003     compare.Outcome
		flinkMsgs bool
	}{
		{false, compare.Refused, compare.Error, compare.Refused, true},
		{true, compare.RestoresLosingState, compare.Warning, compare.RestoresLosingState, false},
	} {
		rep := compare.Check(m, "sp", g, compare.Options{AllowNonRestoredState: tc.anrs})
		rules := byRule(rep)
		require.Len(t, rules[compare.RuleStateDropped], 1)
		require.Len(t, rules[compare.RuleUIDChanged], 1)
		require.Len(t, rules[compare.RuleMaxParallelismMismatch], 1)
		f1, f3 := rules[compare.RuleStateDropped][0], rules[compare.RuleUIDChanged][0]
		require.Equal(t, tc.sp001, f1.Outcome, "-n %v", tc.anrs)
		require.Equal(t, tc.sp001Sev, f1.Severity)
		require.Equal(t, tc.sp003, f3.Outcome)
		require.Equal(t, compare.Error, f3.Severity, "a uid change loses state: an error with or without -n")
		require.Equal(t, tc.flinkMsgs, f1.FlinkMessage != "")
		require.Equal(t, tc.flinkMsgs, f3.FlinkMessage != "")
		require.Equal(t, compare.Refused, rules[compare.RuleMaxParallelismMismatch][0].Outcome)
		require.Equal(t, compare.Incompatible, rep.Verdict)
		for _, f := range rep.Findings {
			require.NotZero(t, f.Outcome, "%s states no outcome", f.Rule)
		}
	}
	// Without the max parallelism change, -n makes it a restore with loss.
	g2 := readManifest(t, "../fixtures/example/job-v3.json")
	for _, o := range g2.Operators {
		if o.UID == "orders-sink" {
			o.MaxParallelism, o.MaxParallelismConfigured = 0, false
		}
	}
	rep := compare.Check(m, "sp", g2, compare.Options{AllowNonRestoredState: true})
	require.Equal(t, compare.CompatibleWithStateLoss, rep.Verdict)
	rep = compare.Check(m, "sp", g2, compare.Options{})
	require.Equal(t, compare.Incompatible, rep.Verdict)
}

// Coordinator state is dropped with -n like any other (Checkpoints.java
// L194-L196 skip the whole OperatorState, coordinator state included),
// and refused without it: L198-L201 throw for coordinator state before
// subtask state is looked at.
func TestCoordinatorStateWithAllowNonRestoredState(t *testing.T) {
	m := &metadata.Metadata{Version: 3, CheckpointID: 1}
	m.Operators = []metadata.OperatorState{{
		ID: metadata.OperatorIDFromHash([]byte("coordinator-only")), Parallelism: 1, MaxParallelism: 128,
		CoordinatorState: &metadata.ByteStreamHandle{Name: "coord", Data: []byte{1, 2, 3}},
	}}
	g := &compare.JobGraph{Source: "g", Format: compare.FormatManifest, FlinkVersion: "1.20"}
	rep := compare.Check(m, "sp", g, compare.Options{})
	require.Len(t, rep.Findings, 1)
	require.Equal(t, compare.RuleCoordinatorStateDropped, rep.Findings[0].Rule)
	require.Equal(t, compare.Refused, rep.Findings[0].Outcome)
	require.Equal(t, compare.Incompatible, rep.Verdict)
	// Refused since FLINK-17670 (1.11.0), so on 1.11 and 1.12 too.
	for _, v := range []string{"1.11", "1.12", "1.13"} {
		g.FlinkVersion = v
		rep = compare.Check(m, "sp", g, compare.Options{})
		require.Len(t, rep.Findings, 1, "Flink %s", v)
		require.Equal(t, compare.Refused, rep.Findings[0].Outcome, "Flink %s", v)
	}
	g.FlinkVersion = "1.20"
	rep = compare.Check(m, "sp", g, compare.Options{AllowNonRestoredState: true})
	require.Equal(t, compare.RestoresLosingState, rep.Findings[0].Outcome)
	require.Equal(t, compare.CompatibleWithStateLoss, rep.Verdict)
	require.Equal(t, compare.FateDropped, rep.Operators[0].Fate)
}

// A savepoint of format 4 or older used as the new graph stores no uids
// (MetadataV5Serializer.serializeOperatorState writes operator name and
// uid from format 5 on, FLINK-36001, Flink 2.0; docs/FORMAT.md §4): its
// operators' uids are unknown, not missing, so no SP005.
func TestOldSavepointAsNewGraphNoMissingUID(t *testing.T) {
	dir := filepath.Join(corpus, "flink-tests", "operatorstate", "nonKeyed-flink1.19")
	m := readMetadata(t, filepath.Join(dir, "_metadata"))
	require.LessOrEqual(t, m.Version, int32(4))
	g := compare.GraphFromSavepoint(m, dir)
	rep := compare.Check(m, dir, g, compare.Options{})
	require.Empty(t, byRule(rep)[compare.RuleMissingUID])
	require.Equal(t, compare.Compatible, rep.Verdict)
	// A format 5 savepoint stores uids: an operator without one is missing it.
	m5 := readMetadata(t, "../fixtures/example/savepoint/_metadata")
	g5 := compare.GraphFromSavepoint(m5, "example")
	for _, o := range g5.Operators {
		require.False(t, o.UIDUnknown)
	}
}

// Findings on a savepoint of format 1-4, which stores no uids or names,
// name the operator by the uid and name of the new-graph operator it
// matched: Flink matches by ID alone (Checkpoints.java L155-L172), so
// that operator is this one.
func TestOldSavepointFindingsNamedByNewGraph(t *testing.T) {
	dir := filepath.Join(corpus, "flink-tests", "operatorstate", "nonKeyed-flink1.19")
	m := readMetadata(t, filepath.Join(dir, "_metadata"))
	g := readManifest(t, "../fixtures/flink-tests/non-keyed-job.json")
	var first *compare.Operator
	for _, o := range g.Operators {
		if o.UID == "first" {
			first = o
		}
	}
	require.NotNil(t, first)
	var spMax int
	for _, op := range m.Operators {
		if op.ID == first.ID {
			spMax = int(op.MaxParallelism)
			require.Empty(t, op.UID, "format 4 stores no uid")
		}
	}
	require.NotZero(t, spMax)
	first.Parallelism = spMax + 1
	rep := compare.Check(m, dir, g, compare.Options{})
	fs := byRule(rep)[compare.RuleParallelismExceedsMax]
	require.Len(t, fs, 1)
	require.Equal(t, "first", fs[0].Operator.UID)
	require.Equal(t, first.Name, fs[0].Operator.Name)
	require.Equal(t, "savepoint", fs[0].Operator.Where)
}
