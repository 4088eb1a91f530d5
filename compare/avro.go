package compare

// Avro schema resolution: can data written with one schema (the
// savepoint's, the writer) be read with another (the new job's, the
// reader)? Flink's AvroSerializerSnapshot.resolveSchemaCompatibility
// answers with Avro's SchemaCompatibility.checkReaderWriterCompatibility
// (reader: the new schema, writer: the old): equal schemas are compatible
// as is, compatible ones after migration, the rest incompatible.
//
// goavro parses and validates the schemas (names, defaults, unions) but
// does not resolve a reader against a writer, so the rules are written
// here, on the JSON goavro accepted, after the "Schema Resolution" section
// of the Avro 1.11 specification and the checker Flink calls
// (lang/java/avro/.../SchemaCompatibility.java,
// ReaderWriterCompatibilityChecker):
//
//   - primitives match themselves; the writer's int is promoted to long,
//     float or double, long to float or double, float to double, string to
//     bytes and bytes to string;
//   - records, enums and fixed match when their unqualified names are
//     equal or the reader's aliases hold the writer's full name; fixed also
//     need the same size;
//   - record fields are matched by name, then by the reader field's
//     aliases; writer fields the reader lacks are skipped; a reader field
//     the writer lacks needs a default (a field matching several writer
//     fields is an error in Avro's checker);
//   - every writer enum symbol must be a reader symbol, unless the reader
//     has a default symbol;
//   - arrays and maps resolve their items and values;
//   - a writer union resolves when every branch does; a reader union
//     resolves a non-union writer when some branch does (Avro's checker;
//     the specification's "first match" picks among those);
//   - logical types do not take part: Avro's Java checker
//     (SchemaCompatibility.checkReaderWriterCompatibility, which
//     AvroSerializerSnapshot.resolveSchemaCompatibility calls,
//     flink-formats/flink-avro/.../AvroSerializerSnapshot.java:173-183 at
//     Flink 2.0) ignores them, so a decimal whose precision or scale
//     changes is, for Flink, compatible after migration (the schemas are
//     not equal). spcheck says so and notes the change (Notes): the stored
//     unscaled numbers are then read with the new scale.

import (
	"encoding/json"
	"fmt"
	"github.com/spcheck/spcheck/internal/safeparse"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/linkedin/goavro/v2"
)

// avroSchema is a parsed Avro schema node. Named types are shared: a
// reference by name points at the definition, so recursive schemas are
// cyclic graphs.
type avroSchema struct {
	typ      string // null, boolean, int, long, float, double, bytes, string, record, enum, array, map, fixed, union
	name     string // full name of a named type
	aliases  []string
	fields   []avroField
	symbols  []string
	enumDef  string // the enum's default symbol, "" when none
	size     int
	items    *avroSchema // array
	values   *avroSchema // map
	branches []*avroSchema
	// logical, precision and scale describe a logical type; props holds
	// the attributes Avro keeps as properties (for equality).
	logical          string
	precision, scale int
	props            map[string]any
}

type avroField struct {
	name       string
	aliases    []string
	typ        *avroSchema
	hasDefault bool
	def        any
	order      string
}

func (s *avroSchema) named() bool {
	return s.typ == "record" || s.typ == "enum" || s.typ == "fixed"
}

// shortName is the unqualified name of a full name.
func shortName(full string) string {
	if i := strings.LastIndexByte(full, '.'); i >= 0 {
		return full[i+1:]
	}
	return full
}

// label names a schema node in messages.
func (s *avroSchema) label() string {
	if s.named() {
		return s.typ + " " + s.name
	}
	if s.logical != "" {
		return s.typ + " (" + s.logical + ")"
	}
	if s.typ == "union" {
		parts := make([]string, len(s.branches))
		for i, b := range s.branches {
			parts[i] = b.label()
		}
		return "union [" + strings.Join(parts, ", ") + "]"
	}
	return s.typ
}

// parseAvroSchema validates text with goavro and parses it.
func parseAvroSchema(text string) (*avroSchema, error) {
	if err := safeparse.CheckJSON([]byte(text)); err != nil {
		return nil, fmt.Errorf("compare: Avro schema: %v", err)
	}
	if _, err := goavro.NewCodec(text); err != nil {
		return nil, fmt.Errorf("compare: Avro schema: %v", err)
	}
	var doc any
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("compare: Avro schema: %v", err)
	}
	p := &avroParser{names: map[string]*avroSchema{}}
	s, err := p.parse(doc, "")
	if err != nil {
		return nil, fmt.Errorf("compare: Avro schema: %v", err)
	}
	return s, nil
}

