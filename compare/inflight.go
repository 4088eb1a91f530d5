package compare

import (
	"fmt"
	"strings"

	"github.com/spcheck/spcheck/metadata"
	"github.com/spcheck/spcheck/streamgraph"
)

// SP032: in-flight data that Flink redistributes along an edge it cannot
// redistribute along.
//
// An unaligned checkpoint holds the buffers in flight on the edges that
// support unaligned checkpoints: those whose partitioner is neither
// pointwise (forward, rescale) nor broadcast (StreamPartitioner
// #isSupportsUnalignedCheckpoint). On restore, Flink maps a vertex's input
// channel state and its output operator's result subpartition state to the
// new subtasks (StateAssignmentOperation#reDistributeInputChannelStates and
// #reDistributeResultSubpartitionStates, L443-L524 and L391-L441, Flink
// 2.3.0):
//
//   - It rescales them when the vertex's parallelism changed (for input
//     state also when an input edge has a custom partitioner and an
//     upstream vertex's parallelism differs), with the new job's edges'
//     SubtaskStateMappers (TaskStateAssignment#getInputMapping and
//     #getOutputMapping, L497-L537). Forward, rescale and broadcast
//     partitioners have the UNSUPPORTED mapper, which throws "Cannot rescale
//     the given pointwise partitioner" (SubtaskStateMapper.java L176-L185):
//     Flink refuses the restore. Up to Flink 2.1 it maps every input gate and
//     every output partition of such a vertex; from 2.2 only those that hold
//     in-flight data (TaskStateAssignment#hasInFlightDataForInputGate and
//     #hasInFlightDataForResultPartition, L539-L582).
//   - Otherwise it hands each subtask its old handles as they are, and the
//     task looks up the channel each handle names. An edge that was
//     all-to-all and is now pointwise has fewer channels (one, when both
//     sides keep the same parallelism): a handle for a channel that is gone
//     fails the task ("Index 1 out of bounds for length 1").
//
// The oracle's unaligned cases (testdata/oracle/*/unaligned-*) show both on
// Flink 1.18 to 2.3.

// unsupportedMapper says whether Flink has no SubtaskStateMapper for an
// edge (yes: forward, rescale and broadcast; known false otherwise).
func unsupportedMapper(g Gate) (unsupported, known bool) {
	switch g.Partitioner {
	case streamgraph.PartitionForward, streamgraph.PartitionRescale, streamgraph.PartitionBroadcast:
		return true, true
	case "":
		// pointwise edges are forward or rescale; an all-to-all edge may be
		// a broadcast
		return !g.AllToAll, !g.AllToAll
	}
	return false, true
}

// pointwiseChannels returns the fewest and the most channels a subtask of
// the consuming side has on a pointwise edge from up to down subtasks
// (VertexInputInfoComputationUtils#computeVertexInputInfoForPointwise,
// L107-L158, Flink 2.3.0), and the fewest and most subpartitions a
// producing subtask has.
func pointwiseChannels(up, down int) (inMin, inMax, outMin, outMax int) {
	inMin, inMax, outMin, outMax = 1, 1, 1, 1
	if up > down {
		inMin, inMax = up/down, (up+down-1)/down
	}
	if up < down {
		outMin, outMax = down/up, (down+up-1)/up
	}
	return
}

// ruleInFlightPointwise is SP032.
func (c *checker) ruleInFlightPointwise() {
	if c.g.Vertices == nil || !c.g.VertexInputsKnown || olderThan(c.g.FlinkVersion, 1, 13) {
		return
	}
	// Up to Flink 2.1 every gate (partition) of a rescaled vertex is
	// mapped; from 2.2 those with in-flight data. For an unknown version
	// both are checked, and a finding only one gives is unknown.
	modes := []bool{olderThan(c.g.FlinkVersion, 2, 2)}
	if c.g.FlinkVersion == "" {
		modes = []bool{true, false}
	}
	for _, v := range c.g.Vertices {
		for _, input := range []bool{true, false} {
			var ps []pointwiseVerdict
			for _, all := range modes {
				var p pointwiseVerdict
				if input {
					p = c.inFlightInputs(v, all)
				} else {
					p = c.inFlightOutputs(v, all)
				}
				ps = append(ps, p)
			}
			p := ps[0]
			if len(ps) == 2 && (len(ps[0].refused) > 0) != (len(ps[1].refused) > 0) {
				// Flink up to 2.1 refuses, 2.2 and later do not (or the
				// other way round): unknown
				p.unknown = append(append(p.unknown, p.refused...), ps[1].refused...)
				p.refused = nil
				p.versions = true
			}
			c.addPointwise(v, p)
		}
	}
}

