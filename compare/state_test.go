package compare

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/spcheck/spcheck/metadata"
)

var (
	snapLong   = metadata.SimpleSnapshot("Long")
	snapString = metadata.SimpleSnapshot("String")
	snapInt    = metadata.SimpleSnapshot("Integer")
	snapDouble = metadata.SimpleSnapshot("Double")
)

func snap(s metadata.SerializerSnapshot) *metadata.SerializerSnapshot { return &s }

func orderPojo(extra ...metadata.NamedSerializer) *metadata.SerializerSnapshot {
	fields := append([]metadata.NamedSerializer{{Key: "id", Snapshot: snapLong}, {Key: "amount", Snapshot: snapDouble}}, extra...)
	return snap(metadata.PojoSnapshot("com.x.Order", fields...))
}

func sqlType(t testing.TB, s string) *metadata.LogicalType {
	t.Helper()
	lt, err := metadata.ParseLogicalType(s)
	if err != nil {
		t.Fatal(err)
	}
	return lt
}

// stateCase is a savepoint operator's states, what the new graph
// declares for it, and the findings the state-level rules must give.
type stateCase struct {
	name    string
	key     *metadata.SerializerSnapshot
	states  []StateInfo
	decls   []StateDecl
	version string       // the new graph's Flink version
	backend StateBackend // the new graph's state backend
	// incomplete marks the savepoint operator's headers as partly read;
	// noInfo gives no states for it at all.
	incomplete, noInfo bool
	rules              []string   // the rule IDs found, sorted
	severity           []Severity // their severities, in rule order; nil: the rules' own
	message            string     // a part of the first finding's message
	flink              string     // a part of the first finding's Flink message
}

func value(name string, v *metadata.SerializerSnapshot) StateInfo {
	return StateInfo{Name: name, Kind: KindValue, Keyed: true, Value: v, ValueType: v.TypeString()}
}

func runStateCase(t *testing.T, tc stateCase) *Report {
	t.Helper()
	id := metadata.OperatorIDFromUID("op")
	m := &metadata.Metadata{Version: 5, Operators: []metadata.OperatorState{{
		ID: id, UID: "op", Parallelism: 1, MaxParallelism: 128,
		Subtasks: []metadata.SubtaskState{{ManagedKeyedState: &metadata.KeyGroupsHandle{Tag_: metadata.TagSavepointKeyGroupsHandle,
			Range: metadata.KeyGroupRange{Start: 0, Count: 128}, Offsets: make([]int64, 128),
			Delegate: &metadata.ByteStreamHandle{Name: "k", Data: []byte("state")}}}},
	}}}
	g := &JobGraph{Source: "test", Format: "manifest", FlinkVersion: tc.version, StateBackend: tc.backend,
		Operators: []*Operator{{ID: id, UID: "op", Stateful: Stateful, States: tc.decls}}}
	states := SavepointStates{}
	if !tc.noInfo {
		states[id] = &OperatorStateInfo{KeySerializer: tc.key, States: tc.states, Incomplete: tc.incomplete}
	}
	return Check(m, "mem:/sp", g, Options{States: states})
}

