package compare

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/spcheck/spcheck/metadata"
)

// corpusFlink is the corpus of real Flink savepoints (see
// testdata/flink/README.md).
const corpusFlink = "../testdata/flink"

// jobsFile is the part of the corpus's jobs.json the tests use.
type jobsFile struct {
	Cases map[string]struct {
		FlinkVersion string `json:"flink_version"`
		Operators    []struct {
			UID             string `json:"uid"`
			IDHex           string `json:"id_hex"`
			FoundInMetadata bool   `json:"found_in_metadata"`
			Stateful        bool   `json:"stateful"`
		} `json:"operators"`
	} `json:"cases"`
}

// restoreCase is one table-restore pair of the corpus.
type restoreCase struct {
	key       string // jobs.json key: table-restore/<exec-node>/<case>/savepoint
	plan      string
	savepoint string
}

func loadJobs(t *testing.T) *jobsFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusFlink, "jobs.json"))
	if err != nil {
		t.Fatalf("corpus missing: %v", err)
	}
	var jobs jobsFile
	if err := json.Unmarshal(data, &jobs); err != nil {
		t.Fatalf("jobs.json: %v", err)
	}
	return &jobs
}

func restoreCases(t *testing.T) []restoreCase {
	t.Helper()
	plans, err := filepath.Glob(filepath.Join(corpusFlink, "table-restore", "*", "*", "plan", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) == 0 {
		t.Fatalf("corpus missing: no compiled plans under %s/table-restore", corpusFlink)
	}
	var cases []restoreCase
	for _, plan := range plans {
		dir := filepath.Dir(filepath.Dir(plan))
		rel, err := filepath.Rel(corpusFlink, dir)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, restoreCase{
			key:       filepath.ToSlash(rel) + "/savepoint",
			plan:      plan,
			savepoint: filepath.Join(dir, "savepoint", "_metadata"),
		})
	}
	return cases
}

func readPlanFile(t *testing.T, path string) *JobGraph {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := ReadSQLPlan(f, path)
	if err != nil {
		t.Fatalf("ReadSQLPlan: %v", err)
	}
	return g
}

func byUID(g *JobGraph) map[string]*Operator {
	m := map[string]*Operator{}
	for _, op := range g.Operators {
		m[op.UID] = op
	}
	return m
}

// TestReadSQLPlanCorpus checks every table-restore plan against the
// operators jobs.json lists for the savepoint Flink restored into it.
func TestReadSQLPlanCorpus(t *testing.T) {
	jobs := loadJobs(t)
	cases := restoreCases(t)
	var checked, matched int
	var extras []string
	for _, c := range cases {
		job, ok := jobs.Cases[c.key]
		if !ok {
			t.Errorf("%s: not in jobs.json", c.key)
			continue
		}
		g := readPlanFile(t, c.plan)
		if g.Format != "sql-plan" || g.FlinkVersion != job.FlinkVersion {
			t.Errorf("%s: Format %q FlinkVersion %q, want sql-plan %q", c.key, g.Format, g.FlinkVersion, job.FlinkVersion)
		}
		ops := byUID(g)
		listed := map[string]bool{}
		for _, want := range job.Operators {
			listed[want.UID] = true
			if strings.HasPrefix(want.UID, "none") {
				continue
			}
			op := ops[want.UID]
			if want.FoundInMetadata {
				checked++
				if op == nil {
					t.Errorf("%s: no operator with uid %q", c.key, want.UID)
					continue
				}
				if got := op.ID.String(); got != want.IDHex {
					t.Errorf("%s: %s: ID %s, want %s", c.key, want.UID, got, want.IDHex)
					continue
				}
				matched++
			}
			if op == nil {
				continue
			}
			if want.Stateful && op.Stateful == Stateless {
				t.Errorf("%s: %s is stateful in jobs.json, marked stateless", c.key, want.UID)
			}
			if !want.Stateful && op.Stateful == Stateful {
				t.Errorf("%s: %s is stateless in jobs.json, marked stateful", c.key, want.UID)
			}
		}
		for _, op := range g.Operators {
			if !listed[op.UID] && !op.Conditional {
				extras = append(extras, c.key+": "+op.UID)
			}
		}
	}
	t.Logf("%d cases, %d operator IDs matched of %d listed as found in metadata", len(cases), matched, checked)
	if checked == 0 {
		t.Fatal("no operators checked")
	}
	// Every unconditional operator the reader derives is one Flink created:
	// jobs.json lists them all.
	for _, e := range extras {
		t.Errorf("unconditional operator not in jobs.json: %s", e)
	}
}

