package metadata

import "fmt"

// HandleTag is the one-byte discriminator written before each state handle
// (MetadataV2V3SerializerBase). Stream, keyed and operator handles use three
// separate tag spaces that share numbers.
type HandleTag byte

// Handle tags, named after the Java classes they stand for.
const (
	TagNull                         HandleTag = 0
	TagByteStreamHandle             HandleTag = 1
	TagFileHandle                   HandleTag = 2
	TagKeyGroupsHandle              HandleTag = 3
	TagOperatorStreamHandle         HandleTag = 4
	TagIncrementalKeyGroupsHandle   HandleTag = 5
	TagRelativeFileHandle           HandleTag = 6
	TagSavepointKeyGroupsHandle     HandleTag = 7
	TagChangelogBackendHandle       HandleTag = 8
	TagInMemoryChangelogHandle      HandleTag = 9
	TagChangelogStreamHandle        HandleTag = 10
	TagIncrementalKeyGroupsHandleV2 HandleTag = 11
	TagKeyGroupsHandleV2            HandleTag = 12
	TagChangelogStreamHandleV2      HandleTag = 13
	TagChangelogBackendHandleV2     HandleTag = 14
	TagSegmentFileHandle            HandleTag = 15
	TagEmptySegmentFileHandle       HandleTag = 16
	TagFileMergingOperatorHandle    HandleTag = 17
)

var tagNames = [...]string{
	"null", "ByteStreamStateHandle", "FileStateHandle", "KeyGroupsStateHandle",
	"OperatorStreamStateHandle", "IncrementalRemoteKeyedStateHandle", "RelativeFileStateHandle",
	"KeyGroupsSavepointStateHandle", "ChangelogStateBackendHandle", "InMemoryChangelogStateHandle",
	"ChangelogStateHandleStreamImpl", "IncrementalRemoteKeyedStateHandle(v2)", "KeyGroupsStateHandle(v2)",
	"ChangelogStateHandleStreamImpl(v2)", "ChangelogStateBackendHandle(v2)", "SegmentFileStateHandle",
	"EmptySegmentFileStateHandle", "FileMergingOperatorStreamStateHandle",
}

func (t HandleTag) String() string {
	if int(t) < len(tagNames) {
		return tagNames[t]
	}
	return fmt.Sprintf("HandleTag(%d)", byte(t))
}

// StateHandle is implemented by every decoded handle.
type StateHandle interface {
	// Tag is the tag the handle is written with.
	Tag() HandleTag
	// StateSize is the size Flink reports for the handle (getStateSize).
	StateSize() int64
}

// StreamHandle is a handle to a stream of bytes (StreamStateHandle).
// Implemented by *ByteStreamHandle, *FileHandle, *RelativeFileHandle,
// *KeyGroupsHandle (tag 3 only), *SegmentFileHandle and
// *EmptySegmentFileHandle.
type StreamHandle interface {
	StateHandle
	isStream()
}

// KeyedStateHandle is a handle to keyed state. Implemented by
// *KeyGroupsHandle, *IncrementalKeyedHandle, *ChangelogBackendHandle,
// *InMemoryChangelogHandle and *ChangelogStreamHandle.
type KeyedStateHandle interface {
	StateHandle
	KeyGroups() KeyGroupRange
	isKeyed()
}

// KeyGroupRange is the inclusive range [Start, Start+Count-1]; Count 0 is
// the empty range.
type KeyGroupRange struct {
	Start int32
	Count int32
}

func (r KeyGroupRange) String() string {
	if r.Count == 0 {
		return "[]"
	}
	return fmt.Sprintf("[%d, %d]", r.Start, r.Start+r.Count-1)
}

// ByteStreamHandle holds its bytes inline in the metadata (tag 1).
type ByteStreamHandle struct {
	Name string // the file name the bytes would have had
	Data []byte
}

// FileHandle is a file at an absolute path (tag 2).
type FileHandle struct {
	Path string
	Size int64
}

// RelativeFileHandle is a file relative to the directory holding _metadata
// (tag 6).
type RelativeFileHandle struct {
	RelativePath string
	Size         int64
}

// SegmentFileHandle is a byte range of a shared physical file (tag 15,
// file merging).
type SegmentFileHandle struct {
	StartPos      int64
	Size          int64
	Scope         int32 // 0 exclusive, 1 shared
	PhysicalPath  string
	LogicalFileID string
}

