package compare

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spcheck/spcheck/metadata"
)

// Options change how Check judges.
type Options struct {
	// AllowNonRestoredState is Flink's --allowNonRestoredState (-n):
	// state without a matching operator is dropped instead of failing
	// the restore.
	AllowNonRestoredState bool
	// OldGraph is the job graph the savepoint was taken with, if known;
	// it lets Check recognise operators whose uid changed.
	OldGraph *JobGraph
	// UIDs maps savepoint operator IDs to uids the user knows (inspect
	// --uids), for messages and fixes.
	UIDs map[metadata.OperatorID]string
	// States are the savepoint's states as deep mode reads them; when set,
	// the state-level rules (SP050–SP057) compare them with the states the
	// new graph's operators declare.
	States SavepointStates
	// MissingFiles are the savepoint's state files that do not exist
	// (savepoint.VerifyFiles); rule SP040 reports those of operators
	// whose state is restored.
	MissingFiles []MissingFile
	// KeyedFormat is what the bytes of the savepoint's full keyed-state
	// snapshot say of the backend that wrote it (the CLI probes them with
	// savepoint.ProbeKeyedFormat); nil when not probed. The backend rule
	// (SP072) and the provenance use it.
	KeyedFormat *KeyedFormatEvidence
}

// Verdicts.
const (
	Compatible              = "compatible"
	CompatibleWithStateLoss = "compatible-with-state-loss"
	Incompatible            = "incompatible"
	VerdictUnknown          = "unknown"
)

// A Finding is one thing Check found.
type Finding struct {
	Rule     RuleID   `json:"rule"`
	Name     string   `json:"name"`
	Severity Severity `json:"severity"`
	// Outcome is what Flink does with the restore because of this
	// finding; the verdict is computed from the outcomes (Verdict).
	Outcome Outcome `json:"outcome"`
	// Operator is the savepoint or new-graph operator the finding is
	// about; NewOperator the new-graph operator involved, when both are.
	Operator    OperatorRef  `json:"operator"`
	NewOperator *OperatorRef `json:"new_operator,omitempty"`
	Message     string       `json:"message"`
	// FlinkMessage is the error Flink itself would raise, when it would.
	FlinkMessage string `json:"flink_message,omitempty"`
	Fix          string `json:"fix"`
	// Fingerprint identifies the finding across runs: the same rule on
	// the same operators gives the same fingerprint.
	Fingerprint string `json:"fingerprint"`
}

// OperatorRef names an operator as well as the inputs allow.
type OperatorRef struct {
	ID   string `json:"id"`
	UID  string `json:"uid,omitempty"`
	Name string `json:"name,omitempty"`
	// Where is "savepoint" or "new graph", plus the node for graphs.
	Where string `json:"where"`
}

// String is "4bf7… (uid "x", name "y")".
func (r OperatorRef) String() string {
	var extra []string
	if r.UID != "" {
		extra = append(extra, "uid "+strconv.Quote(r.UID))
	}
	if r.Name != "" {
		extra = append(extra, "name "+strconv.Quote(r.Name))
	}
	if len(extra) == 0 {
		return r.ID
	}
	return r.ID + " (" + strings.Join(extra, ", ") + ")"
}

// Mapping says what happens to one savepoint operator's state.
type Mapping struct {
	Operator  OperatorRef  `json:"operator"`
	HasState  bool         `json:"has_state"`
	Size      int64        `json:"state_size"`
	MatchedTo *OperatorRef `json:"matched_to,omitempty"`
	Fate      Fate         `json:"fate"`
}

// A Fate is what happens to one savepoint operator's state.
type Fate string

// Fates.
const (
	FateRestored Fate = "restored"
	// FateMatchedNoState: matched, with no state to restore.
	FateMatchedNoState Fate = "matched (no state)"
	// FateReassigned: restored, into what is another operator.
	FateReassigned Fate = "restored into another operator"
	// FateBlocks: the operator's state stops the restore.
	FateBlocks Fate = "blocks restore"
	// FateDropped: no match; dropped under --allowNonRestoredState.
	FateDropped Fate = "dropped"
	// FateSkipped: no match and no state.
	FateSkipped Fate = "skipped (no state)"
	// FateUnknown: spcheck cannot tell.
	FateUnknown Fate = "unknown"
)

// Summary counts findings by severity.
type Summary struct {
	Errors       int   `json:"errors"`
	Unknown      int   `json:"unknown"`
	Warnings     int   `json:"warnings"`
	Infos        int   `json:"infos"`
	Restored     int   `json:"operators_restored"`
	Dropped      int   `json:"operators_dropped"`
	DroppedBytes int64 `json:"state_bytes_dropped"`
}

// ReportSchema names the version of the Report JSON layout.
const ReportSchema = "spcheck/check/v1"

// A Report is the result of Check.
type Report struct {
	Schema                string       `json:"schema"`
	Savepoint             SavepointRef `json:"savepoint"`
	Graph                 GraphRef     `json:"graph"`
	OldGraph              *GraphRef    `json:"old_graph,omitempty"`
	AllowNonRestoredState bool         `json:"allow_non_restored_state"`
	Verdict               string       `json:"verdict"`
	Findings              []Finding    `json:"findings"`
	Operators             []Mapping    `json:"operators"`
	Summary               Summary      `json:"summary"`
	// OldGraphCheck says how well --old-graph reproduces the savepoint.
	OldGraphCheck *OldGraphCheck `json:"old_graph_check,omitempty"`
	// Provenance is what the savepoint tells of the Flink and backend
	// that wrote it; set when the upgrade rules ran (a target Flink
	// version or state backend is known).
	Provenance *Provenance `json:"provenance,omitempty"`
}

