package streamgraph

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hashOf hashes g for flinkVersion and returns the generated IDs in hex.
func hashOf(t *testing.T, g *Graph, flinkVersion string) map[int]string {
	t.Helper()
	ids, err := Hash(g, flinkVersion)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[int]string, len(ids))
	for id, pair := range ids {
		out[id] = pair.Generated.String()
	}
	return out
}

// The plan Flink prints for StatefulJobSnapshotMigrationITCase, with the
// uids keyed by node ID (names repeat), gives the IDs of the savepoints:
// the defaults of the plan reader do not matter for this job.
func TestPlanStatefulUDF(t *testing.T) {
	g, err := GraphFromPlan(readTestdata(t, "plan_stateful_udf.json"), PlanOptions{
		UIDs: map[string]string{
			"1":  "CheckpointingSource1",
			"3":  "CheckpointingKeyedStateFlatMap1",
			"5":  "CheckpointingTimelyStatefulOperator1",
			"7":  "CheckpointingSource2",
			"9":  "CheckpointingKeyedStateFlatMap2",
			"11": "CheckpointingTimelyStatefulOperator2",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := hashOf(t, g, "1.19")
	for id, want := range map[int]string{
		6:  "330bf7ad4176e7c36829a4bf9459db07", // from the corpus _metadata
		12: "06d8049845c382d79d17d43c9ef349f7",
		1:  "69f32d314b97c6f7f9ed7873983167f2",
	} {
		if got[id] != want {
			t.Errorf("node %d: %s, want %s", id, got[id], want)
		}
	}
	// The plan lists sinks last; edges must still come out in target order.
	var targets []int
	for _, e := range g.Edges {
		targets = append(targets, e.Target)
	}
	if want := []int{3, 5, 6, 9, 11, 12}; !slices.Equal(targets, want) {
		t.Errorf("edge targets %v, want %v", targets, want)
	}
}

// NonKeyedJob calls startNewChain() on "first", which the plan cannot show:
// with the default strategy the source's ID comes out wrong, with the
// override it is the one of the savepoints.
func TestPlanNonKeyedNeedsChainingOverride(t *testing.T) {
	data := readTestdata(t, "flink_info_nonkeyed.txt") // `flink info` output, text around the JSON
	uids := map[string]string{"2": "first", "3": "second", "5": "third"}
	const source, noop = "bc764cd8ddf7a0cff126f51c16239658", "1265f98db15949b4489d98bcba215148"

	g, err := GraphFromPlan(data, PlanOptions{UIDs: uids})
	if err != nil {
		t.Fatal(err)
	}
	if got := hashOf(t, g, "1.13"); got[1] == source {
		t.Errorf("source ID %s without the HEAD override; the plan reader cannot know it", got[1])
	}

	g, err = GraphFromPlan(data, PlanOptions{
		UIDs: uids,
		Overrides: map[string]NodeOverride{
			"2": {Chaining: ChainHead},
			"3": {Chaining: ChainHead},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := hashOf(t, g, "1.13")
	if got[1] != source || got[4] != noop {
		t.Errorf("source %s, noop map %s; want %s, %s", got[1], got[4], source, noop)
	}
}

func TestPlanKeysByName(t *testing.T) {
	data := readTestdata(t, "plan_stateful_udf.json")
	if _, err := GraphFromPlan(data, PlanOptions{UIDs: map[string]string{"Flat Map": "x"}}); err == nil ||
		!strings.Contains(err.Error(), "names 2 nodes") {
		t.Errorf("ambiguous name: err = %v", err)
	}
	if _, err := GraphFromPlan(data, PlanOptions{UIDs: map[string]string{"Nope": "x"}}); err == nil ||
		!strings.Contains(err.Error(), "names no node") {
		t.Errorf("unknown name: err = %v", err)
	}
	if _, err := GraphFromPlan(data, PlanOptions{UIDs: map[string]string{"42": "x"}}); err == nil ||
		!strings.Contains(err.Error(), "no node has ID 42") {
		t.Errorf("unknown ID: err = %v", err)
	}
	if _, err := GraphFromPlan(data, PlanOptions{
		UIDs:      map[string]string{"1": "a"},
		Overrides: map[string]NodeOverride{"1": {UID: "b"}},
	}); err == nil || !strings.Contains(err.Error(), "two uids") {
		t.Errorf("conflicting uids: err = %v", err)
	}

	single := []byte(`{"nodes":[
		{"id":1,"type":"Source: Numbers","pact":"Data Source","contents":"Source: Numbers","parallelism":2},
		{"id":2,"type":"Map","pact":"Operator","contents":"doubles the value","parallelism":2,
		 "predecessors":[{"id":1,"ship_strategy":"FORWARD","side":"second"}]},
		{"id":3,"type":"Sink: Print to Std. Out","pact":"Data Sink","contents":"Sink: Print to Std. Out","parallelism":2,
		 "predecessors":[{"id":2,"ship_strategy":"REBALANCE","side":"second"}]}]}`)
	g, err := GraphFromPlan(single, PlanOptions{
		UIDs:      map[string]string{"Map": "doubler", "Sink: Print to Std. Out": "printer"},
		Overrides: map[string]NodeOverride{"doubles the value": {SlotSharingGroup: "other"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := g.Node(2); n.UID != "doubler" || n.SlotSharingGroup != "other" || n.Name != "Map" {
		t.Errorf("node 2: %+v", *n)
	}
	if n := g.Node(3); n.UID != "printer" || n.Kind != KindSink {
		t.Errorf("node 3: %+v", *n)
	}
	if g.Edges[1].Partitioner != PartitionRebalance {
		t.Errorf("edge 2->3: %s", g.Edges[1].Partitioner)
	}
}

func TestParsePlanErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
	}{
		{"no json", "nothing here", "no JSON object"},
		{"no nodes", `{"plan": 1}`, `no "nodes"`},
		{"empty", `{"nodes": []}`, "no nodes"},
		{"bad json", `{"nodes": [`, "streamgraph: plan:"},
		{"jobgraph plan", `{"jid":"x","nodes":[{"id":"bc764cd8ddf7a0cff126f51c16239658","parallelism":1}]}`, "JobGraph plan"},
		{"iteration", `{"nodes":[{"step_function":[],"id":1,"pact":"IterativeDataStream"}]}`, "iterations are not supported"},
		{"no id", `{"nodes":[{"type":"x","pact":"Data Source"}]}`, `has no "id"`},
		{"pact", `{"nodes":[{"id":1,"type":"x","pact":"Data Lake","parallelism":1}]}`, "unknown pact"},
		{"dangling", `{"nodes":[{"id":2,"type":"x","pact":"Operator","parallelism":1,"predecessors":[{"id":1,"ship_strategy":"FORWARD"}]}]}`, "predecessor 1 is not in the plan"},
		{"duplicate", `{"nodes":[{"id":1,"type":"x","pact":"Data Source","parallelism":1},{"id":1,"type":"y","pact":"Data Source","parallelism":1}]}`, "appears twice"},
	} {
		_, err := GraphFromPlan([]byte(tc.data), PlanOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "streamgraph: ") {
			t.Errorf("%s: err = %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestShipStrategies(t *testing.T) {
	for s, want := range map[string]Partitioner{
		"FORWARD": PartitionForward, "forward": PartitionForward, "HASH": PartitionHash,
		"REBALANCE": PartitionRebalance, "RESCALE": PartitionRescale, "BROADCAST": PartitionBroadcast,
		"SHUFFLE": PartitionShuffle, "GLOBAL": PartitionGlobal, "CUSTOM": PartitionCustom,
		"HASH[a, b]": PartitionCustom, // table planner partitioners: not forward, nothing else matters
	} {
		if got := shipStrategyPartitioner(s); got != want {
			t.Errorf("%q: %s, want %s", s, got, want)
		}
	}
}
