package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/spcheck/spcheck/compare"
	spfixtures "github.com/spcheck/spcheck/fixtures"
	"github.com/spcheck/spcheck/metadata"
	"github.com/spcheck/spcheck/savepoint"
)

const statesDir = "../../fixtures/states"

// TestDeepStatesFixtures opens the states fixture, reads its state
// headers, and checks it against each manifest of fixtures/states: the
// state-level rules must give exactly the findings and the verdict
// spfixtures.StateJobs lists.
func TestDeepStatesFixtures(t *testing.T) {
	sp, states := openDeep(t, filepath.Join(statesDir, "savepoint"))
	if len(states) != len(sp.Metadata.Operators) {
		t.Fatalf("states of %d operators, want %d", len(states), len(sp.Metadata.Operators))
	}
	n := 0
	for _, info := range states {
		if info.Incomplete {
			t.Error("an operator's headers are incomplete")
		}
		n += len(info.States)
	}
	if n != 15 {
		t.Errorf("%d states, want 15", n)
	}
	for _, job := range spfixtures.StateJobs {
		t.Run(job.File, func(t *testing.T) {
			g, rep := checkManifest(t, sp, filepath.Join(statesDir, job.File), states)
			var rules []string
			for _, f := range rep.Findings {
				rules = append(rules, string(f.Rule))
				if strings.HasPrefix(string(f.Rule), "SP05") {
					if f.NewOperator == nil || f.Operator.UID == "" || f.Fix == "" || f.Message == "" {
						t.Errorf("%s: finding without operators, message or fix: %+v", f.Rule, f)
					}
				}
				t.Logf("%s %s %s: %s | fix: %s", f.Rule, f.Severity, f.Operator, f.Message, f.Fix)
			}
			sort.Strings(rules)
			if !slices.Equal(rules, job.Rules) {
				t.Errorf("rules %v, want %v", rules, job.Rules)
			}
			if rep.Verdict != job.Verdict {
				t.Errorf("verdict %s, want %s", rep.Verdict, job.Verdict)
			}
			// Without deep mode the state-level rules stay silent.
			if plain := compare.Check(sp.Metadata, sp.Location, g, compare.Options{}); len(plain.Findings) != 0 {
				t.Errorf("without deep mode: %d findings", len(plain.Findings))
			}
		})
	}
}