type avroParser struct {
	names map[string]*avroSchema
	depth int
}

var avroPrimitives = map[string]bool{"null": true, "boolean": true, "int": true, "long": true, "float": true, "double": true, "bytes": true, "string": true}

// fullName resolves a name against a namespace (specification, "Names").
func fullName(name, namespace string) string {
	if strings.Contains(name, ".") || namespace == "" {
		return name
	}
	return namespace + "." + name
}

// reservedSchemaAttrs are the attributes that are not properties.
var reservedSchemaAttrs = map[string]bool{"type": true, "name": true, "namespace": true, "fields": true, "items": true,
	"values": true, "symbols": true, "size": true, "doc": true, "aliases": true, "default": true}

func (p *avroParser) parse(v any, ns string) (*avroSchema, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 256 {
		return nil, fmt.Errorf("schema nested too deep")
	}
	switch v := v.(type) {
	case string:
		if avroPrimitives[v] {
			return &avroSchema{typ: v}, nil
		}
		if s, ok := p.names[fullName(v, ns)]; ok {
			return s, nil
		}
		if s, ok := p.names[v]; ok {
			return s, nil
		}
		return nil, fmt.Errorf("unknown type %q", v)
	case []any:
		u := &avroSchema{typ: "union"}
		for _, b := range v {
			s, err := p.parse(b, ns)
			if err != nil {
				return nil, err
			}
			u.branches = append(u.branches, s)
		}
		return u, nil
	case map[string]any:
		return p.object(v, ns)
	}
	return nil, fmt.Errorf("not a schema: %v", v)
}

func (p *avroParser) object(m map[string]any, ns string) (*avroSchema, error) {
	t, _ := m["type"].(string)
	if t == "" {
		// {"type": {...}} or {"type": [...]}: the nested schema.
		if inner, ok := m["type"]; ok {
			return p.parse(inner, ns)
		}
		return nil, fmt.Errorf("schema without type")
	}
	s := &avroSchema{typ: t, props: map[string]any{}}
	for k, v := range m {
		if !reservedSchemaAttrs[k] {
			s.props[k] = v
		}
	}
	if lt, ok := m["logicalType"].(string); ok {
		s.logical = lt
		s.precision = jsonInt(m["precision"])
		s.scale = jsonInt(m["scale"])
	}
	switch t {
	case "record", "error", "enum", "fixed":
		if t == "error" {
			s.typ = "record"
		}
		name, _ := m["name"].(string)
		space, _ := m["namespace"].(string)
		if !strings.Contains(name, ".") && space == "" {
			space = ns
		}
		s.name = fullName(name, space)
		if i := strings.LastIndexByte(s.name, '.'); i >= 0 {
			ns = s.name[:i]
		} else {
			ns = ""
		}
		for _, a := range stringList(m["aliases"]) {
			s.aliases = append(s.aliases, fullName(a, ns))
		}
		p.names[s.name] = s
	}
	switch s.typ {
	case "record":
		fields, _ := m["fields"].([]any)
		for _, f := range fields {
			fm, ok := f.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("record %s: a field is not an object", s.name)
			}
			name, _ := fm["name"].(string)
			ft, err := p.parse(fm["type"], ns)
			if err != nil {
				return nil, fmt.Errorf("record %s, field %s: %v", s.name, name, err)
			}
			def, hasDef := fm["default"]
			order, _ := fm["order"].(string)
			s.fields = append(s.fields, avroField{name: name, aliases: stringList(fm["aliases"]), typ: ft, hasDefault: hasDef, def: def, order: order})
		}
	case "enum":
		s.symbols = stringList(m["symbols"])
		s.enumDef, _ = m["default"].(string)
		// goavro does not check these (specification, "Enums").
		seen := map[string]bool{}
		for _, sym := range s.symbols {
			if seen[sym] {
				return nil, fmt.Errorf("enum %s: duplicate symbol %s", s.name, sym)
			}
			seen[sym] = true
		}
		if s.enumDef != "" && !seen[s.enumDef] {
			return nil, fmt.Errorf("enum %s: default %s is not a symbol", s.name, s.enumDef)
		}
	case "fixed":
		s.size = jsonInt(m["size"])
	case "array":
		items, err := p.parse(m["items"], ns)
		if err != nil {
			return nil, fmt.Errorf("array items: %v", err)
		}
		s.items = items
	case "map":
		values, err := p.parse(m["values"], ns)
		if err != nil {
			return nil, fmt.Errorf("map values: %v", err)
		}
		s.values = values
	default:
		if !avroPrimitives[s.typ] {
			// A reference to a named type, with attributes.
			ref, err := p.parse(s.typ, ns)
			if err != nil {
				return nil, err
			}
			return ref, nil
		}
	}
	return s, nil
}