// TestReadSQLPlanCorpusMetadataBytes checks the derived IDs against the
// savepoints themselves: OperatorIDs are stored raw in _metadata, so every
// operator Flink wrote state for has its 16 bytes in the file.
func TestReadSQLPlanCorpusMetadataBytes(t *testing.T) {
	jobs := loadJobs(t)
	var listed, derived, conditionalFound, conditionalMissing int
	for _, c := range restoreCases(t) {
		raw, err := os.ReadFile(c.savepoint)
		if err != nil {
			t.Errorf("corpus missing: %v", err)
			continue
		}
		for _, want := range jobs.Cases[c.key].Operators {
			if !want.FoundInMetadata {
				continue
			}
			id, err := metadata.ParseOperatorID(want.IDHex)
			if err != nil {
				t.Fatalf("%s: %v", c.key, err)
			}
			listed++
			if !bytes.Contains(raw, id[:]) {
				t.Errorf("%s: %s (%s) not in _metadata", c.key, want.UID, want.IDHex)
			}
		}
		// Flink 1.13 and later write every operator of the job into a
		// savepoint, stateless ones included, so each unconditional
		// operator derived from the plan must be there.
		inFile := 0
		for _, op := range readPlanFile(t, c.plan).Operators {
			in := bytes.Contains(raw, op.ID[:])
			if in {
				inFile++
			}
			switch {
			case !op.Conditional:
				derived++
				if !in {
					t.Errorf("%s: derived operator %s (%s) not in _metadata", c.key, op.UID, op.ID)
				}
			case in:
				conditionalFound++
			default:
				conditionalMissing++
			}
		}
		// And the savepoint holds no other operator: its operator count,
		// which follows the header when there are no master states, is
		// the number of derived operators found.
		if n, ok := metadataOperatorCount(raw); !ok {
			t.Logf("%s: operator count not read (master states present)", c.key)
		} else if n != inFile {
			t.Errorf("%s: _metadata has %d operators, %d of them derived from the plan", c.key, n, inFile)
		}
	}
	t.Logf("%d listed IDs and %d derived unconditional IDs found in _metadata; conditional: %d present, %d absent",
		listed, derived, conditionalFound, conditionalMissing)
}

// metadataOperatorCount reads the number of operator states of a _metadata
// file (format version 2 and later) when it has no master states: magic,
// version, checkpoint ID, master state count, operator state count
// (Checkpoints.java, MetadataV2V3SerializerBase.serializeMetadata).
func metadataOperatorCount(raw []byte) (int, bool) {
	if len(raw) < 24 || binary.BigEndian.Uint32(raw) != metadata.Magic ||
		binary.BigEndian.Uint32(raw[4:]) < 2 || binary.BigEndian.Uint32(raw[16:]) != 0 {
		return 0, false
	}
	return int(int32(binary.BigEndian.Uint32(raw[20:]))), true
}

func readPlanString(t *testing.T, plan string) (*JobGraph, error) {
	t.Helper()
	return ReadSQLPlan(strings.NewReader(plan), "test.json")
}