// TestStatesFromDeep checks the conversion of every kind of state.
func TestStatesFromDeep(t *testing.T) {
	ctx := context.Background()
	sp, err := savepoint.Open(ctx, filepath.Join(statesDir, "savepoint"), savepoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	res, err := savepoint.ReadStates(ctx, sp, savepoint.DeepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for id, info := range StatesFromDeep(res) {
		for _, s := range info.States {
			key := ""
			if s.Key != nil {
				key = s.Key.TypeString() + " -> "
			}
			got[id.String()[:4]+" "+s.Name] = s.Kind + " " + key + s.Value.TypeString() + map[bool]string{true: " ttl"}[s.TTL]
		}
	}
	want := map[string]string{
		"seen":                           "value TTL(Boolean) ttl",
		"history":                        "list List<String>",
		"counts":                         "map Map<String, Long>",
		"_timer_state/event_user-timers": "timers Timer<String, VoidNamespace>",
		"offsets":                        "union-list Tuple2<Integer, Long>",
		"buffer":                         "list String",
		"rules":                          "broadcast String -> POJO com.example.Rule{name: String, threshold: Double}",
		"accState":                       "value ROW<BIGINT, DOUBLE, TIMESTAMP(3)>",
		"session":                        "value com.example.Session(String, Long)",
	}
	for name, w := range want {
		found := false
		for k, v := range got {
			if strings.HasSuffix(k, " "+name) {
				found = true
				if v != w {
					t.Errorf("%s: %s, want %s", name, v, w)
				}
			}
		}
		if !found {
			t.Errorf("no state %s in %v", name, got)
		}
	}
}

// TestDeepSQLStatesFixture reads the sql-states fixture (the SQL runtime's
// states whose serializers the Flink corpus lacks: LAG's LinkedList,
// MultiJoin, delta join, process table functions, ForSt's
// TtlAwareSerializerSnapshot, async lookups): every header decodes with no
// snapshot left opaque, and each manifest gives the findings
// spfixtures.SQLStateJobs lists.
func TestDeepSQLStatesFixture(t *testing.T) {
	dir := "../../fixtures/sql-states"
	sp, states := openDeep(t, filepath.Join(dir, "savepoint"))
	classes := map[string]bool{}
	n := 0
	for _, info := range states {
		if info.Incomplete {
			t.Error("an operator's headers are incomplete")
		}
		for _, st := range info.States {
			n++
			for _, s := range []*metadata.SerializerSnapshot{st.Value, st.Key, info.KeySerializer} {
				if s == nil {
					continue
				}
				s.Walk(func(x *metadata.SerializerSnapshot) {
					if x.Opaque {
						t.Errorf("state %q: opaque snapshot %s", st.Name, x.Class)
					}
				})
				for _, c := range s.Classes() {
					classes[c] = true
				}
			}
		}
	}
	if n != 16 {
		t.Errorf("%d states, want 16", n)
	}
	for _, c := range []string{
		"org.apache.flink.table.runtime.typeutils.LinkedListSerializer$LinkedListSerializerSnapshot",
		"org.apache.flink.table.runtime.typeutils.RawValueDataSerializer$RawValueDataSerializerSnapshot",
		"org.apache.flink.runtime.state.ttl.TtlAwareSerializerSnapshot",
		"org.apache.flink.api.common.typeutils.base.VariantSerializer$VariantSerializerSnapshot",
		"org.apache.flink.streaming.runtime.streamrecord.StreamElementSerializer$StreamElementSerializerSnapshot",
	} {
		if !classes[c] {
			t.Errorf("no %s in the fixture", c)
		}
	}
	for _, job := range spfixtures.SQLStateJobs {
		t.Run(job.File, func(t *testing.T) {
			_, rep := checkManifest(t, sp, filepath.Join(dir, job.File), states)
			var rules []string
			for _, f := range rep.Findings {
				rules = append(rules, string(f.Rule))
				if f.Rule == "SP056" && f.Operator.UID != "over-lag" {
					t.Errorf("SP056 on %s: %s", f.Operator, f.Message)
				}
			}
			sort.Strings(rules)
			if !slices.Equal(rules, job.Rules) {
				t.Errorf("rules %v, want %v", rules, job.Rules)
			}
			if rep.Verdict != job.Verdict {
				t.Errorf("verdict %s, want %s", rep.Verdict, job.Verdict)
			}
		})
	}
}

// TestDeepUnknownSerializerNamed builds a savepoint whose keyed state
// "money" was written with a serializer spcheck does not know (a user's
// own snapshot class with an 8-byte payload): inspect --deep reads past it
// (the next snapshot is found by resynchronising) and names it by its
// class, and check --deep says unknown (SP056) for that state, never
// compatible.
func TestDeepUnknownSerializerNamed(t *testing.T) {
	const custom = "com.example.MoneySerializer$MoneySnapshot"
	long := metadata.SimpleSnapshot("Long")
	h := &metadata.KeyedHeader{Version: 6, KeySerializer: metadata.SimpleSnapshot("String"), States: []metadata.StateMetaInfo{
		metadata.KeyedStateMetaInfo("count", metadata.ValueState, metadata.SimpleSnapshot("VoidNamespace"), long),
		metadata.KeyedStateMetaInfo("money", metadata.ValueState, metadata.SimpleSnapshot("VoidNamespace"), long),
	}}
	header, err := metadata.EncodeKeyedHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	// Replace the second Long value snapshot (utf class, i32 version 3)
	// with the custom class, version 1 and its payload.
	utf := func(s string) []byte { return append([]byte{byte(len(s) >> 8), byte(len(s))}, s...) }
	old := append(utf(long.Class), 0, 0, 0, 3)
	i := bytes.Index(header, old)
	j := i + len(old) + bytes.Index(header[i+len(old):], old)
	if i < 0 || j < i+len(old) {
		t.Fatalf("Long snapshots not found in the header")
	}
	repl := append(append(utf(custom), 0, 0, 0, 1), []byte("EUR\x00\x00\x00\x02\x00")...)
	header = append(append(append([]byte{}, header[:j]...), repl...), header[j+len(old):]...)

	dir := t.TempDir()
	const maxPar = 128
	data := append(append([]byte{}, header...), make([]byte, 8*maxPar)...)
	if err := os.WriteFile(filepath.Join(dir, "keyed-0"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	offs := make([]int64, maxPar)
	for k := range offs {
		offs[k] = int64(len(header) + 8*k)
	}
	m := &metadata.Metadata{Version: 5, CheckpointID: 7,
		Properties: &metadata.CheckpointProperties{Savepoint: true, TypeName: "Savepoint", FormatType: "CANONICAL", PostCheckpointAction: "NONE"},
		Operators: []metadata.OperatorState{{Name: "wallet", UID: "wallet", ID: metadata.OperatorIDFromUID("wallet"), Parallelism: 1, MaxParallelism: maxPar,
			Subtasks: []metadata.SubtaskState{{Index: 0, ManagedKeyedState: &metadata.KeyGroupsHandle{Tag_: metadata.TagSavepointKeyGroupsHandle,
				Range: metadata.KeyGroupRange{Start: 0, Count: maxPar}, Offsets: offs,
				Delegate: &metadata.RelativeFileHandle{RelativePath: "keyed-0", Size: int64(len(data))}}}}}}}
	b, err := metadata.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "_metadata"), b, 0o644); err != nil {
		t.Fatal(err)
	}

	stdout, stderr, code := run("inspect", "--deep", dir)
	if code != ExitOK {
		t.Fatalf("inspect --deep: exit %d: %s", code, stderr)
	}
	if !regexp.MustCompile(`keyed +money +value +opaque\(`+regexp.QuoteMeta(custom)+`\)\n`).MatchString(stdout) ||
		!regexp.MustCompile(`keyed +count +value +Long\n`).MatchString(stdout) {
		t.Errorf("inspect --deep does not name the unknown serializer:\n%s", stdout)
	}
	graph := filepath.Join(dir, "job.json")
	manifest := `{"format": "spcheck/jobgraph/v1", "operators": [{"uid": "wallet", "parallelism": 1, "stateful": true, "states": [
		{"name": "count", "kind": "value", "keyed": true, "serializer": "Long keyed by String"},
		{"name": "money", "kind": "value", "keyed": true, "serializer": "Long"}]}]}`
	if err := os.WriteFile(graph, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, _, code = run("check", "--deep", dir, "--graph", graph)
	if code != ExitFindings || !strings.Contains(stdout, "SP056") || !strings.Contains(stdout, custom) || strings.Contains(stdout, "SP054") {
		t.Errorf("check --deep: exit %d, want SP056 naming %s:\n%s", code, custom, stdout)
	}
}

// checkManifest reads the manifest at path and checks the savepoint against
// it with the state headers read, as check --deep does.
func checkManifest(t *testing.T, sp *savepoint.Savepoint, path string, states compare.SavepointStates) (*compare.JobGraph, *compare.Report) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	g, err := compare.ReadManifest(data, path)
	if err != nil {
		t.Fatal(err)
	}
	return g, compare.Check(sp.Metadata, sp.Location, g, compare.Options{States: states})
}

// openDeep opens the savepoint at dir and reads its state headers as
// check --deep does, failing the test on any problem reading them.
func openDeep(t *testing.T, dir string) (*savepoint.Savepoint, compare.SavepointStates) {
	t.Helper()
	sp, err := savepoint.Open(context.Background(), dir, savepoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	states, problems, err := deepStates(context.Background(), sp, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Fatalf("problems reading the headers: %v", problems)
	}
	return sp, states
}