// OldGraphCheck compares the IDs the old graph predicts with the
// savepoint's: spcheck's model of a job is trustworthy when it reproduces
// every operator ID of a savepoint that job wrote.
type OldGraphCheck struct {
	SavepointOperators int `json:"savepoint_operators"`
	// Predicted counts the savepoint's operators whose ID the old graph
	// predicts, AutoGenerated those of them without uid.
	Predicted     int `json:"predicted"`
	AutoGenerated int `json:"auto_generated"`
	// Unpredicted lists the savepoint's operator IDs the old graph does
	// not predict.
	Unpredicted []string `json:"unpredicted,omitempty"`
}

// SavepointRef describes the savepoint checked.
type SavepointRef struct {
	Location      string `json:"location"`
	FormatVersion int32  `json:"format_version"`
	CheckpointID  int64  `json:"checkpoint_id"`
	Kind          string `json:"kind"`
}

// GraphRef describes a job graph.
type GraphRef struct {
	Source       string       `json:"source"`
	Format       string       `json:"format"`
	FlinkVersion string       `json:"flink_version,omitempty"`
	StateBackend StateBackend `json:"state_backend,omitempty"`
	Operators    int          `json:"operators"`
}

func graphRef(g *JobGraph) GraphRef {
	return GraphRef{Source: g.Source, Format: g.Format, FlinkVersion: g.FlinkVersion, StateBackend: g.StateBackend, Operators: len(g.Operators)}
}

// Check judges whether the savepoint m (found at location) restores into
// the job graph g, by Flink's own rules (Checkpoints.loadAndValidateCheckpoint
// and StateAssignmentOperation), and lists every piece of state that would
// be lost, not just the first as Flink does.
func Check(m *metadata.Metadata, location string, g *JobGraph, opts Options) *Report {
	c := &checker{m: m, g: g, opts: opts, byID: map[metadata.OperatorID][]*Operator{}, matched: map[*Operator]bool{}}
	rep := &Report{
		Schema:                ReportSchema,
		Savepoint:             SavepointRef{Location: location, FormatVersion: m.Version, CheckpointID: m.CheckpointID, Kind: m.Kind().Label},
		Graph:                 graphRef(g),
		AllowNonRestoredState: opts.AllowNonRestoredState,
		Findings:              []Finding{},
		Operators:             []Mapping{},
	}
	if opts.OldGraph != nil {
		r := graphRef(opts.OldGraph)
		rep.OldGraph = &r
	}
	c.rep = rep
	c.index()
	c.checkOldGraph()
	c.checkGraph()
	for i := range m.Operators {
		c.checkOperator(&m.Operators[i])
	}
	c.ruleJobMaxParallelism()
	c.ruleFinishedVertices()
	c.ruleInFlightRechained()
	c.ruleInFlightPointwise()
	c.ruleInFlightUnpaired()
	c.checkNewOperators()
	c.checkFiles()
	c.checkStates()
	c.checkUpgrade()
	c.finish()
	return rep
}

type checker struct {
	m       *metadata.Metadata
	g       *JobGraph
	opts    Options
	rep     *Report
	byID    map[metadata.OperatorID][]*Operator
	matched map[*Operator]bool
	// renamed holds new-graph operators already reported under SP003.
	renamed map[*Operator]bool
	guessed []*Operator // operators whose ID is a guess
	// jobMaxPar are the SP010 mismatches of the job-wide max parallelism.
	jobMaxPar []maxParMismatch
	// summaries memoizes summaryOf.
	summaries map[*metadata.OperatorState]metadata.Summary
}

func (c *checker) index() {
	c.renamed = map[*Operator]bool{}
	for _, op := range c.g.Operators {
		if op.IDGuessed {
			c.guessed = append(c.guessed, op)
		}
		for _, id := range op.IDs() {
			c.byID[id] = append(c.byID[id], op)
		}
	}
}

// add adds a finding: its name, and unless set its severity and outcome,
// from the rule's table entry; an unknown finding's outcome is unknown.
func (c *checker) add(f Finding) {
	r := f.Rule.Rule()
	f.Name = r.Name
	if f.Severity == 0 {
		f.Severity = r.Severity
	}
	if f.Outcome == 0 {
		f.Outcome = r.Outcome
		if f.Severity == Unknown {
			f.Outcome = OutcomeUnknown
		}
	}
	h := sha256.New()
	h.Write([]byte(string(f.Rule) + "|" + f.Operator.ID))
	if f.NewOperator != nil {
		h.Write([]byte("|" + f.NewOperator.ID))
	}
	f.Fingerprint = hex.EncodeToString(h.Sum(nil))[:16]
	c.rep.Findings = append(c.rep.Findings, f)
}

func (c *checker) spRef(op *metadata.OperatorState) OperatorRef {
	r := OperatorRef{ID: op.ID.String(), UID: op.UID, Name: op.Name, Where: "savepoint"}
	if r.UID == "" {
		r.UID = c.knownUID(op.ID)
	}
	if r.Name == "" && c.opts.OldGraph != nil {
		for _, o := range c.opts.OldGraph.Operators {
			if hasID(o, op.ID) && o.Name != "" {
				r.Name = o.Name
				break
			}
		}
	}
	return r
}

