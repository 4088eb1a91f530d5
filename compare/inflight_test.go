package compare_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spcheck/spcheck/compare"
	"github.com/spcheck/spcheck/metadata"
)

// The oracle's unaligned checkpoint of Flink 2.3.0 (UnalignedJob: the
// source, Slow and Count hold in-flight data) and the graph spcheck-graph
// wrote for one of its cases, as a map to edit.
func unalignedCase(t *testing.T, edit string) (*metadata.Metadata, map[string]any) {
	t.Helper()
	dir := filepath.Join("..", "testdata", "oracle", "2.3.0")
	b, err := os.ReadFile(filepath.Join(dir, "savepoints", "unaligned-hashmap-checkpoint", "_metadata"))
	require.NoError(t, err)
	m, err := metadata.Decode(b)
	require.NoError(t, err)
	b, err = os.ReadFile(filepath.Join(dir, "unaligned-hashmap-checkpoint--"+edit, "graph.json"))
	require.NoError(t, err)
	var g map[string]any
	require.NoError(t, json.Unmarshal(b, &g))
	return m, g
}

func unalignedGraph(t *testing.T, g map[string]any) *compare.JobGraph {
	t.Helper()
	b, err := json.Marshal(g)
	require.NoError(t, err)
	jg, err := compare.ReadManifest(b, "graph.json")
	require.NoError(t, err)
	return jg
}

// vertexOf returns the manifest's vertex entry holding the operator named
// name.
func vertexOf(t *testing.T, g map[string]any, name string) map[string]any {
	t.Helper()
	var id string
	for _, o := range g["operators"].([]any) {
		if o := o.(map[string]any); o["name"] == name {
			id = o["vertex"].(string)
		}
	}
	for _, v := range g["vertices"].([]any) {
		if v := v.(map[string]any); v["id"] == id {
			return v
		}
	}
	t.Fatalf("no vertex holds %q", name)
	return nil
}

func setParallelism(g map[string]any, name string, p int) {
	for _, o := range g["operators"].([]any) {
		if o := o.(map[string]any); o["name"] == name {
			o["parallelism"] = p
		}
	}
}

