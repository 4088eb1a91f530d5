package compare

import (
	"fmt"
	"strings"

	"github.com/spcheck/spcheck/metadata"
)

// The rules Flink applies per job vertex (operator chain) to the state it
// restores: finished operators (SP014) and in-flight data (SP031). Both
// need the new graph's chains (JobGraph.Vertices); without them they do
// not run.

// finishedState is VertexFinishedStateChecker.VertexFinishedState, in its
// order (Flink sorts by it in its message).
type finishedState int8

const (
	allRunning finishedState = iota
	partiallyFinished
	fullyFinished
)

func (s finishedState) String() string {
	return [...]string{"ALL_RUNNING", "PARTIALLY_FINISHED", "FULLY_FINISHED"}[s]
}

func (s finishedState) words() string {
	return [...]string{"running", "partially finished", "fully finished"}[s]
}

// restoredState returns the savepoint operator whose state Flink gives the
// new operator n: the one with its user-defined ID (setUidHash) when the
// savepoint has it, else the one with its generated ID
// (StateAssignmentOperation.assignStates, StateAssignmentOperation.java
// L110-L115, Flink 1.20), or nil.
func (c *checker) restoredState(n *Operator) *metadata.OperatorState {
	ids := []metadata.OperatorID{n.ID}
	if n.UIDHash != nil {
		ids = []metadata.OperatorID{*n.UIDHash, n.ID}
	}
	for _, id := range ids {
		for i := range c.m.Operators {
			if c.m.Operators[i].ID == id {
				return &c.m.Operators[i]
			}
		}
	}
	return nil
}

// summaryOf is metadata.Summarize(op), taken once per savepoint operator:
// the rules on in-flight data ask for the same operators' summaries for
// every vertex, edge and gate.
func (c *checker) summaryOf(op *metadata.OperatorState) metadata.Summary {
	if s, ok := c.summaries[op]; ok {
		return s
	}
	if c.summaries == nil {
		c.summaries = map[*metadata.OperatorState]metadata.Summary{}
	}
	s := metadata.Summarize(op)
	c.summaries[op] = s
	return s
}

// restoredSummary returns the summary of the state Flink gives the new
// operator n and that state (restoredState), or nothing.
func (c *checker) restoredSummary(n *Operator) (metadata.Summary, *metadata.OperatorState) {
	if op := c.restoredState(n); op != nil {
		return c.summaryOf(op), op
	}
	return metadata.Summary{}, nil
}

// operatorFinished is VerticesFinishedStatusCache#checkOperatorFinishedStatus
// (VertexFinishedStateChecker.java L196-L216, Flink 1.20): fully finished
// when the savepoint marks the operator so, partially when some subtask
// finished, else (no state in the savepoint included) running.
func (c *checker) operatorFinished(n *Operator) (finishedState, *metadata.OperatorState) {
	op := c.restoredState(n)
	switch {
	case op == nil:
		return allRunning, nil
	case op.FullyFinished:
		return fullyFinished, op
	case metadata.Summarize(op).FinishedSubtasks > 0:
		return partiallyFinished, op
	}
	return allRunning, op
}