// knownUID finds the uid of a savepoint operator ID from --uids or the old
// graph.
func (c *checker) knownUID(id metadata.OperatorID) string {
	if u := c.opts.UIDs[id]; u != "" {
		return u
	}
	if c.opts.OldGraph != nil {
		for _, o := range c.opts.OldGraph.Operators {
			if o.UID != "" && o.ID == id {
				return o.UID
			}
		}
	}
	return ""
}

func newRef(op *Operator) *OperatorRef {
	where := "new graph"
	if op.Node != "" {
		where += ", " + op.Node
	}
	return &OperatorRef{ID: op.ID.String(), UID: op.UID, Name: op.Name, Where: where}
}

func hasID(op *Operator, id metadata.OperatorID) bool {
	for _, x := range op.IDs() {
		if x == id {
			return true
		}
	}
	return false
}

// checkOldGraph verifies that the old graph predicts the savepoint's IDs.
func (c *checker) checkOldGraph() {
	og := c.opts.OldGraph
	if og == nil {
		return
	}
	chk := &OldGraphCheck{SavepointOperators: len(c.m.Operators)}
	for i := range c.m.Operators {
		op := &c.m.Operators[i]
		var found *Operator
		for _, o := range og.Operators {
			if hasID(o, op.ID) {
				found = o
				break
			}
		}
		switch {
		case found == nil:
			chk.Unpredicted = append(chk.Unpredicted, op.ID.String())
		case found.AutoID:
			chk.Predicted++
			chk.AutoGenerated++
		default:
			chk.Predicted++
		}
	}
	c.rep.OldGraphCheck = chk
	if len(chk.Unpredicted) == 0 {
		return
	}
	c.add(Finding{Rule: RuleOldGraphMismatch, Operator: OperatorRef{ID: chk.Unpredicted[0], Where: "savepoint"},
		Message: fmt.Sprintf("the old job graph %s does not predict %d of the savepoint's %d operator IDs (%s): it is not the job that wrote this savepoint, or its topology is modelled wrongly, so spcheck's predictions from it, auto-generated IDs in particular, cannot be trusted",
			og.Source, len(chk.Unpredicted), chk.SavepointOperators, strings.Join(firstN(chk.Unpredicted, 3), ", ")),
		Fix: "Describe the job the savepoint was taken with: its uids, and for operators without uid its topology exactly (chaining, parallelism, edge order); spcheck inspect shows the savepoint's IDs."})
}

func firstN(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(append([]string{}, s[:n]...), fmt.Sprintf("%d more", len(s)-n))
}

// oldOperator returns the old graph's operator with the given ID.
func (c *checker) oldOperator(id metadata.OperatorID) *Operator {
	if c.opts.OldGraph == nil {
		return nil
	}
	for _, o := range c.opts.OldGraph.Operators {
		if hasID(o, id) {
			return o
		}
	}
	return nil
}

// checkGraph runs the rules about the new graph alone.
func (c *checker) checkGraph() {
	var ids []metadata.OperatorID
	for id, ops := range c.byID {
		if len(ops) > 1 {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].String() < ids[j].String() })
	for _, id := range ids {
		ops := c.byID[id]
		var names []string
		for _, o := range ops {
			names = append(names, newRef(o).String()+" at "+o.Node)
		}
		f := Finding{Rule: RuleDuplicateID, Operator: *newRef(ops[0]), NewOperator: newRef(ops[1]),
			Message: fmt.Sprintf("%d operators of the new job graph have the ID %s: %s", len(ops), id, strings.Join(names, "; ")),
			Fix:     "Give each operator its own uid: .uid(...) values must be unique within a job."}
		if ops[0].UID != "" && ops[0].UID == ops[1].UID {
			f.FlinkMessage = fmt.Sprintf("Hash collision on user-specified ID %q. Most likely cause is a non-unique ID. Please check that all IDs specified via `uid(String)` are unique.", ops[0].UID)
		}
		c.add(f)
	}
	c.ruleParallelismAboveMax()
}

// ruleParallelismAboveMax is SP012: a job vertex's parallelism above its
// configured max parallelism. Flink checks it per job vertex when it
// builds the execution graph (ExecutionJobVertex constructor,
// ExecutionJobVertex.java L145-L153, Flink 1.20; L146-L150, Flink 2.0),
// and the vertex's max parallelism is its chain head's (addVertices): one
// finding per vertex, on its head.
func (c *checker) ruleParallelismAboveMax() {
	for _, op := range c.g.Operators {
		if op.Vertex != nil && op.Vertex.Head() != op {
			continue
		}
		if !op.MaxParallelismConfigured || op.Parallelism <= op.MaxParallelism {
			continue
		}
		what, vertex := "the operator's", displayName(op)
		if op.Vertex != nil && op.Vertex.Chained() {
			vertex = op.Vertex.Name()
			what = fmt.Sprintf("its job vertex's (the chain %q, whose head sets it)", vertex)
		}
		c.add(Finding{Rule: RuleParallelismAboveMax, Operator: *newRef(op),
			Message: fmt.Sprintf("parallelism %d is above %s configured max parallelism %d", op.Parallelism, what, op.MaxParallelism),
			FlinkMessage: fmt.Sprintf("Vertex %s's parallelism (%d) is higher than the max parallelism (%d). Please lower the parallelism or increase the max parallelism.",
				vertex, op.Parallelism, op.MaxParallelism),
			Fix: fmt.Sprintf("Lower the parallelism to at most %d, or raise the max parallelism (which itself must match the savepoint's).", op.MaxParallelism)})
	}
}

