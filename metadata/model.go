package metadata

import (
	"encoding/hex"
	"fmt"
)

// Magic starts every metadata file (Checkpoints.HEADER_MAGIC_NUMBER).
const Magic uint32 = 0x4960672d

// Versions this package reads and writes.
const (
	MinVersion = 1
	MaxVersion = 7
)

// FlinkReleases names the Flink releases that write each metadata version.
var FlinkReleases = map[int32]string{
	1: "Flink 1.2",
	2: "Flink 1.3 – 1.10",
	3: "Flink 1.11 – 1.15",
	4: "Flink 1.16 – 1.20",
	5: "Flink 2.0",
	6: "Flink 2.1 or later (channel state v2)",
	7: "Flink after 2.3 (regional checkpoints)",
}

// OperatorID is the 16-byte ID of an operator (AbstractID). Bytes 0–7 are
// the lower part and bytes 8–15 the upper part, both big-endian, which is
// both the order Flink writes them in and the order AbstractID.toString
// prints them in. In version 1 files the ID is a JobVertexID.
type OperatorID [16]byte

// String returns the 32 lowercase hex digits Flink prints.
func (id OperatorID) String() string { return hex.EncodeToString(id[:]) }

// ParseOperatorID parses 32 hex digits.
func ParseOperatorID(s string) (OperatorID, error) {
	var id OperatorID
	if len(s) != 32 {
		return id, fmt.Errorf("metadata: operator ID %q: want 32 hex digits, have %d characters", s, len(s))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("metadata: operator ID %q: not hex", s)
	}
	return id, nil
}

// Metadata is the decoded content of a _metadata file (CheckpointMetadata).
type Metadata struct {
	Version      int32
	CheckpointID int64
	MasterStates []MasterState
	Operators    []OperatorState

	// Properties is the decoded CheckpointProperties trailer (version 4 and
	// later); nil when the file has none or the trailer is a Java null.
	Properties *CheckpointProperties
	// PropertiesRaw holds the Java-serialized trailer exactly as stored
	// (version 4 and later), so that re-encoding is byte-identical.
	PropertiesRaw []byte

	// Quirks lists the undocumented layout variants the file was written in
	// (see Quirk constants); empty for files in the layout of their version.
	Quirks []Quirk

	// summary is set by DecodeSummaries: what the dropped handles said.
	summary *metaSummary
}

// A Quirk names a layout that changed inside a metadata version without a
// version bump.
type Quirk string

const (
	// QuirkNoChannelSubtaskIndex: Flink 1.11 wrote channel-state handles
	// without the subtask index added in 1.12 (FLINK-19533).
	QuirkNoChannelSubtaskIndex Quirk = "channel_no_subtask_index"
	// QuirkChangelog114: Flink 1.14 wrote changelog handles (tags 8, 9, 10)
	// without the fields added in 1.15.
	QuirkChangelog114 Quirk = "changelog_1_14"
)

// MasterState is the state of a MasterTriggerRestoreHook.
type MasterState struct {
	Name    string
	Version int32
	Payload []byte
}

// OperatorState is the state of one operator across its subtasks. In
// version 1 files it is the state of a whole task (job vertex).
type OperatorState struct {
	Name string // version 5+; empty when not set
	UID  string // version 5+; empty when not set

	ID             OperatorID
	Parallelism    int32
	MaxParallelism int32
	// ChainLength is written by versions 1 and 2 only (always 1 in version 2).
	ChainLength int32

	// CoordinatorState is the OperatorCoordinator checkpoint (version 3+),
	// nil when there is none. Flink only writes inline (ByteStreamHandle)
	// coordinator state.
	CoordinatorState StreamHandle
	// FullyFinished marks an operator all of whose subtasks had finished
	// (version 3+, Flink 1.14+); it then has no subtask states.
	FullyFinished bool

	// Subtasks are the subtask states; nil for an operator DecodeSummaries
	// read (Summarized), which keeps only their summary.
	Subtasks []SubtaskState

	// summary is set by DecodeSummaries in place of Subtasks.
	summary *opSummary
}

// Summarized reports whether DecodeSummaries read op: its subtask states
// were summarized and dropped, and Subtasks is nil. Summarize, HasState,
// StateSize, NumSubtasks and FileCount still answer for them.
func (o *OperatorState) Summarized() bool { return o.summary != nil }

// NumSubtasks is the number of subtask states the operator has (finished
// ones included).
func (o *OperatorState) NumSubtasks() int {
	if o.summary != nil {
		return o.summary.subtasks
	}
	return len(o.Subtasks)
}

