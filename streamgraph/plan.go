package streamgraph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/spcheck/spcheck/internal/safeparse"
)

// Plan is the JSON execution plan Flink prints for a DataStream job:
// StreamExecutionEnvironment#getExecutionPlan, and `flink info`. Flink
// writes it with JSONGenerator (flink-streaming-java, in the 2.x line
// flink-runtime, .../streaming/api/graph/JSONGenerator.java): one entry per
// StreamNode, non-sinks by ID, then sinks by ID.
//
// The plan shows, per node: the StreamNode ID, the operator name ("type"),
// whether it is a source, sink or operator ("pact"), its description
// ("contents"; the name before Flink 1.15), its parallelism, and its input
// edges in order with their partitioner ("ship_strategy"). "side" carries no
// information: JSONGenerator writes "second" for every edge.
//
// The plan does not show what else decides the IDs; GraphFromPlan assumes
// defaults for it, which PlanOptions override:
//   - uids and uid hashes: none (every operator ID auto-generated);
//   - chaining strategies: HEAD for sources, ALWAYS for the rest. Wrong for
//     operators after startNewChain() (HEAD) or disableChaining() (NEVER),
//     custom operators built with transform(...) on AbstractStreamOperator
//     (HEAD by default in the 1.x line), async I/O in Flink 1.9-1.10
//     (NEVER) and HEAD_WITH_SOURCES operators;
//   - slot sharing groups: none set (slotSharingGroup(...) is not shown), so
//     all in "default"; an override sets a node's group, which nodes after
//     it without one inherit as Flink's determineSlotSharingGroup does;
//   - env.disableOperatorChaining(): not shown, chaining assumed enabled;
//   - max parallelism: not shown, only matters with
//     Settings.NoChainingWithDifferentMaxParallelism;
//   - exchange modes: not shown, assumed pipelined (BATCH exchanges break
//     chains in 1.11+);
//   - source API: sources assumed to be SourceFunctions (legacy), operators
//     assumed not yielding; both only matter for async I/O after a source
//     and for HEAD_WITH_SOURCES;
//   - the input index (type number) of an edge: not shown, not needed for
//     the hash;
//   - the order of a node's output edges: taken as the order of the target
//     node IDs, then the order of the target's inputs, which is Flink's
//     creation order for the DataStream API (see Graph).
//
// Iterations (entries with "step_function") are refused.
type Plan struct {
	Nodes []PlanNode `json:"nodes"`
}

// PlanNode is one entry of Plan.Nodes.
type PlanNode struct {
	ID           int         `json:"id"`
	Type         string      `json:"type"`
	Pact         string      `json:"pact"`
	Contents     string      `json:"contents"`
	Parallelism  int         `json:"parallelism"`
	Predecessors []PlanInput `json:"predecessors,omitempty"`
}

// PlanInput is an input edge of a PlanNode.
type PlanInput struct {
	ID           int    `json:"id"`
	ShipStrategy string `json:"ship_strategy"`
	Side         string `json:"side,omitempty"`
}

// NodeOverride supplies what the plan does not show for one node. Zero
// fields keep the default.
type NodeOverride struct {
	UID              string           `json:"uid,omitempty"`
	UIDHash          string           `json:"uidHash,omitempty"`
	Chaining         ChainingStrategy `json:"chaining,omitempty"`
	SlotSharingGroup string           `json:"slotSharingGroup,omitempty"`
	MaxParallelism   int              `json:"maxParallelism,omitempty"`
	FLIP27           bool             `json:"flip27,omitempty"`
	Yielding         bool             `json:"yielding,omitempty"`
}

// PlanOptions complete a Plan. A key of UIDs and Overrides names a node by
// its ID in decimal ("3") or by its operator name as the plan's "type" (or,
// failing that, "contents") shows it ("Flat Map"); a name must then belong
// to exactly one node.
type PlanOptions struct {
	// UIDs maps nodes to their uid(...).
	UIDs map[string]string `json:"uids,omitempty"`
	// Overrides maps nodes to what else the plan does not show; a uid given
	// in both UIDs and Overrides must agree.
	Overrides map[string]NodeOverride `json:"overrides,omitempty"`
	Settings  Settings                `json:"settings,omitzero"`
}

