package metadata

import "testing"

// Formats 1-3 do not record whether a file is a checkpoint or a
// savepoint; Kind tells it from the handles wherever they say it (see
// Kind for the Flink source each case follows).
func TestKindGuessedFromHandles(t *testing.T) {
	incremental := func(shared ...StreamHandle) KeyedStateHandle {
		h := &IncrementalKeyedHandle{CheckpointID: 3, BackendID: "b", Range: KeyGroupRange{0, 128},
			MetaData: &RelativeFileHandle{RelativePath: "meta", Size: 10}}
		for _, s := range shared {
			h.Shared = append(h.Shared, NamedHandle{LocalPath: "000001.sst", Handle: s})
		}
		return h
	}
	op := func(k KeyedStateHandle) OperatorState {
		return OperatorState{ID: OperatorID{1}, Parallelism: 1, MaxParallelism: 128,
			Subtasks: []SubtaskState{{Index: 0, ManagedKeyedState: k}}}
	}
	for _, tc := range []struct {
		name      string
		version   int32
		k         KeyedStateHandle
		savepoint bool
		format    string
		label     string
	}{
		// RocksNativeFullSnapshotStrategy uploads with EXCLUSIVE scope:
		// relative paths (Flink 1.15, format 3).
		{"native RocksDB savepoint", 3, incremental(&RelativeFileHandle{RelativePath: "a.sst", Size: 5}), true, "NATIVE", "savepoint (native; guessed from the handles)"},
		// Incremental checkpoints upload SST files SHARED: absolute paths.
		{"incremental checkpoint", 3, incremental(&FileHandle{Path: "/c/shared/a.sst", Size: 5}), false, "", "checkpoint (guessed from the handles: incremental, with shared files)"},
		{"incremental without shared files", 3, incremental(), false, "", "checkpoint or native savepoint (guessed from the handles)"},
		{"incremental in format 2", 2, incremental(&RelativeFileHandle{RelativePath: "a.sst", Size: 5}), false, "", "checkpoint (guessed from the handles: incremental; this format predates native savepoints)"},
		{"canonical savepoint", 3, &KeyGroupsHandle{Tag_: TagSavepointKeyGroupsHandle, Range: KeyGroupRange{0, 1}, Offsets: []int64{0},
			Delegate: &ByteStreamHandle{Name: "x", Data: []byte{1}}}, true, "CANONICAL", "savepoint (canonical; guessed from the handles)"},
	} {
		m := &Metadata{Version: tc.version, CheckpointID: 3, Operators: []OperatorState{op(tc.k)}}
		k := m.Kind()
		if k.Savepoint != tc.savepoint || k.Format != tc.format || k.Label != tc.label || k.Known {
			t.Errorf("%s: %+v", tc.name, k)
		}
	}
}
