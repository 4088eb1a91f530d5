package metadata

import (
	"sort"
	"strings"
)

// FileRef is a file a state handle references.
type FileRef struct {
	// Path is the path as stored: absolute (a Flink Path string such as
	// "file:/…", "hdfs://…", "s3://…") or, when Relative, relative to the
	// directory holding _metadata.
	Path     string
	Relative bool
	// Size is the number of bytes the handle says it uses of the file
	// (for a file segment, the segment's size).
	Size int64
}

// Summary is what an operator holds, as inspect shows it.
type Summary struct {
	KeyedManaged bool
	KeyedRaw     bool
	Coordinator  bool
	InFlight     bool // unaligned-checkpoint channel state
	// InFlightInput and InFlightOutput tell which: input channel state
	// (the operator was its task's input operator, the chain head) and
	// result subpartition state (its task's output operator).
	InFlightInput  bool
	InFlightOutput bool
	// InFlightChannels are, for each input gate and each result partition
	// with in-flight data, the highest channel or subpartition index of
	// any subtask that holds some (a channel handle with offsets), in
	// order: inputs first, by gate, then outputs, by partition.
	InFlightChannels  []ChannelExtent
	FullyFinished     bool
	SubtasksWithState int
	FinishedSubtasks  int
	// OperatorStates are the named operator states (managed and raw), with
	// their distribution mode, sorted by name.
	OperatorStates []NamedState
	// KeyedHandleKinds are the keyed handle types found, sorted.
	KeyedHandleKinds []string
	Size             int64
	InlineSize       int64 // bytes stored inside _metadata
}

// A ChannelExtent is the highest channel index (Input: of input gate
// Index) or subpartition index (of result partition Index) that holds
// in-flight data in any subtask.
type ChannelExtent struct {
	Input bool
	Index int32
	Max   int32
}

// NamedState is an operator state name and its distribution mode.
type NamedState struct {
	Name string
	Mode DistributionMode
	Raw  bool
}

// Summarize describes what op holds. For an operator DecodeSummaries
// read, it returns the summary taken while decoding.
func Summarize(op *OperatorState) Summary {
	if op.summary != nil {
		return op.summary.Summary
	}
	z := newSummarizer(op)
	for i := range op.Subtasks {
		z.add(&op.Subtasks[i])
	}
	return z.done()
}

// A summarizer builds an operator's Summary one subtask at a time, so that
// DecodeSummaries can drop each subtask's handles once it is counted.
type summarizer struct {
	s     Summary
	seen  map[NamedState]bool
	kinds map[string]bool
	// channels holds the ChannelExtents, by Input and Index.
	channels map[[2]int32]int32
	// clone copies the state names it keeps (their bytes may be reused).
	clone bool
}

func newSummarizer(op *OperatorState) *summarizer {
	z := &summarizer{s: Summary{Coordinator: op.CoordinatorState != nil, FullyFinished: op.FullyFinished, Size: sizeOf(op.CoordinatorState)},
		seen: map[NamedState]bool{}, kinds: map[string]bool{}}
	if op.CoordinatorState != nil {
		z.s.InlineSize += inlineSize(op.CoordinatorState)
	}
	return z
}

func (z *summarizer) add(st *SubtaskState) {
	s := &z.s
	s.Size += st.StateSize()
	if st.Finished {
		s.FinishedSubtasks++
	}
	if st.HasState() {
		s.SubtasksWithState++
	}
	for _, raw := range []bool{false, true} {
		hs := st.ManagedOperatorState
		if raw {
			hs = st.RawOperatorState
		}
		for _, h := range hs {
			if h == nil {
				continue
			}
			for _, e := range h.States {
				k := NamedState{e.Name, e.Mode, raw}
				if z.seen[k] {
					continue
				}
				if z.clone {
					k.Name = strings.Clone(k.Name)
				}
				z.seen[k] = true
			}
		}
	}
	if st.ManagedKeyedState != nil {
		s.KeyedManaged = true
		z.kinds[st.ManagedKeyedState.Tag().String()] = true
	}
	if st.RawKeyedState != nil {
		s.KeyedRaw = true
		z.kinds[st.RawKeyedState.Tag().String()] = true
	}
	if len(st.InputChannelState) > 0 {
		s.InFlight, s.InFlightInput = true, true
		z.addChannels(st.InputChannelState, 0)
	}
	if len(st.ResultSubpartitionState) > 0 {
		s.InFlight, s.InFlightOutput = true, true
		z.addChannels(st.ResultSubpartitionState, 1)
	}
	WalkSubtask(st, func(h StateHandle) {
		s.InlineSize += inlineSize(h)
	})
}

