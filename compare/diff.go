package compare

import (
	"sort"
	"strconv"
	"strings"

	"github.com/spcheck/spcheck/metadata"
)

// DiffSchema names the version of the Diff JSON layout.
const DiffSchema = "spcheck/diff/v1"

// A Diff compares two savepoints or checkpoints of one job: which
// operators came and went, which were rescaled, and how their state
// changed.
type Diff struct {
	Schema string      `json:"schema"`
	A      SnapshotRef `json:"a"`
	B      SnapshotRef `json:"b"`
	// Operators lists every operator of A (in A's order), then those only
	// in B (in B's order).
	Operators []OperatorDiff `json:"operators"`
	Summary   DiffSummary    `json:"summary"`
}

// SnapshotRef names one side of a Diff.
type SnapshotRef struct {
	Location      string `json:"location"`
	FormatVersion int32  `json:"format_version"`
	CheckpointID  int64  `json:"checkpoint_id"`
	Kind          string `json:"kind"`
	StateSize     int64  `json:"state_size"`
}

// OperatorDiff is one operator's change. Change is "added", "removed",
// "changed" or "unchanged".
type OperatorDiff struct {
	ID     string `json:"id"`
	UID    string `json:"uid,omitempty"`
	Name   string `json:"name,omitempty"`
	Change string `json:"change"`
	// Parallelism and MaxParallelism are [A, B]; 0 on the side where the
	// operator is absent.
	Parallelism    [2]int32 `json:"parallelism"`
	MaxParallelism [2]int32 `json:"max_parallelism"`
	StateSize      [2]int64 `json:"state_size"`
	// States are the kinds of state on each side, e.g. "keyed",
	// "operator:buffer (UNION)", "coordinator", "in-flight data".
	StatesAdded   []string `json:"states_added,omitempty"`
	StatesRemoved []string `json:"states_removed,omitempty"`
	// Notes say what changed in words.
	Notes []string `json:"notes,omitempty"`
}

// Differ says whether the two snapshots differ: an operator added,
// removed or changed (the state sizes aside, which differ between any two
// checkpoints of a running job).
func (d *Diff) Differ() bool { return d.Summary.Added+d.Summary.Removed+d.Summary.Changed > 0 }

// DiffSummary counts the changes.
type DiffSummary struct {
	Added     int `json:"added"`
	Removed   int `json:"removed"`
	Rescaled  int `json:"rescaled"`
	Changed   int `json:"changed"`
	Unchanged int `json:"unchanged"`
}

// Compare diffs two snapshots a and b (a the older one, usually).
func Compare(a *metadata.Metadata, aLoc string, b *metadata.Metadata, bLoc string) *Diff {
	return CompareWithUIDs(a, aLoc, b, bLoc, nil)
}

// CompareWithUIDs is Compare naming operators without a stored uid from
// uids (diff --uids).
func CompareWithUIDs(a *metadata.Metadata, aLoc string, b *metadata.Metadata, bLoc string, uids map[metadata.OperatorID]string) *Diff {
	d := &Diff{Schema: DiffSchema, A: snapshotRef(a, aLoc), B: snapshotRef(b, bLoc), Operators: []OperatorDiff{}}
	inB := map[metadata.OperatorID]*metadata.OperatorState{}
	for i := range b.Operators {
		inB[b.Operators[i].ID] = &b.Operators[i]
	}
	seen := map[metadata.OperatorID]bool{}
	for i := range a.Operators {
		oa := &a.Operators[i]
		seen[oa.ID] = true
		d.Operators = append(d.Operators, diffOperator(oa, inB[oa.ID]))
	}
	for i := range b.Operators {
		if ob := &b.Operators[i]; !seen[ob.ID] {
			d.Operators = append(d.Operators, diffOperator(nil, ob))
		}
	}
	for i := range d.Operators {
		o := &d.Operators[i]
		if o.UID == "" {
			if id, err := metadata.ParseOperatorID(o.ID); err == nil && uids[id] != "" {
				o.UID = uids[id]
			}
		}
		switch o.Change {
		case "added":
			d.Summary.Added++
		case "removed":
			d.Summary.Removed++
		case "changed":
			d.Summary.Changed++
		default:
			d.Summary.Unchanged++
		}
		if o.Change == "changed" && o.Parallelism[0] != o.Parallelism[1] {
			d.Summary.Rescaled++
		}
	}
	return d
}

