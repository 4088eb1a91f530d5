package metadata

import (
	"sort"
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
	KeyedManaged      bool
	KeyedRaw          bool
	Coordinator       bool
	InFlight          bool // unaligned-checkpoint channel state
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

// NamedState is an operator state name and its distribution mode.
type NamedState struct {
	Name string
	Mode DistributionMode
	Raw  bool
}

// Summarize describes what op holds.
func Summarize(op *OperatorState) Summary {
	s := Summary{Coordinator: op.CoordinatorState != nil, FullyFinished: op.FullyFinished, Size: op.StateSize()}
	seen := map[NamedState]bool{}
	kinds := map[string]bool{}
	if op.CoordinatorState != nil {
		s.InlineSize += inlineSize(op.CoordinatorState)
	}
	for i := range op.Subtasks {
		st := &op.Subtasks[i]
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
					seen[NamedState{e.Name, e.Mode, raw}] = true
				}
			}
		}
		if st.ManagedKeyedState != nil {
			s.KeyedManaged = true
			kinds[st.ManagedKeyedState.Tag().String()] = true
		}
		if st.RawKeyedState != nil {
			s.KeyedRaw = true
			kinds[st.RawKeyedState.Tag().String()] = true
		}
		if len(st.InputChannelState) > 0 || len(st.ResultSubpartitionState) > 0 {
			s.InFlight = true
		}
		WalkSubtask(st, func(h StateHandle) {
			s.InlineSize += inlineSize(h)
		})
	}
	for k := range seen {
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
	for k := range kinds {
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
// order of first appearance. Sizes of a shared file add up.
func Files(op *OperatorState) []FileRef {
	var out []FileRef
	idx := map[FileRef]int{}
	add := func(path string, rel bool, size int64) {
		k := FileRef{Path: path, Relative: rel}
		if i, ok := idx[k]; ok {
			out[i].Size += size
			return
		}
		idx[k] = len(out)
		out = append(out, FileRef{Path: path, Relative: rel, Size: size})
	}
	Walk(op, func(h StateHandle) {
		switch h := h.(type) {
		case *FileHandle:
			add(h.Path, false, h.Size)
		case *RelativeFileHandle:
			add(h.RelativePath, true, h.Size)
		case *SegmentFileHandle:
			add(h.PhysicalPath, false, h.Size)
		}
	})
	return out
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
	var savepointTag, channel, changelog, absShared, relShared, incremental bool
	for i := range m.Operators {
		Walk(&m.Operators[i], func(h StateHandle) {
			switch h := h.(type) {
			case *KeyGroupsHandle:
				if h.Tag_ == TagSavepointKeyGroupsHandle {
					savepointTag = true
				}
			case *ChannelHandle:
				channel = true
			case *ChangelogBackendHandle:
				changelog = true
			case *IncrementalKeyedHandle:
				incremental = true
				for _, n := range h.Shared {
					switch n.Handle.(type) {
					case *FileHandle:
						absShared = true
					case *RelativeFileHandle:
						relShared = true
					}
				}
			}
		})
	}
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

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