// A pointwiseVerdict collects what SP032 finds on one side of a vertex.
type pointwiseVerdict struct {
	refused, unknown []string
	// n is the operator holding the in-flight data (op: its state); input
	// says on which side, rescale whether Flink maps it to new subtasks;
	// versions that the outcome depends on the Flink version, not given.
	n              *Operator
	op             *metadata.OperatorState
	input, rescale bool
	versions       bool
}

// gate records the edge g, described by what, that Flink maps.
func (p *pointwiseVerdict) gate(g Gate, what string) {
	if g.Partitioner != "" {
		what += " (" + string(g.Partitioner) + ")"
	}
	for _, w := range append(p.refused, p.unknown...) {
		if strings.HasPrefix(w, what) {
			return
		}
	}
	switch bad, known := unsupportedMapper(g); {
	case !known:
		p.unknown = append(p.unknown, what+" (all-to-all; the graph does not say whether it is a broadcast)")
	case bad:
		p.refused = append(p.refused, what)
	}
}

// channel records the data on channel (subpartition) i, described by
// what, of an edge that gives a subtask lo to hi channels: a channel at
// or above hi is gone for every subtask, one from lo on for some.
func (p *pointwiseVerdict) channel(i, lo, hi int, what string) {
	switch {
	case i >= hi:
		p.refused = append(p.refused, what)
	case i >= lo:
		p.unknown = append(p.unknown, what)
	}
}

// inFlightInputs checks the input side of vertex v: its head's input
// channel state and its upstream vertices' result subpartition state;
// allGates: Flink maps every gate of a rescaled vertex (up to 2.1).
func (c *checker) inFlightInputs(v *Vertex, allGates bool) pointwiseVerdict {
	head := v.Head()
	s, old := c.restoredSummary(head)
	upstreamOut := func(g Gate) bool {
		us, _ := c.restoredSummary(g.From.Output)
		return us.InFlightOutput
	}
	has := s.InFlightInput
	for _, g := range v.Gates {
		has = has || upstreamOut(g)
	}
	p := pointwiseVerdict{n: head, op: old, input: true}
	if !has || old == nil || head.Parallelism <= 0 {
		return p
	}
	// the gate of in-flight input i of the head, when the graph tells
	gateOf := func(i int32) (Gate, bool) {
		if int(i) < len(v.Gates) && (c.g.GateOrderKnown || len(v.Gates) == 1) {
			return v.Gates[i], true
		}
		return Gate{}, false
	}
	full, prevChanged := false, false
	for _, g := range v.Gates {
		full = full || g.Partitioner == streamgraph.PartitionCustom
		prevChanged = prevChanged || g.From.Head().Parallelism > 0 && int(old.Parallelism) != g.From.Head().Parallelism
	}
	if int(old.Parallelism) != head.Parallelism || full && prevChanged {
		p.rescale = true
		if allGates {
			for i, g := range v.Gates {
				p.gate(g, fmt.Sprintf("input gate %d, from %q", i, g.From.Name()))
			}
		} else {
			for i, g := range v.Gates {
				if upstreamOut(g) {
					p.gate(g, fmt.Sprintf("input gate %d, from %q", i, g.From.Name()))
				}
			}
			for _, e := range s.InFlightChannels {
				if !e.Input {
					continue
				}
				if g, ok := gateOf(e.Index); ok {
					p.gate(g, fmt.Sprintf("input gate %d, from %q", e.Index, g.From.Name()))
				} else if hasUnsupported(v.Gates) {
					p.unknown = append(p.unknown, fmt.Sprintf("input gate %d (the graph does not give the order of the vertex's input gates)", e.Index))
				}
			}
		}
		return p
	}
	// Kept parallelism: the old handles go to the same subtasks, and a
	// channel must still exist, unless the upstream vertex rescaled, which
	// maps the channels anew (TaskStateAssignment
	// #getInflightDataGateOrPartitionRescalingDescriptor).
	for _, e := range s.InFlightChannels {
		if !e.Input {
			continue
		}
		g, ok := gateOf(e.Index)
		if !ok {
			if hasUnsupported(v.Gates) {
				p.unknown = append(p.unknown, fmt.Sprintf("input gate %d (the graph does not give the order of the vertex's input gates)", e.Index))
			}
			continue
		}
		if g.AllToAll || c.rescaled(g.From.Output) {
			continue
		}
		up := g.From.Head().Parallelism
		if up <= 0 {
			continue
		}
		lo, hi, _, _ := pointwiseChannels(up, head.Parallelism)
		p.channel(int(e.Max), lo, hi, fmt.Sprintf("input gate %d, from %q: in-flight data on channel %d, and the pointwise edge gives a subtask %s", e.Index, g.From.Name(), e.Max, channelCount(lo, hi, "channel")))
	}
	return p
}

