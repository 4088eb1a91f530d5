package compare_test

import (
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spcheck/spcheck/compare"
	"github.com/spcheck/spcheck/metadata"
)

// The oracle's catalogue job (oracle/src/main/java/dev/spcheck/oracle/
// CatalogueJob.java, no edits) as a stream graph, transcribed by hand: its
// operators, in creation order, with Flink's default chaining. Its
// savepoint testdata/oracle/1.20.1/savepoints/hashmap-canonical was
// written by Flink 1.20.1.
func catalogueTopology() map[string]any {
	node := func(id int, name, kind, uid string, par int) map[string]any {
		n := map[string]any{"id": id, "name": name, "kind": kind, "parallelism": par}
		if uid != "" {
			n["uid"] = uid
		}
		if kind == "source" {
			n["flip27"] = true
		}
		return n
	}
	edge := func(s, t int, p string, typ int) map[string]any {
		e := map[string]any{"source": s, "target": t, "partitioner": p}
		if typ > 0 {
			e["typeNumber"] = typ
		}
		return e
	}
	return map[string]any{
		"nodes": []any{
			node(1, "Source: numbers", "source", "numbers", 2),
			node(2, "Parse", "operator", "parse", 2),
			node(4, "Count", "operator", "count", 2),
			node(6, "Collections", "operator", "collections", 2),
			node(8, "Timers", "operator", "timers", 2),
			node(10, "No uid", "operator", "", 2),
			node(11, "Buffer", "operator", "buffer", 2),
			node(12, "Source: rules", "source", "rules", 1),
			node(15, "Enrich", "operator", "enrich", 2),
			node(17, "Sink: Writer", "sink", "sink", 2),
		},
		"edges": []any{
			edge(1, 2, "forward", 0),
			edge(2, 4, "hash", 0),
			edge(4, 6, "hash", 0),
			edge(6, 8, "hash", 0),
			edge(8, 10, "hash", 0),
			edge(10, 11, "forward", 0),
			edge(11, 15, "hash", 1),
			edge(12, 15, "broadcast", 2),
			edge(15, 17, "forward", 0),
		},
	}
}

func catalogueSavepoint(t *testing.T) *metadata.Metadata {
	t.Helper()
	b, err := os.ReadFile("../testdata/oracle/1.20.1/savepoints/hashmap-canonical/_metadata")
	require.NoError(t, err)
	m, err := metadata.Decode(b)
	require.NoError(t, err)
	return m
}

func nodeByName(topo map[string]any, name string) map[string]any {
	for _, n := range topo["nodes"].([]any) {
		if nm := n.(map[string]any); nm["name"] == name {
			return nm
		}
	}
	panic("no node " + name)
}

