package metadata

import (
	"encoding/binary"
	"fmt"
	"unicode/utf16"
)

// Encode writes m in the layout of m.Version, as Flink's serializer for
// that version does (including any m.Quirks layout). It is the inverse of
// Decode: Encode(Decode(b)) == b for every file Flink wrote. The project
// uses it to write fixtures for versions the corpus lacks.
//
// Version 4+ files end with m.PropertiesRaw when it is set, else with the
// Java serialization of m.Properties.
func Encode(m *Metadata) ([]byte, error) {
	if m.Version < MinVersion || m.Version > MaxVersion {
		return nil, &UnsupportedVersionError{m.Version}
	}
	w := &writer{version: m.Version}
	for _, q := range m.Quirks {
		switch q {
		case QuirkNoChannelSubtaskIndex:
			w.noChannelSubtask = true
		case QuirkChangelog114:
			w.changelog114 = true
		default:
			return nil, fmt.Errorf("metadata: unknown quirk %q", q)
		}
	}
	w.u32(Magic)
	w.i32(m.Version)
	if m.Version == 1 {
		w.v1(m)
	} else {
		w.body(m)
	}
	if w.err != nil {
		return nil, w.err
	}
	return w.b, nil
}

type writer struct {
	b                []byte
	version          int32
	noChannelSubtask bool
	changelog114     bool
	err              error
}

func (w *writer) failf(format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf("metadata: encode: "+format, args...)
	}
}

func (w *writer) u8(v byte) { w.b = append(w.b, v) }
func (w *writer) bool(v bool) {
	if v {
		w.u8(1)
	} else {
		w.u8(0)
	}
}
func (w *writer) i32(v int32)  { w.b = binary.BigEndian.AppendUint32(w.b, uint32(v)) }
func (w *writer) u32(v uint32) { w.b = binary.BigEndian.AppendUint32(w.b, v) }
func (w *writer) i64(v int64)  { w.b = binary.BigEndian.AppendUint64(w.b, uint64(v)) }
func (w *writer) utf(s string) {
	n := mutf8Len(s)
	if n > 0xffff {
		w.failf("string of %d encoded bytes is longer than writeUTF allows", n)
		return
	}
	w.b = binary.BigEndian.AppendUint16(w.b, uint16(n))
	w.b = appendMUTF8(w.b, s)
}

// stringValue writes s as StringValue.writeString does: length plus one, then
// each UTF-16 unit, as base-128 varints, low group first.
func (w *writer) stringValue(s string) {
	units := utf16.Encode([]rune(s))
	w.varint7(uint32(len(units)) + 1)
	for _, u := range units {
		w.varint7(uint32(u))
	}
}

func (w *writer) varint7(v uint32) {
	for v >= 0x80 {
		w.b = append(w.b, byte(v)|0x80)
		v >>= 7
	}
	w.b = append(w.b, byte(v))
}

func (w *writer) bytes(p []byte) {
	w.i32(int32(len(p)))
	w.b = append(w.b, p...)
}
func (w *writer) longs(v []int64) {
	for _, x := range v {
		w.i64(x)
	}
}
func (w *writer) keyGroupRange(r KeyGroupRange) {
	w.i32(r.Start)
	w.i32(r.Count)
}

func (w *writer) body(m *Metadata) {
	w.i64(m.CheckpointID)
	w.i32(int32(len(m.MasterStates)))
	for _, ms := range m.MasterStates {
		w.u32(masterStateMagic)
		inner := &writer{}
		inner.i32(ms.Version)
		inner.utf(ms.Name)
		inner.bytes(ms.Payload)
		if inner.err != nil {
			w.failf("master state %q: %v", ms.Name, inner.err)
		}
		w.bytes(inner.b)
	}
	w.i32(int32(len(m.Operators)))
	for i := range m.Operators {
		w.operator(&m.Operators[i])
	}
	if m.Version >= 4 {
		if m.PropertiesRaw != nil {
			w.b = append(w.b, m.PropertiesRaw...)
		} else {
			w.b = append(w.b, encodeProperties(m.Properties)...)
		}
	}
}