// inFlightOutputs checks the output side of vertex v: its output
// operator's result subpartition state and its downstream vertices' input
// channel state; allGates as for inFlightInputs.
func (c *checker) inFlightOutputs(v *Vertex, allGates bool) pointwiseVerdict {
	out := v.Output
	s, old := c.restoredSummary(out)
	// the job edges out of v, and the gate each is of its consumer
	type consumer struct {
		to   *Vertex
		gate int
		g    Gate
	}
	var consumers []consumer
	var outGates []Gate
	for _, w := range c.g.Vertices {
		for i, g := range w.Gates {
			if g.From == v {
				consumers = append(consumers, consumer{w, i, g})
				outGates = append(outGates, g)
			}
		}
	}
	downstreamIn := func(k consumer) (has, known bool) {
		ws, _ := c.restoredSummary(k.to.Head())
		if !ws.InFlightInput {
			return false, true
		}
		if len(k.to.Gates) == 1 {
			return true, true
		}
		if !c.g.GateOrderKnown {
			return true, false
		}
		for _, e := range ws.InFlightChannels {
			if e.Input && int(e.Index) == k.gate {
				return true, true
			}
		}
		return false, true
	}
	has := s.InFlightOutput
	for _, k := range consumers {
		in, _ := downstreamIn(k)
		has = has || in
	}
	p := pointwiseVerdict{n: out, op: old}
	if !has || old == nil || out.Parallelism <= 0 || len(consumers) == 0 {
		return p
	}
	if int(old.Parallelism) != out.Parallelism {
		p.rescale = true
		for _, k := range consumers {
			what := fmt.Sprintf("the edge to %q", k.to.Name())
			has, known := downstreamIn(k)
			// its own result subpartition state: the order of a vertex's
			// outputs is not in the graph; with one output it is partition 0
			ownData := false
			for _, e := range s.InFlightChannels {
				ownData = ownData || !e.Input
			}
			switch {
			case allGates || has || ownData && len(consumers) == 1:
				p.gate(k.g, what)
			case (!known || ownData) && hasUnsupported([]Gate{k.g}):
				p.unknown = append(p.unknown, what+" (the graph does not tell which of the vertex's outputs holds the in-flight data)")
			}
		}
		return p
	}
	for _, e := range s.InFlightChannels {
		if e.Input {
			continue
		}
		if len(consumers) != 1 {
			if hasUnsupported(outGates) {
				p.unknown = append(p.unknown, fmt.Sprintf("result partition %d (the graph does not give the order of the vertex's outputs)", e.Index))
			}
			continue
		}
		k := consumers[0]
		if k.g.AllToAll || c.rescaled(k.to.Head()) || k.to.Head().Parallelism <= 0 {
			continue
		}
		_, _, lo, hi := pointwiseChannels(out.Parallelism, k.to.Head().Parallelism)
		p.channel(int(e.Max), lo, hi, fmt.Sprintf("the edge to %q: in-flight data on subpartition %d, and the pointwise edge gives a subtask %s", k.to.Name(), e.Max, channelCount(lo, hi, "subpartition")))
	}
	return p
}

// hasUnsupported says whether some gate may have no SubtaskStateMapper.
func hasUnsupported(gs []Gate) bool {
	for _, g := range gs {
		if bad, known := unsupportedMapper(g); bad || !known {
			return true
		}
	}
	return false
}

// rescaled says whether the vertex operator n heads (or ends) runs with
// another parallelism than its state was written with.
func (c *checker) rescaled(n *Operator) bool {
	op := c.restoredState(n)
	return op != nil && n.Parallelism > 0 && int(op.Parallelism) != n.Parallelism
}

