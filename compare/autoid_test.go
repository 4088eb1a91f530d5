package compare_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spcheck/spcheck/compare"
	"github.com/spcheck/spcheck/metadata"
	"github.com/spcheck/spcheck/streamgraph"
)

// A job with two sources and no uids anywhere, as many real jobs are:
//
//	1 clicks (source) ─┐
//	                   ├─ 3 union/keyBy → 4 counter (stateful) → 5 sink
//	2 views  (source) ─┘
//
// The savepoint is built with the IDs streamgraph derives for it, its
// counter holding keyed state and the sources reader state.
func autoJob() streamgraph.Graph {
	return streamgraph.Graph{
		Nodes: []streamgraph.Node{
			{ID: 1, Name: "Source: clicks", Kind: streamgraph.KindSource, Parallelism: 2, Stateful: true},
			{ID: 2, Name: "Source: views", Kind: streamgraph.KindSource, Parallelism: 2, Stateful: true},
			{ID: 4, Name: "counter", Kind: streamgraph.KindOperator, Parallelism: 2, Stateful: true},
			{ID: 5, Name: "Sink: print", Kind: streamgraph.KindSink, Parallelism: 2},
		},
		Edges: []streamgraph.Edge{
			{Source: 1, Target: 4, Partitioner: streamgraph.PartitionHash},
			{Source: 2, Target: 4, Partitioner: streamgraph.PartitionHash},
			{Source: 4, Target: 5, Partitioner: streamgraph.PartitionForward},
		},
	}
}

func manifestOf(t *testing.T, g streamgraph.Graph) *compare.JobGraph {
	t.Helper()
	b, err := json.Marshal(map[string]any{"format": "spcheck/jobgraph/v1", "flinkVersion": "1.19", "topology": g})
	require.NoError(t, err)
	jg, err := compare.ReadManifest(b, "job.json")
	require.NoError(t, err)
	return jg
}

func savepointOf(t *testing.T, g streamgraph.Graph) *metadata.Metadata {
	t.Helper()
	ids, err := streamgraph.Hash(&g, "1.19")
	require.NoError(t, err)
	m := &metadata.Metadata{Version: 4, CheckpointID: 7,
		Properties: &metadata.CheckpointProperties{Savepoint: true, TypeName: "Savepoint", FormatType: "CANONICAL", PostCheckpointAction: "NONE"}}
	for _, n := range g.Nodes {
		op := metadata.OperatorState{ID: ids[n.ID].Generated, Parallelism: 2, MaxParallelism: 128,
			Subtasks: []metadata.SubtaskState{{Index: 0}, {Index: 1}}}
		if n.Stateful {
			for i := range op.Subtasks {
				if n.Kind == streamgraph.KindSource {
					op.Subtasks[i].ManagedOperatorState = []*metadata.OperatorStreamHandle{{
						States:   []metadata.OperatorStateEntry{{Name: "SourceReaderState", Mode: metadata.SplitDistribute, Offsets: []int64{0}}},
						Delegate: &metadata.ByteStreamHandle{Name: "r", Data: []byte("reader")}}}
				} else {
					op.Subtasks[i].ManagedKeyedState = &metadata.KeyGroupsHandle{Tag_: metadata.TagSavepointKeyGroupsHandle,
						Range: metadata.KeyGroupRange{Start: int32(i * 64), Count: 64}, Offsets: make([]int64, 64),
						Delegate: &metadata.ByteStreamHandle{Name: "k", Data: []byte("keyed")}}
				}
			}
		}
		m.Operators = append(m.Operators, op)
	}
	return m
}

