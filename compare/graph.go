package compare

import (
	"strings"

	"github.com/spcheck/spcheck/metadata"
	"github.com/spcheck/spcheck/streamgraph"
)

// A JobGraph is the new job, as far as restore is concerned: its operators
// with every ID Flink would match savepoint state against. Every reader
// (manifest, SQL compiled plan, savepoint) produces one.
type JobGraph struct {
	// Source names the file or location it was read from.
	Source string
	// Format is "manifest", "sql-plan" or "savepoint".
	Format string
	// FlinkVersion is the Flink version the graph is for, when known
	// (the input's, or check --flink-version over it).
	FlinkVersion string
	// StateBackend is the state backend the job restores with, when known
	// (manifest stateBackend, or check --state-backend).
	StateBackend StateBackend
	// MaxParallelism is the job-wide default max parallelism when it is
	// configured explicitly (pipeline.max-parallelism), else 0.
	MaxParallelism int
	Operators      []*Operator
	// Vertices are the job vertices (operator chains) Flink builds from
	// the graph, when the input tells how operators chain (a manifest's
	// topology or execution plan); nil otherwise. Every operator is then
	// in exactly one vertex (Operator.Vertex).
	Vertices []*Vertex
	// VertexInputsKnown says whether Vertex.Gates (and Inputs) are known (a topology,
	// or a manifest's vertices list); without, a vertex's inputs are
	// unknown, not absent.
	VertexInputsKnown bool
	// GateOrderKnown says whether each Vertex.Gates is in the order of
	// Flink's input gates (a manifest's vertices list, which gives the
	// JobVertex's inputs in order); a topology gives the edges, not
	// Flink's order of them.
	GateOrderKnown bool
	// Topology is the stream graph the operators were derived from, when
	// the input gave one.
	Topology *streamgraph.Graph
}

// Version is FlinkVersion parsed; the zero value when it is unknown or
// does not parse.
func (g *JobGraph) Version() FlinkVersion {
	v, _ := ParseFlinkVersion(g.FlinkVersion)
	return v
}

// Statefulness says whether an operator keeps state.
type Statefulness int8

const (
	StatefulUnknown Statefulness = iota
	Stateless
	Stateful
)

func (s Statefulness) String() string {
	switch s {
	case Stateless:
		return "stateless"
	case Stateful:
		return "stateful"
	}
	return "unknown"
}

// An Operator of the new job graph.
type Operator struct {
	// ID is the ID Flink generates: murmur3 of the uid, or the given raw ID.
	ID metadata.OperatorID
	// UIDHash is the user-defined alternative ID (setUidHash), if any.
	// Flink matches savepoint state against both.
	UIDHash *metadata.OperatorID
	// UID is the uid the ID was derived from, if known.
	UID  string
	Name string
	// Parallelism is 0 when unknown or left to the default.
	Parallelism int
	// MaxParallelism is 0 when unknown; MaxParallelismConfigured tells an
	// explicit setMaxParallelism from a default Flink will replace with the
	// savepoint's value on restore.
	MaxParallelism           int
	MaxParallelismConfigured bool
	// MaxParallelismUnsure marks a max parallelism that may or may not
	// have been set explicitly (a graph read from a savepoint).
	MaxParallelismUnsure bool
	// MaxParallelismFromJob marks a configured max parallelism that comes
	// from the job-wide setting (pipeline.max-parallelism, a manifest's
	// top-level maxParallelism), not from the operator's own.
	MaxParallelismFromJob bool
	// Vertex is the job vertex the operator is chained into; nil when the
	// graph does not say how operators chain.
	Vertex   *Vertex
	Stateful Statefulness
	// Source marks a source operator (its state is reader positions).
	Source bool
	// Conditional marks an operator the graph may not actually contain:
	// SQL exec nodes create some transformations only under conditions
	// the compiled plan does not record (e.g. a sink's constraint
	// validator). It can match state, but its absence is not a finding.
	Conditional bool
	// UIDUnknown marks an operator whose input cannot say whether it has
	// a uid (a savepoint of format 4 or older stores none): no uid is not
	// a missing uid.
	UIDUnknown bool
	// AutoID marks an ID Flink generates from the topology (no uid, no
	// uid hash): edits elsewhere in the job can change it.
	AutoID bool
	// IDGuessed marks an operator whose ID is a guess (an exec node of a
	// SQL plan spcheck does not know, or IDGuess): if the guess is wrong it
	// may claim state spcheck thinks unclaimed.
	IDGuessed bool
	// IDGuess says why the ID is a guess when the exec node is known.
	IDGuess string
	// Node names where the operator comes from in the input, for messages
	// (e.g. "node 5 (stream-exec-deduplicate_1)").
	Node string
	// States are the declared states, when the input declares them.
	States []StateDecl
}