// ruleFinishedVertices is SP014, Flink's VertexFinishedStateChecker
// (FLINK-23512, Flink 1.14+; CheckpointCoordinator.java L1819-L1823, Flink
// 1.20, runs it when restoring a savepoint or checkpoint): all operators
// of a job vertex must be equally finished (running, partially or fully
// finished; an operator without state counts as running), a fully
// finished vertex's inputs must be fully finished, and a partially
// finished vertex's inputs must be fully finished over all-to-all edges
// and at least partially finished over pointwise ones. A task finishes
// with all its operators, so a savepoint always satisfies this for the
// chains that wrote it; a new chain that joins a finished operator with a
// running one (or a new operator) does not.
func (c *checker) ruleFinishedVertices() {
	if c.g.Vertices == nil || olderThan(c.g.FlinkVersion, 1, 14) {
		return
	}
	anyFinished := false
	for i := range c.m.Operators {
		if op := &c.m.Operators[i]; op.FullyFinished || metadata.Summarize(op).FinishedSubtasks > 0 {
			anyFinished = true
		}
	}
	if !anyFinished {
		return
	}
	state := map[*Vertex]finishedState{}
	mixed := map[*Vertex]bool{}
	for _, v := range c.g.Vertices {
		seen := map[finishedState]bool{}
		var finishedOp *metadata.OperatorState
		for _, n := range v.Operators {
			s, op := c.operatorFinished(n)
			seen[s] = true
			if s != allRunning && finishedOp == nil {
				finishedOp = op
			}
		}
		if len(seen) == 1 {
			for s := range seen {
				state[v] = s
			}
			continue
		}
		mixed[v] = true
		var names, parts []string
		for _, s := range []finishedState{allRunning, partiallyFinished, fullyFinished} {
			if seen[s] {
				names = append(names, s.String())
			}
		}
		for _, n := range v.Operators {
			s, _ := c.operatorFinished(n)
			parts = append(parts, fmt.Sprintf("%s %s", displayName(n), s.words()))
		}
		c.add(Finding{Rule: RuleFinishedVertexMixed, Operator: c.spRef(finishedOp), NewOperator: newRef(v.Head()),
			Message: fmt.Sprintf("the new job chains finished and unfinished operators into one job vertex %q: %s", v.Name(), strings.Join(parts, ", ")),
			FlinkMessage: fmt.Sprintf("Can not restore vertex %s(%s) which contain mixed operator finished state: [%s]",
				v.Name(), v.Head().ID, strings.Join(names, ", ")),
			Fix: "Keep the finished operators in chains of their own, as in the job that took the savepoint (startNewChain() or disableChaining() on the operator after them, or before them), or restore without the finished operators' state."})
	}
	for _, v := range c.g.Vertices {
		s, ok := state[v]
		if mixed[v] || !ok || s == allRunning {
			continue
		}
		if !c.g.VertexInputsKnown {
			// Flink checks the inputs of a finished vertex; the graph
			// does not give them.
			_, op := c.operatorFinished(v.Head())
			c.add(Finding{Rule: RuleFinishedVertexMixed, Severity: Unknown, Operator: c.spRef(op), NewOperator: newRef(v.Head()),
				Message: fmt.Sprintf("the job vertex %q is %s, and Flink refuses the restore unless the vertices it reads from are finished as well; the graph does not say which vertices feed it", v.Name(), s.words()),
				Fix:     "Give the manifest's vertices (spcheck-graph writes them), or check that the job's topology up to this vertex is unchanged."})
			continue
		}
		for _, in := range v.Inputs() {
			ps, ok := state[in.From]
			if !ok {
				continue // mixed itself: reported above
			}
			var why string
			switch {
			case s == fullyFinished && ps != fullyFinished:
				why = fmt.Sprintf("Illegal JobGraph modification. Cannot run a program with fully finished vertices predeceased with the ones not fully finished. Task vertex %s(%s) has a predecessor not fully finished", v.Name(), v.Head().ID)
			case s == partiallyFinished && in.AllToAll && ps != fullyFinished:
				why = fmt.Sprintf("Illegal JobGraph modification. Cannot run a program with partially finished vertices predeceased with running or partially finished ones and connected via the ALL_TO_ALL edges. Task vertex %s(%s) has a %s predecessor", v.Name(), v.Head().ID, map[finishedState]string{allRunning: "all running", partiallyFinished: "partially finished"}[ps])
			case s == partiallyFinished && !in.AllToAll && ps == allRunning:
				why = fmt.Sprintf("Illegal JobGraph modification. Cannot run a program with partially finished vertices predeceased with all running ones. Task vertex %s(%s) has a all running predecessor", v.Name(), v.Head().ID)
			}
			if why == "" {
				continue
			}
			_, op := c.operatorFinished(v.Head())
			ref := *newRef(v.Head())
			if op != nil {
				ref = c.spRef(op)
			}
			c.add(Finding{Rule: RuleFinishedVertexMixed, Operator: ref, NewOperator: newRef(in.From.Head()),
				Message:      fmt.Sprintf("the %s job vertex %q now reads from the %s job vertex %q", s.words(), v.Name(), ps.words(), in.From.Name()),
				FlinkMessage: why,
				Fix:          "Keep the finished part of the job as it was: a finished vertex can only follow finished ones."})
		}
	}
}

