package compare_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spcheck/spcheck/compare"
	"github.com/spcheck/spcheck/fixtures"
	"github.com/spcheck/spcheck/metadata"
)

func TestDiff(t *testing.T) {
	a, _ := fixtures.Version(4) // source, aggregate (parallelism 2), print
	b, _ := fixtures.Version(4)
	// B: aggregate rescaled to 1 (all key groups in one subtask), print
	// removed, a new operator added, the source's raw state gone.
	agg := &b.Operators[1]
	agg.Parallelism = 1
	agg.Subtasks = agg.Subtasks[:1]
	b.Operators[0].Subtasks[0].RawOperatorState = nil
	b.Operators = append(b.Operators[:2], metadata.OperatorState{ID: metadata.OperatorIDFromUID("new"), Parallelism: 3, MaxParallelism: 256})

	d := compare.Compare(a, "a", b, "b")
	byID := map[string]compare.OperatorDiff{}
	for _, o := range d.Operators {
		byID[o.ID] = o
	}
	id := func(uid string) string { return metadata.OperatorIDFromUID(uid).String() }

	src := byID[id("source")]
	require.Equal(t, "changed", src.Change)
	require.Equal(t, []string{"operator: _default_ (raw)"}, src.StatesRemoved)

	ag := byID[id("aggregate")]
	require.Equal(t, "changed", ag.Change)
	require.Equal(t, [2]int32{2, 1}, ag.Parallelism)
	require.Contains(t, ag.Notes, "rescaled")
	require.Equal(t, int64(1400), ag.StateSize[0])
	require.Equal(t, int64(700), ag.StateSize[1])

	require.Equal(t, "removed", byID[id("print")].Change)
	require.Equal(t, "added", byID[id("new")].Change)
	require.Equal(t, compare.DiffSummary{Added: 1, Removed: 1, Rescaled: 1, Changed: 2, Unchanged: 0}, d.Summary)
	// A's operators first, in A's order, then B's new ones.
	require.Equal(t, []string{id("source"), id("aggregate"), id("print"), id("new")},
		[]string{d.Operators[0].ID, d.Operators[1].ID, d.Operators[2].ID, d.Operators[3].ID})
}

// Two snapshots Flink's migration tests took of one job, in different
// Flink versions, have the same operators: nothing is added or removed.
func TestDiffCorpus(t *testing.T) {
	cases := flinkTestCases(t)
	byRel := map[string]*metadata.Metadata{}
	for _, c := range cases {
		byRel[c.rel] = c.sp
	}
	a := byRel["new-stateful-udf-migration-itcase-flink1.18-rocksdb-checkpoint"]
	b := byRel["new-stateful-udf-migration-itcase-flink1.19-rocksdb-savepoint-native"]
	require.NotNil(t, a)
	require.NotNil(t, b)
	d := compare.Compare(a, "a", b, "b")
	require.Equal(t, 0, d.Summary.Added+d.Summary.Removed+d.Summary.Rescaled)
	require.Equal(t, len(a.Operators), d.Summary.Unchanged+d.Summary.Changed)
}
