package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spcheck/spcheck/compare"
	tablecorpus "github.com/spcheck/spcheck/internal/corpus"
	"github.com/spcheck/spcheck/savepoint"
)

const tableRestoreDir = "../../testdata/flink/table-restore"

// sqlPair is one table-restore pair with its savepoint's deep states.
type sqlPair struct {
	name   string
	sp     *savepoint.Savepoint
	plan   []byte
	states compare.SavepointStates
}

func loadSQLPairs(t *testing.T) []sqlPair {
	t.Helper()
	ctx := context.Background()
	pairs, err := tablecorpus.TableRestorePairs(filepath.Dir(tableRestoreDir))
	if err != nil {
		t.Fatal(err)
	}
	var out []sqlPair
	for _, p := range pairs {
		plan, err := os.ReadFile(p.Plan)
		if err != nil {
			t.Fatal(err)
		}
		sp, err := savepoint.Open(ctx, p.Savepoint, savepoint.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sp.Close() })
		states, problems, err := deepStates(ctx, sp, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(problems) > 0 {
			t.Fatalf("%s: problems reading the headers: %v", p.Name, problems)
		}
		out = append(out, sqlPair{p.Name, sp, plan, states})
	}
	return out
}

func checkSQLPair(t *testing.T, p sqlPair, plan []byte) *compare.Report {
	t.Helper()
	g, err := compare.ReadGraph(plan, p.name, "")
	if err != nil {
		t.Fatal(err)
	}
	return compare.Check(p.sp.Metadata, p.name, g, compare.Options{States: p.states})
}

// Flink restored every table-restore savepoint into its compiled plan
// without --allowNonRestoredState: check --deep must give no finding above
// info for any pair, and the plan's state entries must have been compared
// with the savepoint's descriptors (not skipped) wherever a mapping is
// known.
func TestTableRestorePairsDeep(t *testing.T) {
	pairs := loadSQLPairs(t)
	compared, preRelease := 0, 0
	for _, p := range pairs {
		rep := checkSQLPair(t, p, p.plan)
		for _, f := range rep.Findings {
			if f.Severity != compare.Info {
				t.Errorf("%s: %s %s: %s", p.name, f.Severity, f.Rule, f.Message)
			}
			// A 2.0 plan with a pre-release format-4 savepoint: the
			// 1.x → 2.x rule applies, and --deep decides it restores.
			if f.Rule == "SP073" && tablecorpus.PreRelease2(rep.Savepoint.FormatVersion, rep.Graph.FlinkVersion) {
				preRelease++
			}
		}
		g, _ := compare.ReadGraph(p.plan, p.name, "")
		for _, op := range g.Operators {
			if len(op.States) > 0 && p.states[op.ID] != nil {
				compared++
			}
		}
	}
	t.Logf("%d pairs, %d operators with plan states compared with their savepoint states", len(pairs), compared)
	if preRelease != 2 {
		t.Errorf("SP073 (info) on %d pre-release 2.0 pairs, want 2", preRelease)
	}
	if len(pairs) != 284 {
		t.Errorf("%d pairs, want the corpus's 284 (88 of table-restore, 196 of table-restore-2.3)", len(pairs))
	}
	// 96 operators of the corpus have plan state entries
	// (groupAggregateState, leftState, rankState, input-state-0,
	// sinkMaterializeState, …) and state in the savepoint: all are mapped
	// (the sinks of 2.1 and 2.3 plans through sqlSinkState).
	if compared != 96 {
		t.Errorf("%d operators compared, want 96", compared)
	}
}

