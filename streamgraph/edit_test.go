package streamgraph

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/spcheck/spcheck/metadata"
)

// These tests edit the corpus jobs the way users edit theirs, and check
// which operator IDs of the real savepoint the edited job still produces:
// the check spcheck makes before a restore.

// cloneGraph deep-copies a graph.
func cloneGraph(t *testing.T, g *Graph) *Graph {
	t.Helper()
	b, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	var c Graph
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

// savepointIDs returns the operator IDs of a corpus _metadata.
func savepointIDs(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, dir, "_metadata"))
	if err != nil {
		t.Fatal(err)
	}
	md, err := metadata.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, op := range md.Operators {
		ids = append(ids, op.ID.String())
	}
	slices.Sort(ids)
	return ids
}

// unmatched returns the savepoint IDs the graph does not produce: state
// that would not be restored (Flink refuses the restore without
// --allowNonRestoredState).
func unmatched(t *testing.T, g *Graph, version string, ids []string) []string {
	t.Helper()
	produced := map[string]bool{}
	for _, id := range hashOf(t, g, version) {
		produced[id] = true
	}
	var missing []string
	for _, id := range ids {
		if !produced[id] {
			missing = append(missing, id)
		}
	}
	return missing
}

const (
	nonKeyedDir = "flink-tests/operatorstate/nonKeyed-flink1.19"
	statefulDir = "flink-tests/new-stateful-udf-migration-itcase-flink1.19-rocksdb-savepoint"
)

func TestEditsNonKeyedJob(t *testing.T) {
	job := loadCorpusJobs(t)["NonKeyedJob"]
	ids := savepointIDs(t, nonKeyedDir)
	const (
		source = "bc764cd8ddf7a0cff126f51c16239658"
		noop   = "1265f98db15949b4489d98bcba215148"
	)
	if m := unmatched(t, &job.Graph, "1.19", ids); len(m) != 0 {
		t.Fatalf("unedited job leaves %v unmatched", m)
	}

	t.Run("rename operators: unchanged", func(t *testing.T) {
		g := cloneGraph(t, &job.Graph)
		for i := range g.Nodes {
			g.Nodes[i].Name = "renamed " + g.Nodes[i].Name
		}
		if m := unmatched(t, g, "1.19", ids); len(m) != 0 {
			t.Errorf("renaming leaves %v unmatched", m)
		}
	})

	t.Run("uid-ed operator appended: unchanged", func(t *testing.T) {
		g := cloneGraph(t, &job.Graph)
		g.Nodes = append(g.Nodes, Node{ID: 6, Name: "Map", Kind: KindOperator, UID: "fourth", Parallelism: 4})
		g.Edges = append(g.Edges, Edge{Source: 5, Target: 6, Partitioner: PartitionForward})
		if m := unmatched(t, g, "1.19", ids); len(m) != 0 {
			t.Errorf("appending leaves %v unmatched", m)
		}
	})

	t.Run("map inserted before the first stateful map: auto IDs change", func(t *testing.T) {
		// Source -> new Map -> first ...: the source now chains the new map,
		// and every later auto operator moves one place in the traversal.
		g := cloneGraph(t, &job.Graph)
		g.Nodes = append(g.Nodes, Node{ID: 6, Name: "Map", Kind: KindOperator, Parallelism: 4})
		g.Edges[0].Source = 6 // was source -> first
		g.Edges = append([]Edge{{Source: 1, Target: 6, Partitioner: PartitionForward}}, g.Edges...)
		m := unmatched(t, g, "1.19", ids)
		if want := []string{noop, source}; !slices.Equal(m, want) {
			t.Errorf("unmatched %v, want %v", m, want)
		}
	})

	t.Run("parallelism change breaks the chain: the map's ID changes", func(t *testing.T) {
		// The NoOp map goes to parallelism 2: its default edges become
		// rebalances and it no longer chains to "third".
		g := cloneGraph(t, &job.Graph)
		g.Node(4).Parallelism = 2
		g.Edges[2].Partitioner = PartitionRebalance
		g.Edges[3].Partitioner = PartitionRebalance
		m := unmatched(t, g, "1.19", ids)
		if want := []string{noop}; !slices.Equal(m, want) {
			t.Errorf("unmatched %v, want %v", m, want)
		}
		before, _ := Chains(&job.Graph, "1.19")
		after, _ := Chains(g, "1.19")
		if len(after) != len(before)+2 {
			t.Errorf("chains %v -> %v: the chain should break in three", before, after)
		}
	})

	t.Run("startNewChain removed from first: the source's ID changes", func(t *testing.T) {
		g := cloneGraph(t, &job.Graph)
		g.Node(2).Chaining = ""
		m := unmatched(t, g, "1.19", ids)
		if want := []string{source}; !slices.Equal(m, want) {
			t.Errorf("unmatched %v, want %v", m, want)
		}
	})

	t.Run("chaining disabled: the auto IDs of chained operators change", func(t *testing.T) {
		g := cloneGraph(t, &job.Graph)
		g.Settings.DisableOperatorChaining = true
		m := unmatched(t, g, "1.19", ids)
		if want := []string{noop}; !slices.Equal(m, want) {
			t.Errorf("unmatched %v, want %v", m, want)
		}
	})
}

