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
	Rule     string   `json:"rule"`
	Name     string   `json:"name"`
	Severity Severity `json:"severity"`
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
	// Fate is "restored", "dropped" (with -n), "blocks restore",
	// "skipped (no state)" or "unknown".
	Fate string `json:"fate"`
}

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
	Source       string `json:"source"`
	Format       string `json:"format"`
	FlinkVersion string `json:"flink_version,omitempty"`
	Operators    int    `json:"operators"`
}

func graphRef(g *JobGraph) GraphRef {
	return GraphRef{Source: g.Source, Format: g.Format, FlinkVersion: g.FlinkVersion, Operators: len(g.Operators)}
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
	c.checkGraph()
	for i := range m.Operators {
		c.checkOperator(&m.Operators[i])
	}
	c.checkNewOperators()
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

func (c *checker) add(f Finding) {
	r := mustRule(f.Rule)
	f.Name = r.Name
	if f.Severity == 0 {
		f.Severity = r.Severity
	}
	h := sha256.New()
	h.Write([]byte(f.Rule + "|" + f.Operator.ID))
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
		f := Finding{Rule: "SP006", Operator: *newRef(ops[0]), NewOperator: newRef(ops[1]),
			Message: fmt.Sprintf("%d operators of the new job graph have the ID %s: %s", len(ops), id, strings.Join(names, "; ")),
			Fix:     "Give each operator its own uid: .uid(...) values must be unique within a job."}
		if ops[0].UID != "" && ops[0].UID == ops[1].UID {
			f.FlinkMessage = fmt.Sprintf("Hash collision on user-specified ID %q. Most likely cause is a non-unique ID. Please check that all IDs specified via `uid(String)` are unique.", ops[0].UID)
		}
		c.add(f)
	}
	for _, op := range c.g.Operators {
		if op.MaxParallelismConfigured && op.Parallelism > op.MaxParallelism {
			c.add(Finding{Rule: "SP012", Operator: *newRef(op),
				Message: fmt.Sprintf("parallelism %d is above the operator's configured max parallelism %d", op.Parallelism, op.MaxParallelism),
				FlinkMessage: fmt.Sprintf("Vertex %s's parallelism (%d) is higher than the max parallelism (%d). Please lower the parallelism or increase the max parallelism.",
					displayName(op), op.Parallelism, op.MaxParallelism),
				Fix: fmt.Sprintf("Lower the parallelism to at most %d, or raise the max parallelism (which itself must match the savepoint's).", op.MaxParallelism)})
		}
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

func (c *checker) checkOperator(op *metadata.OperatorState) {
	ref := c.spRef(op)
	mp := Mapping{Operator: ref, HasState: op.HasState(), Size: op.StateSize()}
	cands := c.byID[op.ID]
	if len(cands) > 0 {
		n := cands[0]
		c.matched[n] = true
		mp.MatchedTo = newRef(n)
		mp.Fate = "restored"
		if !mp.HasState {
			mp.Fate = "matched (no state)"
		}
		if c.checkMatched(op, ref, n) {
			mp.Fate = "blocks restore"
		}
		c.rep.Operators = append(c.rep.Operators, mp)
		return
	}
	if !mp.HasState {
		mp.Fate = "skipped (no state)"
		c.add(Finding{Rule: "SP002", Operator: ref,
			Message: "no operator of the new job graph has this ID; it holds no state, so Flink skips it",
			Fix:     "Nothing to do."})
		c.rep.Operators = append(c.rep.Operators, mp)
		return
	}
	renamedTo := c.findRenamed(op, ref)
	sev := Error
	fate := "blocks restore"
	if c.opts.AllowNonRestoredState {
		sev, fate = Warning, "dropped"
	}
	if len(c.unclaimedGuesses()) > 0 && renamedTo == nil {
		sev, fate = Unknown, "unknown"
	}
	mp.Fate = fate
	what := stateWhat(op)
	flinkMsg := fmt.Sprintf("Failed to rollback to checkpoint/savepoint %s. Cannot map checkpoint/savepoint state for operator %s to the new program, because the operator is not available in the new program. If you want to allow to skip this, you can set the --allowNonRestoredState option on the CLI.",
		c.rep.Savepoint.Location, op.ID)
	if renamedTo != nil {
		c.renamed[renamedTo] = true
		fix := fmt.Sprintf("Give the new operator its old ID back: .setUidHash(%q)", op.ID.String())
		if ref.UID != "" {
			fix = fmt.Sprintf("Give the new operator its old uid back: .uid(%q), or keep the new uid and add .setUidHash(%q)", ref.UID, op.ID.String())
		}
		f := Finding{Rule: "SP003", Operator: ref, NewOperator: newRef(renamedTo),
			Message: fmt.Sprintf("the savepoint's %s is in the new job graph as %s under another ID; its %s (%s) would not be restored",
				describeOld(ref), newRef(renamedTo), what, bytesText(op.StateSize())),
			Fix: fix + "."}
		if !c.opts.AllowNonRestoredState {
			f.FlinkMessage = flinkMsg
		}
		c.add(f)
		c.rep.Operators = append(c.rep.Operators, mp)
		c.rep.Summary.Dropped++
		c.rep.Summary.DroppedBytes += op.StateSize()
		return
	}
	uidHint := ""
	if ref.UID != "" {
		uidHint = fmt.Sprintf("Keep the operator with .uid(%q) in the new job", ref.UID)
	} else {
		uidHint = fmt.Sprintf("Keep the operator in the new job: with its old uid, or with .setUidHash(%q) if the uid is unknown", op.ID.String())
	}
	unknownNote := ""
	if sev == Unknown {
		unknownNote = fmt.Sprintf("; unless %s claims it: spcheck only guesses its ID", unknownList(c.unclaimedGuesses()))
	}
	subtaskState := false
	for i := range op.Subtasks {
		if op.Subtasks[i].HasState() {
			subtaskState = true
		}
	}
	rule := "SP001"
	if !subtaskState && op.CoordinatorState != nil {
		rule = "SP020"
		if olderThan(c.g.FlinkVersion, 1, 13) && sev == Error {
			// Before Flink 1.13 an unmatched operator with only coordinator
			// state does not fail the restore: the state is dropped.
			sev, fate = Warning, "dropped"
			mp.Fate = fate
			flinkMsg = ""
		}
	}
	consequence := "Flink refuses the restore"
	if sev == Warning {
		consequence = "the restore drops it"
	}
	f := Finding{Rule: rule, Severity: sev, Operator: ref,
		Message: fmt.Sprintf("no operator of the new job graph has this ID; it holds %s (%s): %s%s",
			what, bytesText(op.StateSize()), consequence, unknownNote),
		Fix: uidHint + "; or, to drop this state on purpose, restore with --allowNonRestoredState (flink run -n) or remove the operator's state with the State Processor API."}
	if sev == Error {
		f.FlinkMessage = flinkMsg
	}
	c.add(f)
	c.rep.Operators = append(c.rep.Operators, mp)
	if sev != Unknown {
		c.rep.Summary.Dropped++
		c.rep.Summary.DroppedBytes += op.StateSize()
	}
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
func (c *checker) findRenamed(op *metadata.OperatorState, ref OperatorRef) *Operator {
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
	_ = ref
	return nil
}

// checkMatched checks a savepoint operator against the new-graph operator
// its ID matched, and reports whether a finding blocks the restore.
func (c *checker) checkMatched(op *metadata.OperatorState, ref OperatorRef, n *Operator) (blocks bool) {
	spMax := int(op.MaxParallelism)
	if n.MaxParallelism > 0 && n.MaxParallelism != spMax && (n.MaxParallelismConfigured || n.MaxParallelismUnsure) {
		f := Finding{Rule: "SP010", Operator: ref, NewOperator: newRef(n),
			Message: fmt.Sprintf("the savepoint's state has max parallelism %d, the new job graph sets %d", spMax, n.MaxParallelism),
			FlinkMessage: fmt.Sprintf("Failed to rollback to checkpoint/savepoint %s. Max parallelism mismatch between checkpoint/savepoint state and new program. Cannot map operator %s with max parallelism %d to new program with max parallelism %d. This indicates that the program has been changed in a non-compatible way after the checkpoint/savepoint.",
				c.rep.Savepoint.Location, op.ID, spMax, n.MaxParallelism),
			Fix: fmt.Sprintf("Set the max parallelism back to %d (setMaxParallelism(%d)), or remove the explicit setting so that Flink adopts the savepoint's. Changing max parallelism means rewriting the state with the State Processor API.", spMax, spMax)}
		if n.MaxParallelismUnsure {
			f.Severity = Unknown
			f.Message += "; whether that is set explicitly (then Flink refuses the restore) or derived (then Flink adopts the savepoint's) the new job's savepoint does not say"
			f.FlinkMessage = ""
		}
		c.add(f)
		return !n.MaxParallelismUnsure
	}
	if !op.HasState() {
		return false
	}
	if n.Parallelism > spMax {
		c.add(Finding{Rule: "SP011", Operator: ref, NewOperator: newRef(n),
			Message: fmt.Sprintf("the new job graph runs it with parallelism %d, above the max parallelism %d its state was written with", n.Parallelism, spMax),
			FlinkMessage: fmt.Sprintf("The state for task <job vertex of %s> can not be restored. The maximum parallelism (%d) of the restored state is lower than the configured parallelism (%d). Please reduce the parallelism of the task to be lower or equal to the maximum parallelism.",
				op.ID, spMax, n.Parallelism),
			Fix: fmt.Sprintf("Run the operator with parallelism %d or less, or rewrite its state with a higher max parallelism using the State Processor API.", spMax)})
		blocks = true
	}
	if s := metadata.Summarize(op); s.InFlight && n.Parallelism > 0 && n.Parallelism != int(op.Parallelism) {
		c.add(Finding{Rule: "SP030", Operator: ref, NewOperator: newRef(n),
			Message: fmt.Sprintf("the checkpoint holds in-flight data (unaligned checkpoint) for this operator, whose parallelism changes from %d to %d", op.Parallelism, n.Parallelism),
			Fix:     "Restore from an aligned checkpoint or a savepoint when rescaling, or keep the parallelism for this restore."})
	}
	return blocks
}

// checkNewOperators runs the rules about new-graph operators that no
// savepoint state maps to.
func (c *checker) checkNewOperators() {
	unclaimedState := false
	for _, mp := range c.rep.Operators {
		if mp.Fate == "unknown" {
			unclaimedState = true
		}
	}
	for _, op := range c.g.Operators {
		if op.IDGuessed && !c.matched[op] && unclaimedState {
			c.add(Finding{Rule: "SP007", Operator: *newRef(op),
				Message: fmt.Sprintf("spcheck does not know this exec node and only guesses its operator ID (uid %q); if the guess is wrong, it may be the operator that claims the savepoint's unmatched state", op.UID),
				Fix:     "Check this operator by hand, or describe the job with a manifest."})
		}
		if op.Stateful == Stateful && op.UID == "" && op.UIDHash == nil && c.g.Format != FormatSQLPlan {
			c.add(Finding{Rule: "SP005", Operator: *newRef(op),
				Message: "stateful operator without an explicit uid: its ID is generated from the job's topology and changes with unrelated edits",
				Fix:     fmt.Sprintf("Set .uid(...) on it; to keep today's state, add .setUidHash(%q) as well.", op.ID.String())})
		}
		if c.matched[op] || c.renamed[op] || op.Conditional || op.Stateful != Stateful {
			continue
		}
		f := Finding{Rule: "SP004", Operator: *newRef(op),
			Message: "stateful operator with no state in the savepoint: it starts empty",
			Fix:     "Nothing to do if the operator is new. If it replaces an operator of the savepoint, give it that operator's uid."}
		if op.Source {
			f.Severity = Warning
			f.Message = "source with no state in the savepoint: it starts from its configured start position, not from where the old job stopped"
			f.Fix = "If this source replaces one of the savepoint's, give it that source's uid; otherwise check its start position (e.g. a Kafka source's OffsetsInitializer)."
		}
		c.add(f)
	}
}

func (c *checker) finish() {
	rep := c.rep
	sort.SliceStable(rep.Findings, func(i, j int) bool {
		a, b := rep.Findings[i], rep.Findings[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Operator.ID < b.Operator.ID
	})
	lossy := false
	for _, f := range rep.Findings {
		switch f.Severity {
		case Error:
			rep.Summary.Errors++
		case Unknown:
			rep.Summary.Unknown++
		case Warning:
			rep.Summary.Warnings++
			if f.Rule == "SP001" || f.Rule == "SP020" {
				lossy = true
			}
		case Info:
			rep.Summary.Infos++
		}
	}
	for _, mp := range rep.Operators {
		if mp.Fate == "restored" {
			rep.Summary.Restored++
		}
	}
	switch {
	case rep.Summary.Errors > 0:
		rep.Verdict = Incompatible
	case rep.Summary.Unknown > 0:
		rep.Verdict = VerdictUnknown
	case lossy:
		rep.Verdict = CompatibleWithStateLoss
	default:
		rep.Verdict = Compatible
	}
}

// olderThan reports whether version v ("1.12", "1.19.1") is known and
// below major.minor.
func olderThan(v string, major, minor int) bool {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false
	}
	a, err1 := strconv.Atoi(parts[0])
	b, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return a < major || (a == major && b < minor)
}

func bytesText(n int64) string {
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
