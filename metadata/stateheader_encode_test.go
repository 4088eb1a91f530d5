package metadata

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestEncodeCorpusHeaders re-encodes every corpus header the encoder can
// write (current layouts, everything retained by decoding) and requires
// the bytes Flink wrote.
func TestEncodeCorpusHeaders(t *testing.T) {
	encoded := map[bool]int{}
	skipped := map[string]int{}
	for _, c := range corpusHeaders(t) {
		want := c.data[:c.end]
		var got []byte
		var err error
		if c.keyed {
			h, _, derr := DecodeKeyedHeader(c.data, &HeaderOptions{End: c.end})
			if derr != nil {
				t.Fatalf("%s: %v", c.name, derr)
			}
			got, err = EncodeKeyedHeader(h)
		} else {
			h, _, derr := DecodeOperatorHeader(c.data, &HeaderOptions{End: c.end})
			if derr != nil {
				t.Fatalf("%s: %v", c.name, derr)
			}
			got, err = EncodeOperatorHeader(h)
		}
		switch {
		case errors.Is(err, ErrNotRetained):
			skipped["not retained"]++
			continue
		case err != nil && strings.Contains(err.Error(), "not supported"):
			skipped["legacy layout"]++
			continue
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: re-encoding differs (%d bytes, want %d) from offset %d", c.name, len(got), len(want), firstDiff(got, want))
			continue
		}
		encoded[c.keyed]++
	}
	if encoded[true] == 0 || encoded[false] == 0 {
		t.Errorf("re-encoded %d keyed and %d operator headers; want some of each", encoded[true], encoded[false])
	}
	t.Logf("byte-identical: %d keyed, %d operator headers; skipped: %v", encoded[true], encoded[false], skipped)
}

// familySnapshots are snapshots of every family the constructors build.
func familySnapshots(t *testing.T) map[string]SerializerSnapshot {
	t.Helper()
	row, err := ParseLogicalType("ROW<id BIGINT NOT NULL, name STRING, price DECIMAL(10, 2), ts TIMESTAMP(3) *ROWTIME*, tags ARRAY<STRING>, attrs MAP<STRING, INT>, inner ROW<x DOUBLE>>")
	if err != nil {
		t.Fatal(err)
	}
	rowTypes := make([]*LogicalType, 0, len(row.Fields))
	for _, f := range row.Fields[:4] {
		rowTypes = append(rowTypes, f.Type)
	}
	rowTypes = append(rowTypes, row.Fields[6].Type)
	return map[string]SerializerSnapshot{
		"simple": SimpleSnapshot("String"),
		"tuple":  TupleSnapshot(SimpleSnapshot("String"), SimpleSnapshot("Long")),
		"pojo": PojoSnapshot("com.example.Order",
			NamedSerializer{"id", SimpleSnapshot("Long")},
			NamedSerializer{"items", ListSnapshot(SimpleSnapshot("String"))}),
		"avro": AvroSnapshot("org.apache.avro.generic.GenericRecord",
			`{"type":"record","name":"Event","namespace":"com.example","fields":[{"name":"id","type":"long"}]}`),
		"avro v3": func() SerializerSnapshot {
			// as Flink 1.17 and later write it; a schema longer than 127 units and a
			// non-ASCII doc take multi-byte lengths and characters
			s := AvroSnapshot("org.apache.avro.generic.GenericRecord",
				`{"type":"record","name":"Event","namespace":"com.example","doc":"Ereignis – événement `+strings.Repeat("x", 200)+`","fields":[{"name":"id","type":"long"}]}`)
			s.Version = 3
			return s
		}(),
		"rowdata":     RowDataSnapshot(rowTypes...),
		"list":        ListSnapshot(SimpleSnapshot("Long")),
		"linked list": LinkedListSnapshot(RowDataSnapshot(rowTypes[:2]...)),
		"map":         MapSnapshot(SimpleSnapshot("String"), SimpleSnapshot("Integer")),
		"kryo":        KryoSnapshot("com.example.Legacy"),
		"ttl":         TTLSnapshot(SimpleSnapshot("Long")),
		"ttl map":     MapSnapshot(SimpleSnapshot("String"), TTLSnapshot(SimpleSnapshot("Long"))),
		"case class":  ScalaCaseClassSnapshot("com.example.Person", SimpleSnapshot("String"), SimpleSnapshot("Integer")),
		"option":      ScalaOptionSnapshot(SimpleSnapshot("Long")),
		"enum":        EnumSnapshot("com.example.Color", "RED", "GREEN"),
		// SinkUpsertMaterializerV2's MAP state (Flink 2.2+).
		"sequenced multiset": MapSnapshot(SimpleSnapshot("Long"), newComposite(pkgSqnLinked+"NodeSerializer$NodeSerializerSnapshot", FamilyComposite, "",
			RowDataSnapshot(rowTypes[:2]...), SimpleSnapshot("Long"))),
		"sequenced multiset meta": newComposite(pkgSqnLinked+"MetaSqnInfoSerializer$MetaSqnInfoSerializerSnapshot", FamilyComposite, "", SimpleSnapshot("Long"), SimpleSnapshot("Long")),
	}
}

