// Package schemacheck validates a JSON document against one of the JSON
// Schemas spcheck publishes (schemas/), which use a small part of JSON
// Schema 2020-12: type, const, enum, $ref (to #/$defs), properties,
// additionalProperties, required, items, minLength, pattern, minimum,
// maximum, anyOf and not. Compile rejects any other keyword, so that a
// schema cannot say more than spcheck checks.
//
// The keywords mean what the specification says
// (https://json-schema.org/draft/2020-12/json-schema-validation), and the
// errors are those santhosh-tekuri/jsonschema gives, in its words (but
// numbers as the document and the schema write them, "40000" and "1e9"
// where it prints "40,000" and "1×10⁰⁹"): the tests validate the same
// documents with that library and compare. spcheck used the
// library itself until its start-up cost showed: it compiles the
// meta-schemas of five drafts when the program starts, 5 ms of every
// spcheck command (a third of 'spcheck version').
package schemacheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A Schema is a compiled schema document.
type Schema struct {
	root *node
	defs map[string]*node
}

type node struct {
	loc        string // the JSON pointer of the schema, for errors
	types      []string
	constVal   any
	hasConst   bool
	enum       []any
	ref        string
	props      map[string]*node
	additional *node // with noAdditional false
	// noAdditional: additionalProperties is false.
	noAdditional bool
	required     []string
	items        *node
	minLength    int // -1: none
	pattern      *regexp.Regexp
	minimum      *bound
	maximum      *bound
	anyOf        []*node
	not          *node
}

// annotations are keywords that say nothing about validity.
var annotations = map[string]bool{"$schema": true, "$id": true, "$comment": true, "title": true, "description": true, "default": true, "examples": true, "deprecated": true, "readOnly": true, "writeOnly": true}