func mustReadPlan(t *testing.T, plan string) *JobGraph {
	t.Helper()
	g, err := readPlanString(t, plan)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func uids(g *JobGraph) []string {
	var u []string
	for _, op := range g.Operators {
		u = append(u, op.UID)
	}
	sort.Strings(u)
	return u
}

func TestReadSQLPlanErrors(t *testing.T) {
	for _, tc := range []struct {
		name, plan, want string
	}{
		{"not JSON", `{"flinkVersion": `, "not a compiled plan"},
		{"not an object", `[1, 2]`, "not a compiled plan"},
		{"no nodes", `{"flinkVersion": "1.19", "edges": []}`, `no "nodes"`},
		{"nodes not a list", `{"nodes": {}}`, `"nodes" is not a list`},
		{"node without id", `{"nodes": [{"type": "stream-exec-calc_1"}]}`, `without "id"`},
		{"node id not integer", `{"nodes": [{"id": "x", "type": "stream-exec-calc_1"}]}`, "not an integer"},
		{"node without type", `{"nodes": [{"id": 1}]}`, `node 1 without "type"`},
		{"type without version", `{"nodes": [{"id": 1, "type": "stream-exec-calc"}]}`, "not <name>_<version>"},
		{"duplicate id", `{"nodes": [{"id": 1, "type": "stream-exec-calc_1"}, {"id": 1, "type": "stream-exec-sink_1"}]}`, "duplicate node id 1"},
		{"edge to nowhere", `{"nodes": [{"id": 1, "type": "stream-exec-calc_1"}], "edges": [{"source": 1, "target": 2}]}`, "no node 2"},
		{"bad ttl", `{"nodes": [{"id": 1, "type": "stream-exec-rank_1", "state": [{"index": 0, "ttl": "soon", "name": "rankState"}]}]}`, "ttl"},
		{"batch plan", `{"nodes": [{"id": 1, "type": "batch-exec-calc_1"}]}`, "batch"},
		{"uids disabled", `{"nodes": [{"id": 1, "type": "stream-exec-calc_1", "configuration": {"table.exec.uid.generation": "DISABLED"}}]}`, "table.exec.uid.generation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readPlanString(t, tc.plan)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), "test.json: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to name test.json and say %q", err, tc.want)
			}
		})
	}
}

func TestReadSQLPlanUnknownNodeType(t *testing.T) {
	g := mustReadPlan(t, `{"flinkVersion": "1.20", "nodes": [
		{"id": 1, "type": "stream-exec-table-source-scan_1", "description": "src"},
		{"id": 2, "type": "stream-exec-future-search_1", "description": "FutureSearch"}],
		"edges": [{"source": 1, "target": 2}]}`)
	ops := byUID(g)
	op := ops["2_future-search"]
	if op == nil {
		t.Fatalf("no guessed operator; have %v", uids(g))
	}
	if !op.Conditional || op.Stateful != StatefulUnknown || !strings.Contains(op.Node, "unknown exec node type") {
		t.Errorf("guessed operator %+v: want Conditional, StatefulUnknown, Node naming the unknown type", op)
	}
	if op.ID != metadata.OperatorIDFromUID("2_future-search") {
		t.Errorf("ID %s does not match its uid", op.ID)
	}
	if src := ops["1_source"]; src == nil || !src.Source || src.Conditional {
		t.Errorf("source operator %+v", src)
	}
}

// A table source scan of version 2 (Flink 2.3) gives its uid to the source
// only for some connectors: its ID is a guess, with the reason; version 1
// always gives it.
func TestReadSQLPlanSourceScanV2(t *testing.T) {
	for _, tc := range []struct {
		typ     string
		guessed bool
	}{{"stream-exec-table-source-scan_1", false}, {"stream-exec-table-source-scan_2", true}} {
		g := mustReadPlan(t, `{"flinkVersion": "2.3", "nodes": [{"id": 1, "type": "`+tc.typ+`", "description": "src"}]}`)
		op := byUID(g)["1_source"]
		if op == nil || op.IDGuessed != tc.guessed || (op.IDGuess != "") != tc.guessed || op.Conditional {
			t.Errorf("%s: operator %+v, want IDGuessed %v with a reason", tc.typ, op, tc.guessed)
		}
	}
}

// ML_PREDICT and VECTOR_SEARCH (Flink 2.1, 2.2): one operator each, an
// AsyncWaitOperator (operator state) with asyncOptions, else stateless.
func TestReadSQLPlanModelAndVectorFunctions(t *testing.T) {
	for _, tc := range []struct {
		typ, uid, async string
		want            Statefulness
	}{
		{"stream-exec-ml-predict-table-function_1", "2_ml-predict-table-function", `{"capacity": 10, "timeout": 180000, "output-mode": "UNORDERED"}`, Stateful},
		{"stream-exec-ml-predict-table-function_1", "2_ml-predict-table-function", "null", Stateless},
		{"stream-exec-vector-search-table-function_1", "2_vector-search-table-function", `{"capacity": 10, "timeout": 180000, "output-mode": "ORDERED"}`, Stateful},
		{"stream-exec-vector-search-table-function_1", "2_vector-search-table-function", "null", Stateless},
	} {
		g := mustReadPlan(t, `{"flinkVersion": "2.2", "nodes": [
			{"id": 1, "type": "stream-exec-table-source-scan_1", "description": "src"},
			{"id": 2, "type": "`+tc.typ+`", "asyncOptions": `+tc.async+`, "description": "f"}],
			"edges": [{"source": 1, "target": 2}]}`)
		op := byUID(g)[tc.uid]
		if op == nil || op.Conditional || op.IDGuessed || op.Stateful != tc.want {
			t.Errorf("%s, asyncOptions %s: operator %+v, want %s and not guessed", tc.typ, tc.async, op, tc.want)
		}
	}
}