// Edits that change generated IDs of stateful operators are reported as
// SP009 on exactly those operators; edits that keep them are not flagged.
func TestAutoIDEdits(t *testing.T) {
	base := autoJob()
	sp := savepointOf(t, base)
	old := manifestOf(t, base)
	id := func(g streamgraph.Graph, node int) string {
		ids, err := streamgraph.Hash(&g, "1.19")
		require.NoError(t, err)
		return ids[node].Generated.String()
	}
	oldIDs := map[string]string{"clicks": id(base, 1), "views": id(base, 2), "counter": id(base, 4)}

	for _, tc := range []struct {
		name       string
		edit       func(g *streamgraph.Graph)
		changed    []string // operators whose SP009 is expected
		reassigned []string // operators whose SP013 is expected
	}{
		{"unchanged", func(g *streamgraph.Graph) {}, nil, nil},
		{"renamed operators", func(g *streamgraph.Graph) {
			g.Nodes[2].Name = "click counter"
			g.Nodes[3].Name = "Sink: stdout"
		}, nil, nil},
		{"uid-ed operator added after the others", func(g *streamgraph.Graph) {
			g.Nodes = append(g.Nodes, streamgraph.Node{ID: 6, Name: "audit", Kind: streamgraph.KindSink, UID: "audit", Parallelism: 2})
			g.Edges = append(g.Edges, streamgraph.Edge{Source: 4, Target: 6, Partitioner: streamgraph.PartitionRebalance})
		}, nil, nil},
		{"map inserted before the counter", func(g *streamgraph.Graph) {
			// clicks → map → counter: the counter's input hash changes,
			// and the map takes the counter's place in the traversal.
			g.Nodes = append(g.Nodes, streamgraph.Node{ID: 3, Name: "Map", Kind: streamgraph.KindOperator, Parallelism: 2})
			g.Edges[0] = streamgraph.Edge{Source: 1, Target: 3, Partitioner: streamgraph.PartitionForward}
			g.Edges = append(g.Edges, streamgraph.Edge{Source: 3, Target: 4, Partitioner: streamgraph.PartitionHash})
		}, []string{"clicks", "counter"}, nil},
		{"counter's parallelism breaks its chain with the sink", func(g *streamgraph.Graph) {
			g.Nodes[3].Parallelism = 1
			g.Edges[2].Partitioner = streamgraph.PartitionRebalance
		}, []string{"counter"}, nil},
		{"sources created in the other order", func(g *streamgraph.Graph) {
			g.Nodes[0].ID, g.Nodes[1].ID = 2, 1
			g.Edges[0].Source, g.Edges[1].Source = 2, 1
			g.Edges[0], g.Edges[1] = g.Edges[1], g.Edges[0]
			// The sources swap their generated IDs: each one's state
			// would go to the other, which Flink does not notice.
		}, nil, []string{"clicks", "views"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := autoJob()
			tc.edit(&g)
			rep := compare.Check(sp, "sp", manifestOf(t, g), compare.Options{OldGraph: old})
			require.Empty(t, rep.OldGraphCheck.Unpredicted, "the old graph must predict the savepoint")
			var got, gotReassigned []string
			for _, f := range rep.Findings {
				if f.Rule == "SP013" {
					for name, oid := range oldIDs {
						if f.Operator.ID == oid {
							gotReassigned = append(gotReassigned, name)
						}
					}
					continue
				}
				if f.Rule == "SP009" {
					for name, oid := range oldIDs {
						if f.Operator.ID == oid {
							got = append(got, name)
						}
					}
					require.Contains(t, f.Fix, `.setUidHash("`+f.Operator.ID+`")`)
				} else {
					require.True(t, f.Severity < compare.Warning || f.Rule == "SP005", "unexpected %s: %s", f.Rule, f.Message)
				}
			}
			require.ElementsMatch(t, tc.changed, got)
			require.ElementsMatch(t, tc.reassigned, gotReassigned)
			switch {
			case len(tc.changed) > 0:
				require.Equal(t, compare.Incompatible, rep.Verdict)
			case len(tc.reassigned) > 0:
				// Every ID matches: Flink restores, and the state goes to
				// the wrong operator (Checkpoints.loadAndValidateCheckpoint
				// matches by ID alone).
				require.Equal(t, compare.CompatibleWithStateLoss, rep.Verdict)
			default:
				require.Equal(t, compare.Compatible, rep.Verdict)
			}
		})
	}
}