func TestEditsStatefulJob(t *testing.T) {
	job := loadCorpusJobs(t)["StatefulJobSnapshotMigrationITCase"]
	ids := savepointIDs(t, statefulDir)
	const (
		sink1 = "330bf7ad4176e7c36829a4bf9459db07"
		sink2 = "06d8049845c382d79d17d43c9ef349f7"
	)
	if m := unmatched(t, &job.Graph, "1.19", ids); len(m) != 0 {
		t.Fatalf("unedited job leaves %v unmatched", m)
	}

	t.Run("sources reordered: both sinks change", func(t *testing.T) {
		// The second pipeline is written first: its nodes get the lower
		// IDs, its source is traversed first.
		g := cloneGraph(t, &job.Graph)
		for i := range g.Nodes {
			if g.Nodes[i].ID <= 6 {
				g.Nodes[i].ID += 6
			} else {
				g.Nodes[i].ID -= 6
			}
		}
		for i := range g.Edges {
			for _, p := range []*int{&g.Edges[i].Source, &g.Edges[i].Target} {
				if *p <= 6 {
					*p += 6
				} else {
					*p -= 6
				}
			}
		}
		slices.SortStableFunc(g.Edges, func(a, b Edge) int { return a.Target - b.Target })
		m := unmatched(t, g, "1.19", ids)
		want := []string{sink2, sink1}
		slices.Sort(want)
		if !slices.Equal(m, want) {
			t.Errorf("unmatched %v, want %v", m, want)
		}
	})

	t.Run("uid-ed operator added after the first pipeline: the second sink moves", func(t *testing.T) {
		// A new keyed operator with uid after timely_stateful_operator 1 is
		// traversed before the second sink, which gets the next index: an
		// operator with uid can change the auto ID of an unrelated one.
		g := cloneGraph(t, &job.Graph)
		g.Nodes = append(g.Nodes, Node{ID: 13, Name: "audit", Kind: KindOperator, UID: "audit", Parallelism: 4})
		g.Edges = append(g.Edges, Edge{Source: 5, Target: 13, Partitioner: PartitionHash})
		m := unmatched(t, g, "1.19", ids)
		if want := []string{sink2}; !slices.Equal(m, want) {
			t.Errorf("unmatched %v, want %v", m, want)
		}
	})

	t.Run("uids on the sinks: only the sinks change", func(t *testing.T) {
		g := cloneGraph(t, &job.Graph)
		g.Node(6).UID, g.Node(12).UID = "sink-1", "sink-2"
		m := unmatched(t, g, "1.19", ids)
		want := []string{sink2, sink1}
		slices.Sort(want)
		if !slices.Equal(m, want) {
			t.Errorf("unmatched %v, want %v", m, want)
		}
	})

	t.Run("setUidHash keeps the old ID reachable", func(t *testing.T) {
		// The documented way out: pin the old auto ID with setUidHash.
		g := cloneGraph(t, &job.Graph)
		g.Node(6).UID = "sink-1"
		g.Node(6).UIDHash = sink1
		pairs, err := Hash(g, "1.19")
		if err != nil {
			t.Fatal(err)
		}
		if u := pairs[6].UserDefined; u == nil || u.String() != sink1 {
			t.Errorf("user-defined ID %v, want %s", u, sink1)
		}
	})
}