func displayName(op *Operator) string {
	if op.Name != "" {
		return op.Name
	}
	if op.UID != "" {
		return op.UID
	}
	return op.ID.String()
}

// checkOperator decides what happens to one savepoint operator's state,
// and runs the rules that apply: to a matched operator SP010, SP011,
// SP030 and SP013; to an unmatched one SP002, or SP009, SP003, SP001 or
// SP020.
func (c *checker) checkOperator(op *metadata.OperatorState) {
	ref := c.spRef(op)
	mp := Mapping{Operator: ref, HasState: op.HasState(), Size: op.StateSize()}
	if cands := c.byID[op.ID]; len(cands) > 0 {
		n := cands[0]
		// Savepoints of format 4 and older store neither uid nor name:
		// the operator of the new graph with the same ID is this operator
		// (Flink matches by ID alone, Checkpoints.java L155-L172), so its
		// uid and name name it.
		if ref.UID == "" && n.UID != "" && !n.UIDUnknown {
			ref.UID = n.UID
		}
		if ref.Name == "" {
			ref.Name = n.Name
		}
		mp.Operator = ref
		c.matched[n] = true
		mp.MatchedTo = newRef(n)
		mp.Fate = FateRestored
		if !mp.HasState {
			mp.Fate = FateMatchedNoState
		}
		fired, blocks := c.ruleMaxParallelismMismatch(op, ref, n)
		if !fired && op.HasState() {
			blocks = c.ruleParallelismExceedsMax(op, ref, n)
			c.ruleInFlightRescaled(op, ref, n)
		}
		if blocks {
			mp.Fate = FateBlocks
		}
		if c.ruleStateReassigned(op, ref, n) {
			mp.Fate = FateReassigned
		}
		c.rep.Operators = append(c.rep.Operators, mp)
		return
	}
	if !mp.HasState {
		mp.Fate = FateSkipped
		c.ruleEmptyStateUnmatched(ref)
		c.rep.Operators = append(c.rep.Operators, mp)
		return
	}
	renamedTo := c.findRenamed(op)
	u := c.unmatched(op, renamedTo)
	mp.Fate = u.fate
	switch old := c.oldOperator(op.ID); {
	case renamedTo != nil && old != nil && old.AutoID && renamedTo.AutoID:
		c.ruleAutoIDChanged(op, ref, renamedTo, u)
	case renamedTo != nil:
		c.ruleUIDChanged(op, ref, renamedTo, u)
	default:
		c.ruleStateDropped(op, ref, &mp, u)
	}
	c.rep.Operators = append(c.rep.Operators, mp)
	if mp.Fate != FateUnknown {
		c.rep.Summary.Dropped++
		c.rep.Summary.DroppedBytes += op.StateSize()
	}
}

// unmatchedState is what Flink does with the state of a savepoint operator
// that no operator of the new graph claims.
type unmatchedState struct {
	severity Severity
	outcome  Outcome
	fate     Fate
	// flinkMessage is Flink's error, when it refuses.
	flinkMessage string
}

// unmatched decides what Flink does with op's unclaimed state:
// Checkpoints.loadAndValidateCheckpoint refuses the restore unless
// --allowNonRestoredState, which drops the state (Checkpoints.java, the
// loop over operatorStates, "Cannot map checkpoint/savepoint state";
// Flink 1.20). When an operator whose ID spcheck only guesses may claim
// it, the outcome is unknown.
func (c *checker) unmatched(op *metadata.OperatorState, renamedTo *Operator) unmatchedState {
	u := unmatchedState{severity: Error, outcome: Refused, fate: FateBlocks,
		flinkMessage: fmt.Sprintf("Failed to rollback to checkpoint/savepoint %s. Cannot map checkpoint/savepoint state for operator %s to the new program, because the operator is not available in the new program. If you want to allow to skip this, you can set the --allowNonRestoredState option on the CLI.",
			c.rep.Savepoint.Location, op.ID)}
	if c.opts.AllowNonRestoredState {
		u = unmatchedState{severity: Warning, outcome: RestoresLosingState, fate: FateDropped}
	}
	if len(c.unclaimedGuesses()) > 0 && renamedTo == nil {
		u = unmatchedState{severity: Unknown, outcome: OutcomeUnknown, fate: FateUnknown}
	}
	return u
}

// ruleEmptyStateUnmatched is SP002: an unmatched operator without state,
// which Flink skips.
func (c *checker) ruleEmptyStateUnmatched(ref OperatorRef) {
	c.add(Finding{Rule: RuleEmptyStateUnmatched, Operator: ref,
		Message: "no operator of the new job graph has this ID; it holds no state, so Flink skips it",
		Fix:     "Nothing to do."})
}

// ruleAutoIDChanged is SP009: an operator without uid whose generated ID
// the edit changes. Its severity stays error under -n: the state is lost.
func (c *checker) ruleAutoIDChanged(op *metadata.OperatorState, ref OperatorRef, renamedTo *Operator, u unmatchedState) {
	c.renamed[renamedTo] = true
	c.add(Finding{Rule: RuleAutoIDChanged, Outcome: u.outcome, Operator: ref, NewOperator: newRef(renamedTo),
		Message: fmt.Sprintf("this operator has no uid, and the edit changes the ID Flink generates for it from %s to %s; its %s (%s) would not be restored",
			op.ID, renamedTo.ID, stateWhat(op), FormatBytes(op.StateSize())),
		Fix:          fmt.Sprintf("Pin the old ID: add .setUidHash(%q) to the operator (and a .uid(...) for the future); a .uid(...) alone gives a new ID and does not restore this state.", op.ID.String()),
		FlinkMessage: u.flinkMessage})
}