func TestReadSQLPlanUIDFormats(t *testing.T) {
	const nodes = `"nodes": [
		{"id": 3, "type": "stream-exec-calc_1", "outputType": "ROW<` + "`a`" + ` INT NOT NULL>"},
		{"id": 4, "type": "stream-exec-sink_2", %s "dynamicTableSink": {"table": {"resolvedTable": {"schema": {"columns": [{"name": "a", "dataType": "INT NOT NULL"}]}}}}}],
		"edges": [{"source": 3, "target": 4}]`
	plan := func(version, sinkConfig string) string {
		return `{"flinkVersion": "` + version + `", ` + strings.Replace(nodes, "%s", sinkConfig, 1) + `}`
	}
	for _, tc := range []struct {
		name, plan  string
		tableConfig map[string]string
		want        []string
	}{
		{"default", plan("1.19", ""), nil,
			[]string{"3_calc", "4_constraint-validator", "4_sink"}},
		// Flink 1.15 wrote <id>_<type>_<version>_<transformation>.
		{"flink 1.15", plan("1.15", ""), nil,
			[]string{"3_stream-exec-calc_1_calc", "4_stream-exec-sink_2_constraint-validator", "4_stream-exec-sink_2_sink"}},
		{"table config", plan("1.19", ""), map[string]string{"table.exec.uid.format": "<id>_<type>_<version>_<transformation>"},
			[]string{"3_stream-exec-calc_1_calc", "4_stream-exec-sink_2_constraint-validator", "4_stream-exec-sink_2_sink"}},
		{"table config on 1.15 plan", plan("1.15", ""), map[string]string{"table.exec.uid.format": "<id>_<transformation>"},
			[]string{"3_calc", "4_constraint-validator", "4_sink"}},
		{"node config wins", plan("1.19", `"configuration": {"table.exec.uid.format": "x-<type>-<transformation>"},`),
			map[string]string{"table.exec.uid.format": "<id>"},
			[]string{"3", "x-stream-exec-sink-constraint-validator", "x-stream-exec-sink-sink"}},
		{"generation always", plan("1.19", ""), map[string]string{"table.exec.uid.generation": "ALWAYS", "table.exec.legacy-transformation-uids": "true"},
			[]string{"3_calc", "4_constraint-validator", "4_sink"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := ReadSQLPlanWithConfig(strings.NewReader(tc.plan), "test.json", tc.tableConfig)
			if err != nil {
				t.Fatal(err)
			}
			if got := uids(g); strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("uids %v, want %v", got, tc.want)
			}
			for _, op := range g.Operators {
				if op.ID != metadata.OperatorIDFromUID(op.UID) {
					t.Errorf("%s: ID %s does not match its uid", op.UID, op.ID)
				}
			}
		})
	}
	if _, err := ReadSQLPlanWithConfig(strings.NewReader(plan("1.19", "")), "test.json",
		map[string]string{"table.exec.legacy-transformation-uids": "true"}); err == nil {
		t.Error("legacy-transformation-uids=true with PLAN_ONLY: no error")
	}
}

// sinkPlan returns a plan of a source, a node of type inputType with the given
// output type, and a sink with the given columns, configuration and extra
// fields.
func sinkPlan(inputOutputType, columns, config, extra string) string {
	return `{"flinkVersion": "1.19", "nodes": [
		{"id": 1, "type": "stream-exec-table-source-scan_1"},
		{"id": 2, "type": "stream-exec-calc_1", "outputType": ` + inputOutputType + `},
		{"id": 3, "type": "stream-exec-sink_1", "configuration": {` + config + `},
		 "dynamicTableSink": {"table": {"identifier": "t", "resolvedTable": {"schema": {"columns": [` + columns + `]}}}}` + extra + `}],
		"edges": [{"source": 1, "target": 2}, {"source": 2, "target": 3}]}`
}