// ruleInFlightRechained is SP031: in-flight data (unaligned checkpoint) of
// an operator that the new job chains behind another. Flink keeps input
// channel state on its task's input operator (the chain head) and result
// subpartition state on its output operator (TaskStateAssignment.java
// L127-L128, Flink 1.20). When it redistributes a vertex's channel state
// (StateAssignmentOperation#reDistributeInputChannelStates L406-L416 and
// #reDistributeResultSubpartitionStates L357-L367, Flink 1.20; L359-L366
// and L408-L415, Flink 2.0) and another operator of the vertex holds such
// state, it refuses: "Cannot recover from unaligned checkpoint when
// topology changes, such that data exchanges with persisted data are now
// chained" (checkForUnsupportedToplogyChanges, L493-L509). It
// redistributes input channel state only when the head holds some or, from
// Flink 1.18 (FLINK-31963), an upstream vertex's output operator holds
// result subpartition state (and the same for output state); otherwise the
// other operator's in-flight data is silently not restored.
func (c *checker) ruleInFlightRechained() {
	if c.g.Vertices == nil || olderThan(c.g.FlinkVersion, 1, 12) {
		return
	}
	summary := func(n *Operator) metadata.Summary {
		s, _ := c.restoredSummary(n)
		return s
	}
	flink118 := !olderThan(c.g.FlinkVersion, 1, 18)
	for _, v := range c.g.Vertices {
		for _, input := range []bool{true, false} {
			end := v.Output
			if input {
				end = v.Head()
			}
			var holders []*Operator
			for _, n := range v.Operators {
				s := summary(n)
				if n != end && (input && s.InFlightInput || !input && s.InFlightOutput) {
					holders = append(holders, n)
				}
			}
			if len(holders) == 0 {
				continue
			}
			own := input && summary(end).InFlightInput || !input && summary(end).InFlightOutput
			neighbour := false
			if input {
				for _, in := range v.Inputs() {
					if summary(in.From.Output).InFlightOutput {
						neighbour = true
					}
				}
			} else {
				for _, w := range c.g.Vertices {
					for _, in := range w.Inputs() {
						if in.From == v && summary(w.Head()).InFlightInput {
							neighbour = true
						}
					}
				}
			}
			kind, role := "input channel", "input operator (its head)"
			if !input {
				kind, role = "result subpartition", "output operator"
			}
			for _, n := range holders {
				op := c.restoredState(n)
				f := Finding{Rule: RuleInFlightRechained, Operator: c.spRef(op), NewOperator: newRef(n)}
				f.Message = fmt.Sprintf("the checkpoint holds %s state (in-flight data of an unaligned checkpoint) for this operator, which the new job chains into the job vertex %q, whose %s is %s", kind, v.Name(), role, displayName(end))
				f.Fix = "Restore from a savepoint or an aligned checkpoint when changing the chaining, or keep the operator's chaining for this restore (startNewChain() on it)."
				switch {
				case own || neighbour && flink118:
					f.Message += ": Flink refuses the restore"
					f.FlinkMessage = fmt.Sprintf("Cannot recover from unaligned checkpoint when topology changes, such that data exchanges with persisted data are now chained.\nThe following operators contain channel state: [%s]", op.ID)
				case !c.g.VertexInputsKnown:
					f.Severity, f.Outcome = Unknown, OutcomeUnknown
					f.Message += ": Flink refuses the restore if a neighbouring vertex holds in-flight data, else restores without this operator's; the graph does not give the vertices' inputs"
				case neighbour:
					f.Severity, f.Outcome = Unknown, OutcomeUnknown
					f.Message += fmt.Sprintf(": Flink 1.18 and later refuse the restore because a neighbouring vertex holds in-flight data (FLINK-31963); before, the operator's in-flight data is not restored; Flink %s may have either behaviour", c.g.FlinkVersion)
				default:
					f.Severity, f.Outcome = Warning, RestoresLosingState
					f.Message += fmt.Sprintf(": Flink does not check it, as the vertex's %s holds none, and restores without this in-flight data (records in flight at the checkpoint are lost)", role)
				}
				c.add(f)
			}
		}
	}
}