// ruleUIDChanged is SP003: the savepoint's operator is in the new graph
// under another ID. Its severity stays error under -n: the state is lost.
func (c *checker) ruleUIDChanged(op *metadata.OperatorState, ref OperatorRef, renamedTo *Operator, u unmatchedState) {
	c.renamed[renamedTo] = true
	fix := fmt.Sprintf("Give the new operator its old ID back: .setUidHash(%q)", op.ID.String())
	if ref.UID != "" {
		fix = fmt.Sprintf("Give the new operator its old uid back: .uid(%q), or keep the new uid and add .setUidHash(%q)", ref.UID, op.ID.String())
	}
	if c.g.Format == FormatSQLPlan {
		fix = sqlKeepUIDFix(ref)
	}
	c.add(Finding{Rule: RuleUIDChanged, Outcome: u.outcome, Operator: ref, NewOperator: newRef(renamedTo),
		Message: fmt.Sprintf("the savepoint's %s is in the new job graph as %s under another ID; its %s (%s) would not be restored",
			describeOld(ref), newRef(renamedTo), stateWhat(op), FormatBytes(op.StateSize())),
		Fix:          fix + ".",
		FlinkMessage: u.flinkMessage})
}

// ruleStateDropped is SP001, or SP020 when the operator holds only
// coordinator state: unmatched state with nothing in the new graph that
// could be it.
func (c *checker) ruleStateDropped(op *metadata.OperatorState, ref OperatorRef, mp *Mapping, u unmatchedState) {
	var uidHint string
	if ref.UID != "" {
		uidHint = fmt.Sprintf("Keep the operator with .uid(%q) in the new job", ref.UID)
	} else {
		uidHint = fmt.Sprintf("Keep the operator in the new job: with its old uid, or with .setUidHash(%q) if the uid is unknown", op.ID.String())
	}
	if c.g.Format == FormatSQLPlan {
		uidHint = sqlKeepUIDFix(ref)
	}
	unknownNote := ""
	if u.outcome == OutcomeUnknown {
		unknownNote = fmt.Sprintf("; unless %s claims it: spcheck only guesses its ID", unknownList(c.unclaimedGuesses()))
	}
	subtaskState := metadata.Summarize(op).SubtasksWithState > 0
	rule := RuleStateDropped
	if !subtaskState && op.CoordinatorState != nil {
		rule = RuleCoordinatorStateDropped
		if olderThan(c.g.FlinkVersion, 1, 11) && u.outcome == Refused {
			// Flink refuses unmatched coordinator state since FLINK-17670
			// (release 1.11.0; Checkpoints.java L198-L201, Flink 1.20).
			// Older releases had no operator coordinators: a target before
			// 1.11 cannot read the format-3 file that holds such state at
			// all (SP070), and drops nothing here.
			u = unmatchedState{severity: Warning, outcome: RestoresLosingState, fate: FateDropped}
			mp.Fate = u.fate
		}
	}
	consequence := "Flink refuses the restore"
	if u.outcome == RestoresLosingState {
		consequence = "the restore drops it"
	}
	c.add(Finding{Rule: rule, Severity: u.severity, Outcome: u.outcome, Operator: ref,
		Message: fmt.Sprintf("no operator of the new job graph has this ID; it holds %s (%s): %s%s",
			stateWhat(op), FormatBytes(op.StateSize()), consequence, unknownNote),
		Fix:          uidHint + "; or, to drop this state on purpose, restore with --allowNonRestoredState (flink run -n) or remove the operator's state with the State Processor API.",
		FlinkMessage: u.flinkMessage})
}

// sqlKeepUIDFix is the fix for savepoint state a SQL plan does not claim:
// SQL has no .uid(...) or .setUidHash(...); the operator IDs come from the
// uids the planner derives from the compiled plan (exec node id and
// transformation, table.exec.uid.format).
func sqlKeepUIDFix(ref OperatorRef) string {
	s := "Run the new job from the compiled plan the savepoint was taken with, or from a plan compiled from it (COMPILE PLAN once, then EXECUTE PLAN), so that the exec node ids and with them the operator uids stay"
	if ref.UID != "" {
		s += fmt.Sprintf("; if the plan was recompiled, set table.exec.uid.format (--table-config) so that this operator's uid is %q again (the default is <id>_<transformation> since Flink 1.16; Flink 1.15 used <id>_<type>_<version>_<transformation>)", ref.UID)
	} else {
		s += "; if the plan was recompiled, set table.exec.uid.format (--table-config) to the pattern the old job ran with (the default is <id>_<transformation> since Flink 1.16; Flink 1.15 used <id>_<type>_<version>_<transformation>)"
	}
	return s
}

func describeOld(r OperatorRef) string {
	s := "operator " + r.ID
	var extra []string
	if r.UID != "" {
		extra = append(extra, "uid "+strconv.Quote(r.UID))
	}
	if r.Name != "" {
		extra = append(extra, "name "+strconv.Quote(r.Name))
	}
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return s
}

