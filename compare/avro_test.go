package compare

import (
	"strings"
	"testing"
)

// TestAvroResolution checks resolveAvro against the rules of the Avro 1.11
// specification, section "Schema Resolution" (and "Names", "Aliases",
// "Logical Types" where cited). Reader: the new job's schema; writer: the
// savepoint's.
func TestAvroResolution(t *testing.T) {
	rec := func(fields string) string {
		return `{"type":"record","name":"Event","namespace":"com.example","fields":[` + fields + `]}`
	}
	const (
		equal = iota
		compatible
		incompatible
	)
	for _, tc := range []struct {
		name           string
		writer, reader string
		want           int
		problem        string // a part of the first problem, for incompatible
	}{
		// "both schemas have same primitive type"
		{"same primitive", `"long"`, `"long"`, equal, ""},
		{"doc is ignored", rec(`{"name":"a","type":"int","doc":"old"}`), rec(`{"name":"a","type":"int","doc":"new"}`), equal, ""},
		// "the writer's schema may be promoted to the reader's as follows"
		{"int to long", `"int"`, `"long"`, compatible, ""},
		{"int to float", `"int"`, `"float"`, compatible, ""},
		{"int to double", `"int"`, `"double"`, compatible, ""},
		{"long to float", `"long"`, `"float"`, compatible, ""},
		{"long to double", `"long"`, `"double"`, compatible, ""},
		{"float to double", `"float"`, `"double"`, compatible, ""},
		{"string to bytes", `"string"`, `"bytes"`, compatible, ""},
		{"bytes to string", `"bytes"`, `"string"`, compatible, ""},
		{"long to int is no promotion", `"long"`, `"int"`, incompatible, "the writer's long cannot be read as int"},
		{"double to float is no promotion", `"double"`, `"float"`, incompatible, "cannot be read as float"},
		{"string to int", `"string"`, `"int"`, incompatible, "the writer's string cannot be read as int"},
		{"int to string", `"int"`, `"string"`, incompatible, "cannot be read as string"},
		{"boolean to int", `"boolean"`, `"int"`, incompatible, "cannot be read as int"},
		// "if both are records": fields matched by name, in any order
		{"fields reordered", rec(`{"name":"a","type":"int"},{"name":"b","type":"string"}`), rec(`{"name":"b","type":"string"},{"name":"a","type":"int"}`), compatible, ""},
		{"field type promoted", rec(`{"name":"a","type":"int"}`), rec(`{"name":"a","type":"long"}`), compatible, ""},
		{"field type not promotable", rec(`{"name":"a","type":"string"}`), rec(`{"name":"a","type":"int"}`), incompatible, "a: the writer's string cannot be read as int"},
		// "the writer's value for that field is ignored"
		{"field removed", rec(`{"name":"a","type":"int"},{"name":"b","type":"string"}`), rec(`{"name":"a","type":"int"}`), compatible, ""},
		// "the reader should use the default value from its field"
		{"field added with default", rec(`{"name":"a","type":"int"}`), rec(`{"name":"a","type":"int"},{"name":"b","type":"string","default":"x"}`), compatible, ""},
		{"optional field added", rec(`{"name":"a","type":"int"}`), rec(`{"name":"a","type":"int"},{"name":"b","type":["null","string"],"default":null}`), compatible, ""},
		// "no default value … an error is signalled"
		{"field added without default", rec(`{"name":"a","type":"int"}`), rec(`{"name":"a","type":"int"},{"name":"b","type":"string"}`), incompatible, "b: new field without a default"},
		// "Aliases": a field renamed, found through the reader's alias
		{"field renamed with alias", rec(`{"name":"a","type":"int"}`), rec(`{"name":"z","type":"int","aliases":["a"]}`), compatible, ""},
		{"field renamed without alias", rec(`{"name":"a","type":"int"}`), rec(`{"name":"z","type":"int"}`), incompatible, "z: new field without a default"},
		{"alias matches a second field", rec(`{"name":"a","type":"int"},{"name":"b","type":"int"}`), rec(`{"name":"a","type":"int","aliases":["b"]}`), incompatible, "several writer fields"},
		// "both schemas are records with the same (unqualified) name"
		{"record renamed", rec(`{"name":"a","type":"int"}`), `{"type":"record","name":"Other","namespace":"com.example","fields":[{"name":"a","type":"int"}]}`, incompatible, "does not match the writer's record com.example.Event"},
		{"namespace changed", rec(`{"name":"a","type":"int"}`), `{"type":"record","name":"Event","namespace":"org.other","fields":[{"name":"a","type":"int"}]}`, compatible, ""},
		{"record renamed with alias", rec(`{"name":"a","type":"int"}`), `{"type":"record","name":"Other","namespace":"com.example","aliases":["Event"],"fields":[{"name":"a","type":"int"}]}`, compatible, ""},
		// "if both are enums"
		{"enum symbol added", `{"type":"enum","name":"Color","symbols":["RED"]}`, `{"type":"enum","name":"Color","symbols":["RED","BLUE"]}`, compatible, ""},
		{"enum symbol removed", `{"type":"enum","name":"Color","symbols":["RED","BLUE"]}`, `{"type":"enum","name":"Color","symbols":["RED"]}`, incompatible, "lacks the writer's symbols BLUE"},
		{"enum symbol removed, reader default", `{"type":"enum","name":"Color","symbols":["RED","BLUE"]}`, `{"type":"enum","name":"Color","symbols":["RED","OTHER"],"default":"OTHER"}`, compatible, ""},
		{"enum renamed", `{"type":"enum","name":"Color","symbols":["RED"]}`, `{"type":"enum","name":"Colour","symbols":["RED"]}`, incompatible, "names or aliases must match"},
		// "both schemas are fixed whose sizes and (unqualified) names match"
		{"fixed size changed", `{"type":"fixed","name":"Id","size":16}`, `{"type":"fixed","name":"Id","size":8}`, incompatible, "size 8, the writer's 16"},
		{"fixed renamed", `{"type":"fixed","name":"Id","size":16}`, `{"type":"fixed","name":"Key","size":16}`, incompatible, "names or aliases must match"},
		// "if both are arrays" / "if both are maps"
		{"array items promoted", `{"type":"array","items":"int"}`, `{"type":"array","items":"long"}`, compatible, ""},
		{"array items incompatible", `{"type":"array","items":"long"}`, `{"type":"array","items":"int"}`, incompatible, "items: the writer's long"},
		{"map values promoted", `{"type":"map","values":"float"}`, `{"type":"map","values":"double"}`, compatible, ""},
		{"map to array", `{"type":"map","values":"int"}`, `{"type":"array","items":"int"}`, incompatible, "the writer's map cannot be read as array"},
		// "if both are unions"
		{"union branch added", `["null","string"]`, `["null","string","long"]`, compatible, ""},
		{"union branch removed", `["null","string","long"]`, `["null","string"]`, incompatible, "no branch for the writer's long"},
		// "if reader's is a union, but writer's is not"
		{"made optional", `"string"`, `["null","string"]`, compatible, ""},
		{"reader union by promotion", `"int"`, `["null","long"]`, compatible, ""},
		{"reader union without match", `"boolean"`, `["null","string"]`, incompatible, "no branch for the writer's boolean"},
		// "if writer's is a union, but reader's is not"
		{"optional made required", `["null","string"]`, `"string"`, incompatible, "the writer's null cannot be read as string"},
		{"writer union all promotable", `["int","long"]`, `"double"`, compatible, ""},
		// Recursive schemas (the specification's LongList example).
		{"recursive", `{"type":"record","name":"LongList","fields":[{"name":"value","type":"long"},{"name":"next","type":["null","LongList"]}]}`,
			`{"type":"record","name":"LongList","fields":[{"name":"value","type":"long"},{"name":"next","type":["null","LongList"]},{"name":"tag","type":"string","default":""}]}`, compatible, ""},
		// Avro's SchemaCompatibility (Flink's AvroSerializerSnapshot uses
		// it) ignores logical types: a decimal's scale change resolves.
		{"decimal scale changed", `{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}`, `{"type":"bytes","logicalType":"decimal","precision":10,"scale":4}`, compatible, ""},
		{"logical type added", `"long"`, `{"type":"long","logicalType":"timestamp-millis"}`, compatible, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := parseAvroSchema(tc.writer)
			if err != nil {
				t.Fatalf("writer: %v", err)
			}
			r, err := parseAvroSchema(tc.reader)
			if err != nil {
				t.Fatalf("reader: %v", err)
			}
			res := resolveAvro(r, w)
			got := incompatible
			switch {
			case res.Equal:
				got = equal
			case res.Compatible:
				got = compatible
			}
			names := []string{"equal", "compatible", "incompatible"}
			if got != tc.want {
				t.Fatalf("got %s (%v), want %s", names[got], res.Problems, names[tc.want])
			}
			if tc.want == incompatible && (len(res.Problems) == 0 || !strings.Contains(res.Problems[0], tc.problem)) {
				t.Errorf("problems %q, want one containing %q", res.Problems, tc.problem)
			}
		})
	}
}

