package streamgraph

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/spcheck/spcheck/internal/safeparse"
	"slices"

	"github.com/spcheck/spcheck/metadata"
)

// Kind says what a node is in Flink's StreamGraph.
type Kind string

// The kinds of node. Flink's StreamGraph keeps the IDs of source and sink
// nodes in separate sets (StreamGraph#getSourceIDs, #getSinkIDs); the hasher
// starts its traversal from the sources.
const (
	KindSource   Kind = "source"
	KindOperator Kind = "operator"
	KindSink     Kind = "sink"
)

// ChainingStrategy is Flink's ChainingStrategy of a node's operator
// (flink-streaming-java .../api/operators/ChainingStrategy.java).
type ChainingStrategy string

// The chaining strategies. The empty strategy stands for the default of the
// node's kind, see Node.EffectiveChaining.
const (
	// ChainAlways: the operator is chained to its predecessor and its
	// successors whenever the edge allows it. Default of the functions'
	// operators (StreamMap, StreamFlatMap, ProcessOperator, WindowOperator,
	// StreamSink, ...: AbstractUdfStreamOperator subclasses).
	ChainAlways ChainingStrategy = "ALWAYS"
	// ChainHead: the operator starts a chain but successors may chain to it.
	// Set by startNewChain(); default of legacy sources (StreamSource) and,
	// in the 1.x line, of custom operators extending AbstractStreamOperator
	// (transform(...)).
	ChainHead ChainingStrategy = "HEAD"
	// ChainNever: set by disableChaining().
	ChainNever ChainingStrategy = "NEVER"
	// ChainHeadWithSources (Flink 1.12+): like HEAD, except that a FLIP-27
	// source may chain to it.
	ChainHeadWithSources ChainingStrategy = "HEAD_WITH_SOURCES"
)

// Partitioner is the StreamPartitioner of an edge. Only the forward
// partitioner lets an edge chain; all others are equivalent to the hasher.
type Partitioner string

// The partitioners of the DataStream API, named after their toString() in
// Flink (the "ship_strategy" of the JSON plan), in lower case.
const (
	PartitionForward   Partitioner = "forward"   // ForwardPartitioner (and its Forward-for-* subclasses)
	PartitionRebalance Partitioner = "rebalance" // RebalancePartitioner, also used when parallelism changes on a default edge
	PartitionRescale   Partitioner = "rescale"   // RescalePartitioner
	PartitionHash      Partitioner = "hash"      // KeyGroupStreamPartitioner (keyBy)
	PartitionBroadcast Partitioner = "broadcast" // BroadcastPartitioner
	PartitionShuffle   Partitioner = "shuffle"   // ShufflePartitioner
	PartitionGlobal    Partitioner = "global"    // GlobalPartitioner
	PartitionCustom    Partitioner = "custom"    // CustomPartitionerWrapper (partitionCustom)
)

// ExchangeMode is the StreamExchangeMode (ShuffleMode before Flink 1.13) of
// an edge.
type ExchangeMode string

// The exchange modes. The empty mode is Flink's UNDEFINED, the default.
const (
	ExchangeUndefined ExchangeMode = ""
	ExchangePipelined ExchangeMode = "pipelined"
	// ExchangeBatch breaks a chain in Flink 1.11+ (StreamingJobGraphGenerator#isChainable).
	ExchangeBatch ExchangeMode = "batch"
	// ExchangeHybrid covers HYBRID_FULL and HYBRID_SELECTIVE (Flink 1.16+),
	// which do not break chains.
	ExchangeHybrid ExchangeMode = "hybrid"
)

// DefaultSlotSharingGroup is the group of nodes that set none
// (StreamGraphGenerator.DEFAULT_SLOT_SHARING_GROUP).
const DefaultSlotSharingGroup = "default"

