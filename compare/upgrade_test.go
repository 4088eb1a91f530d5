package compare_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/spcheck/spcheck/compare"
	"github.com/spcheck/spcheck/internal/cli"
	"github.com/spcheck/spcheck/metadata"
	"github.com/spcheck/spcheck/savepoint"
)

const fixturesDir = "../fixtures"

func loadMeta(t *testing.T, path string) *metadata.Metadata {
	t.Helper()
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, "_metadata")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := metadata.Decode(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func deepStatesOf(t *testing.T, dir string) compare.SavepointStates {
	t.Helper()
	sp, err := savepoint.Open(context.Background(), dir, savepoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	res, err := savepoint.ReadStates(context.Background(), sp, savepoint.DeepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cli.StatesFromDeep(res)
}

// upgradeRules runs Check with the savepoint as its own new graph (the
// same job, upgraded) on the target Flink and backend, and returns the
// upgrade findings as "SP07x:severity", sorted.
func upgradeRules(t *testing.T, m *metadata.Metadata, flink string, backend compare.StateBackend, states compare.SavepointStates) ([]string, *compare.Report) {
	t.Helper()
	g := compare.GraphFromSavepoint(m, "same job")
	g.FlinkVersion, g.StateBackend = flink, backend
	rep := compare.Check(m, "sp", g, compare.Options{States: states})
	var out []string
	for _, f := range rep.Findings {
		if f.Rule >= "SP070" && f.Rule <= "SP079" {
			out = append(out, string(f.Rule)+":"+f.Severity.String())
			if f.Fix == "" || f.Message == "" {
				t.Errorf("%s without message or fix", f.Rule)
			}
		}
	}
	sort.Strings(out)
	return out, rep
}

const ft = corpus + "/flink-tests/"

// Corpus savepoints of every Flink version in testdata/flink, each with
// the target versions and backends where the answer changes.
func TestUpgradeRulesOnCorpus(t *testing.T) {
	for _, tc := range []struct {
		path    string
		flink   string
		backend compare.StateBackend
		want    []string
	}{
		// Flink 1.2 (format 1): 1.3 – 1.10 read it; 1.11+ refuse it
		// (MetadataV1Serializer).
		{fixturesDir + "/versions/v1", "1.10", "", nil},
		{fixturesDir + "/versions/v1", "1.11", "", []string{"SP070:error"}},
		// Flink 1.3 (format 2, 1.3 – 1.10): on 1.17+ a pre-1.8 savepoint
		// may hold TypeSerializerConfigSnapshots; without --deep unknown.
		{ft + "operatorstate/complexKeyed-flink1.3", "1.16", "", nil},
		{ft + "operatorstate/complexKeyed-flink1.3", "1.17", "", []string{"SP071:unknown"}},
		// … and a 1.x savepoint on 2.x: not guaranteed (2.0 release notes).
		{ft + "operatorstate/complexKeyed-flink1.3", "2.0", "", []string{"SP071:unknown", "SP073:unknown"}},
		// A format-2 savepoint on Flink 1.2 (reads format 1 only).
		{ft + "new-stateful-udf-migration-itcase-flink1.8-savepoint", "1.2", "", []string{"SP070:error"}},
		{ft + "new-stateful-udf-migration-itcase-flink1.8-savepoint", "1.20", "", []string{"SP071:unknown"}},
		// Pre-1.13 full snapshot (format 2/3 without the savepoint handle):
		// the backend is not told; with a target backend unknown.
		{ft + "new-stateful-udf-migration-itcase-flink1.10-rocksdb-savepoint", "1.10", compare.BackendRocksDB, []string{"SP072:unknown"}},
		// Format 3 (1.11 – 1.15): 1.10 cannot read it.
		{ft + "new-stateful-udf-migration-itcase-flink1.11-savepoint", "1.10", "", []string{"SP070:error"}},
		{ft + "new-stateful-udf-migration-itcase-flink1.12-savepoint", "1.18", "", nil},
		// 1.13+ canonical savepoints (tag 7) switch backends freely; on
		// 1.12 they are a downgrade.
		{ft + "new-stateful-udf-migration-itcase-flink1.13-rocksdb-savepoint", "1.19", compare.BackendHashMap, nil},
		{ft + "new-stateful-udf-migration-itcase-flink1.13-rocksdb-savepoint", "1.12", "", []string{"SP076:unknown"}},
		// ForSt restores a canonical savepoint only with heap timers, Flink
		// 2.0 to 2.3 (the oracle's types-rocksdb-canonical--to-forst cases).
		{ft + "new-stateful-udf-migration-itcase-flink1.14-savepoint", "2.0", compare.BackendForSt, []string{"SP072:error", "SP073:unknown"}},
		{ft + "new-stateful-udf-migration-itcase-flink1.14-savepoint", "2.1", compare.BackendForSt, []string{"SP072:error", "SP073:unknown"}},
		{ft + "new-stateful-udf-migration-itcase-flink1.14-savepoint", "2.4", compare.BackendForSt, []string{"SP072:unknown", "SP073:unknown"}},
		// 1.15 (format 3) checkpoint of the hashmap backend: full snapshot.
		{ft + "new-stateful-udf-migration-itcase-flink1.15-hashmap-checkpoint", "1.15", "", nil},
		{ft + "new-stateful-udf-migration-itcase-flink1.15-hashmap-checkpoint", "1.15", compare.BackendHashMap, []string{"SP072:unknown"}},
		// Format 4 (1.16 – 1.20) on 1.15: refused.
		{ft + "new-stateful-udf-migration-itcase-flink1.16-hashmap-savepoint", "1.15", "", []string{"SP070:error"}},
		// RocksDB native savepoints (incremental files): RocksDB yes,
		// hashmap refuses them (HeapRestoreOperation), ForSt unknown.
		{ft + "new-stateful-udf-migration-itcase-flink1.17-rocksdb-savepoint-native", "1.17", compare.BackendRocksDB, nil},
		{ft + "new-stateful-udf-migration-itcase-flink1.17-rocksdb-savepoint-native", "1.17", compare.BackendHashMap, []string{"SP072:error"}},
		{ft + "new-stateful-udf-migration-itcase-flink1.18-rocksdb-checkpoint", "1.20", compare.BackendHashMap, []string{"SP072:error"}},
		{ft + "new-stateful-udf-migration-itcase-flink1.19-rocksdb-savepoint-native", "2.0", compare.BackendForSt, []string{"SP072:unknown", "SP073:unknown"}},
		// Changelog checkpoint with nothing materialized: from 1.16 the
		// changes are applied onto any backend (and Flink 2.3's migration
		// test restores it); without a Flink version, unknown.
		{ft + "new-stateful-udf-migration-itcase-flink1.17-hashmap-checkpoint", "1.17", compare.BackendHashMap, nil},
		{ft + "new-stateful-udf-migration-itcase-flink1.17-hashmap-checkpoint", "1.17", compare.BackendRocksDB, nil},
		{ft + "new-stateful-udf-migration-itcase-flink1.17-hashmap-checkpoint", "", compare.BackendRocksDB, []string{"SP072:unknown"}},
		// Hashmap native savepoint: full snapshot, the writer is not told.
		{ft + "new-stateful-udf-migration-itcase-flink1.18-hashmap-savepoint-native", "1.19", compare.BackendRocksDB, []string{"SP072:unknown"}},
		{ft + "new-stateful-udf-migration-itcase-flink1.19-hashmap-savepoint", "1.19", compare.BackendRocksDB, nil},
		{ft + "new-stateful-udf-migration-itcase-flink1.19-hashmap-savepoint", "2.2", "", []string{"SP073:unknown"}},
		// Flink 2.x formats.
		{fixturesDir + "/versions/v5", "1.20", "", []string{"SP070:error"}},
		{fixturesDir + "/versions/v5", "2.0", compare.BackendRocksDB, []string{"SP072:unknown"}},
		{fixturesDir + "/versions/v5", "2.0", compare.BackendHashMap, []string{"SP072:error"}},
		{fixturesDir + "/versions/v6", "2.0", "", []string{"SP070:error"}},
		// 2.1 to 2.3 read format 6 (the restore oracle, testdata/oracle/2.1.0 to 2.3.0)
		{fixturesDir + "/versions/v6", "2.1", "", nil},
		{fixturesDir + "/versions/v6", "2.2", "", nil},
		{fixturesDir + "/versions/v6", "2.3", "", nil},
		{fixturesDir + "/versions/v6", "2.4", "", []string{"SP070:unknown"}},
		// Format 7, which no release spcheck verified writes: unknown on 2.4,
		// refused by 2.3 (MetadataSerializers.java:36-41, 2.3.0: V1 to V6).
		{fixturesDir + "/versions/v7", "2.4", "", []string{"SP070:unknown"}},
		{fixturesDir + "/versions/v7", "2.3", "", []string{"SP070:error"}},
	} {
		m := loadMeta(t, tc.path)
		got, _ := upgradeRules(t, m, tc.flink, tc.backend, nil)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s on Flink %s %s: %v, want %v", strings.TrimPrefix(tc.path, ft), tc.flink, tc.backend, got, tc.want)
		}
	}
}

// Without a target Flink or backend the upgrade rules stay silent.
func TestUpgradeRulesNeedATarget(t *testing.T) {
	m := loadMeta(t, ft+"new-stateful-udf-migration-itcase-flink1.17-rocksdb-savepoint-native")
	got, rep := upgradeRules(t, m, "", "", nil)
	if len(got) != 0 || rep.Provenance != nil {
		t.Errorf("findings %v, provenance %v without a target", got, rep.Provenance)
	}
}

// With --deep: Flink 1.3's serializers are TypeSerializerConfigSnapshots,
// which 1.17+ refuse (FLINK-29807), and the range narrows to ≤1.16.
func TestLegacySerializersDeep(t *testing.T) {
	dir := ft + "operatorstate/complexKeyed-flink1.3"
	m := loadMeta(t, dir)
	states := deepStatesOf(t, dir)
	got, rep := upgradeRules(t, m, "1.17", "", states)
	if !slices.Contains(got, "SP071:error") || slices.Contains(got, "SP071:unknown") {
		t.Errorf("1.3 savepoint on 1.17 with deep states: %v", got)
	}
	for _, f := range rep.Findings {
		if f.Rule == "SP071" && !strings.Contains(f.FlinkMessage, "TypeSerializerConfigSnapshot is no longer supported") {
			t.Errorf("SP071 without Flink's message: %+v", f)
		}
	}
	if got, _ := upgradeRules(t, m, "1.16", "", states); len(got) != 0 {
		t.Errorf("on 1.16: %v", got)
	}
	// A 1.19 savepoint: its serializers are TypeSerializerSnapshots.
	dir = ft + "new-stateful-broadcast-udf-migration-itcase-flink1.19-rocksdb-savepoint"
	if got, _ := upgradeRules(t, loadMeta(t, dir), "1.20", "", deepStatesOf(t, dir)); len(got) != 0 {
		t.Errorf("1.19 savepoint on 1.20: %v", got)
	}
}

// Kryo and Scala serializers on Flink 2.x. The states fixture holds both
// (a Kryo-serialized value and Scala Option and case-class values); its
// metadata is format 5, so the test takes it as the format-4 savepoint
// a Flink 1.x job with the same states writes.
func TestKryoAndScalaOnFlink2(t *testing.T) {
	dir := fixturesDir + "/states/savepoint"
	m := loadMeta(t, dir)
	m.Version = 4
	states := deepStatesOf(t, dir)
	got, rep := upgradeRules(t, m, "2.0", "", states)
	// SP074 and SP075 decide; SP073 adds nothing where --deep found only
	// Kryo and Scala beyond Flink's own serializers.
	want := []string{"SP074:error", "SP075:unknown"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for _, f := range rep.Findings {
		switch f.Rule {
		case "SP074":
			if f.Operator.UID != "orders" || !strings.Contains(f.Message, `"legacy"`) || !strings.Contains(f.Message, "LegacyPayload") {
				t.Errorf("SP074: %+v", f)
			}
		case "SP075":
			if f.Operator.UID != "sessions" || !strings.Contains(f.Message, `"lastSeen"`) {
				t.Errorf("SP075: %+v", f)
			}
		}
	}
	if rep.Verdict != compare.Incompatible {
		t.Errorf("verdict %s", rep.Verdict)
	}
	// On 1.20 none of it applies.
	if got, _ := upgradeRules(t, m, "1.20", "", states); len(got) != 0 {
		t.Errorf("on 1.20: %v", got)
	}
}

// The backend that wrote a full snapshot, from its bytes
// (cli.KeyedFormatOf, savepoint.ProbeKeyedFormat), decides SP072 the way
// Flink's restore does: the heap backend restores a KeyGroupsStateHandle
// with HeapRestoreOperation, which fails on RocksDB's full format
// ("Unexpected key-group in restore.", HeapRestoreOperation.java:212-216,
// Flink 1.20 and 2.0); RocksDB with RocksDBFullRestoreOperation
// (RocksDBKeyedStateBackendBuilder.java:561, 1.20; :581, 2.0), which fails
// on the heap's format (the restore oracle's *--to-rocksdb cases).
func TestBackendSwitchFromTheBytes(t *testing.T) {
	for _, tc := range []struct {
		path    string
		flink   string
		backend compare.StateBackend
		want    []string
		writer  string // the provenance's backend text
	}{
		{ft + "new-stateful-udf-migration-itcase-flink1.15-hashmap-checkpoint", "1.15", compare.BackendHashMap, nil, "hashmap (full snapshot)"},
		{ft + "new-stateful-udf-migration-itcase-flink1.15-hashmap-checkpoint", "1.15", compare.BackendRocksDB, []string{"SP072:error"}, "hashmap (full snapshot)"},
		{ft + "new-stateful-udf-migration-itcase-flink1.15-rocksdb-checkpoint", "1.15", compare.BackendRocksDB, nil, "RocksDB (full snapshot)"},
		{ft + "new-stateful-udf-migration-itcase-flink1.15-rocksdb-checkpoint", "1.15", compare.BackendHashMap, []string{"SP072:error"}, "RocksDB (full snapshot)"},
		{ft + "new-stateful-udf-migration-itcase-flink1.18-hashmap-savepoint-native", "1.19", compare.BackendRocksDB, []string{"SP072:error"}, "hashmap (full snapshot)"},
		{ft + "new-stateful-udf-migration-itcase-flink1.19-hashmap-savepoint-native", "1.19", compare.BackendHashMap, nil, "hashmap (full snapshot)"},
		// Before FLIP-41 (1.13) savepoints were in the backend's own format.
		{ft + "new-stateful-udf-migration-itcase-flink1.10-rocksdb-savepoint", "1.10", compare.BackendRocksDB, nil, "RocksDB (full snapshot)"},
		{ft + "new-stateful-udf-migration-itcase-flink1.10-savepoint", "1.10", compare.BackendRocksDB, []string{"SP072:error"}, "hashmap (full snapshot)"},
		{ft + "new-stateful-broadcast-udf-migration-itcase-flink1.10-rocksdb-savepoint", "1.10", compare.BackendHashMap, []string{"SP072:error"}, "RocksDB (full snapshot)"},
		// ForSt restores no full snapshot with its default timers, whoever
		// wrote it (ForStKeyedStateBackendBuilder.java:375-428, 2.3.0).
		{ft + "new-stateful-udf-migration-itcase-flink1.19-hashmap-savepoint-native", "2.0", compare.BackendForSt, []string{"SP072:error", "SP073:unknown"}, "hashmap (full snapshot)"},
	} {
		m := loadMeta(t, tc.path)
		sp, err := savepoint.OpenSummaries(context.Background(), tc.path, savepoint.Options{})
		if err != nil {
			t.Fatal(err)
		}
		k := cli.KeyedFormatOf(context.Background(), sp)
		sp.Close()
		if k == nil || k.Writer == compare.BackendUnknown {
			t.Fatalf("%s: the probe did not tell the writer: %+v", tc.path, k)
		}
		g := compare.GraphFromSavepoint(m, "same job")
		g.FlinkVersion, g.StateBackend = tc.flink, tc.backend
		rep := compare.Check(m, "sp", g, compare.Options{KeyedFormat: k})
		var got []string
		for _, f := range rep.Findings {
			if f.Rule >= "SP070" && f.Rule <= "SP079" {
				got = append(got, string(f.Rule)+":"+f.Severity.String())
			}
			if f.Rule == "SP072" && f.Severity == compare.Error && (f.FlinkMessage == "" || tc.backend != compare.BackendForSt && !strings.Contains(f.Message, k.Evidence)) {
				t.Errorf("%s: SP072 without Flink's message or the evidence: %+v", tc.path, f)
			}
		}
		sort.Strings(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s into %s on %s: %v, want %v", strings.TrimPrefix(tc.path, ft), tc.backend, tc.flink, got, tc.want)
		}
		if rep.Provenance == nil || rep.Provenance.BackendText() != tc.writer {
			t.Errorf("%s: provenance %v, want backend %s", tc.path, rep.Provenance, tc.writer)
		}
	}
}

// SP073 with --deep: a 1.20 savepoint whose states use only Flink's own
// serializers restores on 2.0 (the restore oracle's 2.0.0/from-1.20.1--*
// cases: Flink 2.0.0 restored them), so SP073 is info; without --deep it
// is unknown and says to run --deep; a serializer spcheck does not know,
// or a snapshot class Flink 2.0 no longer has, keeps it unknown.
func TestMajorUpgradeDeep(t *testing.T) {
	dir := "../testdata/oracle/1.20.1/savepoints/rocksdb-canonical"
	m := loadMeta(t, dir)
	states := deepStatesOf(t, dir)
	got, rep := upgradeRules(t, m, "2.0", "", states)
	if !slices.Equal(got, []string{"SP073:info"}) || rep.Verdict != compare.Compatible {
		t.Errorf("1.20 savepoint of Flink's serializers on 2.0 with --deep: %v, verdict %s", got, rep.Verdict)
	}
	got, rep = upgradeRules(t, m, "2.0", "", nil)
	if !slices.Equal(got, []string{"SP073:unknown"}) || rep.Verdict != compare.VerdictUnknown {
		t.Errorf("without --deep: %v, verdict %s", got, rep.Verdict)
	}
	for _, f := range rep.Findings {
		if f.Rule == "SP073" && (!strings.Contains(f.Message, "run check --deep") || !strings.Contains(f.Fix, "--deep")) {
			t.Errorf("SP073 without --deep does not say to run it: %+v", f)
		}
	}
	// The same states, one with a serializer spcheck does not know (a
	// custom TypeSerializerSnapshot), one with a snapshot class Flink 2.0
	// moved (TwoPhaseCommitSinkFunction's, to ….sink.legacy).
	for _, class := range []string{"com.example.CustomSerializerSnapshot", "org.apache.flink.streaming.api.functions.sink.TwoPhaseCommitSinkFunction$StateSerializerSnapshot"} {
		edited, _ := editFirstState(states, func(st *compare.StateInfo) bool { return st.Value != nil }, func(st *compare.StateInfo) {
			st.Value = &metadata.SerializerSnapshot{Class: class, Family: metadata.FamilyOpaque, Opaque: true}
			if !strings.HasPrefix(class, "com.example") {
				st.Value.Family = metadata.FamilyComposite
				st.Value.Opaque = false
			}
		})
		got, rep := upgradeRules(t, m, "2.0", "", edited)
		if !slices.Equal(got, []string{"SP073:unknown"}) {
			t.Errorf("%s: %v", class, got)
		}
		for _, f := range rep.Findings {
			if f.Rule == "SP073" && !strings.Contains(f.Message, class[strings.LastIndex(class, ".")+1:]) {
				t.Errorf("SP073 does not name %s: %s", class, f.Message)
			}
		}
	}
	// On 1.20 (no major upgrade) nothing applies.
	if got, _ := upgradeRules(t, m, "1.20", "", states); len(got) != 0 {
		t.Errorf("on 1.20: %v", got)
	}
}

// The compatibility table's limitations.
func TestCompatibilityTableLimitations(t *testing.T) {
	// A Flink 1.2 savepoint whose operator runs with another parallelism
	// on 1.3+.
	m := loadMeta(t, fixturesDir+"/versions/v1")
	g := compare.GraphFromSavepoint(m, "job")
	for _, op := range g.Operators {
		op.Parallelism++
	}
	for _, tc := range []struct {
		flink string
		want  bool
	}{{"1.2", false}, {"1.3", true}, {"1.10", true}} {
		g.FlinkVersion = tc.flink
		rep := compare.Check(m, "sp", g, compare.Options{})
		has := false
		for _, f := range rep.Findings {
			has = has || f.Rule == "SP077"
		}
		if has != tc.want {
			t.Errorf("1.2 savepoint, parallelism changed, on %s: SP077 %v, want %v", tc.flink, has, tc.want)
		}
	}
	// An unaligned checkpoint of Flink 1.11: format 3, one subtask with
	// in-flight data, channel handles in the 1.11 layout (no subtask index).
	m = &metadata.Metadata{Version: 3, CheckpointID: 7, Quirks: []metadata.Quirk{metadata.QuirkNoChannelSubtaskIndex},
		Operators: []metadata.OperatorState{{ID: metadata.OperatorIDFromUID("map"), Parallelism: 1, MaxParallelism: 128,
			Subtasks: []metadata.SubtaskState{{InputChannelState: []*metadata.ChannelHandle{{}}}}}}}
	for _, tc := range []struct {
		flink string
		want  []string
	}{{"1.12", nil}, {"1.13", []string{"SP077:error"}}} {
		got, _ := upgradeRules(t, m, tc.flink, "", nil)
		if !slices.Equal(got, tc.want) {
			t.Errorf("1.11 unaligned checkpoint on %s: %v, want %v", tc.flink, got, tc.want)
		}
	}
}

// Provenance on the corpus: the Flink range always contains the release
// the directory name says wrote it (where the name says one), and the
// backend guess contains the named backend.
func TestProvenanceContainsTheWriter(t *testing.T) {
	dirs, _ := filepath.Glob(ft + "*-flink1.*")
	more, _ := filepath.Glob(ft + "operatorstate/*-flink1.*")
	dirs = append(dirs, more...)
	n := 0
	for _, d := range dirs {
		name := filepath.Base(d)
		i := strings.Index(name, "flink1.")
		ver := strings.SplitN(name[i+len("flink"):], "-", 2)[0]
		if ver == "1.16" && strings.Contains(d, "operatorstate") {
			continue // pre-release 1.16 files in format 3 (testdata/flink/README.md)
		}
		v := compare.MustFlinkVersion(ver)
		m := loadMeta(t, d)
		p := compare.ProvenanceOf(m, nil)
		if v.Compare(p.MinFlink) < 0 || !p.MaxFlink.IsZero() && v.Compare(p.MaxFlink) > 0 {
			t.Errorf("%s: written by %s, outside %s", name, ver, p.Range())
		}
		if strings.Contains(name, "rocksdb") && p.Backends != nil && !slices.Contains(p.Backends, compare.BackendRocksDB) {
			t.Errorf("%s: backends %v", name, p.Backends)
		}
		if strings.Contains(name, "hashmap") && p.Backends != nil && !slices.Contains(p.Backends, compare.BackendHashMap) {
			t.Errorf("%s: backends %v", name, p.Backends)
		}
		if strings.HasSuffix(name, "-checkpoint") && m.Version >= 4 && p.Format != "checkpoint" {
			t.Errorf("%s: format %q", name, p.Format)
		}
		n++
	}
	if n < 100 {
		t.Errorf("only %d corpus savepoints checked", n)
	}
	t.Logf("%d corpus savepoints checked", n)
}

// Flink 2.x: RocksDB and ForSt write the same IncrementalRemoteKeyedStateHandles
// of RocksDB 8.10 files, and each restores the other's (the restore oracle's
// 2.0.0/forst-*--to-rocksdb and rocksdb-*--to-forst cases: restored). SP072
// says nothing for such a snapshot into ForSt, nor into RocksDB when --deep
// read every keyed state and none is a state V2 one (unknown when they were
// not read): a state V2 one only ForSt restores; hashmap still refuses it
// (forst-*--to-hashmap: "Unexpected state handle type").
func TestRocksDBAndForStIncrementalOnFlink2(t *testing.T) {
	const dir = "../testdata/oracle/2.0.0/savepoints/"
	for _, snap := range []string{"forst-checkpoint", "forst-native", "rocksdb-checkpoint", "rocksdb-native"} {
		m := loadMeta(t, dir+snap)
		states := deepStatesOf(t, dir+snap)
		for _, tc := range []struct {
			backend compare.StateBackend
			states  compare.SavepointStates
			want    []string
		}{
			{compare.BackendRocksDB, states, nil},
			{compare.BackendForSt, states, nil},
			{compare.BackendHashMap, states, []string{"SP072:error"}},
			{compare.BackendRocksDB, nil, []string{"SP072:unknown"}},
			{compare.BackendForSt, nil, nil},
		} {
			for _, flink := range []string{"2.0", "2.2"} {
				got, rep := upgradeRules(t, m, flink, tc.backend, tc.states)
				if !slices.Equal(got, tc.want) {
					t.Errorf("%s into %s on %s (deep %v): %v, want %v", snap, tc.backend, flink, tc.states != nil, got, tc.want)
				}
				if rep.Provenance == nil || rep.Provenance.Snapshot != "incremental" {
					t.Errorf("%s: provenance %+v", snap, rep.Provenance)
				}
			}
		}
		// A keyed state of the V2 (asynchronous) API: only ForSt writes
		// one; ForSt restores it, RocksDB fails (the oracle's
		// sqlasync-forst-native cases).
		v2, marked := editFirstState(states, func(st *compare.StateInfo) bool { return st.Keyed && st.Kind != compare.KindTimers },
			func(st *compare.StateInfo) { st.V2 = true })
		if !marked {
			t.Fatalf("%s: no keyed state read", snap)
		}
		got, rep := upgradeRules(t, m, "2.0", compare.BackendRocksDB, v2)
		if !slices.Equal(got, []string{"SP072:error"}) {
			t.Errorf("%s with a V2 state into RocksDB: %v", snap, got)
		}
		for _, f := range rep.Findings {
			if f.Rule == compare.RuleStateBackendSwitch && (!strings.Contains(f.Message, "asynchronous state API") || f.FlinkMessage == "") {
				t.Errorf("%s: %s", snap, f.Message)
			}
		}
		if got, _ := upgradeRules(t, m, "2.2", compare.BackendForSt, v2); got != nil {
			t.Errorf("%s with a V2 state into ForSt: %v", snap, got)
		}
	}
}

// editFirstState returns a copy of states in which edit changed the first
// state match accepts (in map order: any one), and whether there was one;
// states is left as it is.
func editFirstState(states compare.SavepointStates, match func(*compare.StateInfo) bool, edit func(*compare.StateInfo)) (compare.SavepointStates, bool) {
	edited := compare.SavepointStates{}
	done := false
	for id, info := range states {
		c := *info
		c.States = slices.Clone(info.States)
		for i := range c.States {
			if !done && match(&c.States[i]) {
				edit(&c.States[i])
				done = true
			}
		}
		edited[id] = &c
	}
	return edited, done
}