func TestReadSQLPlanSink(t *testing.T) {
	const plainRow = `"ROW<` + "`a`" + ` INT>"`
	const rowtimeRow = `{"type": "ROW", "fields": [{"name": "a", "fieldType": "INT"}, {"name": "ts", "fieldType": {"type": "TIMESTAMP_WITHOUT_TIME_ZONE", "precision": 3, "kind": "ROWTIME"}}]}`
	const rowtimeRowString = `"ROW<` + "`a`" + ` INT, ` + "`ts`" + ` TIMESTAMP(3) *ROWTIME*>"`
	type want struct {
		uid         string
		conditional bool
	}
	for _, tc := range []struct {
		name string
		plan string
		want []want
	}{
		{"nullable columns", sinkPlan(plainRow, `{"name": "a", "dataType": "INT"}, {"name": "s", "dataType": "VARCHAR(2147483647)"}`, `"table.exec.sink.type-length-enforcer": "IGNORE"`, ""),
			[]want{{"3_sink", false}}},
		{"NOT NULL column", sinkPlan(plainRow, `{"name": "a", "dataType": "INT NOT NULL"}`, `"table.exec.sink.not-null-enforcer": "DROP"`, ""),
			[]want{{"3_constraint-validator", false}, {"3_sink", false}}},
		{"NOT NULL object type", sinkPlan(plainRow, `{"name": "a", "dataType": {"type": "INTEGER", "nullable": false}}`, "", ""),
			[]want{{"3_constraint-validator", false}, {"3_sink", false}}},
		{"NOT NULL computed column", sinkPlan(plainRow, `{"name": "a", "dataType": "INT"}, {"name": "c", "kind": "COMPUTED", "dataType": "INT NOT NULL"}`, "", ""),
			[]want{{"3_sink", false}}},
		{"NOT NULL virtual metadata column", sinkPlan(plainRow, `{"name": "a", "dataType": "INT"}, {"name": "m", "kind": "METADATA", "isVirtual": true, "dataType": "INT NOT NULL"}`, "", ""),
			[]want{{"3_sink", false}}},
		{"NOT NULL persisted metadata column", sinkPlan(plainRow, `{"name": "a", "dataType": "INT"}, {"name": "m", "kind": "METADATA", "isVirtual": false, "dataType": "INT NOT NULL"}`, "", ""),
			[]want{{"3_constraint-validator", false}, {"3_sink", false}}},
		{"nested NOT NULL", sinkPlan(plainRow, `{"name": "r", "dataType": "ROW<`+"`x`"+` INT NOT NULL>"}`, "", ""),
			[]want{{"3_sink", false}}},
		{"nested NOT NULL enforced", sinkPlan(plainRow, `{"name": "r", "dataType": "ROW<`+"`x`"+` INT NOT NULL>"}`, `"table.exec.sink.nested-constraint-enforcer": "ROWS"`, ""),
			[]want{{"3_constraint-validator", false}, {"3_sink", false}}},
		{"VARCHAR(10) ignored", sinkPlan(plainRow, `{"name": "s", "dataType": "VARCHAR(10)"}`, `"table.exec.sink.type-length-enforcer": "IGNORE"`, ""),
			[]want{{"3_sink", false}}},
		{"VARCHAR(10) trimmed", sinkPlan(plainRow, `{"name": "s", "dataType": "VARCHAR(10)"}`, `"table.exec.sink.type-length-enforcer": "TRIM_PAD"`, ""),
			[]want{{"3_constraint-validator", false}, {"3_sink", false}}},
		{"STRING not trimmed", sinkPlan(plainRow, `{"name": "s", "dataType": "STRING"}`, `"table.exec.sink.type-length-enforcer": "TRIM_PAD"`, ""),
			[]want{{"3_sink", false}}},
		{"CHAR padded", sinkPlan(plainRow, `{"name": "s", "dataType": "CHAR(3)"}`, `"table.exec.sink.type-length-enforcer": "TRIM_PAD"`, ""),
			[]want{{"3_constraint-validator", false}, {"3_sink", false}}},
		{"schema from catalog", `{"flinkVersion": "1.19", "nodes": [{"id": 3, "type": "stream-exec-sink_1", "dynamicTableSink": {"table": {"identifier": "t"}}}]}`,
			[]want{{"3_constraint-validator", true}, {"3_sink", false}, {"3_timestamp-inserter", true}}},
		{"rowtime input", sinkPlan(rowtimeRow, `{"name": "a", "dataType": "INT"}`, "", ""),
			[]want{{"3_sink", false}, {"3_timestamp-inserter", true}}},
		{"rowtime input string type", sinkPlan(rowtimeRowString, `{"name": "a", "dataType": "INT"}`, "", ""),
			[]want{{"3_sink", false}, {"3_timestamp-inserter", true}}},
		{"rowtime inserter disabled", sinkPlan(rowtimeRow, `{"name": "a", "dataType": "INT"}`, `"table.exec.sink.rowtime-inserter": "DISABLED"`, ""),
			[]want{{"3_sink", false}}},
		{"upsert materialize", sinkPlan(plainRow, `{"name": "a", "dataType": "INT"}`, "",
			`, "inputChangelogMode": ["INSERT", "UPDATE_AFTER", "DELETE"], "requireUpsertMaterialize": true, "state": [{"index": 0, "ttl": "1 h", "name": "sinkMaterializeState"}]`),
			[]want{{"3_sink", false}, {"3_upsert-materialize", false}}},
		{"upsert materialize insert-only", sinkPlan(plainRow, `{"name": "a", "dataType": "INT"}`, "",
			`, "inputChangelogMode": ["INSERT"], "requireUpsertMaterialize": true`),
			[]want{{"3_sink", false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := mustReadPlan(t, tc.plan)
			var got []want
			for _, op := range g.Operators {
				if op.Node == "node 3 (stream-exec-sink_1)" {
					got = append(got, want{op.UID, op.Conditional})
				}
			}
			sort.Slice(got, func(i, j int) bool { return got[i].uid < got[j].uid })
			if len(got) != len(tc.want) {
				t.Fatalf("sink operators %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("sink operators %v, want %v", got, tc.want)
					break
				}
			}
		})
	}
	g := mustReadPlan(t, sinkPlan(plainRow, `{"name": "a", "dataType": "INT"}`, "",
		`, "inputChangelogMode": ["INSERT", "UPDATE_AFTER"], "requireUpsertMaterialize": true, "state": [{"index": 0, "ttl": "1 h", "name": "sinkMaterializeState"}]`))
	m := byUID(g)["3_upsert-materialize"]
	if m == nil || m.Stateful != Stateful || len(m.States) != 1 ||
		m.States[0].Name != "sinkMaterializeState" || !m.States[0].Keyed || m.States[0].TTL != 3600000 {
		t.Errorf("upsert materializer %+v", m)
	}
	if s := byUID(g)["3_sink"]; s == nil || s.Stateful != StatefulUnknown || len(s.States) != 0 {
		t.Errorf("sink %+v", s)
	}
}

func TestReadSQLPlanNodeVariants(t *testing.T) {
	intervalJoin := func(joinType string, lower, upper int) string {
		return `{"flinkVersion": "1.19", "nodes": [{"id": 9, "type": "stream-exec-interval-join_1",
			"intervalJoinSpec": {"joinSpec": {"joinType": "` + joinType + `"},
			"windowBounds": {"isEventTime": true, "leftLowerBound": ` + strconv.Itoa(lower) + `, "leftUpperBound": ` + strconv.Itoa(upper) + `}}}]}`
	}
	lookupJoin := func(extra string) string {
		return `{"flinkVersion": "1.19", "nodes": [{"id": 4, "type": "stream-exec-lookup-join_1"` + extra + `}]}`
	}
	for _, tc := range []struct {
		name, plan string
		tableConf  map[string]string
		want       map[string]Statefulness
	}{
		{"interval join", intervalJoin("INNER", -5000, 5000), nil,
			map[string]Statefulness{"9_interval-join": Stateful}},
		// Negative windows: Flink sets uids on these only when
		// table.exec.legacy-transformation-uids is true.
		{"interval join negative", intervalJoin("LEFT", 10000, 5000), nil, map[string]Statefulness{}},
		{"interval join negative legacy uids", intervalJoin("LEFT", 10000, 5000),
			map[string]string{"table.exec.legacy-transformation-uids": "true", "table.exec.uid.generation": "ALWAYS"},
			map[string]Statefulness{"9_pad-left": Stateless, "9_filter-right": Stateless}},
		{"lookup join sync", lookupJoin(""), nil, map[string]Statefulness{"4_lookup-join": Stateless}},
		{"lookup join async", lookupJoin(`, "asyncOptions": {"capacity ": 100, "timeout": 180000, "outputMode": "ORDERED"}`), nil,
			map[string]Statefulness{"4_lookup-join": Stateful}},
		{"lookup join materialize", lookupJoin(`, "requireUpsertMaterialize": true`), nil,
			map[string]Statefulness{"4_lookup-join-materialize": Stateful}},
		{"window tvf session", `{"nodes": [{"id": 5, "type": "stream-exec-window-table-function_1", "windowing": {"window": {"type": "SessionWindow"}}}]}`, nil,
			map[string]Statefulness{"5_window": Stateful}},
		{"window tvf tumble", `{"nodes": [{"id": 5, "type": "stream-exec-window-table-function_1", "windowing": {"window": {"type": "TumblingWindow"}}}]}`, nil,
			map[string]Statefulness{"5_window": Stateless}},
		{"process table function uid", `{"nodes": [{"id": 6, "type": "stream-exec-process-table-function_1", "uid": "my-ptf"}]}`, nil,
			map[string]Statefulness{"my-ptf": StatefulUnknown}},
		{"process table function", `{"nodes": [{"id": 6, "type": "stream-exec-process-table-function_1", "uid": null}]}`, nil,
			map[string]Statefulness{"6_process": StatefulUnknown}},
		{"limit and exchange", `{"nodes": [{"id": 1, "type": "stream-exec-exchange_1"}, {"id": 2, "type": "stream-exec-limit_1"}, {"id": 3, "type": "stream-exec-union_1"}]}`, nil,
			map[string]Statefulness{"2_rank": Stateful}},
		{"match on rowtime", `{"nodes": [
			{"id": 1, "type": "stream-exec-exchange_1", "outputType": {"type": "ROW", "fields": [{"name": "a", "fieldType": "INT"}, {"name": "r", "fieldType": {"type": "TIMESTAMP_WITHOUT_TIME_ZONE", "precision": 3, "kind": "ROWTIME"}}]}},
			{"id": 2, "type": "stream-exec-match_1", "matchSpec": {"orderBy": {"fields": [{"index": 1, "isAscending": true}]}}}],
			"edges": [{"source": 1, "target": 2}]}`, nil,
			map[string]Statefulness{"2_timestamp-inserter": Stateless, "2_match": Stateful}},
		{"match on proctime", `{"nodes": [
			{"id": 1, "type": "stream-exec-exchange_1", "outputType": "ROW<` + "`a`" + ` INT, ` + "`p`" + ` TIMESTAMP_LTZ(3) *PROCTIME*>"},
			{"id": 2, "type": "stream-exec-match_1", "matchSpec": {"orderBy": {"fields": [{"index": 1, "isAscending": true}]}}}],
			"edges": [{"source": 1, "target": 2}]}`, nil,
			map[string]Statefulness{"2_match": Stateful}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := ReadSQLPlanWithConfig(strings.NewReader(tc.plan), "test.json", tc.tableConf)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]Statefulness{}
			for _, op := range g.Operators {
				if op.Conditional {
					t.Errorf("%s: conditional", op.UID)
				}
				got[op.UID] = op.Stateful
			}
			if len(got) != len(tc.want) {
				t.Errorf("operators %v, want %v", got, tc.want)
			}
			for uid, s := range tc.want {
				if g, ok := got[uid]; !ok || g != s {
					t.Errorf("operators %v, want %v", got, tc.want)
					break
				}
			}
		})
	}
}