func (w *writer) operator(op *OperatorState) {
	if w.version >= 5 {
		w.utf(op.Name)
		w.utf(op.UID)
	}
	w.b = append(w.b, op.ID[:]...)
	w.i32(op.Parallelism)
	w.i32(op.MaxParallelism)
	if w.version == 2 {
		w.i32(op.ChainLength)
		w.i32(int32(len(op.Subtasks)))
		for i := range op.Subtasks {
			w.i32(op.Subtasks[i].Index)
			w.subtask(&op.Subtasks[i])
		}
		return
	}
	if op.CoordinatorState != nil {
		if _, ok := op.CoordinatorState.(*ByteStreamHandle); !ok {
			w.failf("operator %s: coordinator state must be a ByteStreamHandle", op.ID)
		}
	}
	w.stream(op.CoordinatorState)
	if op.FullyFinished {
		w.i32(-1)
		return
	}
	w.i32(int32(len(op.Subtasks)))
	for i := range op.Subtasks {
		st := &op.Subtasks[i]
		if st.Finished {
			w.i32(-st.Index - 1)
			continue
		}
		w.i32(st.Index)
		w.subtask(st)
	}
}

func (w *writer) subtask(st *SubtaskState) {
	if w.version == 2 {
		w.i64(st.Duration)
		w.i32(0)
	}
	w.operatorSlot(st.ManagedOperatorState)
	w.operatorSlot(st.RawOperatorState)
	w.keyed(st.ManagedKeyedState)
	w.keyed(st.RawKeyedState)
	if w.version >= 3 {
		w.channels(st.InputChannelState, InputChannel)
		w.channels(st.ResultSubpartitionState, ResultSubpartition)
	}
	if w.version >= 7 {
		if st.HasRefCheckpointID {
			w.u8(1)
			w.i64(st.RefCheckpointID)
		} else {
			w.u8(0)
		}
	}
}

func (w *writer) operatorSlot(hs []*OperatorStreamHandle) {
	switch len(hs) {
	case 0:
		w.i32(0)
	case 1:
		w.i32(1)
		w.operatorHandle(hs[0])
	default:
		w.failf("version %d holds at most one operator state handle per subtask, have %d", w.version, len(hs))
	}
}

func (w *writer) channels(hs []*ChannelHandle, kind ChannelKind) {
	w.i32(int32(len(hs)))
	for _, h := range hs {
		if h == nil || h.Kind != kind {
			w.failf("channel state list of kind %d holds a handle of another kind", kind)
			return
		}
		if w.version >= 6 {
			if h.Merged {
				w.u8(byte(kind) + 2)
			} else {
				w.u8(byte(kind))
			}
		} else if h.Merged {
			w.failf("merged channel state handles need version 6 or later")
			return
		}
		if h.Merged {
			w.i32(h.Subtask)
			w.i64(h.Size)
			w.stream(h.Delegate)
			inner := &writer{}
			inner.i32(int32(len(h.Channels)))
			for _, c := range h.Channels {
				inner.i32(c.A)
				inner.i32(c.B)
				inner.i64(c.Size)
				inner.i32(int32(len(c.Offsets)))
				inner.longs(c.Offsets)
			}
			w.bytes(inner.b)
			continue
		}
		if !w.noChannelSubtask {
			w.i32(h.Subtask)
		}
		w.i32(h.A)
		w.i32(h.B)
		w.i32(int32(len(h.Offsets)))
		w.longs(h.Offsets)
		w.i64(h.Size)
		w.stream(h.Delegate)
	}
}

func (w *writer) stream(h StreamHandle) {
	if h == nil || isNilHandle(h) {
		w.u8(byte(TagNull))
		return
	}
	switch h := h.(type) {
	case *ByteStreamHandle:
		w.u8(byte(TagByteStreamHandle))
		w.utf(h.Name)
		w.bytes(h.Data)
	case *FileHandle:
		w.u8(byte(TagFileHandle))
		w.i64(h.Size)
		w.utf(h.Path)
	case *RelativeFileHandle:
		w.u8(byte(TagRelativeFileHandle))
		w.utf(h.RelativePath)
		w.i64(h.Size)
	case *KeyGroupsHandle:
		if h.Tag_ != TagKeyGroupsHandle {
			w.failf("a %v cannot stand where a stream handle is expected", h.Tag_)
			return
		}
		w.keyGroups(h)
	case *SegmentFileHandle:
		w.u8(byte(TagSegmentFileHandle))
		w.i64(h.StartPos)
		w.i64(h.Size)
		w.i32(h.Scope)
		w.utf(h.PhysicalPath)
		w.utf(h.LogicalFileID)
	case *EmptySegmentFileHandle:
		w.u8(byte(TagEmptySegmentFileHandle))
	default:
		w.failf("unknown stream handle type %T", h)
	}
}

func (w *writer) keyGroups(h *KeyGroupsHandle) {
	if int(h.Range.Count) != len(h.Offsets) {
		w.failf("key-group handle has %d offsets for %d key groups", len(h.Offsets), h.Range.Count)
		return
	}
	w.u8(byte(h.Tag_))
	w.keyGroupRange(h.Range)
	w.longs(h.Offsets)
	w.stream(h.Delegate)
	if h.Tag_ == TagKeyGroupsHandleV2 {
		w.utf(h.HandleID)
	}
}