func channelCount(lo, hi int, what string) string {
	if lo == hi {
		if lo == 1 {
			return "1 " + what
		}
		return fmt.Sprintf("%d %ss", lo, what)
	}
	return fmt.Sprintf("%d or %d %ss", lo, hi, what)
}

// addPointwise adds SP032's finding for one side (input or output) of
// vertex v.
func (c *checker) addPointwise(v *Vertex, p pointwiseVerdict) {
	if len(p.refused) == 0 && len(p.unknown) == 0 {
		return
	}
	n, op, input, rescale := p.n, p.op, p.input, p.rescale
	side := "input channel state of its head"
	if !input {
		side = "result subpartition state of its output operator"
	}
	f := Finding{Rule: RuleInFlightPointwise, Operator: c.spRef(op), NewOperator: newRef(n)}
	list, sure := p.refused, len(p.refused) > 0
	if !sure {
		list = p.unknown
		f.Severity, f.Outcome = Unknown, OutcomeUnknown
	}
	if rescale {
		f.Message = fmt.Sprintf("the job vertex %q runs with parallelism %d, not %d, so Flink redistributes the %s (in-flight data of an unaligned checkpoint) along the new job's edges, and cannot along %s: a forward, rescale or broadcast edge has no state mapper",
			v.Name(), n.Parallelism, op.Parallelism, side, joinList(list))
		f.FlinkMessage = "Cannot rescale the given pointwise partitioner.\nDid you change the partitioner to forward or rescale?\nIt may also help to add an explicit shuffle()."
		f.Fix = "Restore from a savepoint or an aligned checkpoint, keep the vertex's parallelism for this restore, or keep the edge's partitioner all-to-all (rebalance, shuffle, keyBy) until a savepoint is taken."
	} else {
		f.Message = fmt.Sprintf("the job vertex %q keeps its parallelism, so each subtask gets its own in-flight data (unaligned checkpoint) back: %s; the task fails restoring it", v.Name(), joinList(list))
		f.Fix = "Restore from a savepoint or an aligned checkpoint when changing an edge from all-to-all to forward or rescale."
	}
	switch {
	case p.versions:
		f.Message += "; Flink up to 2.1 maps every input gate and output of a rescaled vertex, 2.2 and later only those with in-flight data, and the graph does not give the Flink version (--flink-version)"
	case !sure:
		f.Message += "; spcheck cannot tell whether Flink refuses the restore"
	}
	c.add(f)
}