func TestReadSQLPlanStates(t *testing.T) {
	g := mustReadPlan(t, `{"flinkVersion": "1.19", "nodes": [{"id": 7, "type": "stream-exec-join_1",
		"description": "Join(joinType=[InnerJoin])",
		"state": [{"index": 0, "ttl": "1 d", "name": "leftState"}, {"index": 1, "ttl": "0 ms", "name": "rightState"}]}]}`)
	op := byUID(g)["7_join"]
	if op == nil {
		t.Fatalf("no 7_join in %v", uids(g))
	}
	want := []StateDecl{{Name: "leftState", Keyed: true, TTL: 86400000}, {Name: "rightState", Keyed: true}}
	if len(op.States) != 2 {
		t.Fatalf("states %+v, want %+v", op.States, want)
	}
	// Each entry carries the descriptor its operator registers for it
	// (AbstractStreamingJoinOperator: left-records, right-records).
	for i, d := range []string{"left-records", "right-records"} {
		if _, ok := op.States[i].sql.covers(d); !ok {
			t.Errorf("%s does not cover %s", op.States[i].Name, d)
		}
		got := op.States[i]
		got.sql = nil
		if got != want[i] {
			t.Errorf("states %+v, want %+v", op.States, want)
		}
	}
	// A node of a Flink the mapping was not read from declares none.
	g = mustReadPlan(t, `{"flinkVersion": "3.0", "nodes": [{"id": 7, "type": "stream-exec-join_1",
		"state": [{"index": 0, "ttl": "1 d", "name": "leftState"}, {"index": 1, "ttl": "0 ms", "name": "rightState"}]}]}`)
	if op := byUID(g)["7_join"]; op == nil || len(op.States) != 0 {
		t.Errorf("Flink 3.0 plan: states declared: %+v", op)
	}
	if op.Name != "Join(joinType=[InnerJoin])" || op.Node != "node 7 (stream-exec-join_1)" || op.Stateful != Stateful {
		t.Errorf("operator %+v", op)
	}
}

