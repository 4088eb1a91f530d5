package savepoint_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spcheck/spcheck/metadata"
	"github.com/spcheck/spcheck/savepoint"
)

// Every real full key-group snapshot of the corpus (pre-1.13 savepoints,
// native savepoints and checkpoints of the heap backends and of RocksDB
// without incremental checkpoints) is probed, with DecodeSummaries' copy
// of the handle, and the probe must name the backend jobs.json records
// for it. The heap backend writes each key group's index at its offset
// (HeapSnapshotStrategy.java:160-161, Flink 1.20 and 2.0); the full
// format a state id and a key there, and offset 0 for key groups without
// data (FullSnapshotAsyncWriter.java:147-157).
func TestProbeKeyedFormatCorpus(t *testing.T) {
	jobs := loadJobs(t)
	heap, full := 0, 0
	for name, c := range jobs.Cases {
		dir, err := filepath.Abs(filepath.Join(corpusDir, name))
		if err != nil {
			t.Fatal(err)
		}
		sp, err := savepoint.OpenSummaries(context.Background(), dir, savepoint.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if sp.Metadata.FullKeyedSample() == nil {
			sp.Close()
			continue
		}
		p := savepoint.ProbeKeyedFormat(context.Background(), sp)
		sp.Close()
		want := savepoint.KeyedFormatHeap
		if strings.HasPrefix(c.Backend, "rocksdb") {
			want = savepoint.KeyedFormatFull
		}
		if p.Format != want {
			t.Errorf("%s (%s): probe says %d (%s), want %d", name, c.Backend, p.Format, p.Evidence, want)
		}
		if p.BytesRead != 0 && p.BytesRead != 8 {
			t.Errorf("%s: read %d bytes, want at most 8", name, p.BytesRead)
		}
		if want == savepoint.KeyedFormatHeap {
			heap++
		} else {
			full++
		}
	}
	// The corpus holds both kinds in numbers; a probe that found none
	// would test nothing.
	if heap < 20 || full < 10 {
		t.Errorf("probed %d heap and %d full-format snapshots; the corpus has more", heap, full)
	}
}

// The restore oracle's hashmap checkpoints (the catalogue job's and the
// unaligned job's) and native savepoints of every Flink version it ran
// (1.18 – 2.3): the heap format, read inline or with
// one 8-byte read; its RocksDB snapshots are incremental and its canonical
// savepoints in the savepoint handle, which need no probe.
func TestProbeKeyedFormatOracle(t *testing.T) {
	dirs, err := filepath.Glob("../testdata/oracle/*/savepoints/*")
	if err != nil || len(dirs) < 30 {
		t.Fatalf("oracle savepoints: %d, %v", len(dirs), err)
	}
	probed := 0
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		sp, err := savepoint.Open(context.Background(), dir, savepoint.Options{})
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		hasSample := sp.Metadata.FullKeyedSample() != nil
		p := savepoint.ProbeKeyedFormat(context.Background(), sp)
		sp.Close()
		base := filepath.Base(dir)
		switch {
		case base == "hashmap-checkpoint" || base == "hashmap-native" || base == "unaligned-hashmap-checkpoint":
			probed++
			if p.Format != savepoint.KeyedFormatHeap {
				t.Errorf("%s: %d (%s), want the heap format", dir, p.Format, p.Evidence)
			}
		case hasSample:
			t.Errorf("%s: a full key-group handle where the oracle wrote none", dir)
		case p.Format != savepoint.KeyedFormatUnknown:
			t.Errorf("%s: %d without a full key-group handle", dir, p.Format)
		}
	}
	versions, err := filepath.Glob("../testdata/oracle/*/savepoints")
	if err != nil || len(versions) < 7 {
		t.Fatalf("oracle versions: %d, %v", len(versions), err)
	}
	if probed != 3*len(versions) {
		t.Errorf("probed %d hashmap snapshots, want %d (two checkpoints and a native savepoint of each of %d Flink versions)", probed, 3*len(versions), len(versions))
	}
}

// A checkpoint whose state files are gone: the probe fails to read and
// says so; the format stays unknown.
func TestProbeKeyedFormatUnreadable(t *testing.T) {
	src := filepath.Join(corpusDir, "flink-tests/new-stateful-udf-migration-itcase-flink1.15-hashmap-checkpoint/_metadata")
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "_metadata"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	sp, err := savepoint.OpenSummaries(context.Background(), dir, savepoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	p := savepoint.ProbeKeyedFormat(context.Background(), sp)
	if p.Format != savepoint.KeyedFormatUnknown || !strings.Contains(p.Evidence, "failed") || p.BytesRead != 0 {
		t.Errorf("probe of a checkpoint without its files: %+v", p)
	}
}

// Hostile offsets (beyond the stream, negative, near the int64 limit):
// the probe reads nothing outside the stream, never panics, and stays
// unknown with the reason.
func TestProbeKeyedFormatHostileOffsets(t *testing.T) {
	for _, off := range []int64{1 << 40, -8, 1<<63 - 3, 30} {
		m := &metadata.Metadata{Version: 4, Operators: []metadata.OperatorState{{
			ID: metadata.OperatorIDFromUID("op"), Parallelism: 1, MaxParallelism: 128,
			Subtasks: []metadata.SubtaskState{{ManagedKeyedState: &metadata.KeyGroupsHandle{Tag_: metadata.TagKeyGroupsHandle,
				Range: metadata.KeyGroupRange{Start: 0, Count: 2}, Offsets: []int64{4, off},
				Delegate: &metadata.ByteStreamHandle{Name: "k", Data: make([]byte, 32)}}}},
		}}}
		p := savepoint.ProbeKeyedFormat(context.Background(), &savepoint.Savepoint{Metadata: m})
		if p.Format != savepoint.KeyedFormatUnknown || p.BytesRead != 0 || p.Evidence == "" {
			t.Errorf("offset %d: %+v", off, p)
		}
	}
}
