package streamgraph

import (
	"reflect"
	"testing"
)

// An operator without a slot sharing group takes its inputs' group, or
// the default group when they differ (StreamGraphGenerator.java
// L851-L866, determineSlotSharingGroup, Flink 1.20; the same rule since
// 1.3). A group set on the source alone therefore does not split the
// chain: the whole pipeline is in that group. The expected IDs are those
// of the same job without any group, which chains the same way (the hash
// does not include group names); they do not go through the inheritance
// code under test.
func TestSlotSharingGroupInherited(t *testing.T) {
	build := func(sourceGroup string) *Graph {
		src := node(1, KindSource, 2)
		src.SlotSharingGroup = sourceGroup
		return linear(src, node(2, KindOperator, 2), node(3, KindOperator, 2), node(4, KindSink, 2))
	}
	for _, v := range []string{"1.3", "1.10", "1.11", "1.15", "1.20", "2.0"} {
		plain, err := Hash(build(""), v)
		if err != nil {
			t.Fatal(err)
		}
		grouped, err := Hash(build("sources"), v)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(plain, grouped) {
			t.Errorf("Flink %s: a group on the source alone changed the generated IDs", v)
		}
		chains, err := Chains(build("sources"), v)
		if err != nil {
			t.Fatal(err)
		}
		if want := [][]int{{1, 2, 3, 4}}; !reflect.DeepEqual(chains, want) {
			t.Errorf("Flink %s: chains %v, want %v", v, chains, want)
		}
	}
	// A group set downstream still splits the chain there, and what
	// follows inherits it.
	g := build("")
	g.Nodes[2].SlotSharingGroup = "heavy"
	chains, err := Chains(g, "1.20")
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]int{{1, 2}, {3, 4}}; !reflect.DeepEqual(chains, want) {
		t.Errorf("chains %v, want %v", chains, want)
	}
}

// Inputs in different groups give the default group
// (determineSlotSharingGroup returns DEFAULT_SLOT_SHARING_GROUP when two
// inputs disagree), so an operator after a join of two grouped sources
// does not chain with an operator that kept one source's group.
func TestSlotSharingGroupInputsDisagree(t *testing.T) {
	a, b := node(1, KindSource, 1), node(2, KindSource, 1)
	a.SlotSharingGroup, b.SlotSharingGroup = "a", "b"
	g := &Graph{Nodes: []Node{a, b, node(3, KindOperator, 1), node(4, KindOperator, 1)},
		Edges: []Edge{
			{Source: 1, Target: 3, Partitioner: PartitionHash, TypeNumber: 1},
			{Source: 2, Target: 3, Partitioner: PartitionHash, TypeNumber: 2},
			{Source: 3, Target: 4, Partitioner: PartitionForward},
		}}
	groups := slotSharingGroups(g, map[int][]int{3: {0, 1}, 4: {2}})
	if want := map[int]string{1: "a", 2: "b", 3: DefaultSlotSharingGroup, 4: DefaultSlotSharingGroup}; !reflect.DeepEqual(groups, want) {
		t.Errorf("groups %v, want %v", groups, want)
	}
	// Node 4 chains to node 3: both in the default group.
	chains, err := Chains(g, "1.20")
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]int{{1}, {2}, {3, 4}}; !reflect.DeepEqual(chains, want) {
		t.Errorf("chains %v, want %v", chains, want)
	}
}

// An execution-plan override that sets a group on one node is inherited
// by the nodes after it, as for a topology: the IDs equal those of the
// plan without the override.
func TestPlanOverrideSlotSharingGroupInherited(t *testing.T) {
	plan := []byte(`{"nodes":[
		{"id":1,"type":"Source: Numbers","pact":"Data Source","contents":"Source: Numbers","parallelism":2},
		{"id":2,"type":"Map","pact":"Operator","contents":"Map","parallelism":2,
		 "predecessors":[{"id":1,"ship_strategy":"FORWARD","side":"second"}]},
		{"id":3,"type":"Sink: Print to Std. Out","pact":"Data Sink","contents":"Sink: Print to Std. Out","parallelism":2,
		 "predecessors":[{"id":2,"ship_strategy":"FORWARD","side":"second"}]}]}`)
	plain, err := GraphFromPlan(plan, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	grouped, err := GraphFromPlan(plan, PlanOptions{Overrides: map[string]NodeOverride{"1": {SlotSharingGroup: "sources"}}})
	if err != nil {
		t.Fatal(err)
	}
	want, err := Hash(plain, "1.20")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Hash(grouped, "1.20")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("a group on the source of the plan changed the IDs:\n got %v\nwant %v", got, want)
	}
}