// SubtaskState is the state of one parallel subtask (OperatorSubtaskState).
type SubtaskState struct {
	Index int32
	// Finished marks a subtask that had finished (version 3+); it has no
	// state.
	Finished bool
	// Duration is written by versions 1 and 2 (always -1 in practice).
	Duration int64
	// LegacyState is version 1's non-partitionable operator state, one
	// handle per chained operator (entries may be nil).
	LegacyState []StreamHandle

	// ManagedOperatorState and RawOperatorState hold at most one handle in
	// versions 2+ (one per chained operator in version 1). An entry may be
	// nil when Flink wrote a present-but-null handle.
	ManagedOperatorState []*OperatorStreamHandle
	RawOperatorState     []*OperatorStreamHandle
	ManagedKeyedState    KeyedStateHandle // nil: none
	RawKeyedState        KeyedStateHandle // nil: none

	InputChannelState       []*ChannelHandle // version 3+
	ResultSubpartitionState []*ChannelHandle // version 3+

	// RefCheckpointID is the checkpoint a regionally reused subtask state
	// came from (version 7); HasRefCheckpointID says whether it is set.
	HasRefCheckpointID bool
	RefCheckpointID    int64
}

// HasState reports whether the subtask holds any state, as
// OperatorSubtaskState.hasState does.
func (s *SubtaskState) HasState() bool {
	for _, h := range s.LegacyState {
		if h != nil {
			return true
		}
	}
	for _, h := range s.ManagedOperatorState {
		if h != nil {
			return true
		}
	}
	for _, h := range s.RawOperatorState {
		if h != nil {
			return true
		}
	}
	return s.ManagedKeyedState != nil || s.RawKeyedState != nil ||
		len(s.InputChannelState) > 0 || len(s.ResultSubpartitionState) > 0
}

// StateSize is the sum of the state sizes of the subtask's handles.
func (s *SubtaskState) StateSize() int64 {
	var n int64
	for _, h := range s.LegacyState {
		n += sizeOf(h)
	}
	for _, h := range s.ManagedOperatorState {
		if h != nil {
			n += h.StateSize()
		}
	}
	for _, h := range s.RawOperatorState {
		if h != nil {
			n += h.StateSize()
		}
	}
	n += sizeOf(s.ManagedKeyedState) + sizeOf(s.RawKeyedState)
	for _, h := range s.InputChannelState {
		n += h.StateSize()
	}
	for _, h := range s.ResultSubpartitionState {
		n += h.StateSize()
	}
	return n
}

// HasState reports whether Flink considers the operator stateful at
// restore: coordinator state, or any subtask with state
// (OperatorState.hasSubtaskStates || coordinatorState != null).
func (o *OperatorState) HasState() bool {
	if o.summary != nil {
		return o.CoordinatorState != nil || o.summary.SubtasksWithState > 0
	}
	if o.CoordinatorState != nil {
		return true
	}
	for i := range o.Subtasks {
		if o.Subtasks[i].HasState() {
			return true
		}
	}
	return false
}

// StateSize is the total state size of the operator, coordinator included.
func (o *OperatorState) StateSize() int64 {
	if o.summary != nil {
		return o.summary.Size
	}
	n := sizeOf(o.CoordinatorState)
	for i := range o.Subtasks {
		n += o.Subtasks[i].StateSize()
	}
	return n
}

func sizeOf(h StateHandle) int64 {
	if h == nil || isNilHandle(h) {
		return 0
	}
	return h.StateSize()
}

// isNilHandle reports whether h is a typed nil pointer.
func isNilHandle(h StateHandle) bool {
	switch v := h.(type) {
	case *ByteStreamHandle:
		return v == nil
	case *FileHandle:
		return v == nil
	case *RelativeFileHandle:
		return v == nil
	case *KeyGroupsHandle:
		return v == nil
	case *SegmentFileHandle:
		return v == nil
	case *IncrementalKeyedHandle:
		return v == nil
	case *ChangelogBackendHandle:
		return v == nil
	case *InMemoryChangelogHandle:
		return v == nil
	case *ChangelogStreamHandle:
		return v == nil
	case *OperatorStreamHandle:
		return v == nil
	case *ChannelHandle:
		return v == nil
	}
	return false
}

// CheckpointProperties is the decoded CheckpointProperties object that
// version 4+ files end with.
type CheckpointProperties struct {
	// Savepoint is true when the checkpoint type is a SavepointType.
	Savepoint bool
	// TypeName is the type's name: "Checkpoint", "Full Checkpoint",
	// "Savepoint", "Suspend Savepoint" or "Terminate Savepoint".
	TypeName string
	// FormatType is CANONICAL or NATIVE for savepoints, empty otherwise.
	FormatType string
	// PostCheckpointAction is NONE, SUSPEND or TERMINATE for savepoints.
	PostCheckpointAction string
	// SharingFilesStrategy is FORWARD_BACKWARD, FORWARD or NO_SHARING for
	// checkpoints.
	SharingFilesStrategy string

	Forced           bool
	Unclaimed        bool
	DiscardSubsumed  bool
	DiscardFinished  bool
	DiscardCancelled bool
	DiscardFailed    bool
	DiscardSuspended bool
}