func snapshotRef(m *metadata.Metadata, loc string) SnapshotRef {
	r := SnapshotRef{Location: loc, FormatVersion: m.Version, CheckpointID: m.CheckpointID, Kind: m.Kind().Label}
	for i := range m.Operators {
		r.StateSize += m.Operators[i].StateSize()
	}
	return r
}

// stateKinds lists what an operator holds, as diff compares it, in the
// words of inspect's STATE column: keyed (keyed (raw)), operator: NAME
// with its distribution mode when not the default split (union,
// broadcast) and raw, coordinator, in-flight data.
func stateKinds(op *metadata.OperatorState) map[string]bool {
	out := map[string]bool{}
	if op == nil {
		return out
	}
	s := metadata.Summarize(op)
	if s.KeyedManaged {
		out["keyed"] = true
	}
	if s.KeyedRaw {
		out["keyed (raw)"] = true
	}
	for _, n := range s.OperatorStates {
		k := "operator: " + quoteName(n.Name)
		var notes []string
		if n.Mode != metadata.SplitDistribute {
			notes = append(notes, strings.ToLower(n.Mode.String()))
		}
		if n.Raw {
			notes = append(notes, "raw")
		}
		if len(notes) > 0 {
			k += " (" + strings.Join(notes, ", ") + ")"
		}
		out[k] = true
	}
	if s.Coordinator {
		out["coordinator"] = true
	}
	if s.InFlight {
		out["in-flight data"] = true
	}
	return out
}

// quoteName quotes a state name when it has spaces or is empty, as
// inspect does.
func quoteName(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\"") {
		return strconv.Quote(s)
	}
	return s
}

func diffOperator(a, b *metadata.OperatorState) OperatorDiff {
	var d OperatorDiff
	ref := a
	if ref == nil {
		ref = b
	}
	d.ID = ref.ID.String()
	d.UID, d.Name = ref.UID, ref.Name
	if d.UID == "" && b != nil {
		d.UID = b.UID
	}
	if d.Name == "" && b != nil {
		d.Name = b.Name
	}
	if a != nil {
		d.Parallelism[0], d.MaxParallelism[0], d.StateSize[0] = a.Parallelism, a.MaxParallelism, a.StateSize()
	}
	if b != nil {
		d.Parallelism[1], d.MaxParallelism[1], d.StateSize[1] = b.Parallelism, b.MaxParallelism, b.StateSize()
	}
	switch {
	case a == nil:
		d.Change = "added"
	case b == nil:
		d.Change = "removed"
	}
	ka, kb := stateKinds(a), stateKinds(b)
	for k := range kb {
		if !ka[k] {
			d.StatesAdded = append(d.StatesAdded, k)
		}
	}
	for k := range ka {
		if !kb[k] {
			d.StatesRemoved = append(d.StatesRemoved, k)
		}
	}
	sort.Strings(d.StatesAdded)
	sort.Strings(d.StatesRemoved)
	if d.Change != "" {
		return d
	}
	if d.Parallelism[0] != d.Parallelism[1] {
		d.Notes = append(d.Notes, "rescaled")
	}
	if d.MaxParallelism[0] != d.MaxParallelism[1] {
		d.Notes = append(d.Notes, "max parallelism changed")
	}
	if len(d.StatesAdded)+len(d.StatesRemoved) > 0 {
		d.Notes = append(d.Notes, "state kinds changed")
	}
	if a.UID != b.UID && a.UID != "" && b.UID != "" {
		d.Notes = append(d.Notes, "uid changed (same ID: a uid hash keeps it)")
	}
	d.Change = "unchanged"
	if len(d.Notes) > 0 {
		d.Change = "changed"
	}
	return d
}