// Compile reads a schema document.
func Compile(doc []byte) (*Schema, error) {
	v, err := Unmarshal(doc)
	if err != nil {
		return nil, err
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schemacheck: the schema is not an object")
	}
	s := &Schema{defs: map[string]*node{}}
	if defs, ok := top["$defs"]; ok {
		m, ok := defs.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("schemacheck: $defs is not an object")
		}
		for name, d := range m {
			n, err := compile(d, "/$defs/"+escape(name))
			if err != nil {
				return nil, err
			}
			s.defs[name] = n
		}
	}
	delete(top, "$defs")
	if s.root, err = compile(top, ""); err != nil {
		return nil, err
	}
	// Every reference resolves.
	var check func(n *node) error
	seen := map[*node]bool{}
	check = func(n *node) error {
		if n == nil || seen[n] {
			return nil
		}
		seen[n] = true
		if n.ref != "" {
			if _, ok := s.defs[n.ref]; !ok {
				return fmt.Errorf("schemacheck: %s: $ref to an unknown definition %q", n.loc, n.ref)
			}
		}
		for _, c := range n.children() {
			if err := check(c); err != nil {
				return err
			}
		}
		return nil
	}
	if err := check(s.root); err != nil {
		return nil, err
	}
	for _, d := range s.defs {
		if err := check(d); err != nil {
			return nil, err
		}
	}
	// No reference leads back to itself on the same value: validating
	// would never end.
	state := map[*node]int{} // 1: on the path, 2: done
	var cycle func(n *node) error
	cycle = func(n *node) error {
		switch state[n] {
		case 1:
			return fmt.Errorf("schemacheck: %s: $ref cycle that validates the same value again", n.loc)
		case 2:
			return nil
		}
		state[n] = 1
		for _, c := range n.sameValue(s) {
			if err := cycle(c); err != nil {
				return err
			}
		}
		state[n] = 2
		return nil
	}
	for _, n := range append([]*node{s.root}, slices.Collect(maps.Values(s.defs))...) {
		if err := cycle(n); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// sameValue returns the schemas that validate the value n validates (not
// a property or an item of it).
func (n *node) sameValue(s *Schema) []*node {
	out := slices.Clone(n.anyOf)
	if n.not != nil {
		out = append(out, n.not)
	}
	if n.ref != "" {
		out = append(out, s.defs[n.ref])
	}
	return out
}

func (n *node) children() []*node {
	out := []*node{n.additional, n.items, n.not}
	for _, p := range n.props {
		out = append(out, p)
	}
	return append(out, n.anyOf...)
}

func escape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func compile(v any, loc string) (*node, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schemacheck: %s: a schema that is not an object", loc)
	}
	n := &node{loc: loc, minLength: -1}
	bad := func(kw string) error {
		return fmt.Errorf("schemacheck: %s/%s: not a valid value", loc, kw)
	}
	for kw, val := range m {
		var err error
		switch kw {
		case "type":
			switch t := val.(type) {
			case string:
				n.types = []string{t}
			case []any:
				for _, x := range t {
					s, ok := x.(string)
					if !ok {
						return nil, bad(kw)
					}
					n.types = append(n.types, s)
				}
			default:
				return nil, bad(kw)
			}
			for _, t := range n.types {
				if !slices.Contains([]string{"null", "boolean", "object", "array", "number", "integer", "string"}, t) {
					return nil, bad(kw)
				}
			}
		case "const":
			n.constVal, n.hasConst = val, true
		case "enum":
			e, ok := val.([]any)
			if !ok {
				return nil, bad(kw)
			}
			n.enum = e
		case "$ref":
			s, ok := val.(string)
			name, isDef := strings.CutPrefix(s, "#/$defs/")
			if !ok || !isDef || strings.Contains(name, "/") {
				return nil, fmt.Errorf("schemacheck: %s/$ref: only references to #/$defs/NAME are supported", loc)
			}
			n.ref = name
		case "properties":
			pm, ok := val.(map[string]any)
			if !ok {
				return nil, bad(kw)
			}
			n.props = map[string]*node{}
			for name, p := range pm {
				if n.props[name], err = compile(p, loc+"/properties/"+escape(name)); err != nil {
					return nil, err
				}
			}
		case "additionalProperties":
			switch a := val.(type) {
			case bool:
				n.noAdditional = !a
			default:
				if n.additional, err = compile(a, loc+"/additionalProperties"); err != nil {
					return nil, err
				}
			}
		case "required":
			r, ok := val.([]any)
			if !ok {
				return nil, bad(kw)
			}
			for _, x := range r {
				s, ok := x.(string)
				if !ok {
					return nil, bad(kw)
				}
				n.required = append(n.required, s)
			}
		case "items":
			if n.items, err = compile(val, loc+"/items"); err != nil {
				return nil, err
			}
		case "minLength":
			i, ok := integer(val)
			if !ok || i < 0 {
				return nil, bad(kw)
			}
			n.minLength = i
		case "pattern":
			s, ok := val.(string)
			if !ok {
				return nil, bad(kw)
			}
			if n.pattern, err = regexp.Compile(s); err != nil {
				return nil, fmt.Errorf("schemacheck: %s/pattern: %v", loc, err)
			}
		case "minimum", "maximum":
			num, ok := val.(json.Number)
			if !ok {
				return nil, bad(kw)
			}
			r, ok := new(big.Rat).SetString(string(num))
			if !ok {
				return nil, bad(kw)
			}
			if kw == "minimum" {
				n.minimum = &bound{r, string(num)}
			} else {
				n.maximum = &bound{r, string(num)}
			}
		case "anyOf":
			l, ok := val.([]any)
			if !ok || len(l) == 0 {
				return nil, bad(kw)
			}
			for i, x := range l {
				c, err := compile(x, fmt.Sprintf("%s/anyOf/%d", loc, i))
				if err != nil {
					return nil, err
				}
				n.anyOf = append(n.anyOf, c)
			}
		case "not":
			if n.not, err = compile(val, loc+"/not"); err != nil {
				return nil, err
			}
		default:
			if !annotations[kw] {
				return nil, fmt.Errorf("schemacheck: %s: keyword %q is not supported", loc, kw)
			}
		}
	}
	return n, nil
}