// ParsePlan reads a JSON execution plan. Text before the first '{' and
// after the JSON value is skipped, so the output of `flink info` can be
// passed as it is.
func ParsePlan(data []byte) (*Plan, error) {
	start := bytes.IndexByte(data, '{')
	if start < 0 {
		return nil, fmt.Errorf("streamgraph: plan: no JSON object found")
	}
	if err := safeparse.CheckJSON(data[start:]); err != nil {
		return nil, fmt.Errorf("streamgraph: plan: %v", err)
	}
	var raw struct {
		Nodes []json.RawMessage `json:"nodes"`
	}
	if err := json.NewDecoder(bytes.NewReader(data[start:])).Decode(&raw); err != nil {
		return nil, fmt.Errorf("streamgraph: plan: %w", err)
	}
	if raw.Nodes == nil {
		return nil, fmt.Errorf("streamgraph: plan: no \"nodes\" array")
	}
	p := &Plan{}
	for i, rn := range raw.Nodes {
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(rn, &probe); err != nil {
			return nil, fmt.Errorf("streamgraph: plan: node %d: %w", i, err)
		}
		if _, ok := probe["step_function"]; ok {
			return nil, fmt.Errorf("streamgraph: plan: node %d is a stream iteration; iterations are not supported", i)
		}
		if id := probe["id"]; len(id) > 0 && id[0] == '"' {
			return nil, fmt.Errorf("streamgraph: plan: node IDs are strings: this is a JobGraph plan (REST /jobs/:jobid/plan or the web UI), which has already chained the operators; use the execution plan of getExecutionPlan() or `flink info`")
		}
		var n PlanNode
		if err := json.Unmarshal(rn, &n); err != nil {
			return nil, fmt.Errorf("streamgraph: plan: node %d: %w", i, err)
		}
		if _, ok := probe["id"]; !ok {
			return nil, fmt.Errorf("streamgraph: plan: node %d has no \"id\"", i)
		}
		p.Nodes = append(p.Nodes, n)
	}
	if len(p.Nodes) == 0 {
		return nil, fmt.Errorf("streamgraph: plan: no nodes")
	}
	return p, nil
}

// GraphFromPlan reads a JSON execution plan and completes it with opts; see
// Plan for what it assumes.
func GraphFromPlan(data []byte, opts PlanOptions) (*Graph, error) {
	p, err := ParsePlan(data)
	if err != nil {
		return nil, err
	}
	return p.Graph(opts)
}