// unclaimedGuesses are the guessed operators no savepoint state matched.
func (c *checker) unclaimedGuesses() []*Operator {
	var out []*Operator
	for _, o := range c.guessed {
		if !c.matchedAny(o) {
			out = append(out, o)
		}
	}
	return out
}

// matchedAny reports whether some savepoint operator has one of o's IDs.
func (c *checker) matchedAny(o *Operator) bool {
	for _, id := range o.IDs() {
		for i := range c.m.Operators {
			if c.m.Operators[i].ID == id {
				return true
			}
		}
	}
	return false
}

func unknownList(ops []*Operator) string {
	var s []string
	for _, o := range ops {
		s = append(s, o.Node)
	}
	if len(s) > 3 {
		s = append(s[:3], fmt.Sprintf("%d more", len(ops)-3))
	}
	return strings.Join(s, ", ")
}

// stateWhat says in words what state op holds.
func stateWhat(op *metadata.OperatorState) string {
	s := metadata.Summarize(op)
	var parts []string
	if s.KeyedManaged || s.KeyedRaw {
		parts = append(parts, "keyed state")
	}
	if len(s.OperatorStates) > 0 {
		var names []string
		for _, n := range s.OperatorStates {
			names = append(names, strconv.Quote(n.Name))
		}
		parts = append(parts, "operator state "+strings.Join(names, ", "))
	}
	if s.Coordinator {
		parts = append(parts, "coordinator state")
	}
	if s.InFlight {
		parts = append(parts, "in-flight data")
	}
	if len(parts) == 0 {
		return "state"
	}
	return strings.Join(parts, ", ")
}

// findRenamed looks for the new-graph operator that is op under another ID:
// the same stored name (metadata v5+), or the operator of the old graph
// with op's ID, found in the new graph by name.
func (c *checker) findRenamed(op *metadata.OperatorState) *Operator {
	free := func(n *Operator) bool {
		if c.renamed[n] {
			return false
		}
		for _, id := range n.IDs() {
			for i := range c.m.Operators {
				if c.m.Operators[i].ID == id {
					return false // it claims other state
				}
			}
		}
		return true
	}
	byName := func(name string) *Operator {
		if name == "" {
			return nil
		}
		var found *Operator
		for _, n := range c.g.Operators {
			if n.Name == name && free(n) {
				if found != nil {
					return nil // ambiguous
				}
				found = n
			}
		}
		return found
	}
	if op.Name != "" {
		if n := byName(op.Name); n != nil {
			return n
		}
	}
	if og := c.opts.OldGraph; og != nil {
		for i, o := range og.Operators {
			if !hasID(o, op.ID) {
				continue
			}
			if n := byName(o.Name); n != nil {
				return n
			}
			// Same position, when both graphs list the same number of
			// operators and the operator has no name to go by.
			if o.Name == "" && len(og.Operators) == len(c.g.Operators) {
				if n := c.g.Operators[i]; n.Name == "" && free(n) {
					return n
				}
			}
		}
	}
	return nil
}

// ruleStateReassigned is SP013: it reports state that Flink would restore into another
// operator: the old graph says the ID was operator A, and the new graph
// gives the ID to an operator that is another operator B of the old graph
// by name (e.g. two sources without uid created in the other order swap
// their generated IDs). A plain rename is not reported.
func (c *checker) ruleStateReassigned(op *metadata.OperatorState, ref OperatorRef, n *Operator) bool {
	old := c.oldOperator(op.ID)
	if old == nil || !op.HasState() || old.Name == "" || n.Name == "" || old.Name == n.Name {
		return false
	}
	var other *Operator
	for _, o := range c.opts.OldGraph.Operators {
		if o != old && o.Name == n.Name {
			if other != nil {
				return false // ambiguous name
			}
			other = o
		}
	}
	if other == nil {
		return false
	}
	fix := "Give both operators uids, and pin each one's old ID with .setUidHash(\"<old id>\") (this operator's: " + op.ID.String() + ")."
	if !old.AutoID {
		fix = "Give the operator back its uid."
	}
	c.add(Finding{Rule: RuleStateReassigned, Operator: ref, NewOperator: newRef(n),
		Message: fmt.Sprintf("the savepoint's state of %q (%s) would be restored into %q, which had ID %s in the old graph: the new graph gives this ID to another operator",
			old.Name, stateWhat(op), n.Name, other.ID),
		Fix: fix})
	return true
}

// ruleMaxParallelismMismatch is SP010: an explicitly configured max
// parallelism that differs from the savepoint's. It fires for matched
// operators with state or without, as Flink checks it (Checkpoints.java
// L169-L191, Flink 1.20; L183, Flink 2.0): against the max parallelism of
// the operator's job vertex, which is its chain head's (addVertices); a
// max parallelism the vertex derives (none configured) Flink replaces with
// the savepoint's (DefaultVertexParallelismInfo.canRescaleMaxParallelism).
// A mismatch that comes from the job-wide setting is collected and
// reported once (ruleJobMaxParallelism). fired says whether it fired,
// blocks whether Flink refuses.
func (c *checker) ruleMaxParallelismMismatch(op *metadata.OperatorState, ref OperatorRef, n *Operator) (fired, blocks bool) {
	spMax := int(op.MaxParallelism)
	if n.MaxParallelism <= 0 || n.MaxParallelism == spMax || !(n.MaxParallelismConfigured || n.MaxParallelismUnsure) {
		return false, false
	}
	if n.MaxParallelismFromJob && !n.MaxParallelismUnsure {
		c.jobMaxPar = append(c.jobMaxPar, maxParMismatch{op, ref, n})
		return true, true
	}
	c.add(c.maxParFinding(op, ref, n))
	return true, !n.MaxParallelismUnsure
}