func TestParseFlinkDuration(t *testing.T) {
	for in, want := range map[string]int64{"0 ms": 0, "1 s": 1000, "4 d": 345600000, "90 min": 5400000, "250": 250, "2 h": 7200000} {
		if got, err := parseFlinkDuration(in); err != nil || got != want {
			t.Errorf("parseFlinkDuration(%q) = %d, %v, want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "ms", "1 fortnight"} {
		if _, err := parseFlinkDuration(in); err == nil {
			t.Errorf("parseFlinkDuration(%q): no error", in)
		}
	}
}

// The uid pattern is the running Flink's: 1.15 always writes
// <id>_<type>_<version>_<transformation> and does not read
// table.exec.uid.format; 1.16+ read it, default <id>_<transformation>
// (ExecNodeContext.generateUid; ExecutionConfigOptions' description of
// table.exec.uid.format).
func TestReadSQLPlanRunningFlink(t *testing.T) {
	plan := `{"flinkVersion": "1.15", "nodes": [{"id": 4, "type": "stream-exec-deduplicate_1"}]}`
	for _, tc := range []struct {
		flink  string
		config map[string]string
		want   string
	}{
		{"", nil, "4_stream-exec-deduplicate_1_deduplicate"},     // the plan's Flink, 1.15
		{"1.15", nil, "4_stream-exec-deduplicate_1_deduplicate"}, // 1.15 itself
		{"1.15", map[string]string{"table.exec.uid.format": "<id>_<transformation>"}, "4_stream-exec-deduplicate_1_deduplicate"},
		{"1.20", nil, "4_deduplicate"}, // a 1.15 plan on 1.16+: the new default
		{"1.20", map[string]string{"table.exec.uid.format": "<id>_<type>_<version>_<transformation>"}, "4_stream-exec-deduplicate_1_deduplicate"},
		{"2.0", map[string]string{"table.exec.uid.format": "job-<id>-<transformation>"}, "job-4-deduplicate"},
	} {
		var v FlinkVersion
		if tc.flink != "" {
			var err error
			if v, err = ParseFlinkVersion(tc.flink); err != nil {
				t.Fatal(err)
			}
		}
		g, err := ReadSQLPlanWithOptions(strings.NewReader(plan), "p", SQLPlanOptions{FlinkVersion: v, TableConfig: tc.config})
		if err != nil {
			t.Fatal(err)
		}
		if len(g.Operators) != 1 || g.Operators[0].UID != tc.want {
			t.Errorf("Flink %q, %v: uids %v, want %s", tc.flink, tc.config, uids(g), tc.want)
		}
	}
	if _, err := ReadSQLPlanWithOptions(strings.NewReader(plan), "p", SQLPlanOptions{FlinkVersion: V(1, 14)}); err == nil || !strings.Contains(err.Error(), "cannot run a compiled plan") {
		t.Errorf("Flink 1.14: %v", err)
	}
}