// Graph builds the Graph of the plan, completed with opts, and validates
// it.
func (p *Plan) Graph(opts PlanOptions) (*Graph, error) {
	g := &Graph{Settings: opts.Settings}
	index := make(map[int]int, len(p.Nodes))
	for _, pn := range p.Nodes {
		if _, dup := index[pn.ID]; dup {
			return nil, fmt.Errorf("streamgraph: plan: node ID %d appears twice", pn.ID)
		}
		kind, err := pactKind(pn.Pact)
		if err != nil {
			return nil, fmt.Errorf("streamgraph: plan: node %d: %w", pn.ID, err)
		}
		if kind == KindSource && len(pn.Predecessors) > 0 {
			return nil, fmt.Errorf("streamgraph: plan: source node %d has predecessors", pn.ID)
		}
		index[pn.ID] = len(g.Nodes)
		g.Nodes = append(g.Nodes, Node{
			ID:          pn.ID,
			Name:        pn.Type,
			Kind:        kind,
			Parallelism: pn.Parallelism,
		})
	}

	type planEdge struct {
		Edge
		pos int
	}
	var edges []planEdge
	for _, pn := range p.Nodes {
		for pos, in := range pn.Predecessors {
			if _, ok := index[in.ID]; !ok {
				return nil, fmt.Errorf("streamgraph: plan: node %d: predecessor %d is not in the plan", pn.ID, in.ID)
			}
			edges = append(edges, planEdge{
				Edge: Edge{Source: in.ID, Target: pn.ID, Partitioner: shipStrategyPartitioner(in.ShipStrategy)},
				pos:  pos,
			})
		}
	}
	slices.SortStableFunc(edges, func(a, b planEdge) int {
		if a.Target != b.Target {
			return a.Target - b.Target
		}
		return a.pos - b.pos
	})
	for _, e := range edges {
		g.Edges = append(g.Edges, e.Edge)
	}

	resolve := func(what, key string) (*Node, error) {
		n, err := p.lookup(key)
		if err != nil {
			return nil, fmt.Errorf("streamgraph: plan: %s key %q: %w", what, key, err)
		}
		return &g.Nodes[index[n]], nil
	}
	for _, key := range slices.Sorted(maps.Keys(opts.UIDs)) {
		n, err := resolve("uids", key)
		if err != nil {
			return nil, err
		}
		if n.UID != "" && n.UID != opts.UIDs[key] {
			return nil, fmt.Errorf("streamgraph: plan: node %d is given two uids, %q and %q", n.ID, n.UID, opts.UIDs[key])
		}
		n.UID = opts.UIDs[key]
	}
	for _, key := range slices.Sorted(maps.Keys(opts.Overrides)) {
		n, err := resolve("overrides", key)
		if err != nil {
			return nil, err
		}
		o := opts.Overrides[key]
		if o.UID != "" {
			if n.UID != "" && n.UID != o.UID {
				return nil, fmt.Errorf("streamgraph: plan: node %d is given two uids, %q and %q", n.ID, n.UID, o.UID)
			}
			n.UID = o.UID
		}
		if o.UIDHash != "" {
			n.UIDHash = o.UIDHash
		}
		if o.Chaining != "" {
			n.Chaining = o.Chaining
		}
		if o.SlotSharingGroup != "" {
			n.SlotSharingGroup = o.SlotSharingGroup
		}
		if o.MaxParallelism != 0 {
			n.MaxParallelism = o.MaxParallelism
		}
		n.FLIP27 = n.FLIP27 || o.FLIP27
		n.Yielding = n.Yielding || o.Yielding
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return g, nil
}

// lookup finds the node a PlanOptions key names.
func (p *Plan) lookup(key string) (int, error) {
	if id, err := strconv.Atoi(key); err == nil {
		for _, n := range p.Nodes {
			if n.ID == id {
				return id, nil
			}
		}
		return 0, fmt.Errorf("no node has ID %d", id)
	}
	for _, field := range []func(PlanNode) string{
		func(n PlanNode) string { return n.Type },
		func(n PlanNode) string { return n.Contents },
	} {
		var ids []int
		for _, n := range p.Nodes {
			if field(n) == key {
				ids = append(ids, n.ID)
			}
		}
		switch len(ids) {
		case 0:
			continue
		case 1:
			return ids[0], nil
		default:
			return 0, fmt.Errorf("names %d nodes (IDs %v); use the node ID", len(ids), ids)
		}
	}
	return 0, fmt.Errorf("names no node (neither an ID nor an operator name of the plan)")
}

func pactKind(pact string) (Kind, error) {
	switch pact {
	case "Data Source":
		return KindSource, nil
	case "Data Sink":
		return KindSink, nil
	case "Operator":
		return KindOperator, nil
	default:
		return "", fmt.Errorf("unknown pact %q (want \"Data Source\", \"Operator\" or \"Data Sink\")", pact)
	}
}

// shipStrategyPartitioner maps StreamPartitioner#toString to a Partitioner.
// Only "FORWARD" (ForwardPartitioner and its subclasses, which inherit its
// toString) chains; any other strategy, including the table planner's own
// partitioners, is equivalent for the hash and maps to PartitionCustom when
// it is not a DataStream partitioner.
func shipStrategyPartitioner(s string) Partitioner {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "FORWARD":
		return PartitionForward
	case "REBALANCE":
		return PartitionRebalance
	case "RESCALE":
		return PartitionRescale
	case "HASH":
		return PartitionHash
	case "BROADCAST":
		return PartitionBroadcast
	case "SHUFFLE":
		return PartitionShuffle
	case "GLOBAL":
		return PartitionGlobal
	default:
		return PartitionCustom
	}
}