func TestStateRules(t *testing.T) {
	pojoDecl := "POJO com.x.Order{id: Long, amount: Double}"
	avroV1 := `{"type":"record","name":"E","fields":[{"name":"a","type":"int"}]}`
	avroSnap := snap(metadata.AvroSnapshot("org.apache.avro.generic.GenericRecord", avroV1))
	specificSnap := snap(metadata.AvroSnapshot("com.x.E", avroV1))
	for _, tc := range []stateCase{
		// Nothing changes: no finding, whatever the family.
		{name: "simple as is", states: []StateInfo{value("a", &snapLong)}, decls: []StateDecl{{Name: "a", Kind: "value", Serializer: "Long"}}},
		{name: "simple alias", states: []StateInfo{value("a", &snapString)}, decls: []StateDecl{{Name: "a", Kind: "value", Serializer: "java.lang.String"}}},
		{name: "no serializer declared", states: []StateInfo{value("a", &snapLong)}, decls: []StateDecl{{Name: "a", Kind: "value"}}},
		{name: "POJO fields reordered", states: []StateInfo{value("a", orderPojo())}, decls: []StateDecl{{Name: "a", Kind: "value", Serializer: "POJO com.x.Order{amount: Double, id: Long}"}}},
		{name: "tuple as is", states: []StateInfo{value("a", snap(metadata.TupleSnapshot(snapString, snapLong)))}, decls: []StateDecl{{Name: "a", Serializer: "Tuple2<String, Long>"}}},
		{name: "kryo as is", states: []StateInfo{value("a", snap(metadata.KryoSnapshot("com.x.K")))}, decls: []StateDecl{{Name: "a", Serializer: "Kryo com.x.K"}}},
		{name: "avro equal", states: []StateInfo{value("a", avroSnap)}, decls: []StateDecl{{Name: "a", Serializer: "Avro", AvroSchema: avroV1}}},
		{name: "enum constants added", states: []StateInfo{value("a", snap(metadata.EnumSnapshot("com.x.C", "RED", "GREEN")))}, decls: []StateDecl{{Name: "a", Serializer: "Enum com.x.C{GREEN, BLUE, RED}"}}},
		{name: "case class and option", states: []StateInfo{value("a", snap(metadata.ScalaCaseClassSnapshot("com.x.P", snapString, snapLong))), value("b", snap(metadata.ScalaOptionSnapshot(snapLong)))},
			decls: []StateDecl{{Name: "a", Serializer: "com.x.P(String, Long)"}, {Name: "b", Serializer: "Option<Long>"}}},
		// RowData: top-level field names are not in the snapshot, and
		// TimestampType.equals ignores the time attribute kind.
		{name: "row: equal types, other top-level names", states: []StateInfo{value("a", snap(metadata.RowDataSnapshot(sqlType(t, "VARCHAR(10)"), sqlType(t, "BIGINT NOT NULL"), sqlType(t, "TIMESTAMP(3) *ROWTIME*"), sqlType(t, "ROW<x INT, y DECIMAL(10, 2)>"))))},
			decls: []StateDecl{{Name: "a", Serializer: "ROW<name VARCHAR(10), id BIGINT NOT NULL, ts TIMESTAMP(3), r ROW<x INT, y DECIMAL(10, 2)>>"}}},
		{name: "list: element or list", states: []StateInfo{{Name: "l", Kind: KindList, Keyed: true, Value: snap(metadata.ListSnapshot(snapLong))}, {Name: "m", Kind: KindList, Keyed: true, Value: snap(metadata.ListSnapshot(snapLong))}},
			decls: []StateDecl{{Name: "l", Kind: "list", Keyed: true, Serializer: "Long"}, {Name: "m", Kind: "list", Keyed: true, Serializer: "List<Long>"}}},
		{name: "map: map or value", states: []StateInfo{{Name: "m", Kind: KindMap, Keyed: true, Value: snap(metadata.MapSnapshot(snapString, snapLong))}, {Name: "n", Kind: KindMap, Keyed: true, Value: snap(metadata.MapSnapshot(snapString, snapLong))}},
			decls: []StateDecl{{Name: "m", Kind: "map", Serializer: "Map<String, Long>"}, {Name: "n", Kind: "map", Serializer: "Long"}}},
		{name: "broadcast and operator states", states: []StateInfo{{Name: "b", Kind: KindBroadcast, Key: &snapString, Value: &snapLong}, {Name: "o", Kind: KindUnionList, Value: &snapInt}},
			decls: []StateDecl{{Name: "b", Kind: "broadcast", Serializer: "Map<String, Long>"}, {Name: "o", Kind: "union-list", Serializer: "List<Integer>"}}},
		{name: "ttl kept", states: []StateInfo{{Name: "t", Kind: KindValue, Keyed: true, TTL: true, Value: snap(metadata.TTLSnapshot(snapLong))}},
			decls: []StateDecl{{Name: "t", Kind: "value", Serializer: "Long", TTL: 3600000}}},
		{name: "ttl kept, wrapper declared", states: []StateInfo{{Name: "t", Kind: KindMap, Keyed: true, TTL: true, Value: snap(metadata.MapSnapshot(snapString, metadata.TTLSnapshot(snapLong)))}},
			decls: []StateDecl{{Name: "t", Kind: "map", Serializer: "Map<String, TTL(Long)>"}}},
		{name: "key as is", key: &snapString, states: []StateInfo{value("a", &snapLong)}, decls: []StateDecl{{Name: "a", Serializer: "Long keyed by String"}}},

		{name: "raw timers: type only", states: []StateInfo{{Name: "_timer_state/event_t", Kind: KindTimers, Keyed: true, ValueType: "Timer<Long, VoidNamespace>"}},
			decls: []StateDecl{{Name: "_timer_state/event_t", Kind: "timers", Serializer: "Timer<Long, VoidNamespace>"}}},
		{name: "raw timers: another type", states: []StateInfo{{Name: "_timer_state/event_t", Kind: KindTimers, Keyed: true, ValueType: "Timer<Long, VoidNamespace>"}},
			decls: []StateDecl{{Name: "_timer_state/event_t", Kind: "timers", Serializer: "Timer<String, VoidNamespace>"}}, rules: []string{"SP056"}},

		// SP050 state-removed.
		{name: "state removed", states: []StateInfo{value("a", &snapLong), value("b", &snapString)}, decls: []StateDecl{{Name: "a", Serializer: "Long"}},
			rules: []string{"SP050"}, message: `keyed value state "b" (String)`},
		{name: "undeclared timers are not reported", states: []StateInfo{value("a", &snapLong), {Name: "_timer_state/event_t", Kind: KindTimers, Keyed: true}},
			decls: []StateDecl{{Name: "a", Serializer: "Long"}}},
		{name: "undeclared timers when some are declared", states: []StateInfo{{Name: "_timer_state/event_t", Kind: KindTimers, Keyed: true}, {Name: "_timer_state/processing_t", Kind: KindTimers, Keyed: true}},
			decls: []StateDecl{{Name: "_timer_state/event_t", Kind: "timers"}}, rules: []string{"SP050"}, message: `timers "_timer_state/processing_t"`},
		// SP051 state-added.
		{name: "state added", states: []StateInfo{value("a", &snapLong)}, decls: []StateDecl{{Name: "a"}, {Name: "b", Kind: "value"}},
			rules: []string{"SP051"}, message: `keyed value state "b", which the savepoint does not hold`},
		{name: "operator without state", noInfo: true, decls: []StateDecl{{Name: "b", Kind: "value"}}, rules: []string{"SP056"}, message: "deep mode read no state"},
		{name: "added, headers incomplete", incomplete: true, states: []StateInfo{value("a", &snapLong)}, decls: []StateDecl{{Name: "a"}, {Name: "b", Kind: "value"}},
			rules: []string{"SP056"}, message: "could not be read"},
		{name: "keyed and operator state are kept apart", states: []StateInfo{{Name: "a", Kind: KindList, Keyed: true, Value: snap(metadata.ListSnapshot(snapLong))}},
			decls: []StateDecl{{Name: "a", Kind: "list"}}, rules: []string{"SP050", "SP051"}, message: `keyed list state "a" (List<Long>); the new job graph declares operator list state "a", which Flink keeps apart from it`},
		// SP052 state-kind-changed.
		{name: "value to list", states: []StateInfo{value("a", &snapLong)}, decls: []StateDecl{{Name: "a", Kind: "list", Keyed: true, Serializer: "Long"}},
			rules: []string{"SP052"}, flink: "Incompatible key/value state types. Was [VALUE], registered with [LIST]."},
		{name: "union to list", states: []StateInfo{{Name: "o", Kind: KindUnionList, Value: &snapLong}}, decls: []StateDecl{{Name: "o", Kind: "list"}},
			rules: []string{"SP052"}, flink: "Incompatible state assignment modes. Was [UNION], registered with [SPLIT_DISTRIBUTE]."},
		{name: "legacy kind unknown", states: []StateInfo{{Name: "a", Kind: KindUnknown, Keyed: true, Value: &snapLong}}, decls: []StateDecl{{Name: "a", Kind: "reducing", Serializer: "Long"}}},
		// SP053 key-serializer-changed.
		{name: "key type changed", key: &snapString, states: []StateInfo{value("a", &snapLong)}, decls: []StateDecl{{Name: "a", Serializer: "Long keyed by Long"}},
			rules: []string{"SP053"}, message: "keyed by String; the new job graph declares keyed value state \"a\" keyed by Long", flink: "The new key serializer must be compatible."},
		{name: "key POJO gains a field", key: orderPojo(), states: []StateInfo{value("a", &snapLong)},
			decls: []StateDecl{{Name: "a", Serializer: "Long keyed by POJO com.x.Order{id: Long, amount: Double, note: String}"}},
			rules: []string{"SP053"}, message: "Flink migrates values, never keys"},
		{name: "key not known", states: []StateInfo{value("a", &snapLong)}, decls: []StateDecl{{Name: "a", Serializer: "Long keyed by String"}},
			rules: []string{"SP056"}, message: "no key serializer"},
		// SP054 value-serializer-incompatible.
		{name: "Long to Integer", states: []StateInfo{value("a", &snapLong)}, decls: []StateDecl{{Name: "a", Serializer: "Integer"}},
			rules: []string{"SP054"}, message: "Long → Integer"},
		{name: "tuple arity", states: []StateInfo{value("a", snap(metadata.TupleSnapshot(snapString, snapLong)))}, decls: []StateDecl{{Name: "a", Serializer: "Tuple3<String, Long, Long>"}},
			rules: []string{"SP054"}},
		{name: "tuple field", states: []StateInfo{value("a", snap(metadata.TupleSnapshot(snapString, snapLong)))}, decls: []StateDecl{{Name: "a", Serializer: "Tuple2<String, Double>"}},
			rules: []string{"SP054"}, message: "field f1: Long → Double"},
		{name: "POJO field type", states: []StateInfo{value("a", orderPojo())}, decls: []StateDecl{{Name: "a", Serializer: "POJO com.x.Order{id: Long, amount: String}"}},
			rules: []string{"SP054"}, message: "field amount: Double → String"},
		{name: "POJO field added and another changed", states: []StateInfo{value("a", orderPojo())}, decls: []StateDecl{{Name: "a", Serializer: "POJO com.x.Order{id: String, amount: Double, x: Long}"}},
			rules: []string{"SP054"}, message: "field id: Long → String"},
		{name: "POJO class", states: []StateInfo{value("a", orderPojo())}, decls: []StateDecl{{Name: "a", Serializer: "POJO com.y.Order{id: Long, amount: Double}"}},
			rules: []string{"SP054"}, message: "POJO class com.x.Order → com.y.Order"},
		{name: "Kryo to POJO", states: []StateInfo{value("a", snap(metadata.KryoSnapshot("com.x.Order")))}, decls: []StateDecl{{Name: "a", Serializer: pojoDecl}},
			rules: []string{"SP054"}, message: "Kryo com.x.Order → POJO"},
		{name: "POJO to Kryo", states: []StateInfo{value("a", orderPojo())}, decls: []StateDecl{{Name: "a", Serializer: "Kryo com.x.Order"}},
			rules: []string{"SP054"}},
		{name: "Kryo class", states: []StateInfo{value("a", snap(metadata.KryoSnapshot("com.x.A")))}, decls: []StateDecl{{Name: "a", Serializer: "Kryo com.x.B"}},
			rules: []string{"SP054"}},
		{name: "Avro incompatible", states: []StateInfo{value("a", avroSnap)}, decls: []StateDecl{{Name: "a", Serializer: "Avro", AvroSchema: `{"type":"record","name":"E","fields":[{"name":"a","type":"string"}]}`}},
			rules: []string{"SP054"}, message: "a: the writer's int cannot be read as string"},
		{name: "row field type", states: []StateInfo{value("a", snap(metadata.RowDataSnapshot(sqlType(t, "BIGINT"))))}, decls: []StateDecl{{Name: "a", Serializer: "ROW<INT>"}},
			rules: []string{"SP054"}, message: "row field 1: BIGINT → INT"},
		{name: "row timestamp precision", states: []StateInfo{value("a", snap(metadata.RowDataSnapshot(sqlType(t, "TIMESTAMP(3)"))))}, decls: []StateDecl{{Name: "a", Serializer: "ROW<TIMESTAMP(6)>"}},
			rules: []string{"SP054"}},
		// RowDataSerializerSnapshot requires LogicalType.equals for every
		// field (RowDataSerializer.java:343): each of these is SP054.
		{name: "row VARCHAR length", states: []StateInfo{value("a", snap(metadata.RowDataSnapshot(sqlType(t, "VARCHAR(10)"), sqlType(t, "BIGINT"))))},
			decls: []StateDecl{{Name: "a", Serializer: "ROW<name STRING, id BIGINT>"}},
			rules: []string{"SP054"}, message: "row field 1: VARCHAR(10) → STRING: length 10 → 2147483647 (Flink requires equal logical types: RowDataSerializer.java:343"},
		{name: "row nullability", states: []StateInfo{value("a", snap(metadata.RowDataSnapshot(sqlType(t, "BIGINT"))))}, decls: []StateDecl{{Name: "a", Serializer: "ROW<BIGINT NOT NULL>"}},
			rules: []string{"SP054"}, message: "row field 1: BIGINT → BIGINT NOT NULL: nullability: the new type is NOT NULL (Flink requires equal logical types: RowDataSerializer.java:343"},
		{name: "row nullability dropped", states: []StateInfo{value("a", snap(metadata.RowDataSnapshot(sqlType(t, "STRING NOT NULL"))))}, decls: []StateDecl{{Name: "a", Serializer: "ROW<STRING>"}},
			rules: []string{"SP054"}, message: "nullability: the new type is nullable"},
		{name: "row CHAR length", states: []StateInfo{value("a", snap(metadata.RowDataSnapshot(sqlType(t, "CHAR(3)"))))}, decls: []StateDecl{{Name: "a", Serializer: "ROW<CHAR(4)>"}},
			rules: []string{"SP054"}, message: "length 3 → 4"},
		{name: "row DECIMAL precision", states: []StateInfo{value("a", snap(metadata.RowDataSnapshot(sqlType(t, "DECIMAL(10, 2)"))))}, decls: []StateDecl{{Name: "a", Serializer: "ROW<DECIMAL(12, 2)>"}},
			rules: []string{"SP054"}, message: "precision and scale (10, 2) → (12, 2) (Flink requires equal logical types: RowDataSerializer.java:343"},
		{name: "row DECIMAL scale", states: []StateInfo{value("a", snap(metadata.RowDataSnapshot(sqlType(t, "DECIMAL(10, 2)"))))}, decls: []StateDecl{{Name: "a", Serializer: "ROW<DECIMAL(10, 4)>"}},
			rules: []string{"SP054"}, message: "precision and scale (10, 2) → (10, 4)"},
		{name: "row nested ROW field renamed", states: []StateInfo{value("a", snap(metadata.RowDataSnapshot(sqlType(t, "ROW<x INT, y STRING>"))))}, decls: []StateDecl{{Name: "a", Serializer: "ROW<r ROW<x INT, z STRING>>"}},
			rules: []string{"SP054"}, message: `nested row field 2 renamed "y" → "z" (Flink requires equal logical types: RowDataSerializer.java:343`},
		{name: "row nested ROW field type", states: []StateInfo{value("a", snap(metadata.RowDataSnapshot(sqlType(t, "ROW<x INT, y STRING>"))))}, decls: []StateDecl{{Name: "a", Serializer: "ROW<r ROW<x BIGINT, y STRING>>"}},
			rules: []string{"SP054"}, message: `nested row field "x": BIGINT is another type than INT`},
		{name: "row nested ROW unnamed", states: []StateInfo{value("a", snap(metadata.RowDataSnapshot(sqlType(t, "ROW<x INT>"))))}, decls: []StateDecl{{Name: "a", Serializer: "ROW<ROW<INT>>"}},
			rules: []string{"SP056"}, message: "declared without a name"},
		{name: "row key VARCHAR length", key: snap(metadata.RowDataSnapshot(sqlType(t, "VARCHAR(10)"))), states: []StateInfo{value("a", &snapLong)}, decls: []StateDecl{{Name: "a", Serializer: "Long keyed by ROW<k VARCHAR(20)>"}},
			rules: []string{"SP053"}, message: "length 10 → 20", flink: "The new key serializer must be compatible."},
		{name: "row key nullability", key: snap(metadata.RowDataSnapshot(sqlType(t, "BIGINT NOT NULL"))), states: []StateInfo{value("a", &snapLong)}, decls: []StateDecl{{Name: "a", Serializer: "Long keyed by ROW<k BIGINT>"}},
			rules: []string{"SP053"}, message: "nullability"},
		{name: "row key as is", key: snap(metadata.RowDataSnapshot(sqlType(t, "BIGINT NOT NULL"))), states: []StateInfo{value("a", &snapLong)}, decls: []StateDecl{{Name: "a", Serializer: "Long keyed by ROW<id BIGINT NOT NULL>"}}},
		{name: "row field count", states: []StateInfo{value("a", snap(metadata.RowDataSnapshot(sqlType(t, "BIGINT"))))}, decls: []StateDecl{{Name: "a", Serializer: "ROW<BIGINT, BIGINT>"}},
			rules: []string{"SP054"}, message: "1 row fields → 2"},
		{name: "enum constant removed", states: []StateInfo{value("a", snap(metadata.EnumSnapshot("com.x.C", "RED", "GREEN")))}, decls: []StateDecl{{Name: "a", Serializer: "Enum com.x.C{RED}"}},
			rules: []string{"SP054"}, message: "enum constants removed: GREEN"},
		{name: "list element", states: []StateInfo{{Name: "l", Kind: KindList, Keyed: true, Value: snap(metadata.ListSnapshot(snapLong))}}, decls: []StateDecl{{Name: "l", Kind: "list", Keyed: true, Serializer: "String"}},
			rules: []string{"SP054"}, message: "element: Long → String"},
		{name: "map value", states: []StateInfo{{Name: "m", Kind: KindMap, Keyed: true, Value: snap(metadata.MapSnapshot(snapString, snapLong))}}, decls: []StateDecl{{Name: "m", Kind: "map", Serializer: "Map<String, Integer>"}},
			rules: []string{"SP054"}, message: "map value: Long → Integer"},
		{name: "broadcast key", states: []StateInfo{{Name: "b", Kind: KindBroadcast, Key: &snapString, Value: &snapLong}}, decls: []StateDecl{{Name: "b", Kind: "broadcast", Serializer: "Map<Long, Long>"}},
			rules: []string{"SP054"}, flink: "The new key typeSerializer for broadcast state must not be incompatible."},
		{name: "operator list element", states: []StateInfo{{Name: "o", Kind: KindList, Value: &snapLong}}, decls: []StateDecl{{Name: "o", Kind: "list", Serializer: "String"}},
			rules: []string{"SP054"}, flink: "The new state typeSerializer for operator state must not be incompatible."},
		// SP055 state-evolution-compatible.
		{name: "POJO field removed", states: []StateInfo{value("a", orderPojo())}, decls: []StateDecl{{Name: "a", Serializer: "POJO com.x.Order{id: Long}"}},
			rules: []string{"SP055"}, message: "field amount removed"},
		// ForSt migrates a state of the synchronous API (the oracle's
		// types-forst-native cases), not one of the asynchronous API.
		{name: "POJO field removed, ForSt", version: "2.3.0", backend: BackendForSt, states: []StateInfo{value("a", orderPojo())}, decls: []StateDecl{{Name: "a", Serializer: "POJO com.x.Order{id: Long}"}},
			rules: []string{"SP055"}, message: "field amount removed"},
		{name: "POJO field removed, ForSt, async state", version: "2.3.0", backend: BackendForSt, states: []StateInfo{func() StateInfo { s := value("a", orderPojo()); s.V2 = true; return s }()},
			decls: []StateDecl{{Name: "a", Serializer: "POJO com.x.Order{id: Long}"}}, rules: []string{"SP056"}, message: "asynchronous state API"},
		{name: "POJO in a list gains a field", states: []StateInfo{{Name: "l", Kind: KindList, Keyed: true, Value: snap(metadata.ListSnapshot(*orderPojo()))}},
			decls: []StateDecl{{Name: "l", Kind: "list", Keyed: true, Serializer: "POJO com.x.Order{id: Long, amount: Double, note: String}"}}, rules: []string{"SP055"}, message: "element: field note added"},
		// A SpecificRecord (or reflected) class: Flink's migration reads the
		// old bytes into the class, whose reader resolves the old schema.
		{name: "Avro field added with default", states: []StateInfo{value("a", specificSnap)},
			decls: []StateDecl{{Name: "a", Serializer: "Avro record E", AvroSchema: map[string]any{"type": "record", "name": "E", "fields": []any{
				map[string]any{"name": "a", "type": "long"}, map[string]any{"name": "b", "type": "string", "default": ""}}}}},
			rules: []string{"SP055"}, message: "field a int → long, field b added"},
		// A GenericRecord: the migration writes each old record with the new
		// schema by position, and the added field has no value (the oracle's
		// types-*--avro-add-field-default cases, Flink 1.18 to 2.2, fail
		// with "Index 2 out of bounds for length 2").
		{name: "Avro GenericRecord field added with default", states: []StateInfo{value("a", avroSnap)},
			decls: []StateDecl{{Name: "a", Serializer: "Avro record E", AvroSchema: map[string]any{"type": "record", "name": "E", "fields": []any{
				map[string]any{"name": "a", "type": "long"}, map[string]any{"name": "b", "type": "string", "default": ""}}}}},
			rules: []string{"SP054"}, message: "the added field b has no value in the old records"},
		// Promoting a type keeps every field at its position: migrated.
		{name: "Avro GenericRecord int to long", states: []StateInfo{value("a", avroSnap)},
			decls: []StateDecl{{Name: "a", Serializer: "Avro record E", AvroSchema: map[string]any{"type": "record", "name": "E", "fields": []any{
				map[string]any{"name": "a", "type": "long"}}}}},
			rules: []string{"SP055"}, message: "field a int → long"},
		// A field moved to another position: another field's value lands there.
		{name: "Avro GenericRecord field moved", states: []StateInfo{value("a", snap(metadata.AvroSnapshot("org.apache.avro.generic.GenericRecord",
			`{"type":"record","name":"E","fields":[{"name":"a","type":"int"},{"name":"b","type":"int"}]}`)))},
			decls: []StateDecl{{Name: "a", Serializer: "Avro record E", AvroSchema: `{"type":"record","name":"E","fields":[{"name":"b","type":"int"},{"name":"a","type":"int"}]}`}},
			rules: []string{"SP056"}, message: "field b changes position"},
		// SP056 state-compatibility-unknown.
		{name: "not in the vocabulary", states: []StateInfo{value("a", &snapLong)}, decls: []StateDecl{{Name: "a", Serializer: "Thrift com.x.T"}},
			rules: []string{"SP056"}, message: "not in spcheck's serializer vocabulary"},
		{name: "bare class name", states: []StateInfo{value("a", orderPojo())}, decls: []StateDecl{{Name: "a", Serializer: "com.x.Order"}},
			rules: []string{"SP056"}, message: "names a class, not its serializer"},
		{name: "unreadable declaration", states: []StateInfo{value("a", &snapLong)}, decls: []StateDecl{{Name: "a", Serializer: "Tuple2<String"}},
			rules: []string{"SP056"}, message: "cannot read the serializer"},
		// A SQL type with a parameter too many once made ParseLogicalType panic.
		{name: "SQL type with too many parameters", states: []StateInfo{value("a", &snapLong)}, decls: []StateDecl{{Name: "a", Serializer: "ROW<VARCHAR(1, 2)>"}},
			rules: []string{"SP056"}, message: "VARCHAR takes one parameter at most"},
		{name: "opaque snapshot", states: []StateInfo{value("a", &metadata.SerializerSnapshot{Class: "com.x.S", Family: metadata.FamilyOpaque, Opaque: true})},
			decls: []StateDecl{{Name: "a", Serializer: "Long"}}, rules: []string{"SP056"}, message: "not one spcheck knows"},
		{name: "POJO without fields", states: []StateInfo{value("a", orderPojo())}, decls: []StateDecl{{Name: "a", Serializer: "POJO com.x.Order"}},
			rules: []string{"SP056"}, message: "fields are not declared"},
		{name: "Avro without schema", states: []StateInfo{value("a", avroSnap)}, decls: []StateDecl{{Name: "a", Serializer: "Avro record E"}},
			rules: []string{"SP056"}, message: "Avro schema is not declared"},
		{name: "enum without constants", states: []StateInfo{value("a", snap(metadata.EnumSnapshot("com.x.C", "RED")))}, decls: []StateDecl{{Name: "a", Serializer: "Enum com.x.C"}},
			rules: []string{"SP056"}, message: "constants are not declared"},
		{name: "legacy snapshot", states: []StateInfo{value("a", &metadata.SerializerSnapshot{Family: metadata.FamilyTuple, Legacy: true, SerializerType: "Tuple2<Long, String>"})},
			decls: []StateDecl{{Name: "a", Serializer: "Tuple2<Long, Long>"}}, rules: []string{"SP056"}, message: "Flink 1.6 or earlier"},
		{name: "legacy snapshot, same type", states: []StateInfo{value("a", &metadata.SerializerSnapshot{Family: metadata.FamilyTuple, Legacy: true, SerializerType: "Tuple2<Long, String>"})},
			decls: []StateDecl{{Name: "a", Serializer: "Tuple2<Long, String>"}}},
		// SP057 ttl-changed, by Flink version.
		{name: "ttl off, version unknown", states: []StateInfo{{Name: "t", Kind: KindValue, Keyed: true, TTL: true, Value: snap(metadata.TTLSnapshot(snapLong))}},
			decls: []StateDecl{{Name: "t", Serializer: "Long"}}, rules: []string{"SP057"}, message: "gives no flinkVersion"},
		{name: "ttl on, Flink 1.20", version: "1.20", states: []StateInfo{value("t", &snapLong)},
			decls: []StateDecl{{Name: "t", Serializer: "Long", TTL: 60000}}, rules: []string{"SP057"}, message: "enables TTL (1 min)"},
		{name: "ttl on, Flink 2.1", version: "2.1", states: []StateInfo{value("t", &snapLong)},
			decls: []StateDecl{{Name: "t", Serializer: "TTL(Long)"}}, rules: []string{"SP057"}, severity: []Severity{Unknown}, message: "RocksDB backend only"},
		// Flink 2.1 migrates TTL changes with RocksDB and fails them on the
		// heap backend (the restore oracle's 2.1.0 ttl-count-on and
		// ttl-last-off cases).
		{name: "ttl on, Flink 2.1, RocksDB", version: "2.1.0", backend: BackendRocksDB, states: []StateInfo{value("t", &snapLong)},
			decls: []StateDecl{{Name: "t", Serializer: "TTL(Long)"}}, rules: []string{"SP057"}, severity: []Severity{Info}, message: "migrates it on restore with the RocksDB backend"},
		{name: "ttl off, Flink 2.1, hashmap", version: "2.1.0", backend: BackendHashMap, states: []StateInfo{{Name: "t", Kind: KindValue, Keyed: true, TTL: true, Value: snap(metadata.TTLSnapshot(snapLong))}},
			decls: []StateDecl{{Name: "t", Serializer: "Long"}}, rules: []string{"SP057"}, message: "the heap (hashmap) backend fails the restore", flink: "must not need ttl state migration"},
		// The ForSt backend fails TTL changes (the oracle's forst-*--ttl-*
		// cases on 2.0.0, 2.2.0 and 2.3.0).
		{name: "ttl on, Flink 2.1, ForSt", version: "2.1.0", backend: BackendForSt, states: []StateInfo{value("t", &snapLong)},
			decls: []StateDecl{{Name: "t", Serializer: "TTL(Long)"}}, rules: []string{"SP057"}, message: "ForSt backend does not migrate TTL changes"},
		{name: "ttl off, Flink 2.3, ForSt", version: "2.3.0", backend: BackendForSt, states: []StateInfo{{Name: "t", Kind: KindValue, Keyed: true, TTL: true, Value: snap(metadata.TTLSnapshot(snapLong))}},
			decls: []StateDecl{{Name: "t", Serializer: "Long"}}, rules: []string{"SP057"}, message: "ForSt backend does not migrate TTL changes"},
		{name: "ttl on, Flink 2.2", version: "2.2.0", states: []StateInfo{value("t", &snapLong)},
			decls: []StateDecl{{Name: "t", TTL: 1000}}, rules: []string{"SP057"}, severity: []Severity{Unknown}, message: "names no state backend"},
		{name: "ttl on, Flink 2.2, hashmap", version: "2.2.0", backend: BackendHashMap, states: []StateInfo{value("t", &snapLong)},
			decls: []StateDecl{{Name: "t", TTL: 1000}}, rules: []string{"SP057"}, severity: []Severity{Info}, message: "with the hashmap backend"},
		// A value state of a List or Map: Flink 2.1 to 2.3 find the TTL
		// serializer and the plain one incompatible with every backend
		// (TtlAwareSerializerSnapshotWrapper; the oracle's sink-materializer
		// files of 2.2.0 and 2.3.0), where a list or map state migrates.
		{name: "ttl on, value state of a List, Flink 2.3", version: "2.3.0", backend: BackendRocksDB,
			states: []StateInfo{value("v", snap(metadata.ListSnapshot(snapLong)))},
			decls:  []StateDecl{{Name: "v", Serializer: "List<Long>", TTL: 1000}}, rules: []string{"SP057"}, message: "its values are a List<Long>", flink: "The new state serializer (…) must not be incompatible"},
		{name: "ttl off, value state of a Map, Flink 2.2, hashmap", version: "2.2.0", backend: BackendHashMap,
			states: []StateInfo{{Name: "v", Kind: KindValue, Keyed: true, TTL: true, Value: snap(metadata.TTLSnapshot(*snap(metadata.MapSnapshot(snapString, snapLong))))}},
			decls:  []StateDecl{{Name: "v", Serializer: "Map<String, Long>"}}, rules: []string{"SP057"}, message: "refuses the restore", flink: "For heap backends, the new state serializer (…) must not be incompatible"},
		{name: "ttl on, value state of a List, Flink 2.1, RocksDB", version: "2.1.0", backend: BackendRocksDB,
			states: []StateInfo{value("v", snap(metadata.ListSnapshot(snapLong)))},
			decls:  []StateDecl{{Name: "v", Serializer: "TTL(List<Long>)"}}, rules: []string{"SP057"}, message: "migrates TTL changes only for a List or Map serializer of a list or map state"},
		{name: "ttl on, list state, Flink 2.3", version: "2.3.0", backend: BackendRocksDB,
			states: []StateInfo{{Name: "l", Kind: KindList, Keyed: true, Value: snap(metadata.ListSnapshot(snapLong))}},
			decls:  []StateDecl{{Name: "l", Kind: "list", Keyed: true, Serializer: "Long", TTL: 1000}}, rules: []string{"SP057"}, severity: []Severity{Info}},
		{name: "ttl not declared without a serializer", states: []StateInfo{{Name: "t", Kind: KindValue, Keyed: true, TTL: true, Value: snap(metadata.TTLSnapshot(snapLong))}},
			decls: []StateDecl{{Name: "t", Kind: "value"}}},
		{name: "ttl off and type changed", version: "2.0", states: []StateInfo{{Name: "t", Kind: KindValue, Keyed: true, TTL: true, Value: snap(metadata.TTLSnapshot(snapLong))}},
			decls: []StateDecl{{Name: "t", Serializer: "String"}}, rules: []string{"SP054", "SP057"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := runStateCase(t, tc)
			var rules []string
			var first *Finding
			for i := range rep.Findings {
				f := &rep.Findings[i]
				if f.Rule >= "SP070" && f.Rule <= "SP079" {
					// The states fixture is in metadata format 5; the
					// upgrade rules it meets on 1.x targets are tested in
					// upgrade_test.go.
					continue
				}
				if first == nil {
					first = f
				}
				rules = append(rules, string(f.Rule))
				if f.NewOperator == nil || f.Operator.UID != "op" || f.Fix == "" {
					t.Errorf("%s: finding lacks operators or fix: %+v", f.Rule, f)
				}
			}
			sort.Strings(rules)
			if !slices.Equal(rules, tc.rules) {
				t.Fatalf("rules %v, want %v (%+v)", rules, tc.rules, rep.Findings)
			}
			if tc.severity != nil {
				for i, f := range rep.Findings {
					if f.Severity != tc.severity[i] {
						t.Errorf("%s: severity %s, want %s", f.Rule, f.Severity, tc.severity[i])
					}
				}
			}
			if tc.message != "" && !strings.Contains(first.Message, tc.message) {
				t.Errorf("message %q, want it to contain %q", first.Message, tc.message)
			}
			if tc.flink != "" && !strings.Contains(first.FlinkMessage, tc.flink) {
				t.Errorf("Flink message %q, want it to contain %q", first.FlinkMessage, tc.flink)
			}
		})
	}
}