// A bound is a minimum or maximum: its value, and as the schema writes it.
type bound struct {
	r    *big.Rat
	text string
}

func integer(v any) (int, bool) {
	num, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := num.Int64()
	return int(i), err == nil && int64(int(i)) == i
}

// Unmarshal decodes JSON as Validate expects it: numbers as json.Number.
// The input must be a single JSON value, and its numbers within the range
// of float64 (as encoding/json requires of them): Validate compares
// numbers exactly, and 1e999999999 would take it a billion digits.
func Unmarshal(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err == nil {
		return nil, fmt.Errorf("invalid character after top-level value")
	}
	if err := checkNumbers(v); err != nil {
		return nil, err
	}
	return v, nil
}

func checkNumbers(v any) error {
	switch v := v.(type) {
	case json.Number:
		if _, err := strconv.ParseFloat(string(v), 64); err != nil {
			return fmt.Errorf("number %.40s is out of range", v)
		}
	case []any:
		for _, x := range v {
			if err := checkNumbers(x); err != nil {
				return err
			}
		}
	case map[string]any:
		for _, x := range v {
			if err := checkNumbers(x); err != nil {
				return err
			}
		}
	}
	return nil
}

// An Error is one way the document fails the schema.
type Error struct {
	// Path is where in the document: object keys and array indexes.
	Path []string
	// Message says what is wrong, in the words of the jsonschema library
	// ("got string, want integer").
	Message string
	// Missing, for a required keyword: the properties missing.
	Missing []string
	// Unknown, for additionalProperties false: the properties the schema
	// does not allow; Allowed the ones it does. Both sorted.
	Unknown, Allowed []string
	// Together, for a failed "not" of required properties (or an anyOf
	// of such): the properties given that it rules out together, in the
	// schema's order.
	Together []string
}

// Validate returns the ways v (as Unmarshal returns it) fails the schema:
// the leaves of the library's error tree, all of them (an anyOf that
// fails gives each alternative's).
func (s *Schema) Validate(v any) []Error {
	var errs []Error
	s.validate(s.root, v, nil, &errs)
	return errs
}

func (s *Schema) validate(n *node, v any, path []string, errs *[]Error) {
	add := func(msg string) {
		*errs = append(*errs, Error{Path: slices.Clone(path), Message: msg})
	}
	t := typeOf(v)
	if n.types != nil {
		ok := slices.Contains(n.types, t) || t == "number" && slices.Contains(n.types, "integer") && isInteger(v.(json.Number))
		if !ok {
			add(fmt.Sprintf("got %s, want %s", t, strings.Join(n.types, " or ")))
			return // as the library: nothing more about a value of the wrong type
		}
	}
	if n.hasConst && !equal(v, n.constVal) {
		add("value must be " + display(n.constVal))
	}
	if n.enum != nil && !slices.ContainsFunc(n.enum, func(e any) bool { return equal(v, e) }) {
		var want []string
		for _, e := range n.enum {
			want = append(want, display(e))
		}
		if len(want) == 1 {
			add("value must be " + want[0])
		} else {
			add("value must be one of " + strings.Join(want, ", "))
		}
	}
	if n.ref != "" {
		s.validate(s.defs[n.ref], v, path, errs)
	}
	switch v := v.(type) {
	case map[string]any:
		if missing := missingProps(v, n.required); missing != nil {
			msg := "missing property " + quote(missing[0])
			if len(missing) > 1 {
				msg = "missing properties " + joinQuoted(missing)
			}
			*errs = append(*errs, Error{Path: slices.Clone(path), Message: msg, Missing: missing})
		}
		var unknown []string
		for _, name := range slices.Sorted(maps.Keys(v)) {
			sub := append(path[:len(path):len(path)], name)
			switch p, ok := n.props[name]; {
			case ok:
				s.validate(p, v[name], sub, errs)
			case n.additional != nil:
				s.validate(n.additional, v[name], sub, errs)
			case n.noAdditional:
				unknown = append(unknown, name)
			}
		}
		if unknown != nil {
			allowed := slices.Sorted(maps.Keys(n.props))
			*errs = append(*errs, Error{Path: slices.Clone(path), Message: "additional properties " + joinQuoted(unknown) + " not allowed", Unknown: unknown, Allowed: allowed})
		}
	case []any:
		if n.items != nil {
			for i, x := range v {
				s.validate(n.items, x, append(path[:len(path):len(path)], fmt.Sprint(i)), errs)
			}
		}
	case string:
		if n.minLength >= 0 {
			if got := utf8.RuneCountInString(v); got < n.minLength {
				add(fmt.Sprintf("minLength: got %d, want %d", got, n.minLength))
			}
		}
		if n.pattern != nil && !n.pattern.MatchString(v) {
			add(fmt.Sprintf("%s does not match pattern %s", quote(v), quote(n.pattern.String())))
		}
	case json.Number:
		if r, ok := new(big.Rat).SetString(string(v)); ok {
			if n.minimum != nil && r.Cmp(n.minimum.r) < 0 {
				add(fmt.Sprintf("minimum: got %s, want %s", v, n.minimum.text))
			}
			if n.maximum != nil && r.Cmp(n.maximum.r) > 0 {
				add(fmt.Sprintf("maximum: got %s, want %s", v, n.maximum.text))
			}
		}
	}
	if n.anyOf != nil {
		var alt []Error
		matched := false
		for _, a := range n.anyOf {
			before := len(alt)
			s.validate(a, v, path, &alt)
			if len(alt) == before {
				matched = true
				break
			}
		}
		if !matched {
			*errs = append(*errs, alt...)
		}
	}
	if n.not != nil {
		var sub []Error
		s.validate(n.not, v, path, &sub)
		if len(sub) == 0 {
			*errs = append(*errs, Error{Path: slices.Clone(path), Message: "'not' failed", Together: together(n.not, v)})
		}
	}
}