// The mapping is used, not bypassed: the same pairs with a plan whose state
// TTL differs from the savepoint's give SP057 (Flink before 2.1 cannot read
// TTL state with a plain serializer, TtlStateFactory), and a savepoint
// descriptor the entry does not cover is SP050.
func TestTableRestorePairsDeepChanged(t *testing.T) {
	pairs := loadSQLPairs(t)
	find := func(name string) sqlPair {
		for _, p := range pairs {
			if p.name == name {
				return p
			}
		}
		t.Fatalf("no pair %s", name)
		return sqlPair{}
	}
	rules := func(rep *compare.Report) string {
		var s []string
		for _, f := range rep.Findings {
			s = append(s, f.Severity.String()+" "+string(f.Rule))
		}
		return strings.Join(s, ", ")
	}

	// agg-with-state-ttl-hint: accState has TTL (1 s in the plan).
	p := find("table-restore/stream-exec-group-aggregate_1/agg-with-state-ttl-hint")
	plan := strings.Replace(string(p.plan), `"ttl" : "1 s"`, `"ttl" : "0 ms"`, 1)
	if plan == string(p.plan) {
		t.Fatal("the plan has no ttl of 1 s")
	}
	rep := checkSQLPair(t, p, []byte(plan))
	if got := rules(rep); got != "error SP057" {
		t.Errorf("TTL removed: findings %s, want error SP057", got)
	} else if f := rep.Findings[0]; !strings.Contains(f.Message, `"accState"`) || !strings.Contains(f.Fix, "groupAggregateState") {
		t.Errorf("TTL removed: %s / %s", f.Message, f.Fix)
	}

	// join-with-state-ttl-hint: left-records and right-records have TTL.
	p = find("table-restore/stream-exec-join_1/join-with-state-ttl-hint")
	plan = strings.NewReplacer(`"ttl" : "1 d"`, `"ttl" : "0 ms"`, `"ttl" : "4 d"`, `"ttl" : "0 ms"`).Replace(string(p.plan))
	rep = checkSQLPair(t, p, []byte(plan))
	if got := rules(rep); got != "error SP057, error SP057" {
		t.Errorf("join TTL removed: findings %s, want two SP057 errors", got)
	}

	// A deduplicate node restored over a group aggregate's state: its
	// deduplicateState covers no accState.
	p = find("table-restore/stream-exec-group-aggregate_1/group-aggregate-simple")
	plan = strings.Replace(string(p.plan), `"name" : "groupAggregateState"`, `"name" : "deduplicateState"`, 1)
	plan = strings.Replace(plan, `"stream-exec-group-aggregate_1"`, `"stream-exec-deduplicate_1"`, 1)
	// The uid format keeps the operator ID of the aggregate.
	g, err := compare.ReadSQLPlanWithConfig(strings.NewReader(plan), p.name, map[string]string{"table.exec.uid.format": "<id>_group-aggregate"})
	if err != nil {
		t.Fatal(err)
	}
	rep = compare.Check(p.sp.Metadata, p.name, g, compare.Options{States: p.states})
	got := rules(rep)
	if !strings.Contains(got, "warning SP050") || !strings.Contains(got, "info SP051") {
		t.Errorf("deduplicate plan over an aggregate's state: findings %s, want SP050 and SP051", got)
	}

	// A multi-way join (Flink 2.1+): input-state-0 is the map state
	// multi-join-input-0, written with the plan's TTL of 1 d; without it,
	// Flink 2.2+ migrates the state with the heap and RocksDB backends
	// (info) and fails with ForSt: unknown while no backend is given. (ForSt
	// also restores no canonical savepoint: SP072.)
	mj := find("table-restore-2.3/stream-exec-multi-join_1/three-way-inner-join-with-ttl-hints-with-restore")
	plan = strings.Replace(string(mj.plan), `"ttl" : "1 d"`, `"ttl" : "0 ms"`, 1)
	if plan == string(mj.plan) {
		t.Fatal("the multi-join plan has no ttl of 1 d")
	}
	rep = checkSQLPair(t, mj, []byte(plan))
	if got := rules(rep); got != "unknown SP057" || !strings.Contains(rep.Findings[0].Message, `"multi-join-input-0"`) {
		t.Errorf("multi-join TTL removed: findings %s, want unknown SP057 on multi-join-input-0", got)
	}
	for backend, want := range map[compare.StateBackend]string{compare.BackendHashMap: "info SP057", compare.BackendRocksDB: "info SP057", compare.BackendForSt: "error SP057, error SP072"} {
		g, err := compare.ReadGraph([]byte(plan), mj.name, "")
		if err != nil {
			t.Fatal(err)
		}
		g.StateBackend = backend
		if got := rules(compare.Check(mj.sp.Metadata, mj.name, g, compare.Options{States: mj.states})); got != want {
			t.Errorf("multi-join TTL removed, %s: findings %s, want %s", backend, got, want)
		}
	}
	// Its inputs renumbered: input-state-3 covers no multi-join-input-2.
	plan = strings.Replace(string(mj.plan), `"name" : "input-state-2"`, `"name" : "input-state-3"`, 1)
	if got := rules(checkSQLPair(t, mj, []byte(plan))); !strings.Contains(got, "warning SP050") {
		t.Errorf("multi-join input renumbered: findings %s, want SP050", got)
	}

	// An exec node version without a mapping: nothing is compared.
	plan = strings.Replace(string(p.plan), `"name" : "groupAggregateState"`, `"name" : "someFutureState"`, 1)
	rep = checkSQLPair(t, p, []byte(plan))
	if got := rules(rep); got != "" {
		t.Errorf("unmapped plan state: findings %s, want none", got)
	}
}

// --table-config and --flink-version decide a compiled plan's uids: a
// uid format the old job did not run with loses every operator's state,
// and a malformed setting is a usage error.
func TestCheckTableConfig(t *testing.T) {
	pair := filepath.Join(tableRestoreDir, "stream-exec-join_1", "join-left-join")
	plan := filepath.Join(pair, "plan", "join-left-join.json")
	sp := filepath.Join(pair, "savepoint")
	if _, _, code := run("check", sp, "--graph", plan, "--table-config", "table.exec.uid.format=<id>_<transformation>"); code != 0 {
		t.Errorf("the default format: exit %d, want 0", code)
	}
	out, _, code := run("check", sp, "--graph", plan, "--flink-version", "1.20", "--table-config", "table.exec.uid.format=<id>_<type>_<version>_<transformation>")
	if code != 1 || !strings.Contains(out, "SP001") || !strings.Contains(out, "table.exec.uid.format") || strings.Contains(out, "setUidHash") {
		t.Errorf("the 1.15 format: exit %d, output:\n%s", code, out)
	}
	if _, errOut, code := run("check", sp, "--graph", plan, "--table-config", "uid.format"); code != 2 || !strings.Contains(errOut, "--table-config") {
		t.Errorf("malformed: exit %d, %s", code, errOut)
	}
}