// TestStateRulesVerdicts checks how the state-level findings set the
// verdict.
func TestStateRulesVerdicts(t *testing.T) {
	for _, tc := range []struct {
		c    stateCase
		want string
	}{
		{stateCase{states: []StateInfo{value("a", &snapLong)}, decls: []StateDecl{{Name: "a", Serializer: "Long"}}}, Compatible},
		{stateCase{states: []StateInfo{value("a", &snapLong), value("b", &snapLong)}, decls: []StateDecl{{Name: "a"}}}, Compatible},
		{stateCase{states: []StateInfo{value("a", orderPojo())}, decls: []StateDecl{{Name: "a", Serializer: "POJO com.x.Order{id: Long}"}}}, Compatible},
		{stateCase{states: []StateInfo{value("a", &snapLong)}, decls: []StateDecl{{Name: "a", Serializer: "Thrift x"}}}, VerdictUnknown},
		{stateCase{states: []StateInfo{value("a", &snapLong)}, decls: []StateDecl{{Name: "a", Serializer: "Integer"}}}, Incompatible},
	} {
		if got := runStateCase(t, tc.c).Verdict; got != tc.want {
			t.Errorf("%+v: verdict %s, want %s", tc.c.decls, got, tc.want)
		}
	}
}

// TestStateFingerprints gives each state its own fingerprint.
func TestStateFingerprints(t *testing.T) {
	rep := runStateCase(t, stateCase{states: []StateInfo{value("a", &snapLong), value("b", &snapLong)},
		decls: []StateDecl{{Name: "a", Serializer: "Integer"}, {Name: "b", Serializer: "Integer"}}})
	if len(rep.Findings) != 2 || rep.Findings[0].Fingerprint == rep.Findings[1].Fingerprint {
		t.Errorf("findings %+v", rep.Findings)
	}
}

