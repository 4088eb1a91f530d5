package schemacheck_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/spcheck/spcheck/internal/schemacheck"
	"github.com/spcheck/spcheck/schemas"
)

// library compiles the schema with santhosh-tekuri/jsonschema, the
// validator schemacheck answers as.
func library(t testing.TB, doc []byte) *jsonschema.Schema {
	t.Helper()
	d, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource("schema.json", d))
	s, err := c.Compile("schema.json")
	require.NoError(t, err)
	return s
}

var printer = message.NewPrinter(language.English)

// libraryLeaves returns the leaf errors of the library's verdict, as
// "path: message" sorted; the properties of an additionalProperties
// error one by one (the library lists them in map order).
func libraryLeaves(err error) []string {
	var out []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		at := strings.Join(e.InstanceLocation, "/")
		if ap, ok := e.ErrorKind.(*kind.AdditionalProperties); ok {
			for _, p := range ap.Properties {
				out = append(out, at+": unknown "+p)
			}
			return
		}
		msg := e.ErrorKind.LocalizedString(printer)
		// schemacheck writes numbers as the document and the schema
		// do, where the library's English printer writes 40,000 and
		// 1×10⁰⁹: compare the values.
		switch k := e.ErrorKind.(type) {
		case *kind.Minimum:
			msg = "minimum: got " + k.Got.RatString() + ", want " + k.Want.RatString()
		case *kind.Maximum:
			msg = "maximum: got " + k.Got.RatString() + ", want " + k.Want.RatString()
		}
		out = append(out, at+": "+msg)
	}
	if err != nil {
		walk(err.(*jsonschema.ValidationError))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func leaves(errs []schemacheck.Error) []string {
	var out []string
	for _, e := range errs {
		at := strings.Join(e.Path, "/")
		if e.Unknown != nil {
			for _, p := range e.Unknown {
				out = append(out, at+": unknown "+p)
			}
			continue
		}
		msg := e.Message
		var kw, got, want string
		if n, _ := fmt.Sscanf(msg, "%s got %s want %s", &kw, &got, &want); n == 3 && (kw == "minimum:" || kw == "maximum:") {
			msg = kw + " got " + ratString(strings.TrimSuffix(got, ",")) + ", want " + ratString(want)
		}
		out = append(out, at+": "+msg)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func ratString(s string) string {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return s
	}
	return r.RatString()
}

// manifests returns the job-graph manifests in the repository: fixtures
// and test data, hundreds of them.
func manifests(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, dir := range []string{"../../fixtures", "../../compare/testdata", "../../testdata"} {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if bytes.Contains(b[:min(len(b), 200)], []byte(`"spcheck/jobgraph/v1"`)) {
				out[p] = b
			}
			return nil
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	require.Greater(t, len(out), 100, "the repository's manifests")
	return out
}

// mutate changes doc in one to three random places: a value replaced
// by one of another type or out of range, a property dropped, or one
// added (a typo, or one the schema has elsewhere).
func mutate(r *rand.Rand, doc any) any {
	pool := []any{nil, true, json.Number("0"), json.Number("-2"), json.Number("1.5"), json.Number("40000"), json.Number("7"),
		"", "x", "1.20", "2.0.1-SNAPSHOT", "rocksdb", "value", "timers", "HEAD", "hash", "0123456789abcdef0123456789ABCDEF", "0123456789abcdef",
		[]any{}, []any{map[string]any{}}, map[string]any{}, map[string]any{"uid": "a"}, map[string]any{"id": "zz"}}
	names := []string{"uid", "uidHash", "id", "name", "operators", "topology", "executionPlan", "kind", "states", "paralelism", "vertex", "inputs", "nodes", "edges", "format", "maxParallelism"}
	var spots []func()
	var walk func(v any, set func(any))
	walk = func(v any, set func(any)) {
		spots = append(spots, func() { set(pool[r.IntN(len(pool))]) })
		switch v := v.(type) {
		case map[string]any:
			spots = append(spots, func() { v[names[r.IntN(len(names))]] = pool[r.IntN(len(pool))] })
			for k, x := range v {
				spots = append(spots, func() { delete(v, k) })
				walk(x, func(y any) { v[k] = y })
			}
		case []any:
			for i, x := range v {
				walk(x, func(y any) { v[i] = y })
			}
		}
	}
	root := doc
	walk(doc, func(y any) { root = y })
	for range 1 + r.IntN(3) {
		spots[r.IntN(len(spots))]()
	}
	return root
}

// The verdict is the library's: on every manifest in the repository (all
// valid) and on thousands of mutations of them, the same errors at the
// same places.
func TestValidateAsTheLibrary(t *testing.T) {
	ours, err := schemacheck.Compile(schemas.JobGraphV1)
	require.NoError(t, err)
	lib := library(t, schemas.JobGraphV1)
	docs := manifests(t)
	names := make([]string, 0, len(docs))
	for n := range docs {
		names = append(names, n)
	}
	slices.Sort(names)
	r := rand.New(rand.NewPCG(1, 2))
	invalid := 0
	for _, name := range names {
		v, err := schemacheck.Unmarshal(docs[name])
		require.NoError(t, err, name)
		require.Empty(t, leaves(ours.Validate(v)), name)
		require.NoError(t, lib.Validate(v), name)
		for i := range 8 {
			v, _ := schemacheck.Unmarshal(docs[name])
			m := mutate(r, v)
			want := libraryLeaves(lib.Validate(m))
			got := leaves(ours.Validate(m))
			if !slices.Equal(got, want) {
				b, _ := json.Marshal(m)
				t.Fatalf("%s, mutation %d: errors\n%s\nthe library's\n%s\ndocument: %.2000s", name, i, strings.Join(got, "\n"), strings.Join(want, "\n"), b)
			}
			if len(want) > 0 {
				invalid++
			}
		}
	}
	t.Logf("%d manifests, %d invalid mutations", len(names), invalid)
	require.Greater(t, invalid, 1000)
}

// Compile refuses what it would not check, and references it cannot
// resolve.
func TestCompileRefuses(t *testing.T) {
	for _, c := range []struct{ schema, err string }{
		{`{"type": "object", "oneOf": [{"required": ["a"]}]}`, `keyword "oneOf" is not supported`},
		{`{"properties": {"a": {"format": "date"}}}`, `/properties/a: keyword "format" is not supported`},
		{`{"$ref": "#/$defs/missing"}`, `unknown definition "missing"`},
		{`{"$ref": "other.json"}`, `only references to #/$defs/NAME`},
		{`{"type": "text"}`, `/type: not a valid value`},
		{`{"pattern": "("}`, `/pattern: error parsing regexp`},
		{`[]`, `not an object`},
		{`{"$ref": "#/$defs/a", "$defs": {"a": {"anyOf": [{"type": "string"}, {"$ref": "#/$defs/b"}]}, "b": {"not": {"$ref": "#/$defs/a"}}}}`, `$ref cycle`},
	} {
		_, err := schemacheck.Compile([]byte(c.schema))
		require.ErrorContains(t, err, c.err, c.schema)
	}
}

// keywordSchema has each keyword the manifest schema uses.
const keywordSchema = `{
	"$schema": "https://json-schema.org/draft/2020-12/schema",
	"type": "object", "required": ["f"], "additionalProperties": false,
	"properties": {
		"f": {"const": "v1"},
		"n": {"type": "integer", "minimum": 1, "maximum": 10},
		"s": {"type": "string", "minLength": 2, "pattern": "^[a-z]+$"},
		"e": {"enum": ["a", "b"]},
		"l": {"type": "array", "items": {"$ref": "#/$defs/x"}},
		"m": {"type": "object", "additionalProperties": {"type": "boolean"}}
	},
	"$defs": {"x": {"anyOf": [{"required": ["p"]}, {"required": ["q"]}], "not": {"required": ["p", "q"]}}}
}`

// A reference may recur through the properties or items of a value.
func TestCompileRecursion(t *testing.T) {
	s, err := schemacheck.Compile([]byte(`{"$ref": "#/$defs/tree", "$defs": {"tree": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/tree"}}}}}}`))
	require.NoError(t, err)
	v, err := schemacheck.Unmarshal([]byte(`{"children": [{"children": []}, {"children": [1]}]}`))
	require.NoError(t, err)
	require.Equal(t, []string{"children/1/children/0: got number, want object"}, leaves(s.Validate(v)))
}

// Each keyword on its own, with the messages the manifest errors show,
// and as the library.
func TestValidateKeywords(t *testing.T) {
	s, err := schemacheck.Compile([]byte(keywordSchema))
	require.NoError(t, err)
	lib := library(t, []byte(keywordSchema))
	for _, c := range []struct {
		doc  string
		want []string
	}{
		{`{"f": "v1"}`, nil},
		{`{}`, []string{": missing property 'f'"}},
		{`{"f": "v2"}`, []string{"f: value must be 'v1'"}},
		{`{"f": "v1", "n": 1.0}`, nil},
		{`{"f": "v1", "n": 1.5}`, []string{"n: got number, want integer"}},
		{`{"f": "v1", "n": "1"}`, []string{"n: got string, want integer"}},
		{`{"f": "v1", "n": 0}`, []string{"n: minimum: got 0, want 1"}},
		{`{"f": "v1", "n": 11}`, []string{"n: maximum: got 11, want 10"}},
		{`{"f": "v1", "n": 1e3}`, []string{"n: maximum: got 1000, want 10"}},
		{`{"f": "v1", "s": "A"}`, []string{"s: 'A' does not match pattern '^[a-z]+$'", "s: minLength: got 1, want 2"}},
		{`{"f": "v1", "e": "c"}`, []string{"e: value must be one of 'a', 'b'"}},
		{`{"f": "v1", "l": [{"p": 1}, {}, {"p": 1, "q": 2}]}`, []string{"l/1: missing property 'p'", "l/1: missing property 'q'", "l/2: 'not' failed"}},
		{`{"f": "v1", "m": {"a": true, "b": 1}}`, []string{"m/b: got number, want boolean"}},
		{`{"f": "v1", "zz": 1, "aa": 2}`, []string{": unknown aa", ": unknown zz"}},
	} {
		v, err := schemacheck.Unmarshal([]byte(c.doc))
		require.NoError(t, err, c.doc)
		got := leaves(s.Validate(v))
		require.Equal(t, c.want, got, c.doc)
		require.Equal(t, libraryLeaves(lib.Validate(v)), got, c.doc)
	}
}

// A failed "not" of required properties says which properties it rules
// out together.
func TestValidateNotTogether(t *testing.T) {
	s, err := schemacheck.Compile([]byte(`{"not": {"anyOf": [{"required": ["a", "b"]}, {"required": ["a", "c"]}]}}`))
	require.NoError(t, err)
	for doc, want := range map[string][]string{
		`{"a": 1, "c": 2}`:         {"a", "c"},
		`{"a": 1, "b": 2, "c": 3}`: {"a", "b"},
		`{"b": 1, "c": 2}`:         nil,
	} {
		v, err := schemacheck.Unmarshal([]byte(doc))
		require.NoError(t, err)
		errs := s.Validate(v)
		if want == nil {
			require.Empty(t, errs, doc)
			continue
		}
		require.Len(t, errs, 1, doc)
		require.Equal(t, want, errs[0].Together, doc)
	}
}

func TestUnmarshalOneValue(t *testing.T) {
	_, err := schemacheck.Unmarshal([]byte(`{} {}`))
	require.Error(t, err)
	_, err = schemacheck.Unmarshal([]byte(`{"a": [1e999999999]}`))
	require.ErrorContains(t, err, "number 1e999999999 is out of range")
	v, err := schemacheck.Unmarshal([]byte(` {"a": 1} `))
	require.NoError(t, err)
	require.Equal(t, map[string]any{"a": json.Number("1")}, v)
}

// FuzzValidateAsTheLibrary: on any JSON document, the manifest schema's
// errors are the library's.
func FuzzValidateAsTheLibrary(f *testing.F) {
	for _, p := range []string{"../../fixtures/example/job-v1.json", "../../fixtures/flink-tests/unified-sink-job-topology.json", "../../fixtures/states/job-avro-compatible.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"format": "spcheck/jobgraph/v1", "operators": [{"uid": "a", "id": "0123456789abcdef0123456789abcdef", "parallelism": 0}], "topology": {}}`))
	f.Add([]byte(`{"format": 1, "maxParallelism": 1e9, "planOptions": {"overrides": {"x": {"chaining": "SOMETIMES"}}}}`))
	ours, err := schemacheck.Compile(schemas.JobGraphV1)
	if err != nil {
		f.Fatal(err)
	}
	lib := library(f, schemas.JobGraphV1)
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := schemacheck.Unmarshal(b)
		if err != nil {
			return
		}
		got, want := leaves(ours.Validate(v)), libraryLeaves(lib.Validate(v))
		if !slices.Equal(got, want) {
			t.Fatalf("errors\n%s\nthe library's\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}