// EmptySegmentFileHandle is the placeholder for an empty segment (tag 16).
type EmptySegmentFileHandle struct{}

// KeyGroupsHandle is a stream of key groups with the offset of each (tags
// 3, 7 and 12). Tag 3 also occurs as a stream handle inside shared state.
type KeyGroupsHandle struct {
	Tag_     HandleTag // TagKeyGroupsHandle, TagSavepointKeyGroupsHandle or TagKeyGroupsHandleV2
	Range    KeyGroupRange
	Offsets  []int64
	Delegate StreamHandle // nil if Flink wrote a null delegate
	HandleID string       // tag 12 only
}

// NamedHandle is a file of a RocksDB instance and where it is stored.
type NamedHandle struct {
	LocalPath string
	Handle    StreamHandle
}

// IncrementalKeyedHandle is a RocksDB/ForSt incremental snapshot (tags 5
// and 11).
type IncrementalKeyedHandle struct {
	V2               bool // tag 11
	CheckpointID     int64
	BackendID        string
	Range            KeyGroupRange
	CheckpointedSize int64 // tag 11 only
	MetaData         StreamHandle
	Shared           []NamedHandle
	Private          []NamedHandle
	HandleID         string // tag 11 only
}

// ChangelogBackendHandle is the changelog state backend's handle (tags 8
// and 14): materialized base state plus non-materialized changes.
type ChangelogBackendHandle struct {
	V2                bool // tag 14
	Range             KeyGroupRange
	CheckpointedSize  int64
	Materialized      []KeyedStateHandle
	NonMaterialized   []KeyedStateHandle
	MaterializationID int64
	CheckpointID      int64 // tag 14 only
	HandleID          string
}

// Change is one inline change of an InMemoryChangelogHandle.
type Change struct {
	KeyGroup int32 // -1: metadata change
	Data     []byte
}

// InMemoryChangelogHandle holds changelog changes inline (tag 9).
type InMemoryChangelogHandle struct {
	Range   KeyGroupRange
	From    int64
	To      int64
	Changes []Change
	// HandleID is empty in the Flink 1.14 layout.
	HandleID string
}

// OffsetHandle is a stream handle and the offset inside it.
type OffsetHandle struct {
	Offset int64
	Handle StreamHandle
}

// ChangelogStreamHandle references changelog files (DSTL) (tags 10, 13).
type ChangelogStreamHandle struct {
	V2               bool // tag 13
	Range            KeyGroupRange
	Handles          []OffsetHandle
	Size             int64
	CheckpointedSize int64
	HandleID         string
	StorageID        string // tag 13 only; tag 10 means "filesystem"
}

// DistributionMode is how operator state is redistributed on restore
// (OperatorStateHandle.Mode).
type DistributionMode int8

const (
	SplitDistribute DistributionMode = 0
	Union           DistributionMode = 1
	Broadcast       DistributionMode = 2
)

func (m DistributionMode) String() string {
	switch m {
	case SplitDistribute:
		return "SPLIT_DISTRIBUTE"
	case Union:
		return "UNION"
	case Broadcast:
		return "BROADCAST"
	}
	return fmt.Sprintf("Mode(%d)", int8(m))
}

// OperatorStateEntry is one named operator state inside an operator handle.
type OperatorStateEntry struct {
	Name    string
	Mode    DistributionMode
	Offsets []int64
}

// OperatorStreamHandle is operator (non-keyed) state (tags 4 and 17).
type OperatorStreamHandle struct {
	// States keeps the order of the file (a Java HashMap's order).
	States   []OperatorStateEntry
	Delegate StreamHandle
	// FileMerging is set for tag 17, with the fields below.
	FileMerging  bool
	TaskOwnedDir string
	SharedDir    string
	Empty        bool
}

// ChannelKind tells input-channel from result-subpartition state.
type ChannelKind int8

const (
	InputChannel       ChannelKind = 1
	ResultSubpartition ChannelKind = 2
)

// ChannelOffsets are the buffers of one channel inside a merged handle.
type ChannelOffsets struct {
	A, B    int32
	Size    int64
	Offsets []int64
}

// ChannelHandle is in-flight data of an unaligned checkpoint: an
// InputChannelStateHandle or ResultSubpartitionStateHandle, or (version 6+)
// their merged variants.
type ChannelHandle struct {
	Kind    ChannelKind
	Merged  bool // version 6+ merged handle
	Subtask int32
	// A and B are gate and channel index (input) or partition and
	// subpartition index (output); unset for merged handles.
	A, B     int32
	Offsets  []int64
	Size     int64
	Delegate StreamHandle
	// Channels lists the channels of a merged handle.
	Channels []ChannelOffsets
}