// TestVocabularyCoversTypeString: the TypeString of every family the
// rules resolve reads back as the same serializer, compatible as is.
func TestVocabularyCoversTypeString(t *testing.T) {
	lt := sqlType(t, "ROW<a BIGINT, b STRING, c DECIMAL(10, 2), d TIMESTAMP(3), e ROW<x INT>>")
	var types []*metadata.LogicalType
	for _, f := range lt.Fields {
		types = append(types, f.Type)
	}
	for _, s := range []metadata.SerializerSnapshot{
		snapLong, snapString, metadata.SimpleSnapshot("byte[]"), metadata.SimpleSnapshot("VoidNamespace"),
		metadata.TupleSnapshot(snapString, metadata.TupleSnapshot(snapInt, snapLong)),
		*orderPojo(metadata.NamedSerializer{Key: "items", Snapshot: metadata.ListSnapshot(snapString)}),
		metadata.KryoSnapshot("com.x.K"),
		metadata.RowDataSnapshot(types...),
		metadata.ListSnapshot(snapLong), metadata.MapSnapshot(snapString, metadata.ListSnapshot(snapInt)),
		metadata.ScalaCaseClassSnapshot("com.x.P", snapString, metadata.ScalaOptionSnapshot(snapLong)),
		metadata.ScalaCaseClassSnapshot("scala.Tuple2", snapString, snapLong),
		metadata.TimerSnapshot(snapString, metadata.SimpleSnapshot("VoidNamespace")),
		metadata.MapSnapshot(snapString, metadata.TTLSnapshot(snapLong)),
	} {
		d, err := parseTypeExpr(s.TypeString())
		if err != nil {
			t.Errorf("%s: %v", s.TypeString(), err)
			continue
		}
		r := &resolver{}
		if res := r.resolve(&s, d, ""); res.level != asIs {
			t.Errorf("%s: %+v", s.TypeString(), res)
		}
	}
}