// SP032 where the oracle's cases do not reach: a graph that does not give
// the partitioner, gates of several inputs by Flink version, and pointwise
// edges between unequal parallelisms.
func TestInFlightPointwise(t *testing.T) {
	// Slow rescaled to 3 behind a broadcast: refused. Without the
	// partitioner (an older spcheck-graph's manifest) the edge may or may
	// not be a broadcast: unknown. A rescale edge (POINTWISE) is known
	// without it.
	m, g := unalignedCase(t, "broadcast-slow-3")
	f, rep := oneFinding(t, m, unalignedGraph(t, g), compare.RuleInFlightPointwise)
	require.Equal(t, compare.Refused, f.Outcome)
	require.Equal(t, "Slow", f.NewOperator.Name)
	require.Contains(t, f.FlinkMessage, "Cannot rescale the given pointwise partitioner.")
	require.Equal(t, compare.Incompatible, rep.Verdict)
	delete(vertexOf(t, g, "Slow")["inputs"].([]any)[0].(map[string]any), "partitioner")
	f, _ = oneFinding(t, m, unalignedGraph(t, g), compare.RuleInFlightPointwise)
	require.Equal(t, compare.OutcomeUnknown, f.Outcome)
	require.Contains(t, f.Message, "does not say whether it is a broadcast")
	m, g = unalignedCase(t, "rescale-slow-3")
	delete(vertexOf(t, g, "Slow")["inputs"].([]any)[0].(map[string]any), "partitioner")
	f, _ = oneFinding(t, m, unalignedGraph(t, g), compare.RuleInFlightPointwise)
	require.Equal(t, compare.Refused, f.Outcome)

	// Slow rescaled to 3 over its rebalance, with a second input, a
	// broadcast of the rules source, which holds no in-flight data: Flink
	// up to 2.1 maps every gate and refuses (TaskStateAssignment
	// #getInputMapping on the broadcast gate), 2.2 and later map only the
	// gate with data and restore; without a version: unknown.
	m, g = unalignedCase(t, "parallelism-slow-3")
	slow := vertexOf(t, g, "Slow")
	rules := vertexOf(t, g, "Source: rules")
	slow["inputs"] = append(slow["inputs"].([]any), map[string]any{"vertex": rules["id"], "distribution": "ALL_TO_ALL", "partitioner": "broadcast"})
	for v, want := range map[string]compare.Outcome{"2.1.0": compare.Refused, "1.18.1": compare.Refused, "": compare.OutcomeUnknown} {
		g["flinkVersion"] = v
		if v == "" {
			delete(g, "flinkVersion")
		}
		f, _ := oneFinding(t, m, unalignedGraph(t, g), compare.RuleInFlightPointwise)
		require.Equal(t, want, f.Outcome, v)
		require.Contains(t, f.Message, "input gate 1, from \"Source: rules\"", v)
	}
	g["flinkVersion"] = "2.2.0"
	rep = compare.Check(m, "sp", unalignedGraph(t, g), compare.Options{})
	require.Empty(t, findings(rep, compare.RuleInFlightPointwise), "%+v", rep.Findings)

	// Parallelism kept, the edge into Slow now rescale: each Slow subtask
	// has one channel, and the checkpoint has data on channel 1: the task
	// fails (rescale-slow, in the oracle). With the source at 3 (as if it
	// had run so: its state rescaled, Slow's kept), a Slow subtask has 1 or
	// 2 channels: data on channel 1 may or may not fit (unknown), on
	// channel 2 it does not.
	m, g = unalignedCase(t, "rescale-slow")
	rep = compare.Check(m, "sp", unalignedGraph(t, g), compare.Options{})
	fs := findings(rep, compare.RuleInFlightPointwise)
	require.Len(t, fs, 2, "%+v", rep.Findings)
	require.Equal(t, "Slow", fs[0].NewOperator.Name)
	require.Contains(t, fs[0].Message, "input gate 0, from \"Source: numbers\": in-flight data on channel 1, and the pointwise edge gives a subtask 1 channel")
	require.Equal(t, "Source: numbers", fs[1].NewOperator.Name)
	require.Contains(t, fs[1].Message, "the edge to \"Slow\": in-flight data on subpartition 1, and the pointwise edge gives a subtask 1 subpartition")
	for _, f := range fs {
		require.Equal(t, compare.Refused, f.Outcome)
	}
	// (the source's own output state aside)
	clearOutput(spOperator(t, m, "numbers"))
	spOperator(t, m, "numbers").Parallelism = 3
	setParallelism(g, "Source: numbers", 3)
	f, _ = oneFinding(t, m, unalignedGraph(t, g), compare.RuleInFlightPointwise)
	require.Equal(t, compare.OutcomeUnknown, f.Outcome)
	require.Contains(t, f.Message, "gives a subtask 1 or 2 channels")
	in := slowInput(t, m)
	in.B = 2
	f, _ = oneFinding(t, m, unalignedGraph(t, g), compare.RuleInFlightPointwise)
	require.Equal(t, compare.Refused, f.Outcome)

	// The output side: the source at 1 and Slow at 2 over a rescale edge,
	// both kept: the source's subtask has 2 subpartitions, and its data on
	// subpartition 1 fits; on subpartition 2 it does not.
	m, g = unalignedCase(t, "rescale-slow")
	slowIn := vertexOf(t, g, "Slow")["inputs"].([]any)[0].(map[string]any)
	require.Equal(t, "rescale", slowIn["partitioner"])
	clearInput(spOperator(t, m, "slow"))
	spOperator(t, m, "numbers").Parallelism = 1
	setParallelism(g, "Source: numbers", 1)
	rep = compare.Check(m, "sp", unalignedGraph(t, g), compare.Options{})
	require.Empty(t, findings(rep, compare.RuleInFlightPointwise), "%+v", rep.Findings)
	for _, h := range spOperator(t, m, "numbers").Subtasks[0].ResultSubpartitionState {
		for i := range h.Channels {
			h.Channels[i].B = 2
		}
	}
	f, _ = oneFinding(t, m, unalignedGraph(t, g), compare.RuleInFlightPointwise)
	require.Equal(t, compare.Refused, f.Outcome)
	require.Equal(t, "Source: numbers", f.NewOperator.Name)
	require.Contains(t, f.Message, "in-flight data on subpartition 2, and the pointwise edge gives a subtask 2 subpartitions")
}