// Node is one StreamNode: an operator as Flink's StreamGraph records it.
// Virtual nodes (keyBy, rebalance, union, side outputs) are no nodes: they
// become the partitioner of an edge, or several edges.
type Node struct {
	// ID is the StreamNode ID: the ID of the transformation, assigned from
	// a counter in creation order (virtual transformations use IDs too, so
	// gaps are normal). Only the order of the sources' IDs enters the hash.
	ID   int    `json:"id"`
	Name string `json:"name,omitempty"`
	Kind Kind   `json:"kind"`
	// UID is the uid(...) of the operator; empty when none was set.
	UID string `json:"uid,omitempty"`
	// UIDHash is the setUidHash(...) of the operator, 32 hex digits; it
	// becomes the user-defined alternative ID (StreamGraphUserHashHasher).
	UIDHash string `json:"uidHash,omitempty"`
	// Parallelism as the StreamNode holds it; 0 or -1 stands for the
	// default parallelism (ExecutionConfig.PARALLELISM_DEFAULT), which only
	// equals another default.
	Parallelism int `json:"parallelism"`
	// MaxParallelism is only compared when chaining of operators with
	// different max parallelism is switched off (Flink 1.18+); 0 or -1: not
	// set.
	MaxParallelism int `json:"maxParallelism,omitempty"`
	// Chaining is the operator's chaining strategy; empty: the default of
	// the kind (EffectiveChaining).
	Chaining ChainingStrategy `json:"chaining,omitempty"`
	// SlotSharingGroup is the group the operator sets (slotSharingGroup(...));
	// empty: none set, and Flink gives it its inputs' group when they share
	// one, else DefaultSlotSharingGroup (StreamGraphGenerator#determineSlotSharingGroup).
	SlotSharingGroup string `json:"slotSharingGroup,omitempty"`
	// FLIP27 marks a source built with the Source API (env.fromSource,
	// fromSequence, ...; SourceOperatorFactory) rather than a SourceFunction
	// (env.addSource; a legacy StreamSource).
	FLIP27 bool `json:"flip27,omitempty"`
	// Yielding marks an operator whose factory is a YieldingOperatorFactory
	// (AsyncWaitOperator): from Flink 1.11 it is not chained to a chain
	// headed by a legacy source.
	Yielding bool `json:"yielding,omitempty"`
	// Stateful is informational: whether the operator keeps state. The
	// hasher ignores it.
	Stateful bool `json:"stateful,omitempty"`
}

// EffectiveChaining returns the node's chaining strategy, or the default
// for its kind when none is set: HEAD for sources (StreamSource and the
// FLIP-27 SourceOperatorFactory start chains; as upstream, HEAD and ALWAYS
// chain alike), ALWAYS for the rest. Custom operators built with
// transform(...) on AbstractStreamOperator default to HEAD in the 1.x line
// (AbstractStreamOperator's chainingStrategy field): they must say so. In
// the 2.x line that field is gone and SimpleOperatorFactory keeps the
// factory default, ALWAYS.
func (n *Node) EffectiveChaining() ChainingStrategy {
	if n.Chaining != "" {
		return n.Chaining
	}
	if n.Kind == KindSource {
		return ChainHead
	}
	return ChainAlways
}

// EffectiveSlotSharingGroup returns the group the node sets, or
// DefaultSlotSharingGroup. It does not apply the inheritance from inputs
// (StreamGraphGenerator#determineSlotSharingGroup), which needs the
// graph: the hasher and Chains apply it.
func (n *Node) EffectiveSlotSharingGroup() string {
	if n.SlotSharingGroup == "" {
		return DefaultSlotSharingGroup
	}
	return n.SlotSharingGroup
}

func (n *Node) label() string {
	if n.Name != "" {
		return fmt.Sprintf("node %d (%q)", n.ID, n.Name)
	}
	return fmt.Sprintf("node %d", n.ID)
}

// Edge is one StreamEdge.
type Edge struct {
	Source      int         `json:"source"`
	Target      int         `json:"target"`
	Partitioner Partitioner `json:"partitioner"`
	// TypeNumber is the input of the target the edge feeds: 0 for
	// one-input operators, 1, 2, ... for two- and multi-input operators.
	// Informational for the hash: it only matters for unions into one
	// input, which never chain anyway.
	TypeNumber   int          `json:"typeNumber,omitempty"`
	ExchangeMode ExchangeMode `json:"exchangeMode,omitempty"`
}

