package savepoint

import (
	"context"
	"errors"

	"github.com/spcheck/spcheck/metadata"
)

// DescriptionSchema names the version of the Description JSON layout. It
// changes only when a field is removed or changes meaning.
const DescriptionSchema = "spcheck/inspect/v1"

// A Description is what inspect shows of a savepoint; its JSON form is the
// documented output of 'spcheck inspect -o json' (docs/schema/inspect-v1.json).
type Description struct {
	Schema        string            `json:"schema"`
	Location      string            `json:"location"`
	MetadataFile  string            `json:"metadata_file"`
	Picked        string            `json:"picked,omitempty"`
	MetadataSize  int64             `json:"metadata_size"`
	FormatVersion int32             `json:"format_version"`
	WrittenBy     string            `json:"written_by"`
	Quirks        []string          `json:"layout_quirks,omitempty"`
	CheckpointID  int64             `json:"checkpoint_id"`
	Kind          KindDescription   `json:"kind"`
	MasterStates  []MasterStateDesc `json:"master_states"`
	Operators     []OperatorDesc    `json:"operators"`
	Totals        Totals            `json:"totals"`
	// Files is set when files were asked for.
	Files []FileDesc `json:"files,omitempty"`
	// Deep is set with DescribeOptions.Deep: the cost of reading the
	// state-file headers, and what could not be read.
	Deep *DeepDesc `json:"deep,omitempty"`
}

// KindDescription says checkpoint or savepoint.
type KindDescription struct {
	Savepoint bool   `json:"savepoint"`
	Format    string `json:"format,omitempty"`
	// Recorded is false for versions that do not record the kind; the
	// rest is then a guess from the handles.
	Recorded bool   `json:"recorded"`
	Label    string `json:"label"`
	// Type, PostCheckpointAction and SharingFilesStrategy come from the
	// version 4+ properties.
	Type                 string `json:"type,omitempty"`
	PostCheckpointAction string `json:"post_checkpoint_action,omitempty"`
	SharingFilesStrategy string `json:"sharing_files_strategy,omitempty"`
	Forced               *bool  `json:"forced,omitempty"`
}

// MasterStateDesc describes a master hook's state.
type MasterStateDesc struct {
	Name    string `json:"name"`
	Version int32  `json:"version"`
	Size    int    `json:"size"`
}

// OperatorDesc describes one operator.
type OperatorDesc struct {
	ID   string `json:"id"`
	UID  string `json:"uid,omitempty"`
	Name string `json:"name,omitempty"`
	// UIDFromList is the uid whose hash is ID, found in a --uids list.
	UIDFromList       string           `json:"uid_from_list,omitempty"`
	Parallelism       int32            `json:"parallelism"`
	MaxParallelism    int32            `json:"max_parallelism"`
	HasState          bool             `json:"has_state"`
	FullyFinished     bool             `json:"fully_finished"`
	KeyedState        *KeyedDesc       `json:"keyed_state,omitempty"`
	OperatorStates    []OpStateDesc    `json:"operator_states"`
	CoordinatorState  *CoordinatorDesc `json:"coordinator_state,omitempty"`
	InFlightData      bool             `json:"in_flight_data"`
	Subtasks          int              `json:"subtasks"`
	SubtasksWithState int              `json:"subtasks_with_state"`
	FinishedSubtasks  int              `json:"finished_subtasks"`
	StateSize         int64            `json:"state_size"`
	InlineSize        int64            `json:"inline_size"`
	Files             int              `json:"files"`
	// GraphOperator is the operator of --graph with this ID; nil when no
	// graph was given or none matches (then InGraph is false).
	GraphOperator *GraphOperatorDesc `json:"graph_operator,omitempty"`
	InGraph       *bool              `json:"in_graph,omitempty"`
	// States are the states the state-file headers name (Deep only).
	States *StatesDesc `json:"states,omitempty"`
}

// GraphOperatorDesc names the job-graph operator a savepoint operator
// belongs to.
type GraphOperatorDesc struct {
	Node string `json:"node"`
	UID  string `json:"uid,omitempty"`
	Name string `json:"name,omitempty"`
	// AutoID says the graph has no uid for it: the ID is generated from
	// the topology.
	AutoID bool `json:"auto_id"`
}

// KeyedDesc describes keyed state.
type KeyedDesc struct {
	Managed     bool     `json:"managed"`
	Raw         bool     `json:"raw"`
	HandleTypes []string `json:"handle_types"`
}

// OpStateDesc is a named operator (non-keyed) state.
type OpStateDesc struct {
	Name string `json:"name"`
	Mode string `json:"mode"`
	Raw  bool   `json:"raw"`
}

// CoordinatorDesc describes an operator coordinator's state.
type CoordinatorDesc struct {
	Size int64 `json:"size"`
}

// Totals sum up the savepoint.
type Totals struct {
	Operators          int   `json:"operators"`
	OperatorsWithState int   `json:"operators_with_state"`
	StateSize          int64 `json:"state_size"`
	InlineSize         int64 `json:"inline_size"`
	Files              int   `json:"files"`
	MissingFiles       *int  `json:"missing_files,omitempty"`
}