func TestAvroSchemaErrors(t *testing.T) {
	for _, in := range []string{
		`{"type":"record","name":"E","fields":[{"name":"a","type":"Unknown"}]}`,
		`{"type":"record","name":"E","fields":[{"name":"a","type":"int","default":"x"}]}`,
		`not json`,
		`{"type":"enum","name":"E","symbols":["A","A"]}`,
	} {
		if _, err := parseAvroSchema(in); err == nil || !strings.HasPrefix(err.Error(), "compare: Avro schema: ") {
			t.Errorf("parseAvroSchema(%s): error %v", in, err)
		}
	}
}

func TestAvroSchemaText(t *testing.T) {
	got, err := avroSchemaText(map[string]any{"type": "record", "name": "E", "fields": []any{}})
	if err != nil || got != `{"fields":[],"name":"E","type":"record"}` {
		t.Errorf("avroSchemaText = %s, %v", got, err)
	}
	if got, _ := avroSchemaText(`"long"`); got != `"long"` {
		t.Errorf("avroSchemaText(string) = %s", got)
	}
}

// A decimal's precision or scale change passes Avro's checker (Flink
// migrates it: AvroSerializerSnapshot.resolveSchemaCompatibility), and is
// noted.
func TestAvroDecimalNote(t *testing.T) {
	w, err := parseAvroSchema(`{"type":"record","name":"E","fields":[{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	r, err := parseAvroSchema(`{"type":"record","name":"E","fields":[{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":12,"scale":4}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	res := resolveAvro(r, w)
	if res.Equal || !res.Compatible || len(res.Notes) != 1 || res.Notes[0] != "amount: decimal(10, 2) → decimal(12, 4)" {
		t.Errorf("result %+v", res)
	}
}