// maxParMismatch is one operator whose job vertex takes the job-wide max
// parallelism, which differs from the savepoint's.
type maxParMismatch struct {
	op  *metadata.OperatorState
	ref OperatorRef
	n   *Operator
}

func (c *checker) maxParFinding(op *metadata.OperatorState, ref OperatorRef, n *Operator) Finding {
	spMax := int(op.MaxParallelism)
	set := fmt.Sprintf("the new job graph sets %d", n.MaxParallelism)
	if v := n.Vertex; v != nil && v.Chained() {
		set = fmt.Sprintf("the new job graph gives its job vertex (the chain %q) %d", v.Name(), n.MaxParallelism)
		if v.Head() != n {
			set += fmt.Sprintf(", the max parallelism of the chain's head %s: a chained operator's own max parallelism does not count", displayName(v.Head()))
		}
	}
	f := Finding{Rule: RuleMaxParallelismMismatch, Operator: ref, NewOperator: newRef(n),
		Message: fmt.Sprintf("the savepoint's state has max parallelism %d, %s", spMax, set),
		FlinkMessage: fmt.Sprintf("Failed to rollback to checkpoint/savepoint %s. Max parallelism mismatch between checkpoint/savepoint state and new program. Cannot map operator %s with max parallelism %d to new program with max parallelism %d. This indicates that the program has been changed in a non-compatible way after the checkpoint/savepoint.",
			c.rep.Savepoint.Location, op.ID, spMax, n.MaxParallelism),
		Fix: fmt.Sprintf("Set the max parallelism back to %d (setMaxParallelism(%d)), or remove the explicit setting so that Flink adopts the savepoint's. Changing max parallelism means rewriting the state with the State Processor API.", spMax, spMax)}
	if v := n.Vertex; v != nil && v.Head() != n {
		f.Fix = fmt.Sprintf("Set the max parallelism of the chain's head %s back to %d, or remove it so that Flink adopts the savepoint's; or break the chain. Changing max parallelism means rewriting the state with the State Processor API.", displayName(v.Head()), spMax)
	}
	if n.MaxParallelismUnsure {
		f.Severity = Unknown
		f.Message += "; whether that is set explicitly (then Flink refuses the restore) or derived (then Flink adopts the savepoint's) the new job's savepoint does not say"
		f.FlinkMessage = ""
	}
	return f
}

// ruleJobMaxParallelism reports the SP010 mismatches that come from the
// job-wide max parallelism (pipeline.max-parallelism) as one finding: one
// setting, one fix. Flink names the first operator it meets (Checkpoints.java
// L167-L191 walks the savepoint's operators in order).
func (c *checker) ruleJobMaxParallelism() {
	switch len(c.jobMaxPar) {
	case 0:
		return
	case 1:
		x := c.jobMaxPar[0]
		c.add(c.maxParFinding(x.op, x.ref, x.n))
		return
	}
	first := c.jobMaxPar[0]
	f := c.maxParFinding(first.op, first.ref, first.n)
	var names []string
	values := map[int32]bool{}
	for _, x := range c.jobMaxPar {
		names = append(names, x.ref.String())
		values[x.op.MaxParallelism] = true
	}
	jobMax := first.n.MaxParallelism
	spMax := fmt.Sprintf("%d", first.op.MaxParallelism)
	if len(values) > 1 {
		spMax = "other values"
	}
	f.NewOperator = nil
	f.Message = fmt.Sprintf("the job-wide max parallelism %d (pipeline.max-parallelism, or the manifest's maxParallelism) differs from the savepoint's %s for %d operators: %s",
		jobMax, spMax, len(c.jobMaxPar), strings.Join(firstN(names, 5), ", "))
	f.Fix = fmt.Sprintf("Set pipeline.max-parallelism back to the savepoint's (%s), or remove it so that Flink adopts the savepoint's for every operator. Changing max parallelism means rewriting the state with the State Processor API.", spMax)
	if len(values) > 1 {
		f.Fix = "Remove pipeline.max-parallelism so that Flink adopts the savepoint's for every operator. Changing max parallelism means rewriting the state with the State Processor API."
	}
	c.add(f)
}

// ruleParallelismExceedsMax is SP011: an operator with state would run
// above the max parallelism its state was written with.
func (c *checker) ruleParallelismExceedsMax(op *metadata.OperatorState, ref OperatorRef, n *Operator) (blocks bool) {
	spMax := int(op.MaxParallelism)
	if n.Parallelism <= spMax {
		return false
	}
	c.add(Finding{Rule: RuleParallelismExceedsMax, Operator: ref, NewOperator: newRef(n),
		Message: fmt.Sprintf("the new job graph runs it with parallelism %d, above the max parallelism %d its state was written with", n.Parallelism, spMax),
		FlinkMessage: fmt.Sprintf("The state for task <job vertex of %s> can not be restored. The maximum parallelism (%d) of the restored state is lower than the configured parallelism (%d). Please reduce the parallelism of the task to be lower or equal to the maximum parallelism.",
			op.ID, spMax, n.Parallelism),
		Fix: fmt.Sprintf("Run the operator with parallelism %d or less, or rewrite its state with a higher max parallelism using the State Processor API.", spMax)})
	return true
}