func (*ByteStreamHandle) Tag() HandleTag       { return TagByteStreamHandle }
func (*FileHandle) Tag() HandleTag             { return TagFileHandle }
func (*RelativeFileHandle) Tag() HandleTag     { return TagRelativeFileHandle }
func (*SegmentFileHandle) Tag() HandleTag      { return TagSegmentFileHandle }
func (*EmptySegmentFileHandle) Tag() HandleTag { return TagEmptySegmentFileHandle }
func (h *KeyGroupsHandle) Tag() HandleTag      { return h.Tag_ }
func (h *IncrementalKeyedHandle) Tag() HandleTag {
	if h.V2 {
		return TagIncrementalKeyGroupsHandleV2
	}
	return TagIncrementalKeyGroupsHandle
}
func (h *ChangelogBackendHandle) Tag() HandleTag {
	if h.V2 {
		return TagChangelogBackendHandleV2
	}
	return TagChangelogBackendHandle
}
func (*InMemoryChangelogHandle) Tag() HandleTag { return TagInMemoryChangelogHandle }
func (h *ChangelogStreamHandle) Tag() HandleTag {
	if h.V2 {
		return TagChangelogStreamHandleV2
	}
	return TagChangelogStreamHandle
}
func (h *OperatorStreamHandle) Tag() HandleTag {
	if h.FileMerging {
		return TagFileMergingOperatorHandle
	}
	return TagOperatorStreamHandle
}

// Tag of a channel handle is not a handle tag; channel handles have their
// own encoding. It returns TagNull.
func (*ChannelHandle) Tag() HandleTag { return TagNull }

func (h *ByteStreamHandle) StateSize() int64     { return int64(len(h.Data)) }
func (h *FileHandle) StateSize() int64           { return h.Size }
func (h *RelativeFileHandle) StateSize() int64   { return h.Size }
func (h *SegmentFileHandle) StateSize() int64    { return h.Size }
func (*EmptySegmentFileHandle) StateSize() int64 { return 0 }
func (h *KeyGroupsHandle) StateSize() int64      { return sizeOf(h.Delegate) }
func (h *IncrementalKeyedHandle) StateSize() int64 {
	n := sizeOf(h.MetaData)
	for _, s := range h.Shared {
		n += sizeOf(s.Handle)
	}
	for _, s := range h.Private {
		n += sizeOf(s.Handle)
	}
	return n
}
func (h *ChangelogBackendHandle) StateSize() int64 {
	var n int64
	for _, k := range h.Materialized {
		n += sizeOf(k)
	}
	for _, k := range h.NonMaterialized {
		n += sizeOf(k)
	}
	return n
}
func (h *InMemoryChangelogHandle) StateSize() int64 {
	var n int64
	for _, c := range h.Changes {
		n += int64(len(c.Data))
	}
	return n
}
func (h *ChangelogStreamHandle) StateSize() int64 { return h.Size }
func (h *OperatorStreamHandle) StateSize() int64  { return sizeOf(h.Delegate) }
func (h *ChannelHandle) StateSize() int64         { return h.Size }

func (*ByteStreamHandle) isStream()       {}
func (*FileHandle) isStream()             {}
func (*RelativeFileHandle) isStream()     {}
func (*SegmentFileHandle) isStream()      {}
func (*EmptySegmentFileHandle) isStream() {}
func (*KeyGroupsHandle) isStream()        {}

func (*KeyGroupsHandle) isKeyed()         {}
func (*IncrementalKeyedHandle) isKeyed()  {}
func (*ChangelogBackendHandle) isKeyed()  {}
func (*InMemoryChangelogHandle) isKeyed() {}
func (*ChangelogStreamHandle) isKeyed()   {}

func (h *KeyGroupsHandle) KeyGroups() KeyGroupRange         { return h.Range }
func (h *IncrementalKeyedHandle) KeyGroups() KeyGroupRange  { return h.Range }
func (h *ChangelogBackendHandle) KeyGroups() KeyGroupRange  { return h.Range }
func (h *InMemoryChangelogHandle) KeyGroups() KeyGroupRange { return h.Range }
func (h *ChangelogStreamHandle) KeyGroups() KeyGroupRange   { return h.Range }