// IDs returns every ID Flink matches the operator's state against.
func (o *Operator) IDs() []metadata.OperatorID {
	if o.UIDHash != nil && *o.UIDHash != o.ID {
		return []metadata.OperatorID{o.ID, *o.UIDHash}
	}
	return []metadata.OperatorID{o.ID}
}

// StateDecl is one state an operator declares.
type StateDecl struct {
	Name string
	// Kind is value, list, map, reducing, aggregating, union-list,
	// broadcast or timers.
	Kind  string
	Keyed bool
	// Serializer and AvroSchema describe the type, when given.
	Serializer string
	AvroSchema any
	// TTL is the state TTL in milliseconds, when given.
	TTL int64
	// sql is set for a compiled plan's state entry (Name is then the
	// plan's name, e.g. groupAggregateState): the descriptors the runtime
	// operator registers for it (sqlstates.go).
	sql *sqlStateMap
}

// A Vertex is a job vertex: the operators Flink chains into one task
// (StreamingJobGraphGenerator#createChain). Flink judges parallelism, max
// parallelism, finished state and in-flight data per vertex.
type Vertex struct {
	// Operators are the chain's operators, head first, in the depth-first
	// order of createChain.
	Operators []*Operator
	// Output is the operator Flink takes for the vertex's output operator:
	// the first of its operator IDs, which createChain adds in post-order,
	// so the chain's end reached by following each operator's first
	// chained output (TaskStateAssignment's outputOperatorID). Its input
	// operator (inputOperatorID) is the head.
	Output *Operator
	// Gates are the job edges into the vertex, one per input gate of its
	// tasks (JobGraph.GateOrderKnown says whether in Flink's order).
	Gates []Gate
}

// A Gate is a job edge into a vertex: its producer, whether it is
// all-to-all, and its partitioner when the graph gives it.
type Gate struct {
	From        *Vertex
	AllToAll    bool
	Partitioner streamgraph.Partitioner // "" when not given
}

// addInput records an edge from vertex from with partitioner p ("" when
// not known).
func (v *Vertex) addInput(from *Vertex, allToAll bool, p streamgraph.Partitioner) {
	v.Gates = append(v.Gates, Gate{From: from, AllToAll: allToAll, Partitioner: p})
}

// Inputs are the vertices feeding this one, in the order of their first
// edge, with whether an edge from that vertex is all-to-all (any
// partitioner but forward and rescale; one all-to-all edge makes the input
// all-to-all).
func (v *Vertex) Inputs() []VertexInput {
	var ins []VertexInput
next:
	for _, g := range v.Gates {
		for i := range ins {
			if ins[i].From == g.From {
				ins[i].AllToAll = ins[i].AllToAll || g.AllToAll
				continue next
			}
		}
		ins = append(ins, VertexInput{From: g.From, AllToAll: g.AllToAll})
	}
	return ins
}

// A VertexInput is a vertex feeding another.
type VertexInput struct {
	From     *Vertex
	AllToAll bool
}

// Head is the chain head, whose StreamNode makes the job vertex: its
// parallelism and max parallelism are the vertex's.
func (v *Vertex) Head() *Operator { return v.Operators[0] }

// Name is the vertex's name as Flink's chained names give it roughly
// ("Source: a -> Map -> Sink: b"), for messages.
func (v *Vertex) Name() string {
	var names []string
	for _, o := range v.Operators {
		names = append(names, displayName(o))
	}
	return strings.Join(names, " -> ")
}

// Chained reports whether the vertex has more than one operator.
func (v *Vertex) Chained() bool { return len(v.Operators) > 1 }