// slowInput returns the first channel of Slow's input channel state with
// data on channel 1 (2.3.0 writes merged handles).
func slowInput(t *testing.T, m *metadata.Metadata) *metadata.ChannelOffsets {
	t.Helper()
	for _, st := range spOperator(t, m, "slow").Subtasks {
		for _, h := range st.InputChannelState {
			for i := range h.Channels {
				if h.Channels[i].B == 1 && len(h.Channels[i].Offsets) > 0 {
					return &h.Channels[i]
				}
			}
		}
	}
	t.Fatal("no in-flight data on channel 1 of Slow's input")
	return nil
}

// clearOutput drops an operator's result subpartition state.
func clearOutput(op *metadata.OperatorState) {
	for i := range op.Subtasks {
		op.Subtasks[i].ResultSubpartitionState = nil
	}
}

// clearInput drops an operator's input channel state.
func clearInput(op *metadata.OperatorState) {
	for i := range op.Subtasks {
		op.Subtasks[i].InputChannelState = nil
	}
}

// SP033: the map Slow removed under -n (the oracle's
// unaligned-…--remove-slow--n). Flink drops Slow's input and output channel
// state and restores the source's output and Count's input: unknown, as
// the checkpoint does not tell whether those were Slow's exchanges and a
// record is split. Without -n the drop is refused (SP001), and with no
// restored in-flight data of the other side the drop is clean.
func TestInFlightDropped(t *testing.T) {
	m, g := unalignedCase(t, "remove-slow--n")
	jg := unalignedGraph(t, g)
	rep := compare.Check(m, "sp", jg, compare.Options{AllowNonRestoredState: true})
	fs := findings(rep, compare.RuleInFlightUnpaired)
	require.Len(t, fs, 1, "%+v", rep.Findings)
	require.Equal(t, "Slow", fs[0].Operator.Name)
	require.Equal(t, compare.OutcomeUnknown, fs[0].Outcome)
	require.Contains(t, fs[0].Message, "its input channel state, while it restores the result subpartition state of "+metadata.OperatorIDFromUID("numbers").String())
	require.Contains(t, fs[0].Message, "its result subpartition state, while it restores the input channel state of "+metadata.OperatorIDFromUID("count").String())

	rep = compare.Check(m, "sp", jg, compare.Options{})
	require.Empty(t, findings(rep, compare.RuleInFlightUnpaired), "%+v", rep.Findings)
	require.Equal(t, compare.Incompatible, rep.Verdict)

	clearOutput(spOperator(t, m, "numbers"))
	clearInput(spOperator(t, m, "count"))
	rep = compare.Check(m, "sp", jg, compare.Options{AllowNonRestoredState: true})
	require.Empty(t, findings(rep, compare.RuleInFlightUnpaired), "%+v", rep.Findings)
	f, _ := oneFinding(t, m, jg, compare.RuleStateDropped)
	require.Equal(t, compare.Refused, f.Outcome) // (oneFinding checks without -n)
	fs = findings(rep, compare.RuleStateDropped)
	require.Len(t, fs, 1)
	require.Equal(t, compare.RestoresLosingState, fs[0].Outcome)
}

// SP033 without -n: a new map put between Slow and Count over a rebalance
// (the oracle's unaligned-…--insert-after-slow-rebalance, which Flink
// failed on every version): Slow's result subpartition state goes only to
// the new map, and Count's input channel state comes only from it.
func TestInFlightUnpairedInserted(t *testing.T) {
	m, g := unalignedCase(t, "insert-after-slow-rebalance")
	rep := compare.Check(m, "sp", unalignedGraph(t, g), compare.Options{})
	fs := findings(rep, compare.RuleInFlightUnpaired)
	require.Len(t, fs, 2, "%+v", rep.Findings)
	msgs := map[string]string{}
	for _, f := range fs {
		require.Equal(t, compare.OutcomeUnknown, f.Outcome)
		msgs[f.NewOperator.Name] = f.Message
	}
	require.Contains(t, msgs["Count"], "input channel state (in-flight data of an unaligned checkpoint) for this operator, and the new job feeds it from \"Inserted\"")
	require.Contains(t, msgs["Slow"], "result subpartition state (in-flight data of an unaligned checkpoint) for this operator, and the new job sends it to \"Inserted\"")
	// The job unedited: every part faces its other part.
	m, g = unalignedCase(t, "none")
	rep = compare.Check(m, "sp", unalignedGraph(t, g), compare.Options{})
	require.Empty(t, findings(rep, compare.RuleInFlightUnpaired), "%+v", rep.Findings)
}