// TestEncodeFamiliesRoundTrip encodes a header holding a state of every
// family and decodes it back to the same value.
func TestEncodeFamiliesRoundTrip(t *testing.T) {
	want := map[string]string{
		"simple":                  "String",
		"tuple":                   "Tuple2<String, Long>",
		"pojo":                    "POJO com.example.Order{id: Long, items: List<String>}",
		"avro":                    "Avro record com.example.Event (GenericRecord)",
		"avro v3":                 "Avro record com.example.Event (GenericRecord)",
		"rowdata":                 "ROW<BIGINT NOT NULL, STRING, DECIMAL(10, 2), TIMESTAMP(3) *ROWTIME*, ROW<x DOUBLE>>",
		"list":                    "List<Long>",
		"linked list":             "LinkedList<ROW<BIGINT NOT NULL, STRING>>",
		"map":                     "Map<String, Integer>",
		"kryo":                    "Kryo com.example.Legacy",
		"ttl":                     "TTL(Long)",
		"ttl map":                 "Map<String, TTL(Long)>",
		"case class":              "com.example.Person(String, Integer)",
		"option":                  "Option<Long>",
		"enum":                    "Enum com.example.Color",
		"sequenced multiset":      "Map<Long, Node<ROW<BIGINT NOT NULL, STRING>, Long>>",
		"sequenced multiset meta": "MetaSqnInfo<Long, Long>",
	}
	for name, s := range familySnapshots(t) {
		t.Run(name, func(t *testing.T) {
			h := &KeyedHeader{Version: 6, KeySerializer: TupleSnapshot(SimpleSnapshot("String"), SimpleSnapshot("Integer")),
				States: []StateMetaInfo{
					KeyedStateMetaInfo("s", ValueState, SimpleSnapshot("VoidNamespace"), s),
					TimerStateMetaInfo("event", "user-timers", TupleSnapshot(SimpleSnapshot("String"), SimpleSnapshot("Integer")), SimpleSnapshot("VoidNamespace")),
				}}
			b, err := EncodeKeyedHeader(h)
			if err != nil {
				t.Fatal(err)
			}
			got, n, err := DecodeKeyedHeader(b, &HeaderOptions{End: len(b)})
			if err != nil {
				t.Fatal(err)
			}
			if n != len(b) {
				t.Fatalf("decoded %d of %d bytes", n, len(b))
			}
			if !reflect.DeepEqual(got, h) {
				t.Errorf("round trip differs:\n got %+v\nwant %+v", got, h)
			}
			if ts := got.States[0].Serializer(ValueSerializerKey).TypeString(); ts != want[name] {
				t.Errorf("TypeString %q, want %q", ts, want[name])
			}
			// Encoding the decoded header gives the same bytes.
			again, err := EncodeKeyedHeader(got)
			if err != nil || !bytes.Equal(again, b) {
				t.Errorf("re-encoding: %v, equal %v", err, bytes.Equal(again, b))
			}
		})
	}
}

func TestEncodeOperatorHeader(t *testing.T) {
	for _, h := range []*OperatorHeader{
		{Version: 5, LegacyStateCount: -1,
			OperatorStates: []StateMetaInfo{
				OperatorStateMetaInfo("offsets", Union, TupleSnapshot(SimpleSnapshot("Integer"), SimpleSnapshot("Long"))),
				OperatorStateMetaInfo("buffer", SplitDistribute, SimpleSnapshot("String")),
			},
			BroadcastStates: []StateMetaInfo{BroadcastStateMetaInfo("rules", SimpleSnapshot("String"), KryoSnapshot("com.example.Rule"))}},
		{Version: 6, Compressed: true, SnappyFramed: true, LegacyStateCount: -1,
			OperatorStates: []StateMetaInfo{OperatorStateMetaInfo("SourceReaderState", SplitDistribute, SimpleSnapshot("byte[]"))}},
	} {
		b, err := EncodeOperatorHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		got, n, err := DecodeOperatorHeader(b, &HeaderOptions{End: len(b)})
		if err != nil || n != len(b) {
			t.Fatalf("decode: %d of %d bytes, %v", n, len(b), err)
		}
		if !reflect.DeepEqual(got, h) {
			t.Errorf("round trip differs:\n got %+v\nwant %+v", got, h)
		}
	}
}