// joinList joins xs in English: "a", "a and b", "a, b and c".
func joinList(xs []string) string {
	if len(xs) < 2 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// ruleInFlightUnpaired is SP033: one part of an exchange's in-flight data
// restored without the other. An exchange's in-flight data has two parts:
// the consumer's input channel state and the producer's result
// subpartition state, and a record may be split between them. Flink
// restores each part to the operator that holds it (the vertex's head,
// its output operator) and replays it along the new job's edges, so the
// parts must still face each other. They do not
//
//   - under --allowNonRestoredState, when Flink skips the state of a
//     savepoint operator no operator of the new job has (Checkpoints.java
//     L194-L197, Flink 2.3.0), its in-flight data included, and restores
//     the other part: a dropped operator holds in-flight data of one side
//     and a restored one of the other;
//   - when the new job puts a new operator (one the checkpoint does not
//     have) between them: a restored output operator's consumers, or a
//     restored head's producers, are all new.
//
// The new job then reads the tail of a record without its head ("Corrupt
// stream, found tag", StreamElementSerializer.java L158; "Can't get next
// record for channel"; "Remaining = -7"), or records partitioned for the
// old exchange reach a keyed operator that does not own their key group
// ("Key group 7 is not in KeyGroupRange…", KeyGroupRangeOffsets.java L38);
// where no record is split it restores. The checkpoint does not tell
// whether a record is split, nor, for dropped operators, which were the
// two ends of an exchange: the outcome is unknown. The oracle's unaligned-…--remove-slow--n
// and --rename-uid-slow--n cases failed on most versions and restored on
// some, with the same job; --insert-after-slow-rebalance failed on all.
func (c *checker) ruleInFlightUnpaired() {
	var restoredIn, restoredOut []string
	for i := range c.m.Operators {
		switch c.rep.Operators[i].Fate {
		case FateRestored, FateReassigned:
		default:
			continue
		}
		s := c.summaryOf(&c.m.Operators[i])
		name := c.rep.Operators[i].Operator.String()
		if s.InFlightInput {
			restoredIn = append(restoredIn, name)
		}
		if s.InFlightOutput {
			restoredOut = append(restoredOut, name)
		}
	}
	for i := range c.m.Operators {
		op := &c.m.Operators[i]
		if c.rep.Operators[i].Fate != FateDropped {
			continue
		}
		s := c.summaryOf(op)
		var parts []string
		if s.InFlightInput && len(restoredOut) > 0 {
			parts = append(parts, "its input channel state, while it restores the result subpartition state of "+joinList(restoredOut))
		}
		if s.InFlightOutput && len(restoredIn) > 0 {
			parts = append(parts, "its result subpartition state, while it restores the input channel state of "+joinList(restoredIn))
		}
		if len(parts) == 0 {
			continue
		}
		c.add(Finding{Rule: RuleInFlightUnpaired, Operator: c.spRef(op),
			Message: "under --allowNonRestoredState Flink drops this operator's in-flight data (unaligned checkpoint): " + strings.Join(parts, "; and ") +
				"; where the two were the ends of one exchange, a record split between them or data partitioned for the old exchange fails the new job's task (\"Corrupt stream\", \"Key group … is not in KeyGroupRange\"), else it restores; the checkpoint does not tell which",
			Fix: "Restore from a savepoint or an aligned checkpoint when removing an operator that holds in-flight data."})
	}
	if c.g.Vertices == nil || !c.g.VertexInputsKnown {
		return
	}
	// newOnly lists the vertices of ends (a vertex's producers or consumers,
	// by the operator that faces it) when the checkpoint has none of them.
	newOnly := func(ends []*Vertex, facing func(*Vertex) *Operator) []string {
		var names []string
		for _, w := range ends {
			if c.restoredState(facing(w)) != nil {
				return nil
			}
			names = append(names, fmt.Sprintf("%q", w.Name()))
		}
		return names
	}
	head := func(w *Vertex) *Operator { return w.Head() }
	output := func(w *Vertex) *Operator { return w.Output }
	for _, v := range c.g.Vertices {
		if op := c.restoredState(v.Output); op != nil && c.summaryOf(op).InFlightOutput {
			var consumers []*Vertex
			for _, w := range c.g.Vertices {
				for _, g := range w.Gates {
					if g.From == v {
						consumers = append(consumers, w)
					}
				}
			}
			if to := newOnly(consumers, head); len(to) > 0 {
				c.add(Finding{Rule: RuleInFlightUnpaired, Operator: c.spRef(op), NewOperator: newRef(v.Output),
					Message: fmt.Sprintf("the checkpoint holds result subpartition state (in-flight data of an unaligned checkpoint) for this operator, and the new job sends it to %s, which the checkpoint does not have: the consumer that received the first part of a record split at the checkpoint no longer reads the rest, and the new one fails on it (\"Corrupt stream\", \"Can't get next record for channel\", \"Remaining = -7\"); where no record is split it restores; the checkpoint does not tell", joinList(to)),
					Fix:     "Restore from a savepoint or an aligned checkpoint when putting an operator between two that exchange in-flight data."})
			}
		}
		if op := c.restoredState(v.Head()); op != nil && c.summaryOf(op).InFlightInput {
			var producers []*Vertex
			for _, g := range v.Gates {
				producers = append(producers, g.From)
			}
			if from := newOnly(producers, output); len(from) > 0 {
				c.add(Finding{Rule: RuleInFlightUnpaired, Operator: c.spRef(op), NewOperator: newRef(v.Head()),
					Message: fmt.Sprintf("the checkpoint holds input channel state (in-flight data of an unaligned checkpoint) for this operator, and the new job feeds it from %s, which the checkpoint does not have: the rest of a record split at the checkpoint stays with the old producer, and this operator fails on it (\"Corrupt stream\", \"Can't get next record for channel\", \"Remaining = -7\"); where no record is split it restores; the checkpoint does not tell", joinList(from)),
					Fix:     "Restore from a savepoint or an aligned checkpoint when putting an operator between two that exchange in-flight data."})
			}
		}
	}
}