func stringList(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func jsonInt(v any) int {
	switch v := v.(type) {
	case json.Number:
		n, _ := v.Int64()
		return int(n)
	case float64:
		return int(v)
	}
	return 0
}

// avroResult is the outcome of resolving a reader schema against a
// writer schema.
type avroResult struct {
	// Equal: the schemas are equal as Avro's Schema.equals sees them
	// (documentation and aliases aside): Flink keeps the serializer as is.
	Equal bool
	// Compatible: the reader reads everything the writer wrote.
	Compatible bool
	// Problems say why not, each with the place in the reader schema.
	Problems []string
	// Notes are changes Flink accepts that change the meaning of the
	// data (a decimal's precision or scale).
	Notes []string
}

// resolveAvro resolves the reader schema (the new job's) against the
// writer schema (the savepoint's).
func resolveAvro(reader, writer *avroSchema) avroResult {
	if avroEqual(reader, writer, map[[2]*avroSchema]bool{}) {
		return avroResult{Equal: true, Compatible: true}
	}
	c := &avroChecker{memo: map[[2]*avroSchema][]string{}}
	problems := c.check(reader, writer, "")
	sort.Strings(c.notes)
	return avroResult{Compatible: len(problems) == 0, Problems: problems, Notes: slices.Compact(c.notes)}
}

type avroChecker struct {
	// memo holds the problems of each pair checked; a pair being checked
	// maps to nil, which breaks recursion: schemas are compatible unless
	// proven otherwise (Avro's RECURSION_IN_PROGRESS).
	memo map[[2]*avroSchema][]string
	// notes collects changes of decimal precision and scale.
	notes []string
}

func avroAt(loc, msg string) string {
	if loc == "" {
		return msg
	}
	return loc + ": " + msg
}

func avroPath(loc, elem string) string {
	if loc == "" {
		return elem
	}
	return loc + "." + elem
}

func (c *avroChecker) check(r, w *avroSchema, loc string) []string {
	key := [2]*avroSchema{r, w}
	if p, ok := c.memo[key]; ok {
		return p
	}
	c.memo[key] = nil
	p := c.calculate(r, w, loc)
	c.memo[key] = p
	return p
}

// promotions lists, per reader type, the writer types promoted to it.
var promotions = map[string][]string{
	"long":   {"int"},
	"float":  {"int", "long"},
	"double": {"int", "long", "float"},
	"bytes":  {"string"},
	"string": {"bytes"},
}

func (c *avroChecker) calculate(r, w *avroSchema, loc string) []string {
	if r.typ == w.typ {
		var out []string
		switch r.typ {
		case "array":
			return c.check(r.items, w.items, avroPath(loc, "items"))
		case "map":
			return c.check(r.values, w.values, avroPath(loc, "values"))
		case "fixed":
			out = append(out, checkNames(r, w, loc)...)
			if r.size != w.size {
				out = append(out, avroAt(loc, fmt.Sprintf("fixed %s has size %d, the writer's %d", r.name, r.size, w.size)))
			}
		case "enum":
			out = append(out, checkNames(r, w, loc)...)
			out = append(out, checkSymbols(r, w, loc)...)
			return out
		case "record":
			out = append(out, checkNames(r, w, loc)...)
			out = append(out, c.fields(r, w, loc)...)
			return out
		case "union":
			// Every writer branch must resolve against the reader union.
			for _, b := range w.branches {
				if p := c.check(r, b, loc); len(p) > 0 {
					out = append(out, avroAt(loc, fmt.Sprintf("the reader union has no branch for the writer's %s", b.label())))
				}
			}
			return out
		}
		c.checkDecimal(r, w, loc)
		return out
	}
	if w.typ == "union" {
		// A reader compatible with every writer branch.
		var out []string
		for _, b := range w.branches {
			out = append(out, c.check(r, b, loc)...)
		}
		return out
	}
	if r.typ == "union" {
		for _, b := range r.branches {
			if len(c.check(b, w, loc)) == 0 {
				return nil
			}
		}
		return []string{avroAt(loc, fmt.Sprintf("the reader union has no branch for the writer's %s", w.label()))}
	}
	for _, from := range promotions[r.typ] {
		if w.typ == from {
			c.checkDecimal(r, w, loc)
			return nil
		}
	}
	return []string{avroAt(loc, fmt.Sprintf("the writer's %s cannot be read as %s", w.label(), r.label()))}
}

// checkNames compares the names of two named types: equal unqualified
// names, or a reader alias naming the writer.
func checkNames(r, w *avroSchema, loc string) []string {
	if shortName(r.name) == shortName(w.name) {
		return nil
	}
	for _, a := range r.aliases {
		if a == w.name {
			return nil
		}
	}
	return []string{avroAt(loc, fmt.Sprintf("%s %s does not match the writer's %s %s (names or aliases must match)", r.typ, r.name, w.typ, w.name))}
}

func checkSymbols(r, w *avroSchema, loc string) []string {
	have := map[string]bool{}
	for _, s := range r.symbols {
		have[s] = true
	}
	var missing []string
	for _, s := range w.symbols {
		if !have[s] {
			missing = append(missing, s)
		}
	}
	if len(missing) == 0 || (r.enumDef != "" && have[r.enumDef]) {
		return nil
	}
	sort.Strings(missing)
	return []string{avroAt(loc, fmt.Sprintf("enum %s lacks the writer's symbols %s and has no default", r.name, strings.Join(missing, ", ")))}
}

// checkDecimal notes a decimal whose precision or scale changes; it is no
// problem for Avro's checker, which ignores logical types.
func (c *avroChecker) checkDecimal(r, w *avroSchema, loc string) {
	if r.logical == "decimal" && w.logical == "decimal" && (r.precision != w.precision || r.scale != w.scale) {
		c.notes = append(c.notes, avroAt(loc, fmt.Sprintf("decimal(%d, %d) → decimal(%d, %d)", w.precision, w.scale, r.precision, r.scale)))
	}
}

func (c *avroChecker) fields(r, w *avroSchema, loc string) []string {
	var out []string
	byName := map[string]*avroField{}
	for i := range w.fields {
		byName[w.fields[i].name] = &w.fields[i]
	}
	for i := range r.fields {
		rf := &r.fields[i]
		floc := avroPath(loc, rf.name)
		var found []*avroField
		if wf, ok := byName[rf.name]; ok {
			found = append(found, wf)
		}
		for _, a := range rf.aliases {
			if wf, ok := byName[a]; ok {
				found = append(found, wf)
			}
		}
		switch len(found) {
		case 0:
			if !rf.hasDefault {
				out = append(out, avroAt(floc, "new field without a default: the writer's records lack it"))
			}
		case 1:
			out = append(out, c.check(rf.typ, found[0].typ, floc)...)
		default:
			out = append(out, avroAt(floc, "the field and its aliases match several writer fields"))
		}
	}
	return out
}

// avroEqual compares two schemas as Avro's Schema.equals does: types,
// names, fields with their defaults and order, symbols, sizes and
// properties; documentation and aliases are ignored.
func avroEqual(a, b *avroSchema, seen map[[2]*avroSchema]bool) bool {
	if a == b {
		return true
	}
	key := [2]*avroSchema{a, b}
	if seen[key] {
		return true
	}
	seen[key] = true
	if a.typ != b.typ || a.name != b.name || a.size != b.size || a.enumDef != b.enumDef ||
		!reflect.DeepEqual(a.symbols, b.symbols) || !propsEqual(a.props, b.props) ||
		len(a.fields) != len(b.fields) || len(a.branches) != len(b.branches) {
		return false
	}
	for i := range a.fields {
		fa, fb := &a.fields[i], &b.fields[i]
		if fa.name != fb.name || fa.hasDefault != fb.hasDefault || fa.order != fb.order ||
			!reflect.DeepEqual(fa.def, fb.def) || !avroEqual(fa.typ, fb.typ, seen) {
			return false
		}
	}
	for i := range a.branches {
		if !avroEqual(a.branches[i], b.branches[i], seen) {
			return false
		}
	}
	if (a.items == nil) != (b.items == nil) || a.items != nil && !avroEqual(a.items, b.items, seen) {
		return false
	}
	if (a.values == nil) != (b.values == nil) || a.values != nil && !avroEqual(a.values, b.values, seen) {
		return false
	}
	return true
}

func propsEqual(a, b map[string]any) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// avroSchemaText returns a manifest's avroSchema (a JSON string or a
// JSON value) as text.
func avroSchemaText(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("compare: avroSchema: %v", err)
	}
	return string(b), nil
}