func (w *writer) keyed(h KeyedStateHandle) {
	if h == nil || isNilHandle(h) {
		w.u8(byte(TagNull))
		return
	}
	switch h := h.(type) {
	case *KeyGroupsHandle:
		switch h.Tag_ {
		case TagKeyGroupsHandle, TagSavepointKeyGroupsHandle, TagKeyGroupsHandleV2:
			w.keyGroups(h)
		default:
			w.failf("key-group handle with tag %d", h.Tag_)
		}
	case *IncrementalKeyedHandle:
		w.u8(byte(h.Tag()))
		w.i64(h.CheckpointID)
		w.utf(h.BackendID)
		w.keyGroupRange(h.Range)
		if h.V2 {
			w.i64(h.CheckpointedSize)
		}
		w.stream(h.MetaData)
		w.named(h.Shared)
		w.named(h.Private)
		if h.V2 {
			w.utf(h.HandleID)
		}
	case *ChangelogBackendHandle:
		w.u8(byte(h.Tag()))
		w.keyGroupRange(h.Range)
		legacy := w.changelog114 && !h.V2
		if !legacy {
			w.i64(h.CheckpointedSize)
		}
		w.keyedList(h.Materialized)
		w.keyedList(h.NonMaterialized)
		if !legacy {
			w.i64(h.MaterializationID)
			if h.V2 {
				w.i64(h.CheckpointID)
			}
			w.utf(h.HandleID)
		}
	case *InMemoryChangelogHandle:
		w.u8(byte(TagInMemoryChangelogHandle))
		w.keyGroupRange(h.Range)
		w.i64(h.From)
		w.i64(h.To)
		w.i32(int32(len(h.Changes)))
		for _, c := range h.Changes {
			w.i32(c.KeyGroup)
			w.bytes(c.Data)
		}
		if !w.changelog114 {
			w.utf(h.HandleID)
		}
	case *ChangelogStreamHandle:
		w.u8(byte(h.Tag()))
		w.keyGroupRange(h.Range)
		w.i32(int32(len(h.Handles)))
		for _, oh := range h.Handles {
			w.i64(oh.Offset)
			w.stream(oh.Handle)
		}
		w.i64(h.Size)
		if w.changelog114 && !h.V2 {
			return
		}
		w.i64(h.CheckpointedSize)
		w.utf(h.HandleID)
		if h.V2 {
			w.utf(h.StorageID)
		}
	default:
		w.failf("unknown keyed handle type %T", h)
	}
}

func (w *writer) keyedList(hs []KeyedStateHandle) {
	w.i32(int32(len(hs)))
	for _, h := range hs {
		w.keyed(h)
	}
}

func (w *writer) named(hs []NamedHandle) {
	w.i32(int32(len(hs)))
	for _, h := range hs {
		w.utf(h.LocalPath)
		w.stream(h.Handle)
	}
}

func (w *writer) operatorHandle(h *OperatorStreamHandle) {
	if h == nil {
		w.u8(byte(TagNull))
		return
	}
	w.u8(byte(h.Tag()))
	w.i32(int32(len(h.States)))
	for _, e := range h.States {
		w.utf(e.Name)
		w.u8(byte(e.Mode))
		w.i32(int32(len(e.Offsets)))
		w.longs(e.Offsets)
	}
	if h.FileMerging {
		w.utf(h.TaskOwnedDir)
		w.utf(h.SharedDir)
		w.bool(h.Empty)
	}
	w.stream(h.Delegate)
}

func (w *writer) v1(m *Metadata) {
	w.i64(m.CheckpointID)
	w.i32(int32(len(m.Operators)))
	for i := range m.Operators {
		op := &m.Operators[i]
		w.b = append(w.b, op.ID[:]...)
		w.i32(op.Parallelism)
		w.i32(op.MaxParallelism)
		w.i32(op.ChainLength)
		w.i32(int32(len(op.Subtasks)))
		for j := range op.Subtasks {
			st := &op.Subtasks[j]
			w.i32(st.Index)
			w.i64(st.Duration)
			w.i32(int32(len(st.LegacyState)))
			for _, h := range st.LegacyState {
				w.stream(h)
			}
			w.i32(int32(len(st.ManagedOperatorState)))
			for _, h := range st.ManagedOperatorState {
				w.operatorHandle(h)
			}
			w.i32(int32(len(st.RawOperatorState)))
			for _, h := range st.RawOperatorState {
				w.operatorHandle(h)
			}
			w.keyed(st.ManagedKeyedState)
			w.keyed(st.RawKeyedState)
		}
	}
}