// FileDesc is a referenced file.
type FileDesc struct {
	Path     string `json:"path"`
	Relative bool   `json:"relative"`
	Resolved string `json:"resolved"`
	Size     int64  `json:"size"`
	// Status is "present", "missing", "not checked" (another store),
	// OutsideStatus (outside the read roots, not read) or
	// "error: …".
	Status string `json:"status"`
}

// DescribeOptions select what Describe adds.
type DescribeOptions struct {
	// CheckFiles looks up every referenced file.
	CheckFiles bool
	// UIDs maps operator IDs to uids from a user's list.
	UIDs map[metadata.OperatorID]string
	// Graph maps operator IDs to the operators of a job graph; non-nil
	// when a graph was given.
	Graph map[metadata.OperatorID]GraphOperatorDesc
	// Deep reads the state-file headers for state names, kinds and types.
	Deep bool
	// Progress is passed to ReadStates with Deep.
	Progress func(done, total int)
}

// Describe summarises sp. It fails only when ctx is done during a deep
// read; files it cannot read are listed, not errors.
func Describe(ctx context.Context, sp *Savepoint, opts DescribeOptions) (*Description, error) {
	m := sp.Metadata
	d := &Description{
		Schema: DescriptionSchema, Location: sp.Location, MetadataFile: Redact(sp.URL), Picked: sp.Picked,
		MetadataSize: sp.Size, FormatVersion: m.Version, WrittenBy: metadata.FlinkReleases[m.Version],
		CheckpointID: m.CheckpointID, MasterStates: []MasterStateDesc{}, Operators: []OperatorDesc{},
	}
	for _, q := range m.Quirks {
		d.Quirks = append(d.Quirks, string(q))
	}
	k := m.Kind()
	d.Kind = KindDescription{Savepoint: k.Savepoint, Format: k.Format, Recorded: k.Known, Label: k.Label}
	if p := m.Properties; p != nil {
		d.Kind.Type = p.TypeName
		d.Kind.PostCheckpointAction = p.PostCheckpointAction
		d.Kind.SharingFilesStrategy = p.SharingFilesStrategy
		forced := p.Forced
		d.Kind.Forced = &forced
	}
	for _, ms := range m.MasterStates {
		d.MasterStates = append(d.MasterStates, MasterStateDesc{Name: ms.Name, Version: ms.Version, Size: len(ms.Payload)})
	}
	for i := range m.Operators {
		op := &m.Operators[i]
		s := metadata.Summarize(op)
		od := OperatorDesc{
			ID: op.ID.String(), UID: op.UID, Name: op.Name, UIDFromList: opts.UIDs[op.ID],
			Parallelism: op.Parallelism, MaxParallelism: op.MaxParallelism, HasState: op.HasState(),
			FullyFinished: op.FullyFinished, OperatorStates: []OpStateDesc{}, InFlightData: s.InFlight,
			Subtasks: op.NumSubtasks(), SubtasksWithState: s.SubtasksWithState, FinishedSubtasks: s.FinishedSubtasks,
			StateSize: s.Size, InlineSize: s.InlineSize, Files: metadata.FileCount(op),
		}
		if s.KeyedManaged || s.KeyedRaw {
			od.KeyedState = &KeyedDesc{Managed: s.KeyedManaged, Raw: s.KeyedRaw, HandleTypes: s.KeyedHandleKinds}
		}
		for _, n := range s.OperatorStates {
			od.OperatorStates = append(od.OperatorStates, OpStateDesc{Name: n.Name, Mode: n.Mode.String(), Raw: n.Raw})
		}
		if op.CoordinatorState != nil {
			od.CoordinatorState = &CoordinatorDesc{Size: op.CoordinatorState.StateSize()}
		}
		if opts.Graph != nil {
			g, ok := opts.Graph[op.ID]
			od.InGraph = &ok
			if ok {
				od.GraphOperator = &g
			}
		}
		d.Operators = append(d.Operators, od)
		d.Totals.Operators++
		if od.HasState {
			d.Totals.OperatorsWithState++
		}
		d.Totals.StateSize += s.Size
		d.Totals.InlineSize += s.InlineSize
	}
	if (opts.CheckFiles || opts.Deep) && m.Summarized() {
		return nil, errors.New("savepoint: file lists and deep reads need the state handles: open the savepoint with Open, not OpenSummaries")
	}
	d.Totals.Files = m.FileCount()
	if opts.CheckFiles {
		refs := sp.AllFiles()
		missing := 0
		for _, st := range sp.CheckFiles(ctx, refs) {
			fd := FileDesc{Path: st.Ref.Path, Relative: st.Ref.Relative, Resolved: st.Path, Size: st.Ref.Size}
			if st.Checked {
				fd.Resolved = sp.Display(st.Path)
			}
			switch {
			case st.Outside:
				fd.Status = OutsideStatus
			case !st.Checked:
				fd.Status = "not checked"
			case st.Err != nil:
				fd.Status = "error: " + RedactText(st.Err.Error())
			case st.Exists:
				fd.Status = "present"
			default:
				fd.Status = "missing"
				missing++
			}
			d.Files = append(d.Files, fd)
		}
		d.Totals.MissingFiles = &missing
	}
	if opts.Deep {
		if err := addDeep(ctx, sp, d, opts); err != nil {
			return nil, err
		}
	}
	return d, nil
}