// Settings are the job-wide settings that decide chaining.
type Settings struct {
	// DisableOperatorChaining mirrors env.disableOperatorChaining()
	// (pipeline.operator-chaining.enabled: false): no edge chains, and the
	// hasher counts no chained outputs.
	DisableOperatorChaining bool `json:"disableOperatorChaining,omitempty"`
	// NoChainingWithDifferentMaxParallelism mirrors
	// pipeline.operator-chaining.chain-operators-with-different-max-parallelism:
	// false (Flink 1.18+; ignored for earlier versions).
	NoChainingWithDifferentMaxParallelism bool `json:"noChainingWithDifferentMaxParallelism,omitempty"`
}

// Graph is the topology of a DataStream job as far as operator IDs depend
// on it: the StreamGraph of flink-streaming-java (StreamGraph, StreamNode,
// StreamEdge).
//
// The order of Edges is the order in which Flink created the edges. A node's
// output edges (StreamNode#getOutEdges) and input edges (#getInEdges) are
// its edges in this order, and the hasher visits outputs in that order.
// Flink creates a node's input edges when it translates the node, inputs in
// order (input 1 before input 2, union inputs in union order), and it
// translates operators in creation order; so listing the edges by target in
// creation order, then by input, gives Flink's order.
type Graph struct {
	Nodes    []Node   `json:"nodes"`
	Edges    []Edge   `json:"edges"`
	Settings Settings `json:"settings,omitzero"`
}

