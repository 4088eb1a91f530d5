package compare

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spcheck/spcheck/metadata"
)

func seedFiles(f *testing.F, pattern string, n int) {
	files, _ := filepath.Glob(pattern)
	for i, p := range files {
		if i >= n {
			break
		}
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

// FuzzReadGraph reads job graphs of every kind (manifests in JSON and
// YAML, SQL plans), detected from the content.
func FuzzReadGraph(f *testing.F) {
	seedFiles(f, "../fixtures/example/job-v*.json", 3)
	seedFiles(f, "../testdata/flink/table-restore/stream-exec-join_1/*/plan/*.json", 2)
	f.Add([]byte("format: spcheck/jobgraph/v1\noperators:\n  - uid: a\n    stateful: true\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ReadGraph(b, "fuzz", "")
	})
}

// FuzzReadManifest reads job-graph manifests.
func FuzzReadManifest(f *testing.F) {
	seedFiles(f, "../fixtures/example/job-v*.json", 3)
	f.Add([]byte("a: &a [1, 2]\nb: *a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ReadManifest(b, "fuzz")
	})
}

// FuzzReadSQLPlan reads compiled SQL plans.
func FuzzReadSQLPlan(f *testing.F) {
	seedFiles(f, "../testdata/flink/table-restore/*/*/plan/*.json", 6)
	// Exec nodes of Flink 2.1 to 2.3: a multi-way join, a process table
	// function, sink version 2.
	seedFiles(f, "../testdata/flink/table-restore-2.3/stream-exec-multi-join_1/*/plan/*.json", 1)
	seedFiles(f, "../testdata/flink/table-restore-2.3/stream-exec-process-table-function_1/*/plan/*.json", 1)
	seedFiles(f, "../testdata/flink/table-restore-2.3/stream-exec-sink_2/*/plan/*.json", 1)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ReadSQLPlan(bytes.NewReader(b), "fuzz")
	})
}

// FuzzLoadConfig reads .spcheck.yaml accept files.
func FuzzLoadConfig(f *testing.F) {
	seedFiles(f, "testdata/config/*.yaml", 20)
	seedFiles(f, "../internal/cli/testdata/accept*.yaml", 2)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = LoadConfig(b, "fuzz")
	})
}

// FuzzAvroSchema parses Avro schemas (as state headers carry them).
func FuzzAvroSchema(f *testing.F) {
	for _, s := range []string{`"long"`, `{"type":"record","name":"R","namespace":"n","fields":[{"name":"a","type":["null","string"],"default":null}]}`,
		`{"type":"array","items":{"type":"map","values":"int"}}`, `{"type":"enum","name":"E","symbols":["A","B"]}`, strings.Repeat("[", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = parseAvroSchema(s)
	})
}

// FuzzDeclaredSerializer checks a declared serializer (a manifest's
// "serializer", in the vocabulary of docs/state-rules.md) against
// savepoint states of every family: whatever the text, the check gives a
// verdict and findings with a rule, and does not panic.
func FuzzDeclaredSerializer(f *testing.F) {
	for _, s := range []string{
		"Long", "java.lang.String", "POJO com.x.Order{amount: Double, id: Long}", "Tuple2<String, Long>", "Kryo com.x.K",
		"Avro", "Avro record E", "Enum com.x.C{GREEN, BLUE, RED}", "com.x.P(String, Long)", "Option<Long>",
		"ROW<name VARCHAR(10), id BIGINT NOT NULL, ts TIMESTAMP(3), r ROW<x INT, y DECIMAL(10, 2)>>",
		"List<Long>", "Map<String, Long>", "Map<String, TTL(Long)>", "Long keyed by String", "Long keyed by ROW<STRING>",
		"Timer<Long, VoidNamespace>", "Thrift com.x.T", "Tuple2<String", "ROW<VARCHAR(1, 2)>",
		"ROW<org.apache.flink.table.runtime.functions.aggregate.LagAggFunction$LagAcc{offset INT, defaultValue INT, buffer RAW('java.util.LinkedList')}>",
		"Map<Long, List<ROW<STRING, INT, TIMESTAMP(3)>>>",
	} {
		f.Add(s)
	}
	row := func(types ...string) *metadata.SerializerSnapshot {
		var lts []*metadata.LogicalType
		for _, s := range types {
			lts = append(lts, sqlType(f, s))
		}
		return snap(metadata.RowDataSnapshot(lts...))
	}
	avro := `{"type":"record","name":"E","fields":[{"name":"a","type":"int"}]}`
	states := []StateInfo{
		value("long", &snapLong),
		value("pojo", orderPojo()),
		value("tuple", snap(metadata.TupleSnapshot(snapString, snapLong))),
		value("kryo", snap(metadata.KryoSnapshot("com.x.K"))),
		value("avro", snap(metadata.AvroSnapshot("org.apache.avro.generic.GenericRecord", avro))),
		value("enum", snap(metadata.EnumSnapshot("com.x.C", "RED", "GREEN"))),
		value("case", snap(metadata.ScalaCaseClassSnapshot("com.x.P", snapString, snapLong))),
		value("option", snap(metadata.ScalaOptionSnapshot(snapLong))),
		value("row", row("VARCHAR(10)", "BIGINT NOT NULL", "TIMESTAMP(3) *ROWTIME*", "ROW<x INT, y DECIMAL(10, 2)>")),
		{Name: "list", Kind: KindList, Keyed: true, Value: snap(metadata.ListSnapshot(snapLong))},
		{Name: "map", Kind: KindMap, Keyed: true, Value: snap(metadata.MapSnapshot(snapString, metadata.TTLSnapshot(snapLong))), TTL: true},
		{Name: "timers", Kind: KindTimers, Keyed: true, ValueType: "Timer<Long, VoidNamespace>"},
	}
	key := row("STRING")
	f.Fuzz(func(t *testing.T, s string) {
		for _, st := range states {
			tc := stateCase{key: key, states: []StateInfo{st},
				decls: []StateDecl{{Name: st.Name, Serializer: s, AvroSchema: avro}}}
			r := runStateCase(t, tc)
			switch r.Verdict {
			case Compatible, CompatibleWithStateLoss, Incompatible, VerdictUnknown:
			default:
				t.Fatalf("%s against %q: verdict %q", s, st.Name, r.Verdict)
			}
			for _, fd := range r.Findings {
				if fd.Rule == "" || fd.Message == "" {
					t.Fatalf("%s against %q: finding %+v", s, st.Name, fd)
				}
			}
		}
	})
}