func TestEncodeRefuses(t *testing.T) {
	raw := &LogicalType{Class: "org.apache.flink.table.types.logical.RawType", Root: "RAW", Nullable: true, Length: -1, Precision: -1, Scale: -1}
	withSub := PojoSnapshot("com.example.Base")
	withSub.Subclasses = []string{"com.example.Sub"}
	for _, tc := range []struct {
		name     string
		h        *KeyedHeader
		retained bool // the error is ErrNotRetained
		want     string
	}{
		{"keyed version 5", &KeyedHeader{Version: 5}, false, "keyed backend proxy version 5 not supported"},
		{"legacy snapshot", &KeyedHeader{Version: 6, KeySerializer: SerializerSnapshot{Class: "x", Legacy: true}}, true, "legacy"},
		{"opaque snapshot", &KeyedHeader{Version: 6, KeySerializer: SerializerSnapshot{Class: "com.x.S", Opaque: true}}, true, "opaque"},
		{"unknown simple type", &KeyedHeader{Version: 6, KeySerializer: SimpleSnapshot("Widget")}, true, "opaque"},
		{"raw SQL type", &KeyedHeader{Version: 6, KeySerializer: SerializerSnapshot{Class: rowDataSnapshotClass, Version: 3, Family: FamilyRowData,
			LogicalTypes: []*LogicalType{raw}}}, true, "logical type RawType"},
		{"POJO subclasses", &KeyedHeader{Version: 6, KeySerializer: withSub}, true, "subclass"},
		{"kryo registrations", &KeyedHeader{Version: 6, KeySerializer: SerializerSnapshot{Class: kryoSnapshotClass, Version: 2, Registrations: []string{"a"}}}, true, "Kryo registrations"},
		{"operator state in keyed header", &KeyedHeader{Version: 6, KeySerializer: SimpleSnapshot("Long"),
			States: []StateMetaInfo{OperatorStateMetaInfo("o", Union, SimpleSnapshot("Long"))}}, false, "does not belong here"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := EncodeKeyedHeader(tc.h)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if errors.Is(err, ErrNotRetained) != tc.retained {
				t.Errorf("errors.Is(ErrNotRetained) = %v", !tc.retained)
			}
			if !strings.HasPrefix(err.Error(), "metadata: encode: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestParseLogicalType(t *testing.T) {
	for in, want := range map[string]string{
		"BIGINT":                               "BIGINT",
		"INT NOT NULL":                         "INT NOT NULL",
		"STRING":                               "STRING",
		"VARCHAR(10)":                          "VARCHAR(10)",
		"BYTES":                                "BYTES",
		"DECIMAL(10,2)":                        "DECIMAL(10, 2)",
		"DECIMAL":                              "DECIMAL(10, 0)",
		"TIMESTAMP":                            "TIMESTAMP(6)",
		"TIMESTAMP(3) *ROWTIME*":               "TIMESTAMP(3) *ROWTIME*",
		"TIMESTAMP_LTZ(3)":                     "TIMESTAMP_LTZ(3)",
		"TIMESTAMP(3) WITH LOCAL TIME ZONE":    "TIMESTAMP_LTZ(3)",
		"TIMESTAMP(9) WITH TIME ZONE NOT NULL": "TIMESTAMP(9) WITH TIME ZONE NOT NULL",
		"ARRAY<STRING>":                        "ARRAY<STRING>",
		"MAP<STRING, ARRAY<INT>>":              "MAP<STRING, ARRAY<INT>>",
		"ROW<id BIGINT, name STRING>":          "ROW<id BIGINT, name STRING>",
		"ROW<BIGINT NOT NULL, date DATE>":      "ROW<f0 BIGINT NOT NULL, date DATE>",
		"row<ts timestamp(3), t time>":         "ROW<ts TIMESTAMP(3), t TIME(0)>",
	} {
		got, err := ParseLogicalType(in)
		if err != nil {
			t.Errorf("ParseLogicalType(%q): %v", in, err)
			continue
		}
		if got.String() != want {
			t.Errorf("ParseLogicalType(%q) = %s, want %s", in, got, want)
		}
		if got.Class == "" {
			t.Errorf("ParseLogicalType(%q): no class", in)
		}
		// Every parsed type encodes and decodes to itself.
		b, err := encodeLogicalType(got)
		if err != nil {
			t.Errorf("%s: encode: %v", in, err)
			continue
		}
		v, err := decodeJavaStream(b)
		if err != nil {
			t.Errorf("%s: decode: %v", in, err)
			continue
		}
		if back := logicalTypeFromJava(v, &javaWalk{}); !reflect.DeepEqual(back, got) {
			t.Errorf("%s: Java round trip gives %+v, want %+v", in, back, got)
		}
	}
	// Structured and RAW types parse as inspect prints them; a RAW type
	// has no serializer, so they do not encode.
	for _, in := range []string{
		"com.x.Acc{n BIGINT, b RAW('java.util.LinkedList')}",
		"ROW<f0 org.apache.flink.table.runtime.functions.aggregate.LagAggFunction$LagAcc{offset INT, defaultValue INT, buffer RAW('java.util.LinkedList')}>",
		"RAW('java.util.LinkedList') NOT NULL",
	} {
		got, err := ParseLogicalType(in)
		if err != nil {
			t.Errorf("ParseLogicalType(%q): %v", in, err)
			continue
		}
		if got.String() != in {
			t.Errorf("ParseLogicalType(%q) = %s", in, got)
		}
	}
	for _, in := range []string{"", "WIDGET", "VARCHAR(x)", "ROW<id BIGINT", "MAP<STRING>", "BIGINT extra", "TIMESTAMP(3) *LATE*", "RAW('x", "RAW(x)", "com.x.Acc{n BIGINT", "com..Acc{}", "CHAR(0,0"} {
		if _, err := ParseLogicalType(in); err == nil || !strings.HasPrefix(err.Error(), "metadata: ") {
			t.Errorf("ParseLogicalType(%q): error %v", in, err)
		}
	}
	// Too many parameters is an error, not a panic (FuzzParseLogicalType
	// found "CHAR(0,0", above).
	for _, in := range []string{"VARCHAR(1, 2)", "DECIMAL(10, 2, 3)", "TIME(1,2)", "TIMESTAMP(3, 3) WITH TIME ZONE"} {
		if _, err := ParseLogicalType(in); err == nil || !strings.Contains(err.Error(), "at most") {
			t.Errorf("ParseLogicalType(%q): error %v, want too many parameters", in, err)
		}
	}
}

// A structured type whose implementation class is Serializable (Tuple1, as
// an over aggregate's accumulator in Flink 2.3.0's restore tests) has its
// class descriptor written in full; decoding keeps it and encoding writes
// it back. A class that is not Serializable keeps the empty descriptor.
func TestEncodeStructuredImplementationClass(t *testing.T) {
	bigint, err := ParseLogicalType("BIGINT")
	if err != nil {
		t.Fatal(err)
	}
	tuple := &jsClassDesc{Name: "org.apache.flink.api.java.tuple.Tuple", SUID: 1, Flags: jsSCSerializable}
	tuple1 := &jsClassDesc{Name: "org.apache.flink.api.java.tuple.Tuple1", SUID: 1, Flags: jsSCSerializable,
		Fields: []jsField{{'L', "f0", "Ljava/lang/Object;"}}, Super: tuple}
	for _, tc := range []struct {
		name string
		impl *jsClassDesc
	}{{"Serializable", tuple1}, {"not Serializable", nil}} {
		st := &LogicalType{Class: ltPkg + "StructuredType", Root: "STRUCTURED_TYPE", Nullable: true,
			Length: -1, Precision: -1, Scale: -1, TypeClass: tuple1.Name, implClass: tc.impl,
			Fields: []RowField{{Name: "f0", Type: bigint}}}
		b, err := encodeLogicalType(st)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		v, n, err := decodeJavaPrefix(b)
		if err != nil || n != len(b) {
			t.Fatalf("%s: decode: %d of %d bytes, %v", tc.name, n, len(b), err)
		}
		got := logicalTypeFromJava(v, &javaWalk{})
		if tc.impl == nil {
			if got.implClass != nil {
				t.Errorf("%s: decoded descriptor %+v, want the empty one", tc.name, got.implClass)
			}
		} else if c := got.implClass; c == nil || c.SUID != 1 || len(c.Fields) != 1 || c.Fields[0].Name != "f0" || c.Super == nil || c.Super.Name != tuple.Name {
			t.Errorf("%s: decoded descriptor %+v, want Tuple1's", tc.name, c)
		}
		again, err := encodeLogicalType(got)
		if err != nil || !bytes.Equal(again, b) {
			t.Errorf("%s: re-encoding differs (%v)", tc.name, err)
		}
	}
}