// ParseGraph decodes a Graph from JSON (the field names of the struct tags)
// and validates it. Unknown fields are an error.
func ParseGraph(data []byte) (*Graph, error) {
	if err := safeparse.CheckJSON(data); err != nil {
		return nil, fmt.Errorf("streamgraph: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var g Graph
	if err := dec.Decode(&g); err != nil {
		return nil, fmt.Errorf("streamgraph: decoding graph: %w", err)
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return &g, nil
}

// Node returns the node with the given ID, or nil.
func (g *Graph) Node(id int) *Node {
	for i := range g.Nodes {
		if g.Nodes[i].ID == id {
			return &g.Nodes[i]
		}
	}
	return nil
}

// Validate checks that the graph is one Flink could have built: unique node
// IDs and uids, known kinds, strategies and partitioners, edges between
// existing nodes, sources without and other nodes with inputs, no cycles,
// and no forward edge between different parallelisms (Flink refuses those:
// "Forward partitioning does not allow change of parallelism").
func (g *Graph) Validate() error {
	if len(g.Nodes) == 0 {
		return fmt.Errorf("streamgraph: graph has no nodes")
	}
	byID := make(map[int]*Node, len(g.Nodes))
	uids := map[string]int{}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if n.ID < 0 {
			return fmt.Errorf("streamgraph: %s: negative node ID", n.label())
		}
		if _, dup := byID[n.ID]; dup {
			return fmt.Errorf("streamgraph: node ID %d appears twice", n.ID)
		}
		byID[n.ID] = n
		switch n.Kind {
		case KindSource, KindOperator, KindSink:
		case "":
			return fmt.Errorf("streamgraph: %s: kind missing (source, operator or sink)", n.label())
		default:
			return fmt.Errorf("streamgraph: %s: unknown kind %q (want source, operator or sink)", n.label(), n.Kind)
		}
		switch n.Chaining {
		case "", ChainAlways, ChainHead, ChainNever, ChainHeadWithSources:
		default:
			return fmt.Errorf("streamgraph: %s: unknown chaining strategy %q (want ALWAYS, HEAD, NEVER or HEAD_WITH_SOURCES)", n.label(), n.Chaining)
		}
		if n.Parallelism < -1 {
			return fmt.Errorf("streamgraph: %s: parallelism %d (want a positive number, or 0 or -1 for the default)", n.label(), n.Parallelism)
		}
		if n.MaxParallelism < -1 {
			return fmt.Errorf("streamgraph: %s: max parallelism %d (want a positive number, or 0 or -1 for none)", n.label(), n.MaxParallelism)
		}
		if n.FLIP27 && n.Kind != KindSource {
			return fmt.Errorf("streamgraph: %s: only sources can be FLIP-27 sources", n.label())
		}
		if n.UID != "" {
			if other, dup := uids[n.UID]; dup {
				return fmt.Errorf("streamgraph: uid %q is set on both node %d and node %d; Flink requires unique uids", n.UID, other, n.ID)
			}
			uids[n.UID] = n.ID
		}
		if n.UIDHash != "" {
			if _, err := parseUIDHash(n.UIDHash); err != nil {
				return fmt.Errorf("streamgraph: %s: %w", n.label(), err)
			}
		}
	}

	inputs := make(map[int]int, len(g.Nodes))
	out := make(map[int][]int, len(g.Nodes))
	for i, e := range g.Edges {
		src, dst := byID[e.Source], byID[e.Target]
		if src == nil {
			return fmt.Errorf("streamgraph: edge %d: source node %d does not exist", i, e.Source)
		}
		if dst == nil {
			return fmt.Errorf("streamgraph: edge %d: target node %d does not exist", i, e.Target)
		}
		if e.Source == e.Target {
			return fmt.Errorf("streamgraph: edge %d: %s feeds itself", i, src.label())
		}
		switch e.Partitioner {
		case PartitionForward, PartitionRebalance, PartitionRescale, PartitionHash,
			PartitionBroadcast, PartitionShuffle, PartitionGlobal, PartitionCustom:
		case "":
			return fmt.Errorf("streamgraph: edge %d (%d -> %d): partitioner missing", i, e.Source, e.Target)
		default:
			return fmt.Errorf("streamgraph: edge %d (%d -> %d): unknown partitioner %q", i, e.Source, e.Target, e.Partitioner)
		}
		switch e.ExchangeMode {
		case ExchangeUndefined, ExchangePipelined, ExchangeBatch, ExchangeHybrid:
		default:
			return fmt.Errorf("streamgraph: edge %d (%d -> %d): unknown exchange mode %q (want pipelined, batch or hybrid)", i, e.Source, e.Target, e.ExchangeMode)
		}
		if e.TypeNumber < 0 {
			return fmt.Errorf("streamgraph: edge %d (%d -> %d): negative type number", i, e.Source, e.Target)
		}
		if e.Partitioner == PartitionForward && normParallelism(src.Parallelism) != normParallelism(dst.Parallelism) {
			return fmt.Errorf("streamgraph: edge %d: forward edge from %s (parallelism %d) to %s (parallelism %d); Flink does not allow a forward edge to change parallelism (a default edge becomes rebalance)",
				i, src.label(), src.Parallelism, dst.label(), dst.Parallelism)
		}
		if dst.Kind == KindSource {
			return fmt.Errorf("streamgraph: edge %d: source %s has an input (from %s)", i, dst.label(), src.label())
		}
		inputs[e.Target]++
		out[e.Source] = append(out[e.Source], e.Target)
	}

	hasSource := false
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if n.Kind == KindSource {
			hasSource = true
		} else if inputs[n.ID] == 0 {
			return fmt.Errorf("streamgraph: %s has no input and is not a source; Flink would never reach it", n.label())
		}
	}
	if !hasSource {
		return fmt.Errorf("streamgraph: graph has no source")
	}
	return checkAcyclic(g, out)
}

// checkAcyclic reports a cycle: the hasher would wait forever for the hash
// of an input inside it. (Flink's iterations close their loop outside the
// StreamGraph's edges, through an iteration source and sink.)
func checkAcyclic(g *Graph, out map[int][]int) error {
	const (
		unseen = iota
		onPath
		done
	)
	state := make(map[int]int, len(g.Nodes))
	var visit func(id int) error
	visit = func(id int) error {
		state[id] = onPath
		for _, next := range out[id] {
			switch state[next] {
			case onPath:
				return fmt.Errorf("streamgraph: the edges form a cycle through %s", g.Node(next).label())
			case unseen:
				if err := visit(next); err != nil {
					return err
				}
			}
		}
		state[id] = done
		return nil
	}
	ids := make([]int, 0, len(g.Nodes))
	for _, n := range g.Nodes {
		ids = append(ids, n.ID)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if state[id] == unseen {
			if err := visit(id); err != nil {
				return err
			}
		}
	}
	return nil
}

func normParallelism(p int) int {
	if p <= 0 {
		return 0
	}
	return p
}

// parseUIDHash parses a setUidHash value the way Flink's
// StringUtils.hexStringToByte does: byte by byte, in order.
func parseUIDHash(s string) (metadata.OperatorID, error) {
	var id metadata.OperatorID
	if len(s) != 32 {
		return id, fmt.Errorf("uid hash %q: want 32 hex digits, have %d characters", s, len(s))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("uid hash %q: not hex", s)
	}
	return id, nil
}