func TestParseDeclared(t *testing.T) {
	for in, want := range map[string][2]string{
		"Long":                 {"Long", ""},
		"Long keyed by String": {"Long", "String"},
		"Map<String, Long> keyed by Tuple2<String, Integer>":        {"Map<String, Long>", "Tuple2<String, Integer>"},
		"POJO a.B{x: Long, y: List<String>} keyed by ROW<k STRING>": {"POJO a.B{x: Long, y: List<String>}", "ROW<k STRING>"},
		"String[]":      {"String[]", ""},
		"Long[][]":      {"Long[][]", ""},
		"(String, Int)": {"(String, Int)", ""},
	} {
		v, k, err := parseDeclared(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		gotKey := ""
		if k != nil {
			gotKey = k.text
		}
		if v.text != want[0] || gotKey != want[1] {
			t.Errorf("%s: value %q key %q, want %q", in, v.text, gotKey, want)
		}
	}
	if d, _ := parseTypeExpr("Long[]"); d.head != "[]" || d.args[0].head != "Long" {
		t.Errorf("Long[] parsed as %+v", d)
	}
	if d, _ := parseTypeExpr("byte[]"); d.head != "byte[]" || d.family() != dSimple {
		t.Errorf("byte[] parsed as %+v", d)
	}
	for _, bad := range []string{"", "List<Long", "POJO a.B{x: Long", "Map<String,>", "Long]"} {
		if _, _, err := parseDeclared(bad); err == nil {
			t.Errorf("parseDeclared(%q) succeeded", bad)
		}
	}
}

// sqlTypeDiff is LogicalType.equals: each pair below is equal or not as
// the Java classes' equals methods decide (cited in sqlTypeDiff).
func TestSQLTypeDiff(t *testing.T) {
	for _, tc := range []struct {
		old, new string
		want     compatLevel
	}{
		{"INT", "INT", asIs},
		{"INT NOT NULL", "INT", incompatibleCompat},
		{"STRING", "VARCHAR(2147483647)", asIs},
		{"VARCHAR(5)", "VARCHAR(6)", incompatibleCompat},
		{"BINARY(2)", "BINARY(3)", incompatibleCompat},
		{"VARBINARY(2)", "BYTES", incompatibleCompat},
		{"TIMESTAMP(3) *ROWTIME*", "TIMESTAMP(3)", asIs}, // TimestampType.equals: precision only
		{"TIMESTAMP(3)", "TIMESTAMP(9)", incompatibleCompat},
		{"TIMESTAMP_LTZ(3) *PROCTIME*", "TIMESTAMP_LTZ(3)", asIs},
		{"TIMESTAMP_LTZ(3)", "TIMESTAMP(3)", incompatibleCompat},
		{"TIME(0)", "TIME(3)", incompatibleCompat},
		{"DECIMAL(10, 2)", "DECIMAL(10, 2)", asIs},
		{"ARRAY<INT NOT NULL>", "ARRAY<INT>", incompatibleCompat},
		{"MAP<STRING, INT>", "MAP<STRING, BIGINT>", incompatibleCompat},
		{"MULTISET<STRING>", "MULTISET<STRING>", asIs},
		{"ROW<a INT, b ROW<c STRING>>", "ROW<a INT, b ROW<c STRING>>", asIs},
		{"ROW<a INT, b ROW<c STRING>>", "ROW<a INT, b ROW<d STRING>>", incompatibleCompat},
		{"ROW<a INT>", "ROW<a INT> NOT NULL", incompatibleCompat},
		{"ROW<a INT>", "ROW<a INT, b INT>", incompatibleCompat},
		// STRUCTURED (StructuredType.equals): a visible difference is
		// unequal; equal visible parts leave finality, comparison, … unknown.
		{"com.x.Acc{n BIGINT, s STRING}", "com.x.Acc{n BIGINT, s STRING}", unknownCompat},
		{"com.x.Acc{n BIGINT}", "com.y.Acc{n BIGINT}", incompatibleCompat},
		{"com.x.Acc{n BIGINT}", "com.x.Acc{m BIGINT}", incompatibleCompat},
		{"com.x.Acc{n BIGINT}", "com.x.Acc{n INT}", incompatibleCompat},
		{"com.x.Acc{n BIGINT}", "com.x.Acc{n BIGINT, s STRING}", incompatibleCompat},
		{"com.x.Acc{b RAW('java.util.LinkedList'), n INT}", "com.x.Acc{b RAW('java.util.LinkedList'), n BIGINT}", incompatibleCompat},
		{"RAW('java.util.LinkedList')", "RAW('java.util.ArrayList')", incompatibleCompat},
		{"RAW('java.util.LinkedList')", "RAW('java.util.LinkedList')", unknownCompat},
	} {
		why, got := sqlTypeDiff(sqlType(t, tc.old), sqlType(t, tc.new))
		if got != tc.want {
			t.Errorf("%s vs %s: %v (%s), want %v", tc.old, tc.new, got, why, tc.want)
		}
	}
}