// ruleInFlightRescaled is SP030: in-flight data of an unaligned checkpoint
// for an operator whose parallelism changes.
func (c *checker) ruleInFlightRescaled(op *metadata.OperatorState, ref OperatorRef, n *Operator) {
	if s := metadata.Summarize(op); !s.InFlight || n.Parallelism <= 0 || n.Parallelism == int(op.Parallelism) {
		return
	}
	c.add(Finding{Rule: RuleInFlightData, Operator: ref, NewOperator: newRef(n),
		Message: fmt.Sprintf("the checkpoint holds in-flight data (unaligned checkpoint) for this operator, whose parallelism changes from %d to %d", op.Parallelism, n.Parallelism),
		Fix:     "Restore from an aligned checkpoint or a savepoint when rescaling, or keep the parallelism for this restore."})
}

// checkNewOperators runs the rules about new-graph operators that no
// savepoint state maps to.
func (c *checker) checkNewOperators() {
	unclaimedState := false
	for _, mp := range c.rep.Operators {
		if mp.Fate == FateUnknown {
			unclaimedState = true
		}
	}
	for _, op := range c.g.Operators {
		if op.IDGuessed && !c.matched[op] && unclaimedState {
			msg := fmt.Sprintf("spcheck does not know this exec node and only guesses its operator ID (uid %q); if the guess is wrong, it may be the operator that claims the savepoint's unmatched state", op.UID)
			if op.IDGuess != "" {
				msg = fmt.Sprintf("the operator ID is a guess (uid %q): %s; if the guess is wrong, it may be the operator that claims the savepoint's unmatched state", op.UID, op.IDGuess)
			}
			c.add(Finding{Rule: RuleUnknownOperator, Operator: *newRef(op), Message: msg,
				Fix: "Check this operator by hand, or describe the job with a manifest."})
		}
		if op.Stateful == Stateful && op.UID == "" && op.UIDHash == nil && !op.UIDUnknown && c.g.Format != FormatSQLPlan && !c.renamed[op] {
			c.add(Finding{Rule: RuleMissingUID, Operator: *newRef(op),
				Message: "stateful operator without an explicit uid: its ID is generated from the job's topology and changes with unrelated edits",
				Fix:     fmt.Sprintf("Set .uid(...) on it; to keep today's state, add .setUidHash(%q) as well.", op.ID.String())})
		}
		// A compiled plan's table source scan keeps state whenever its
		// connector does (FLIP-27 split state, SourceFunction state);
		// which connector a plan uses decides it, not the plan's shape, so
		// a new scan counts as a new stateful operator.
		sqlSource := c.g.Format == FormatSQLPlan && op.Source && op.Stateful == StatefulUnknown
		if c.matched[op] || c.renamed[op] || op.Conditional || (op.Stateful != Stateful && !sqlSource) {
			continue
		}
		f := Finding{Rule: RuleNewStatefulOperator, Operator: *newRef(op),
			Message: "stateful operator with no state in the savepoint: it starts empty",
			Fix:     "Nothing to do if the operator is new. If it replaces an operator of the savepoint, give it that operator's uid."}
		if op.Source {
			f.Severity = Warning
			f.Message = "source with no state in the savepoint: it starts from its configured start position, not from where the old job stopped"
			f.Fix = "If this source replaces one of the savepoint's, give it that source's uid; otherwise check its start position (e.g. a Kafka source's OffsetsInitializer)."
			if c.g.Format == FormatSQLPlan {
				f.Message = "table source with no state in the savepoint: if its connector keeps state (Kafka, FLIP-27 sources), it starts from its configured start position, not from where the old job stopped"
				f.Fix = "If this scan replaces one of the savepoint's sources, keep that exec node's id and transformation (run the old compiled plan, or set table.exec.uid.format); otherwise check the table's start options (e.g. scan.startup.mode)."
			}
		} else if c.g.Format == FormatSQLPlan {
			f.Fix = "Nothing to do if the operator is new. If it replaces an operator of the savepoint, keep that operator's uid: run the compiled plan the savepoint was taken with (EXECUTE PLAN), or set table.exec.uid.format."
		}
		c.add(f)
	}
}

func (c *checker) finish() {
	rep := c.rep
	sortFindings(rep.Findings)
	// A finding on a matched savepoint operator that Flink refuses (a
	// state it cannot restore) blocks the restore of that operator.
	blocking := map[string]bool{}
	for _, f := range rep.Findings {
		if f.Outcome == Refused && f.Operator.Where == "savepoint" {
			blocking[f.Operator.ID] = true
		}
	}
	for i := range rep.Operators {
		if blocking[rep.Operators[i].Operator.ID] && rep.Operators[i].Fate == FateRestored {
			rep.Operators[i].Fate = FateBlocks
		}
	}
	for _, mp := range rep.Operators {
		if mp.Fate == FateRestored {
			rep.Summary.Restored++
		}
	}
	recount(rep)
}

// olderThan reports whether version v ("1.12", "1.19.1") is known and
// below major.minor.
func olderThan(v string, major, minor int) bool {
	fv, err := ParseFlinkVersion(v)
	return err == nil && fv.Before(major, minor)
}

// FormatBytes writes a size for people: bytes below 1 KiB, else binary
// units with one decimal ("3.2 KiB").
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}