func readTopology(t *testing.T, topo map[string]any, jobMax int) *compare.JobGraph {
	t.Helper()
	m := map[string]any{"format": "spcheck/jobgraph/v1", "flinkVersion": "1.20.1", "topology": topo}
	if jobMax > 0 {
		m["maxParallelism"] = jobMax
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	g, err := compare.ReadManifest(b, "catalogue topology")
	require.NoError(t, err)
	return g
}

func vertexNames(g *compare.JobGraph) [][]string {
	var out [][]string
	for _, v := range g.Vertices {
		var names []string
		for _, o := range v.Operators {
			names = append(names, o.Name)
		}
		out = append(out, names)
	}
	return out
}

// The hand-made topology of the catalogue job reproduces every operator ID
// of the savepoint Flink 1.20.1 wrote (the auto-generated one of "No uid"
// included), and its job vertices are the ones Flink 1.20.1 built for the
// job: testdata/oracle/1.20.1/hashmap-canonical--none/graph.json, which
// the oracle's GraphTool wrote from Flink's own JobGraph, lists the
// operators vertex by vertex, each head first.
func TestCatalogueTopologyChains(t *testing.T) {
	m := catalogueSavepoint(t)
	g := readTopology(t, catalogueTopology(), 0)
	rep := compare.Check(m, "hashmap-canonical", g, compare.Options{OldGraph: g})
	require.Empty(t, rep.OldGraphCheck.Unpredicted)
	require.Equal(t, compare.Compatible, rep.Verdict, "%+v", rep.Findings)

	// Flink's vertices, from graph.json: the operators of a vertex are
	// consecutive there, head first.
	b, err := os.ReadFile("../testdata/oracle/1.20.1/hashmap-canonical--none/graph.json")
	require.NoError(t, err)
	var flink struct {
		Operators []struct{ Name string } `json:"operators"`
	}
	require.NoError(t, json.Unmarshal(b, &flink))
	var order []string
	for _, o := range flink.Operators {
		order = append(order, o.Name)
	}
	want := [][]string{
		{"Source: numbers", "Parse"}, {"Count"}, {"Collections"}, {"Timers"},
		{"No uid", "Buffer"}, {"Source: rules"}, {"Enrich", "Sink: Writer"},
	}
	require.ElementsMatch(t, want, vertexNames(g))
	joined := "|" + strings.Join(order, "|") + "|"
	for _, v := range want {
		require.Contains(t, joined, "|"+strings.Join(v, "|")+"|", "Flink's graph.json does not list %v as one vertex", v)
	}

	// And the vertices, output operators and vertex inputs are the ones of
	// the JobGraph Flink 1.20.1 built for the job
	// (testdata/chains/catalogue-flink-1.20.1.json, written by
	// spcheck-graph, see testdata/chains/README.md).
	require.Equal(t, describeVertices(catalogueFlinkGraph(t)), describeVertices(g))
}

// catalogueFlinkGraph is the catalogue job's manifest spcheck-graph wrote
// from the JobGraph of Flink 1.20.1, with its vertices.
func catalogueFlinkGraph(t *testing.T) *compare.JobGraph {
	t.Helper()
	b, err := os.ReadFile("testdata/chains/catalogue-flink-1.20.1.json")
	require.NoError(t, err)
	g, err := compare.ReadManifest(b, "catalogue-flink-1.20.1.json")
	require.NoError(t, err)
	require.NotEmpty(t, g.Vertices)
	return g
}

// oneFinding checks m against g and returns the one finding of rule there
// must be, and the report.
func oneFinding(t *testing.T, m *metadata.Metadata, g *compare.JobGraph, rule compare.RuleID) (compare.Finding, *compare.Report) {
	t.Helper()
	rep := compare.Check(m, "sp", g, compare.Options{})
	fs := findings(rep, rule)
	require.Len(t, fs, 1, "%+v", rep.Findings)
	return fs[0], rep
}

func findings(rep *compare.Report, id compare.RuleID) []compare.Finding {
	var out []compare.Finding
	for _, f := range rep.Findings {
		if f.Rule == id {
			out = append(out, f)
		}
	}
	return out
}

// Max parallelism is the job vertex's: Flink's StreamingJobGraphGenerator
// creates the JobVertex for the chain's start node only and gives it that
// StreamNode's max parallelism (StreamingJobGraphGenerator.java L756 and
// L1049, Flink 1.20), and Checkpoints.loadAndValidateCheckpoint compares
// every operator's savepoint max parallelism with its vertex's
// (Checkpoints.java L169-L191, Flink 1.20). The savepoint's max
// parallelism is 128 for every operator (derived from parallelism 2).
func TestChainMaxParallelism(t *testing.T) {
	m := catalogueSavepoint(t)
	for _, op := range m.Operators {
		require.EqualValues(t, 128, op.MaxParallelism)
	}

	// On the chained Parse, which is not its chain's head, 256 does not
	// reach the vertex: the vertex derives its max parallelism and Flink
	// adopts the savepoint's.
	topo := catalogueTopology()
	nodeByName(topo, "Parse")["maxParallelism"] = 256
	rep := compare.Check(m, "sp", readTopology(t, topo, 0), compare.Options{})
	require.Empty(t, findings(rep, compare.RuleMaxParallelismMismatch), "%+v", rep.Findings)
	require.Equal(t, compare.Compatible, rep.Verdict)

	// On the head it applies to both operators of the chain.
	topo = catalogueTopology()
	nodeByName(topo, "Source: numbers")["maxParallelism"] = 256
	rep = compare.Check(m, "sp", readTopology(t, topo, 0), compare.Options{})
	fs := findings(rep, compare.RuleMaxParallelismMismatch)
	require.Len(t, fs, 2, "%+v", rep.Findings)
	var names []string
	for _, f := range fs {
		names = append(names, f.NewOperator.Name)
		require.Contains(t, f.Message, `the chain "Source: numbers -> Parse"`)
		require.Equal(t, compare.Refused, f.Outcome)
	}
	require.ElementsMatch(t, []string{"Source: numbers", "Parse"}, names)
	require.Equal(t, compare.Incompatible, rep.Verdict)

	// Parse's own setting loses to its head's.
	nodeByName(topo, "Parse")["maxParallelism"] = 128
	rep = compare.Check(m, "sp", readTopology(t, topo, 0), compare.Options{})
	require.Len(t, findings(rep, compare.RuleMaxParallelismMismatch), 2, "%+v", rep.Findings)

	// The head's 128, the savepoint's, holds for Parse's 256 as well.
	topo = catalogueTopology()
	nodeByName(topo, "Source: numbers")["maxParallelism"] = 128
	nodeByName(topo, "Parse")["maxParallelism"] = 256
	rep = compare.Check(m, "sp", readTopology(t, topo, 0), compare.Options{})
	require.Empty(t, findings(rep, compare.RuleMaxParallelismMismatch), "%+v", rep.Findings)
}

// A job-wide max parallelism (pipeline.max-parallelism) that differs from
// the savepoint's gives one finding, not one per operator. The oracle's
// maxpar-job-64 case is this edit on the real Flink 1.20.1: refused.
func TestJobWideMaxParallelismOneFinding(t *testing.T) {
	m := catalogueSavepoint(t)
	b, err := os.ReadFile("../testdata/oracle/1.20.1/hashmap-canonical--maxpar-job-64/outcome.json")
	require.NoError(t, err)
	require.Contains(t, string(b), `"outcome": "refused"`)

	f, rep := oneFinding(t, m, readTopology(t, catalogueTopology(), 64), compare.RuleMaxParallelismMismatch)
	require.Contains(t, f.Message, "job-wide max parallelism 64")
	require.Contains(t, f.Message, "for 10 operators")
	require.Equal(t, compare.Refused, f.Outcome)
	require.Equal(t, compare.Incompatible, rep.Verdict)
	// Every operator's state is still blocked.
	for _, mp := range rep.Operators {
		require.Equal(t, compare.FateBlocks, mp.Fate, mp.Operator.String())
	}

	// The same from the manifest spcheck-graph wrote from the JobGraph of
	// Flink 1.20.1 for the oracle's maxpar-job-64 edit: it gives the
	// job-wide max parallelism once, at the top.
	fg, err := os.ReadFile("testdata/chains/catalogue-maxpar-job-64-flink-1.20.1.json")
	require.NoError(t, err)
	g, err := compare.ReadManifest(fg, "catalogue-maxpar-job-64")
	require.NoError(t, err)
	f, rep = oneFinding(t, m, g, compare.RuleMaxParallelismMismatch)
	require.Contains(t, f.Message, "job-wide max parallelism 64")
	require.Equal(t, compare.Incompatible, rep.Verdict)

	// A head's own setting wins over the job-wide one for its chain: that
	// chain gets its own finding, the rest one together.
	topo := catalogueTopology()
	nodeByName(topo, "Enrich")["maxParallelism"] = 256
	rep = compare.Check(m, "sp", readTopology(t, topo, 64), compare.Options{})
	fs := findings(rep, compare.RuleMaxParallelismMismatch)
	require.Len(t, fs, 3, "%+v", rep.Findings) // Enrich, Sink: Writer, and the job-wide one
}

// SP012 is checked per job vertex (ExecutionJobVertex constructor,
// ExecutionJobVertex.java L145-L153, Flink 1.20), whose max parallelism is
// its head's: one finding for the chain, and none for a chained operator's
// own lower setting.
func TestChainParallelismAboveMax(t *testing.T) {
	m := catalogueSavepoint(t)
	topo := catalogueTopology()
	nodeByName(topo, "Source: numbers")["parallelism"] = 300
	nodeByName(topo, "Parse")["parallelism"] = 300
	nodeByName(topo, "Source: numbers")["maxParallelism"] = 256
	f, _ := oneFinding(t, m, readTopology(t, topo, 0), compare.RuleParallelismAboveMax)
	require.Equal(t, "Source: numbers", f.Operator.Name)
	require.Contains(t, f.FlinkMessage, "Vertex Source: numbers -> Parse's parallelism (300) is higher than the max parallelism (256)")

	topo = catalogueTopology()
	nodeByName(topo, "Parse")["maxParallelism"] = 1
	rep := compare.Check(m, "sp", readTopology(t, topo, 0), compare.Options{})
	require.Empty(t, findings(rep, compare.RuleParallelismAboveMax), "%+v", rep.Findings)
}

// spOperator returns the savepoint operator with the uid's ID.
func spOperator(t *testing.T, m *metadata.Metadata, uid string) *metadata.OperatorState {
	t.Helper()
	id := metadata.OperatorIDFromUID(uid)
	for i := range m.Operators {
		if m.Operators[i].ID == id {
			return &m.Operators[i]
		}
	}
	t.Fatalf("no savepoint operator for uid %q", uid)
	return nil
}

// finish marks a savepoint operator fully finished, as Flink 1.14+ writes
// an operator all of whose subtasks finished (MetadataV3Serializer: no
// subtask states, no coordinator state).
func finish(op *metadata.OperatorState) {
	op.FullyFinished, op.Subtasks, op.CoordinatorState = true, nil, nil
}

func withVersion(g *compare.JobGraph, v string) *compare.JobGraph {
	g.FlinkVersion = v
	return g
}

// Flink 1.14+ refuses a job vertex whose operators are not all equally
// finished: VertexFinishedStateChecker (VertexFinishedStateChecker.java
// L174-L216, Flink 1.20), run on every restore (CheckpointCoordinator.java
// L1819-L1823); an operator without state in the savepoint counts as
// running (L216). Here the savepoint holds the source "numbers" as
// finished, as a job where Parse did not chain to it could write it
// (break-chain-parse), and the unedited job chains them again.
func TestFinishedVertexMixed(t *testing.T) {
	m := catalogueSavepoint(t)
	finish(spOperator(t, m, "numbers"))
	g := readTopology(t, catalogueTopology(), 0)
	// The same from the manifest spcheck-graph wrote from Flink's JobGraph.
	for _, g := range []*compare.JobGraph{g, catalogueFlinkGraph(t)} {
		f, rep := oneFinding(t, m, g, compare.RuleFinishedVertexMixed)
		require.Equal(t, compare.Refused, f.Outcome)
		require.Equal(t, metadata.OperatorIDFromUID("numbers").String(), f.Operator.ID)
		require.Equal(t, "Can not restore vertex Source: numbers -> Parse("+metadata.OperatorIDFromUID("numbers").String()+") which contain mixed operator finished state: [ALL_RUNNING, FULLY_FINISHED]", f.FlinkMessage)
		require.Equal(t, compare.Incompatible, rep.Verdict)
	}

	// With Parse finished too the vertex is fully finished, but Count, a
	// running vertex, reads from it: allowed (only finished vertices have
	// their inputs checked).
	finish(spOperator(t, m, "parse"))
	rep := compare.Check(m, "sp", g, compare.Options{})
	require.Empty(t, findings(rep, compare.RuleFinishedVertexMixed), "%+v", rep.Findings)

	// Breaking the chain, as the job that wrote such a savepoint had it:
	// numbers fully finished, Parse running in a vertex of its own.
	m = catalogueSavepoint(t)
	finish(spOperator(t, m, "numbers"))
	topo := catalogueTopology()
	nodeByName(topo, "Parse")["chaining"] = "NEVER"
	rep = compare.Check(m, "sp", readTopology(t, topo, 0), compare.Options{})
	require.Empty(t, findings(rep, compare.RuleFinishedVertexMixed), "%+v", rep.Findings)

	// Flink before 1.14 has no such check (FLINK-23512, 1.14.0).
	rep = compare.Check(m, "sp", withVersion(readTopology(t, catalogueTopology(), 0), "1.13"), compare.Options{})
	require.Empty(t, findings(rep, compare.RuleFinishedVertexMixed), "%+v", rep.Findings)
}

// A fully finished vertex must read from fully finished ones only; a
// partially finished one from fully finished ones over all-to-all edges
// (VertexFinishedStateChecker.java L80-L150, Flink 1.20).
func TestFinishedVertexPredecessors(t *testing.T) {
	g := readTopology(t, catalogueTopology(), 0)

	m := catalogueSavepoint(t)
	finish(spOperator(t, m, "count"))
	f, rep := oneFinding(t, m, g, compare.RuleFinishedVertexMixed)
	require.Contains(t, f.FlinkMessage, "Cannot run a program with fully finished vertices predeceased with the ones not fully finished. Task vertex Count(")
	require.Equal(t, compare.Incompatible, rep.Verdict)

	// Count with one subtask finished, reading over a keyBy (all-to-all)
	// from a running vertex.
	m = catalogueSavepoint(t)
	count := spOperator(t, m, "count")
	count.Subtasks[0] = metadata.SubtaskState{Index: count.Subtasks[0].Index, Finished: true}
	f, _ = oneFinding(t, m, g, compare.RuleFinishedVertexMixed)
	require.Contains(t, f.FlinkMessage, "connected via the ALL_TO_ALL edges. Task vertex Count(")
	require.Contains(t, f.FlinkMessage, "has a all running predecessor")
}

func inputChannel(op *metadata.OperatorState) {
	for i := range op.Subtasks {
		op.Subtasks[i].InputChannelState = []*metadata.ChannelHandle{{Kind: metadata.InputChannel, Subtask: op.Subtasks[i].Index, Offsets: []int64{0}, Size: 10}}
	}
}

func resultSubpartition(op *metadata.OperatorState) {
	for i := range op.Subtasks {
		op.Subtasks[i].ResultSubpartitionState = []*metadata.ChannelHandle{{Kind: metadata.ResultSubpartition, Subtask: op.Subtasks[i].Index, Offsets: []int64{0}, Size: 10}}
	}
}

// In-flight data on an operator the new job chains behind another
// (SP031). Flink keeps input channel state on a vertex's head and result
// subpartition state on its output operator (TaskStateAssignment.java
// L127-L128, Flink 1.20) and refuses other operators' channel state when
// it redistributes the vertex's (StateAssignmentOperation.java L493-L509,
// called from L364 and L413), which it does only when the head (output
// operator) holds such state or, since Flink 1.18 (FLINK-31963,
// L360-L362 and L409-L411), a neighbouring vertex's does. The savepoint
// here is as a job with Parse not chained to the source could write it.
func TestInFlightRechained(t *testing.T) {
	g := readTopology(t, catalogueTopology(), 0)

	// Parse, now chained behind the source, holds input channel state; the
	// source holds none and has no upstream: Flink does not look, and
	// Parse's in-flight data is not restored.
	m := catalogueSavepoint(t)
	inputChannel(spOperator(t, m, "parse"))
	f, rep := oneFinding(t, m, g, compare.RuleInFlightRechained)
	require.Equal(t, "Parse", f.NewOperator.Name)
	require.Equal(t, compare.RestoresLosingState, f.Outcome)
	require.Equal(t, compare.CompatibleWithStateLoss, rep.Verdict)

	// The source, no longer its vertex's output operator (Parse is),
	// holds result subpartition state, and Count, the downstream vertex's
	// head, input channel state: Flink 1.18+ redistributes the vertex's
	// output state and refuses.
	m = catalogueSavepoint(t)
	resultSubpartition(spOperator(t, m, "numbers"))
	inputChannel(spOperator(t, m, "count"))
	for _, g := range []*compare.JobGraph{g, catalogueFlinkGraph(t)} {
		f, rep = oneFinding(t, m, g, compare.RuleInFlightRechained)
		require.Equal(t, "Source: numbers", f.NewOperator.Name)
		require.Equal(t, compare.Refused, f.Outcome)
		require.Equal(t, "Cannot recover from unaligned checkpoint when topology changes, such that data exchanges with persisted data are now chained.\nThe following operators contain channel state: ["+metadata.OperatorIDFromUID("numbers").String()+"]", f.FlinkMessage)
		require.Equal(t, compare.Incompatible, rep.Verdict)
	}
	// Before 1.18 only the vertex's own output operator's state made
	// Flink look; 1.16 and 1.17 patch releases may differ: unknown.
	f, _ = oneFinding(t, m, withVersion(readTopology(t, catalogueTopology(), 0), "1.17"), compare.RuleInFlightRechained)
	require.Equal(t, compare.OutcomeUnknown, f.Outcome)

	// The output operator Parse holds result subpartition state itself:
	// every version from 1.12 refuses.
	resultSubpartition(spOperator(t, m, "parse"))
	f, _ = oneFinding(t, m, withVersion(readTopology(t, catalogueTopology(), 0), "1.17"), compare.RuleInFlightRechained)
	require.Equal(t, compare.Refused, f.Outcome)

	// The chaining unchanged (Parse not chained): nothing to report.
	topo := catalogueTopology()
	nodeByName(topo, "Parse")["chaining"] = "NEVER"
	rep = compare.Check(m, "sp", readTopology(t, topo, 0), compare.Options{})
	require.Empty(t, findings(rep, compare.RuleInFlightRechained), "%+v", rep.Findings)
}

// ChainMaxPar's topology (testdata/chains/ChainMaxPar.java), by hand.
func chainMaxParTopology(head bool) map[string]any {
	src := map[string]any{"id": 1, "name": "Source: Sequence Source", "kind": "source", "uid": "src", "parallelism": 2, "flip27": true}
	if head {
		src["maxParallelism"] = 64
	}
	return map[string]any{
		"nodes": []any{
			src,
			map[string]any{"id": 2, "name": "M", "kind": "operator", "uid": "m", "parallelism": 2, "maxParallelism": 256},
			map[string]any{"id": 4, "name": "K", "kind": "operator", "uid": "k", "parallelism": 2},
			map[string]any{"id": 5, "name": "Sink: Writer", "kind": "sink", "parallelism": 2},
		},
		"edges": []any{
			map[string]any{"source": 1, "target": 2, "partitioner": "forward"},
			map[string]any{"source": 2, "target": 4, "partitioner": "hash"},
			map[string]any{"source": 4, "target": 5, "partitioner": "forward"},
		},
	}
}

// The max parallelism spcheck gives each operator from the topology is
// the one of its job vertex in the JobGraph Flink 1.20.1 and 2.0.0 built
// for the same job (testdata/chains: written by spcheck-graph from
// Flink's own JobGraph): the chained map's own 256 does not reach its
// vertex, the head's 64 reaches both operators. The operator IDs agree as
// well, the sink's generated one included.
func TestChainMaxParallelismFlinkJobGraph(t *testing.T) {
	for _, version := range []string{"1.20.1", "2.0.0"} {
		for _, head := range []bool{false, true} {
			name := "none"
			if head {
				name = "head"
			}
			b, err := os.ReadFile("testdata/chains/flink-" + version + "-" + name + ".json")
			require.NoError(t, err)
			flink, err := compare.ReadManifest(b, "flink")
			require.NoError(t, err)
			m := map[string]any{"format": "spcheck/jobgraph/v1", "flinkVersion": version, "topology": chainMaxParTopology(head)}
			mb, err := json.Marshal(m)
			require.NoError(t, err)
			g, err := compare.ReadManifest(mb, "topology")
			require.NoError(t, err)
			require.Len(t, g.Operators, len(flink.Operators))
			for _, want := range flink.Operators {
				var got *compare.Operator
				for _, o := range g.Operators {
					if o.Name == want.Name {
						got = o
					}
				}
				require.NotNil(t, got, want.Name)
				require.Equal(t, want.ID, got.ID, "%s %s %s", version, name, want.Name)
				require.Equal(t, want.MaxParallelism, got.MaxParallelism, "%s %s %s", version, name, want.Name)
				require.Equal(t, want.MaxParallelismConfigured, got.MaxParallelismConfigured, "%s %s %s", version, name, want.Name)
			}
			// The job vertices: Flink's (the manifest's vertex fields and
			// vertices) and the ones spcheck builds from the topology.
			require.Equal(t, describeVertices(flink), describeVertices(g), "%s %s", version, name)
			require.True(t, flink.VertexInputsKnown)
			var raw struct {
				Operators []struct {
					UID    string `json:"uid"`
					Vertex string `json:"vertex"`
				} `json:"operators"`
			}
			require.NoError(t, json.Unmarshal(b, &raw))
			for _, o := range raw.Operators {
				if o.UID == "src" {
					// The JobVertexID is the chain head's operator ID.
					require.Equal(t, metadata.OperatorIDFromUID("src").String(), o.Vertex)
				}
			}
		}
	}
}

// describeVertices writes a graph's vertices as text, in an order of their
// own: each vertex's operators (head first), its output operator and its
// inputs by head, with all-to-all or pointwise.
func describeVertices(g *compare.JobGraph) []string {
	var out []string
	for _, v := range g.Vertices {
		var names []string
		for _, o := range v.Operators {
			names = append(names, o.Name)
		}
		d := strings.Join(names, " -> ") + " | output " + v.Output.Name + " | inputs"
		var ins []string
		for _, in := range v.Inputs() {
			kind := "pointwise"
			if in.AllToAll {
				kind = "all-to-all"
			}
			ins = append(ins, in.From.Head().Name+" "+kind)
		}
		sort.Strings(ins)
		out = append(out, d+" "+strings.Join(ins, ", "))
	}
	sort.Strings(out)
	return out
}

// A manifest that gives the operators' vertices but not the vertices'
// inputs: the checks of finished vertices' inputs cannot be made
// (unknown), and a vertex field on some operators only is an error.
func TestManifestVerticesWithoutInputs(t *testing.T) {
	b, err := os.ReadFile("testdata/chains/catalogue-flink-1.20.1.json")
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	delete(doc, "vertices")
	nb, err := json.Marshal(doc)
	require.NoError(t, err)
	g, err := compare.ReadManifest(nb, "no-inputs")
	require.NoError(t, err)
	require.False(t, g.VertexInputsKnown)

	m := catalogueSavepoint(t)
	finish(spOperator(t, m, "count"))
	f, rep := oneFinding(t, m, g, compare.RuleFinishedVertexMixed)
	require.Equal(t, compare.OutcomeUnknown, f.Outcome)
	require.Equal(t, compare.VerdictUnknown, rep.Verdict)

	delete(doc["operators"].([]any)[0].(map[string]any), "vertex")
	nb, err = json.Marshal(doc)
	require.NoError(t, err)
	_, err = compare.ReadManifest(nb, "partial")
	require.ErrorContains(t, err, "9 of 10 operators give their vertex")
}
