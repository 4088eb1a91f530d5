package savepoint_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/spcheck/spcheck/metadata"
	"github.com/spcheck/spcheck/savepoint"
)

// corpusDir holds real Flink savepoints and checkpoints, read in place.
const corpusDir = "../testdata/flink"

// jobsFile describes, per corpus case, the job that wrote it (jobs.json).
type jobsFile struct {
	Cases map[string]struct {
		Backend      string `json:"backend"`
		FlinkVersion string `json:"flink_version"`
		Kind         string `json:"kind"`
		Operators    []struct {
			ID     string `json:"id_hex"`
			Name   string `json:"name"`
			Found  bool   `json:"found_in_metadata"`
			States []struct {
				Name  string `json:"name"`
				Kind  string `json:"kind"`
				Scope string `json:"scope"`
			} `json:"states"`
		} `json:"operators"`
	} `json:"cases"`
}

func loadJobs(t *testing.T) *jobsFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, "jobs.json"))
	if err != nil {
		t.Fatalf("reading the corpus: %v", err)
	}
	var j jobsFile
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	if len(j.Cases) == 0 {
		t.Fatal("jobs.json lists no cases")
	}
	return &j
}

func readCase(t *testing.T, dir string) (*savepoint.Savepoint, *savepoint.DeepResult) {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join(corpusDir, dir))
	if err != nil {
		t.Fatal(err)
	}
	sp, err := savepoint.Open(t.Context(), abs, savepoint.Options{})
	if err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	t.Cleanup(func() { sp.Close() })
	res, err := savepoint.ReadStates(t.Context(), sp, savepoint.DeepOptions{})
	if err != nil {
		t.Fatalf("%s: ReadStates: %v", dir, err)
	}
	return sp, res
}

// found renders the states of an operator as comparable strings.
func found(o *savepoint.OperatorStates) []string {
	var out []string
	for _, k := range o.KeyedStates {
		out = append(out, fmt.Sprintf("keyed %s %s", k.Kind, k.Name))
	}
	for _, t := range o.Timers {
		out = append(out, "timers "+t.Name)
	}
	for _, s := range o.OperatorStates {
		out = append(out, fmt.Sprintf("operator %s %s", s.Mode, s.Name))
	}
	for _, s := range o.BroadcastStates {
		out = append(out, "broadcast "+s.Name)
	}
	sort.Strings(out)
	return out
}

// declared maps the states jobs.json declares onto the strings of found.
// A timer service "x" is the two queues _timer_state/event_x and
// _timer_state/processing_x.
func declared(t *testing.T, name, kind string) []string {
	switch {
	case strings.HasPrefix(kind, "operator UnionList"):
		return []string{"operator UNION " + name}
	case strings.HasPrefix(kind, "operator List"):
		return []string{"operator SPLIT_DISTRIBUTE " + name}
	case strings.HasPrefix(kind, "Broadcast"):
		return []string{"broadcast " + name}
	case strings.HasPrefix(kind, "Value"):
		return []string{"keyed VALUE " + name}
	case strings.HasPrefix(kind, "List"):
		return []string{"keyed LIST " + name}
	case strings.HasPrefix(kind, "Reducing"):
		return []string{"keyed REDUCING " + name}
	case strings.HasPrefix(kind, "Map"):
		return []string{"keyed MAP " + name}
	case strings.HasPrefix(kind, "timers"):
		return []string{"timers _timer_state/event_" + name, "timers _timer_state/processing_" + name}
	case strings.HasPrefix(kind, "OperatorCoordinator"), kind == "none":
		return nil
	}
	t.Fatalf("jobs.json: unknown state kind %q", kind)
	return nil
}