// together returns the properties of obj that make n, a "not" schema of
// required properties or an anyOf of such, match: the first alternative
// that does. Nil for any other schema.
func together(n *node, v any) []string {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	alts := n.anyOf
	if alts == nil {
		alts = []*node{n}
	}
	for _, a := range alts {
		if a.required != nil && missingProps(obj, a.required) == nil {
			return a.required
		}
	}
	return nil
}

func missingProps(obj map[string]any, required []string) []string {
	var missing []string
	for _, r := range required {
		if _, ok := obj[r]; !ok {
			missing = append(missing, r)
		}
	}
	return missing
}

func typeOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "invalid"
}

func isInteger(n json.Number) bool {
	r, ok := new(big.Rat).SetString(string(n))
	return ok && r.IsInt()
}

// equal is JSON equality: numbers by value, objects and arrays by their
// members.
func equal(a, b any) bool {
	switch a := a.(type) {
	case json.Number:
		bn, ok := b.(json.Number)
		if !ok {
			return false
		}
		x, ok1 := new(big.Rat).SetString(string(a))
		y, ok2 := new(big.Rat).SetString(string(bn))
		return ok1 && ok2 && x.Cmp(y) == 0
	case []any:
		bl, ok := b.([]any)
		return ok && slices.EqualFunc(a, bl, equal)
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok || len(a) != len(bm) {
			return false
		}
		for k, x := range a {
			y, ok := bm[k]
			if !ok || !equal(x, y) {
				return false
			}
		}
		return true
	default:
		return a == b
	}
}

// quote is the library's: single quotes, Go escapes.
func quote(s string) string {
	q := fmt.Sprintf("%q", s)
	q = strings.ReplaceAll(q, `\"`, `"`)
	q = strings.ReplaceAll(q, `'`, `\'`)
	return "'" + q[1:len(q)-1] + "'"
}

func joinQuoted(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = quote(s)
	}
	return strings.Join(q, ", ")
}

func display(v any) string {
	switch v := v.(type) {
	case string:
		return quote(v)
	case []any, map[string]any:
		return "value"
	case nil:
		return "<nil>"
	default:
		return fmt.Sprintf("%v", v)
	}
}