// addChannels records the channels of hs that hold data (side 0: input
// channels, 1: result subpartitions).
func (z *summarizer) addChannels(hs []*ChannelHandle, side int32) {
	note := func(a, b int32, offsets []int64) {
		if len(offsets) == 0 {
			return
		}
		if z.channels == nil {
			z.channels = map[[2]int32]int32{}
		}
		k := [2]int32{side, a}
		if m, ok := z.channels[k]; !ok || b > m {
			z.channels[k] = b
		}
	}
	for _, h := range hs {
		if !h.Merged {
			note(h.A, h.B, h.Offsets)
			continue
		}
		for _, c := range h.Channels {
			note(c.A, c.B, c.Offsets)
		}
	}
}

func (z *summarizer) done() Summary {
	s := z.s
	for k, m := range z.channels {
		s.InFlightChannels = append(s.InFlightChannels, ChannelExtent{Input: k[0] == 0, Index: k[1], Max: m})
	}
	sort.Slice(s.InFlightChannels, func(i, j int) bool {
		a, b := s.InFlightChannels[i], s.InFlightChannels[j]
		if a.Input != b.Input {
			return a.Input
		}
		return a.Index < b.Index
	})
	for k := range z.seen {
		s.OperatorStates = append(s.OperatorStates, k)
	}
	sort.Slice(s.OperatorStates, func(i, j int) bool {
		a, b := s.OperatorStates[i], s.OperatorStates[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Raw != b.Raw {
			return !a.Raw
		}
		return a.Mode < b.Mode
	})
	for k := range z.kinds {
		s.KeyedHandleKinds = append(s.KeyedHandleKinds, k)
	}
	sort.Strings(s.KeyedHandleKinds)
	return s
}

func inlineSize(h StateHandle) int64 {
	switch h := h.(type) {
	case *ByteStreamHandle:
		return int64(len(h.Data))
	case *InMemoryChangelogHandle:
		return h.StateSize()
	}
	return 0
}

// WalkSubtask calls fn for every handle of the subtask, nested handles
// included, depth first. Nil handles are skipped.
func WalkSubtask(st *SubtaskState, fn func(StateHandle)) {
	for _, h := range st.LegacyState {
		walk(h, fn)
	}
	for _, h := range st.ManagedOperatorState {
		walk(h, fn)
	}
	for _, h := range st.RawOperatorState {
		walk(h, fn)
	}
	walk(st.ManagedKeyedState, fn)
	walk(st.RawKeyedState, fn)
	for _, h := range st.InputChannelState {
		walk(h, fn)
	}
	for _, h := range st.ResultSubpartitionState {
		walk(h, fn)
	}
}

// Walk calls fn for every handle of the operator: its coordinator state and
// all handles of all subtasks.
func Walk(op *OperatorState, fn func(StateHandle)) {
	walk(op.CoordinatorState, fn)
	for i := range op.Subtasks {
		WalkSubtask(&op.Subtasks[i], fn)
	}
}

func walk(h StateHandle, fn func(StateHandle)) {
	if h == nil || isNilHandle(h) {
		return
	}
	fn(h)
	switch h := h.(type) {
	case *KeyGroupsHandle:
		walk(h.Delegate, fn)
	case *IncrementalKeyedHandle:
		walk(h.MetaData, fn)
		for _, n := range h.Shared {
			walk(n.Handle, fn)
		}
		for _, n := range h.Private {
			walk(n.Handle, fn)
		}
	case *ChangelogBackendHandle:
		for _, k := range h.Materialized {
			walk(k, fn)
		}
		for _, k := range h.NonMaterialized {
			walk(k, fn)
		}
	case *ChangelogStreamHandle:
		for _, o := range h.Handles {
			walk(o.Handle, fn)
		}
	case *OperatorStreamHandle:
		walk(h.Delegate, fn)
	case *ChannelHandle:
		walk(h.Delegate, fn)
	}
}

// Files returns the files the operator's handles reference, each path once
// (several handles may share a file: channel state, file merging), in
// order of first appearance. Sizes of a shared file add up. It is empty for
// an operator DecodeSummaries read; FileCount counts its files.
func Files(op *OperatorState) []FileRef {
	var fs fileList
	fs.addOperator(op)
	return fs.out
}

// AllFiles returns the files all operators of m reference, each once, in
// order of first appearance; sizes of a shared file add up. It is empty
// when DecodeSummaries read m; FileCount counts them.
func AllFiles(m *Metadata) []FileRef {
	var fs fileList
	for i := range m.Operators {
		fs.addOperator(&m.Operators[i])
	}
	return fs.out
}

// Summarized reports whether DecodeSummaries read m: its operators hold
// summaries in place of their subtask states (see OperatorState.Summarized).
func (m *Metadata) Summarized() bool { return m.summary != nil }

// FileCount is the number of distinct files the operator's handles
// reference: len(Files(op)), also for an operator DecodeSummaries read;
// -1 for one DecodeSummariesNoFiles read.
func FileCount(op *OperatorState) int {
	if op.summary != nil {
		return op.summary.files
	}
	return len(Files(op))
}

// FileCount is the number of distinct files the operators of m reference:
// len(AllFiles(m)), also when DecodeSummaries read m; -1 when
// DecodeSummariesNoFiles did.
func (m *Metadata) FileCount() int {
	if m.summary != nil {
		return m.summary.files
	}
	return len(AllFiles(m))
}

// fileList collects distinct file references in order of first appearance.
type fileList struct {
	out []FileRef
	idx map[FileRef]int
}

func (l *fileList) addOperator(op *OperatorState) {
	if l.idx == nil {
		l.idx = map[FileRef]int{}
	}
	Walk(op, func(h StateHandle) {
		p, rel, size, ok := fileOf(h)
		if !ok {
			return
		}
		k := FileRef{Path: p, Relative: rel}
		if i, ok := l.idx[k]; ok {
			l.out[i].Size += size
			return
		}
		l.idx[k] = len(l.out)
		l.out = append(l.out, FileRef{Path: p, Relative: rel, Size: size})
	})
}

// fileOf returns the file a handle references, if it references one.
func fileOf(h StateHandle) (path string, rel bool, size int64, ok bool) {
	switch h := h.(type) {
	case *FileHandle:
		return h.Path, false, h.Size, true
	case *RelativeFileHandle:
		return h.RelativePath, true, h.Size, true
	case *SegmentFileHandle:
		return h.PhysicalPath, false, h.Size, true
	}
	return "", false, 0, false
}

// Kind tells a checkpoint from a savepoint and the savepoint's format.
type Kind struct {
	// Savepoint is true for savepoints. Known is false when the file does
	// not record the kind (versions 1–3, or a null properties trailer) and
	// the values are a guess from the handles.
	Savepoint bool
	Format    string // CANONICAL or NATIVE for savepoints
	Known     bool
	// Label is a readable description, e.g. "savepoint (canonical)".
	Label string
}

// Kind reports what m is. Versions 4+ record it in their properties; for
// older files it is guessed from the handles (FORMAT.md §7):
//   - savepoint key-group handles (tag 7) only occur in canonical
//     savepoints (Flink 1.13+);
//   - channel state (in-flight data) only in checkpoints: savepoints are
//     always aligned;
//   - an incremental RocksDB handle whose shared files have absolute paths
//     is a checkpoint's: RocksIncrementalSnapshotStrategy uploads them with
//     CheckpointedStateScope.SHARED, and FsCheckpointStreamFactory gives
//     SHARED files absolute paths (FsCheckpointStreamFactory.java L150-L159,
//     RocksIncrementalSnapshotStrategy.java L356-L359, Flink 1.20);
//   - one whose shared files all have relative paths is a native savepoint:
//     a savepoint shares nothing (SharingFilesStrategy.NO_SHARING), so its
//     files are EXCLUSIVE and relative. Native savepoints exist from Flink
//     1.15 (FLIP-203), which writes format 3; formats 1 and 2 have none.
func (m *Metadata) Kind() Kind {
	if p := m.Properties; p != nil {
		if p.Savepoint {
			f := p.FormatType
			if f == "" {
				f = "CANONICAL"
			}
			return Kind{Savepoint: true, Format: f, Known: true, Label: "savepoint (" + lower(f) + ")"}
		}
		return Kind{Known: true, Label: "checkpoint"}
	}
	var hk handleKinds
	if m.summary != nil {
		hk = m.summary.kinds
	} else {
		for i := range m.Operators {
			Walk(&m.Operators[i], hk.add)
		}
	}
	savepointTag, channel, changelog, absShared, relShared, incremental := hk.savepointTag, hk.channel, hk.changelog, hk.absShared, hk.relShared, hk.incremental
	checkpointOnly := channel || changelog || incremental
	switch {
	case savepointTag && !checkpointOnly:
		return Kind{Savepoint: true, Format: "CANONICAL", Label: "savepoint (canonical; guessed from the handles)"}
	case channel:
		return Kind{Label: "checkpoint (guessed from the handles: it holds in-flight data)"}
	case incremental && absShared && !changelog:
		return Kind{Label: "checkpoint (guessed from the handles: incremental, with shared files)"}
	case incremental && relShared && !changelog && m.Version == 3:
		return Kind{Savepoint: true, Format: "NATIVE", Label: "savepoint (native; guessed from the handles)"}
	case incremental && m.Version < 3:
		return Kind{Label: "checkpoint (guessed from the handles: incremental; this format predates native savepoints)"}
	case checkpointOnly:
		return Kind{Label: "checkpoint or native savepoint (guessed from the handles)"}
	}
	return Kind{Label: "unknown (this format version does not record it)"}
}

// handleKinds records the handles Kind guesses from, and the tags
// HandleTags and KeyedTags report.
type handleKinds struct {
	savepointTag, channel, changelog, absShared, relShared, incremental bool
	tags, keyed                                                         [256]bool
}

func (k *handleKinds) add(h StateHandle) {
	k.tags[h.Tag()] = true
	switch h := h.(type) {
	case *KeyGroupsHandle:
		if h.Tag_ == TagSavepointKeyGroupsHandle {
			k.savepointTag = true
		}
	case *ChannelHandle:
		k.channel = true
	case *ChangelogBackendHandle:
		k.changelog = true
	case *IncrementalKeyedHandle:
		k.incremental = true
		for _, n := range h.Shared {
			switch n.Handle.(type) {
			case *FileHandle:
				k.absShared = true
			case *RelativeFileHandle:
				k.relShared = true
			}
		}
	}
}

// addKeyed records the tag of a subtask's keyed handle, and of the
// materialized handles of a changelog one.
func (k *handleKinds) addKeyed(h KeyedStateHandle) {
	if h == nil || isNilHandle(h) {
		return
	}
	k.keyed[h.Tag()] = true
	if c, ok := h.(*ChangelogBackendHandle); ok {
		for _, mh := range c.Materialized {
			k.addKeyed(mh)
		}
	}
}

func (m *Metadata) handleKinds() *handleKinds {
	if m.summary != nil {
		return &m.summary.kinds
	}
	hk := &handleKinds{}
	for i := range m.Operators {
		op := &m.Operators[i]
		Walk(op, hk.add)
		for j := range op.Subtasks {
			hk.addKeyed(op.Subtasks[j].ManagedKeyedState)
			hk.addKeyed(op.Subtasks[j].RawKeyedState)
		}
	}
	return hk
}

// HandleTags returns the tags of all state handles of m, nested ones
// included.
func (m *Metadata) HandleTags() map[HandleTag]bool {
	return tagSet(&m.handleKinds().tags)
}

// KeyedTags returns the tags of the subtasks' keyed state handles, and of
// the materialized handles inside changelog ones.
func (m *Metadata) KeyedTags() map[HandleTag]bool {
	return tagSet(&m.handleKinds().keyed)
}

func tagSet(a *[256]bool) map[HandleTag]bool {
	out := map[HandleTag]bool{}
	for t, ok := range a {
		if ok {
			out[HandleTag(t)] = true
		}
	}
	return out
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