// TestReadStatesMatchesJobs checks, for every flink-tests case of the
// corpus, that the states found in the state-file headers are exactly the
// states the job declares, operator by operator.
func TestReadStatesMatchesJobs(t *testing.T) {
	jobs := loadJobs(t)
	var names []string
	for c := range jobs.Cases {
		if strings.HasPrefix(c, "flink-tests/") {
			names = append(names, c)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		t.Fatal("no flink-tests cases in jobs.json")
	}
	var cases, ops, states, deviations int
	var read, total, inline int64
	for _, c := range names {
		jc := jobs.Cases[c]
		sp, res := readCase(t, c)
		cases++
		read += res.BytesRead
		inline += res.InlineBytes
		total += res.StateBytes
		for _, p := range res.Problems {
			t.Errorf("%s: %v", c, p)
		}
		byID := map[string]*savepoint.OperatorStates{}
		meta := map[string]*metadata.OperatorState{}
		for i := range res.Operators {
			byID[res.Operators[i].ID.String()] = &res.Operators[i]
			meta[res.Operators[i].ID.String()] = &sp.Metadata.Operators[i]
		}
		for _, jo := range jc.Operators {
			o := byID[jo.ID]
			if !jo.Found {
				if o != nil {
					t.Errorf("%s: operator %s (%s) is in the metadata, jobs.json says it is not", c, jo.ID, jo.Name)
				}
				continue
			}
			if o == nil {
				t.Errorf("%s: operator %s (%s) missing from the metadata", c, jo.ID, jo.Name)
				continue
			}
			var want []string
			for _, s := range jo.States {
				if unusedWithoutKeyedState(s.Kind, meta[jo.ID]) {
					// A timer service the job never uses holds no timers;
					// when Flink wrote no keyed state at all for the
					// operator (the Flink 1.16 RocksDB and 1.17/1.19 heap
					// checkpoints of the broadcast job), nothing of it is
					// in the checkpoint to find.
					deviations++
					continue
				}
				want = append(want, declared(t, s.Name, s.Kind)...)
			}
			sort.Strings(want)
			got := found(o)
			if !slices.Equal(got, want) {
				t.Errorf("%s: operator %s (%s):\n got  %q\n want %q", c, jo.ID, jo.Name, got, want)
			}
			ops++
			states += len(got)
		}
	}
	t.Logf("%d cases, %d operators, %d states matched (%d declared unused timer services absent with all keyed state); read %d bytes from files and %d inline of %d state bytes",
		cases, ops, states, deviations, read, inline, total)
	if deviations > 6 {
		t.Errorf("%d unused timer services missing; the corpus has 6", deviations)
	}
}

// unusedWithoutKeyedState reports whether a declared state is a timer
// service jobs.json marks unused, of an operator whose subtasks have no
// keyed state handle at all.
func unusedWithoutKeyedState(kind string, op *metadata.OperatorState) bool {
	if !strings.HasPrefix(kind, "timers") || !strings.Contains(kind, "unused") || op == nil {
		return false
	}
	for i := range op.Subtasks {
		if op.Subtasks[i].ManagedKeyedState != nil || op.Subtasks[i].RawKeyedState != nil {
			return false
		}
	}
	return true
}

// TestReadStatesTableRestore reads the SQL operators' states of the
// table-restore cases and checks a few of their state names and RowData
// types.
func TestReadStatesTableRestore(t *testing.T) {
	jobs := loadJobs(t)
	var n, withStates int
	for c := range jobs.Cases {
		if !strings.HasPrefix(c, "table-restore/") {
			continue
		}
		_, res := readCase(t, c)
		n++
		for _, p := range res.Problems {
			t.Errorf("%s: %v", c, p)
		}
		for _, o := range res.Operators {
			if len(o.KeyedStates)+len(o.OperatorStates)+len(o.BroadcastStates) > 0 {
				withStates++
			}
		}
	}
	if n == 0 {
		t.Fatal("no table-restore cases in jobs.json")
	}
	t.Logf("%d table-restore cases, %d operators with states", n, withStates)

	for _, tc := range []struct {
		dir, state string
		kind       metadata.StateKind
		key, value string
		ttl        bool
	}{
		{"table-restore/stream-exec-deduplicate_1/deduplicate-asc/savepoint", "deduplicate-state", metadata.ValueState,
			"ROW<STRING>", "ROW<BIGINT, STRING, STRING, BIGINT, TIMESTAMP(3) *ROWTIME*>", false},
		{"table-restore/stream-exec-deduplicate_1/deduplicate-asc-proctime/savepoint", "deduplicate-state", metadata.ValueState,
			"ROW<STRING>", "Boolean", false},
		{"table-restore/stream-exec-group-aggregate_1/group-aggregate-simple/savepoint", "accState", metadata.ValueState,
			"ROW<BIGINT>", "ROW<BIGINT, BIGINT, BIGINT, STRING>", false},
		{"table-restore/stream-exec-group-aggregate_1/agg-with-state-ttl-hint/savepoint", "accState", metadata.ValueState,
			"ROW<BIGINT>", "TTL(ROW<BIGINT, BIGINT, BIGINT, STRING>)", true},
		{"table-restore/stream-exec-group-aggregate_1/group-aggregate-distinct/savepoint", "distinctAcc_0", metadata.MapState,
			"ROW<BIGINT>", "Map<INT, BIGINT NOT NULL>", false},
		{"table-restore/stream-exec-group-window-aggregate_1/group-window-aggregate-session-event-time/savepoint", "session-window-mapping", metadata.MapState,
			"ROW<STRING>", "Map<TimeWindow, TimeWindow>", false},
	} {
		_, res := readCase(t, tc.dir)
		var ks *savepoint.KeyedState
		var op *savepoint.OperatorStates
		for i := range res.Operators {
			for j := range res.Operators[i].KeyedStates {
				if res.Operators[i].KeyedStates[j].Name == tc.state {
					ks, op = &res.Operators[i].KeyedStates[j], &res.Operators[i]
				}
			}
		}
		if ks == nil {
			t.Errorf("%s: no keyed state %q", tc.dir, tc.state)
			continue
		}
		if ks.Kind != tc.kind || op.KeyType != tc.key || ks.ValueType != tc.value || ks.TTL != tc.ttl || ks.NamespaceType != "VoidNamespace" && ks.NamespaceType != "TimeWindow" {
			t.Errorf("%s: %q is %s, key %s, value %s, namespace %s, ttl %v; want %s, key %s, value %s, ttl %v",
				tc.dir, tc.state, ks.Kind, op.KeyType, ks.ValueType, ks.NamespaceType, ks.TTL, tc.kind, tc.key, tc.value, tc.ttl)
		}
	}
}

// dout builds bytes the way java.io.DataOutputStream writes them.
type dout struct{ b []byte }

func (d *dout) i32(v int32) *dout { d.b = binary.BigEndian.AppendUint32(d.b, uint32(v)); return d }
func (d *dout) i16(v int16) *dout { d.b = binary.BigEndian.AppendUint16(d.b, uint16(v)); return d }
func (d *dout) u8(v byte) *dout   { d.b = append(d.b, v); return d }
func (d *dout) utf(s string) *dout {
	d.b = binary.BigEndian.AppendUint16(d.b, uint16(len(s)))
	d.b = append(d.b, s...)
	return d
}

// simpleSnapshot writes a snapshot proxy (version 2) of a serializer
// without parameters.
func (d *dout) simpleSnapshot(class string) *dout {
	return d.i32(2).utf(class).i32(3)
}

const (
	longSnapshot   = "org.apache.flink.api.common.typeutils.base.LongSerializer$LongSerializerSnapshot"
	stringSnapshot = "org.apache.flink.api.common.typeutils.base.StringSerializer$StringSerializerSnapshot"
	voidNSSnapshot = "org.apache.flink.runtime.state.VoidNamespaceSerializer$VoidNamespaceSerializerSnapshot"
)

// operatorHeader is a Flink 1.7+ operator header with one union list
// state of strings.
func operatorHeader(name string) []byte {
	d := (&dout{}).i32(5).i16(1)
	d.utf(name).i32(int32(metadata.BackendOperator)).i32(1).utf(metadata.OptionOperatorStateDistMode).utf("UNION")
	d.i32(1).utf(metadata.ValueSerializerKey).simpleSnapshot(stringSnapshot)
	return d.i16(0).b
}

// keyedHeader is a Flink 1.7+ keyed header with a Long key and one value
// state of longs.
func keyedHeader(name string) []byte {
	d := (&dout{}).i32(6).u8(0).simpleSnapshot(longSnapshot).i16(1)
	d.utf(name).i32(int32(metadata.BackendKeyValue)).i32(1).utf(metadata.OptionKeyedStateType).utf("VALUE")
	d.i32(2).utf(metadata.ValueSerializerKey).simpleSnapshot(longSnapshot)
	d.utf(metadata.NamespaceSerializerKey).simpleSnapshot(voidNSSnapshot)
	return d.b
}

// TestReadStatesFiles reads a savepoint built here: only the header bytes
// are read; a missing file and a relocated absolute path are reported
// without failing the run.
func TestReadStatesFiles(t *testing.T) {
	dir := t.TempDir()
	opH := operatorHeader("source-state")
	opFile := append(append([]byte{}, opH...), "partition data of the state, never read"...)
	kH := keyedHeader("counts")
	kFile := append(append([]byte{}, kH...), make([]byte, 4096)...)
	// A file-merging segment: the operator header of a second source sits
	// at byte 100 of a shared physical file.
	segH := operatorHeader("segment-state")
	segFile := append(append(make([]byte, 100), segH...), "more segments"...)
	for name, b := range map[string][]byte{"op-state": opFile, "keyed-state": kFile, "segments": segFile} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	id := func(uid string) metadata.OperatorID { return metadata.OperatorIDFromUID(uid) }
	m := &metadata.Metadata{Version: 3, CheckpointID: 7, Operators: []metadata.OperatorState{
		{ID: id("source"), Parallelism: 1, MaxParallelism: 128, Subtasks: []metadata.SubtaskState{{
			ManagedOperatorState: []*metadata.OperatorStreamHandle{{
				States:   []metadata.OperatorStateEntry{{Name: "source-state", Mode: metadata.Union, Offsets: []int64{int64(len(opH))}}},
				Delegate: &metadata.RelativeFileHandle{RelativePath: "op-state", Size: int64(len(opFile))},
			}},
		}}},
		{ID: id("counter"), Parallelism: 1, MaxParallelism: 128, Subtasks: []metadata.SubtaskState{{
			ManagedKeyedState: &metadata.KeyGroupsHandle{Tag_: metadata.TagKeyGroupsHandleV2, Range: metadata.KeyGroupRange{Start: 0, Count: 2},
				Offsets:  []int64{int64(len(kH)), 0},
				Delegate: &metadata.FileHandle{Path: "file:/machine/that/wrote/it/chk-7/keyed-state", Size: int64(len(kFile))}, HandleID: "h1"},
		}}},
		{ID: id("merged"), Parallelism: 1, MaxParallelism: 128, Subtasks: []metadata.SubtaskState{{
			ManagedOperatorState: []*metadata.OperatorStreamHandle{{
				States: []metadata.OperatorStateEntry{{Name: "segment-state", Mode: metadata.Union, Offsets: []int64{int64(len(segH))}}},
				Delegate: &metadata.SegmentFileHandle{StartPos: 100, Size: int64(len(segH)) + 5, PhysicalPath: "file:" + filepath.ToSlash(filepath.Join(dir, "segments")),
					LogicalFileID: "l1"},
				FileMerging: true, TaskOwnedDir: "file:/t", SharedDir: "file:/s",
			}},
		}}},
		{ID: id("lost"), Parallelism: 1, MaxParallelism: 128, Subtasks: []metadata.SubtaskState{{
			ManagedKeyedState: &metadata.KeyGroupsHandle{Tag_: metadata.TagKeyGroupsHandleV2, Range: metadata.KeyGroupRange{Start: 0, Count: 1},
				Offsets:  []int64{100},
				Delegate: &metadata.RelativeFileHandle{RelativePath: "gone", Size: 200}, HandleID: "h2"},
		}}},
	}}
	b, err := metadata.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "_metadata"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	sp, err := savepoint.Open(t.Context(), dir, savepoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	res, err := savepoint.ReadStates(t.Context(), sp, savepoint.DeepOptions{Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(len(opH) + len(kH) + len(segH)); res.BytesRead != want {
		t.Errorf("read %d bytes, want the %d header bytes", res.BytesRead, want)
	}
	if got := found(&res.Operators[0]); !slices.Equal(got, []string{"operator UNION source-state"}) || res.Operators[0].OperatorStates[0].ElementType != "String" {
		t.Errorf("source: %q %+v", got, res.Operators[0].OperatorStates)
	}
	c := res.Operators[1]
	if got := found(&c); !slices.Equal(got, []string{"keyed VALUE counts"}) || c.KeyType != "Long" ||
		c.KeyedStates[0].ValueType != "Long" || c.KeyedStates[0].NamespaceType != "VoidNamespace" {
		t.Errorf("counter: %q key %s %+v", got, c.KeyType, c.KeyedStates)
	}
	if got := found(&res.Operators[2]); !slices.Equal(got, []string{"operator UNION segment-state"}) {
		t.Errorf("merged: %q", got)
	}
	if res.Operators[3].Undecoded != 1 || len(res.Operators[3].KeyedStates) != 0 {
		t.Errorf("lost: %+v", res.Operators[3])
	}
	kinds := map[savepoint.ProblemKind]int{}
	for _, p := range res.Problems {
		kinds[p.Kind]++
		t.Log(p)
	}
	if kinds[savepoint.ProblemRelocated] != 1 || kinds[savepoint.ProblemMissing] != 1 || len(res.Problems) != 2 {
		t.Errorf("problems %v, want one relocated and one missing", kinds)
	}
}

// TestReadStatesCanceled stops when the context is done.
func TestReadStatesCanceled(t *testing.T) {
	abs, err := filepath.Abs(filepath.Join(corpusDir, "flink-tests/new-stateful-udf-migration-itcase-flink1.19-rocksdb-savepoint-native"))
	if err != nil {
		t.Fatal(err)
	}
	sp, err := savepoint.Open(t.Context(), abs, savepoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := savepoint.ReadStates(ctx, sp, savepoint.DeepOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

// TestReadStatesWholeCorpus reads the state headers of every savepoint and
// checkpoint of the corpus as inspect --deep does: every header must be
// read and decoded (no problem, no undecoded stream) and every serializer
// snapshot in it known (none opaque, none shown as opaque(...)).
func TestReadStatesWholeCorpus(t *testing.T) {
	var dirs []string
	err := filepath.WalkDir(corpusDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "_metadata" {
			rel, err := filepath.Rel(corpusDir, filepath.Dir(p))
			if err != nil {
				return err
			}
			dirs = append(dirs, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 100 {
		t.Fatalf("%d savepoints in the corpus; the corpus is incomplete", len(dirs))
	}
	var headers, distinct, states, snapshots, ownOpaque int
	for _, dir := range dirs {
		_, res := readCase(t, dir)
		headers += res.Headers
		distinct += res.Distinct
		for _, p := range res.Problems {
			t.Errorf("%s: %v", dir, p)
		}
		check := func(what string, s *metadata.SerializerSnapshot) {
			if s == nil {
				return
			}
			s.Walk(func(x *metadata.SerializerSnapshot) {
				snapshots++
				// A serializer a Flink test defines itself
				// (TypeSerializerSnapshotMigrationITCase): like a
				// user's custom serializer, opaque by design.
				if x.Opaque && strings.HasPrefix(x.Class, "org.apache.flink.test.") {
					ownOpaque++
				} else if x.Opaque {
					t.Errorf("%s: %s: opaque snapshot %s (%s)", dir, what, x.Class, x.Note)
				}
			})
			if ts := s.TypeString(); strings.Contains(ts, "opaque(") && !(s.Opaque && strings.HasPrefix(s.Class, "org.apache.flink.test.")) {
				t.Errorf("%s: %s: type %s", dir, what, ts)
			}
		}
		meta := func(what string, m *metadata.StateMetaInfo) {
			if m == nil {
				return
			}
			states++
			for i := range m.Serializers {
				check(what+" "+m.Name, &m.Serializers[i].Snapshot)
			}
		}
		for _, o := range res.Operators {
			if o.Undecoded > 0 {
				t.Errorf("%s: operator %s: %d state streams not decoded", dir, o.ID, o.Undecoded)
			}
			check("key of "+o.ID.String(), o.KeySerializer)
			for _, s := range o.KeyedStates {
				meta("keyed state", s.Meta)
			}
			for _, s := range o.Timers {
				meta("timers", s.Meta)
			}
			for _, s := range o.OperatorStates {
				meta("operator state", s.Meta)
			}
			for _, s := range o.BroadcastStates {
				meta("broadcast state", s.Meta)
			}
		}
	}
	if headers == 0 || states == 0 {
		t.Fatal("no state headers read from the corpus")
	}
	t.Logf("%d savepoints and checkpoints: %d headers read (%d distinct per savepoint), %d states, %d serializer snapshots, all decoded",
		len(dirs), headers, distinct, states, snapshots)
	// The six type-serializer-snapshot-migration-itcase snapshots of
	// flink-tests-2.3, one state each.
	if ownOpaque != 6 {
		t.Errorf("%d opaque snapshots of a test's own serializer, want 6", ownOpaque)
	}
}

// The restore oracle's SQL sink materializers (testdata/oracle/*/sink-materializer,
// Flink 2.2.0 and 2.3.0) hold the states of SinkUpsertMaterializerV2 and
// WatermarkCompactingSinkMaterializer: every header decodes, with no opaque
// snapshot, and the sequenced multiset's serializers (RowDataKeySerializerSnapshot,
// MetaSqnInfo, RowSqnInfo, Node) read as their classes write them.
func TestReadStatesSinkMaterializer(t *testing.T) {
	dirs, err := filepath.Glob("../testdata/oracle/*/sink-materializer/*/savepoint")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) != 15 {
		t.Fatalf("%d sink-materializer savepoints, want 15 (6 of 2.2.0, 9 of 2.3.0)", len(dirs))
	}
	want := map[string]string{
		"values":                     "List<ROW<BIGINT NOT NULL, STRING, INT>>",
		"list":                       "List<Tuple2<ROW<BIGINT NOT NULL, STRING, INT>, Long>>",
		"highestSqnState":            "MetaSqnInfo<Long, Long>",
		"rowToSqnState":              "Map<RowDataKey<ROW<BIGINT NOT NULL, STRING>>, RowSqnInfo<Long, Long>>",
		"sqnToNodeState":             "Map<Long, Node<ROW<BIGINT NOT NULL, STRING, INT>, Long, Nullable<Long>, Nullable<Long>, Nullable<Long>, Long>>",
		"watermark-buffer":           "Map<SortedLong, List<ROW<BIGINT NOT NULL, STRING, INT>>>",
		"current-value":              "ROW<BIGINT NOT NULL, STRING, INT>",
		"consolidated-checkpoint-id": "Long",
	}
	seen := map[string]bool{}
	for _, dir := range dirs {
		sp, err := savepoint.Open(t.Context(), dir, savepoint.Options{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := savepoint.ReadStates(t.Context(), sp, savepoint.DeepOptions{})
		sp.Close()
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		for _, p := range res.Problems {
			t.Errorf("%s: %v", dir, p)
		}
		for _, o := range res.Operators {
			for _, k := range o.KeyedStates {
				if k.Meta == nil {
					t.Errorf("%s: %s: no meta info", dir, k.Name)
					continue
				}
				v := k.Meta.Serializer(metadata.ValueSerializerKey)
				v.Walk(func(x *metadata.SerializerSnapshot) {
					if x.Opaque {
						t.Errorf("%s: %s: opaque snapshot %s (%s)", dir, k.Name, x.Class, x.Note)
					}
				})
				w, ok := want[k.Name]
				if !ok {
					continue
				}
				seen[k.Name] = true
				ts := v.TypeString()
				// with TTL: the value's wrapper, or the map value's
				if k.TTL {
					w = map[bool]string{true: "Map<SortedLong, TTL(List<ROW<BIGINT NOT NULL, STRING, INT>>)>", false: "TTL(" + w + ")"}[k.Name == "watermark-buffer"]
				}
				if ts != w {
					t.Errorf("%s: %s: %s, want %s", dir, k.Name, ts, w)
				}
			}
		}
	}
	if len(seen) != len(want) {
		t.Errorf("states seen: %v, want all of %d", seen, len(want))
	}
}
