package metadata

import "strings"

// KeyedSample is one subtask's managed keyed state in a checkpoint-format
// key-group stream (a KeyGroupsStateHandle, tags 3 and 12; not the
// savepoint handle of tag 7): the handle whose bytes tell which backend
// wrote a full snapshot (savepoint.ProbeKeyedFormat).
type KeyedSample struct {
	Operator int   // index in Metadata.Operators
	Subtask  int32 // the subtask index
	Handle   *KeyGroupsHandle
}

// FullKeyedSample returns, in file order, the first subtask whose managed
// keyed state is a KeyGroupsStateHandle with key groups and a stream, and
// that holds a key group other than 0 or one without offset (whose bytes
// tell the formats apart; key group 0 reads alike in both); failing that,
// the first such subtask; or nil. DecodeSummaries keeps a copy of it, which
// does not alias the input, so that it answers too.
func (m *Metadata) FullKeyedSample() *KeyedSample {
	if m.summary != nil {
		return m.summary.sample
	}
	var first *KeyedSample
	for i := range m.Operators {
		for j := range m.Operators[i].Subtasks {
			st := &m.Operators[i].Subtasks[j]
			if h := sampleHandle(st.ManagedKeyedState); h != nil {
				if decisive(h) {
					return &KeyedSample{Operator: i, Subtask: st.Index, Handle: h}
				}
				if first == nil {
					first = &KeyedSample{Operator: i, Subtask: st.Index, Handle: h}
				}
			}
		}
	}
	return first
}

// decisive reports whether h holds a key group other than 0, or one
// without offset.
func decisive(h *KeyGroupsHandle) bool {
	if h.Range.Start != 0 || h.Range.Count > 1 {
		return true
	}
	for _, o := range h.Offsets {
		if o == 0 {
			return true
		}
	}
	return false
}

// sampleHandle returns h as a checkpoint-format key-group handle with key
// groups and a stream, or nil.
func sampleHandle(h KeyedStateHandle) *KeyGroupsHandle {
	k, ok := h.(*KeyGroupsHandle)
	if !ok || k == nil || k.Tag_ == TagSavepointKeyGroupsHandle || k.Delegate == nil || k.Range.Count == 0 || len(k.Offsets) != int(k.Range.Count) {
		return nil
	}
	return k
}

// keepSample records st's keyed handle as the sample when there is none
// yet, as a copy that does not alias the decoder's window.
func (ms *metaSummary) keepSample(op int, st *SubtaskState) {
	if ms.sample != nil && decisive(ms.sample.Handle) {
		return
	}
	h := sampleHandle(st.ManagedKeyedState)
	if h == nil || ms.sample != nil && !decisive(h) {
		return
	}
	c := &KeyGroupsHandle{Tag_: h.Tag_, Range: h.Range, HandleID: strings.Clone(h.HandleID),
		Offsets: append([]int64(nil), h.Offsets...), Delegate: cloneStream(h.Delegate)}
	if c.Delegate == nil {
		return
	}
	ms.sample = &KeyedSample{Operator: op, Subtask: st.Index, Handle: c}
}

// cloneStream copies a stream handle of the kinds a key-group stream is
// stored in; nil for others.
func cloneStream(s StreamHandle) StreamHandle {
	switch s := s.(type) {
	case *ByteStreamHandle:
		return &ByteStreamHandle{Name: strings.Clone(s.Name), Data: clone(s.Data)}
	case *FileHandle:
		return &FileHandle{Path: strings.Clone(s.Path), Size: s.Size}
	case *RelativeFileHandle:
		return &RelativeFileHandle{RelativePath: strings.Clone(s.RelativePath), Size: s.Size}
	case *SegmentFileHandle:
		return &SegmentFileHandle{StartPos: s.StartPos, Size: s.Size, Scope: s.Scope,
			PhysicalPath: strings.Clone(s.PhysicalPath), LogicalFileID: strings.Clone(s.LogicalFileID)}
	}
	return nil
}
