package compare

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A locator finds where a value of a JSON or YAML document is written:
// both are read as YAML nodes (JSON is YAML), which keep line and column.
type locator struct {
	root *yaml.Node
}

func newLocator(data []byte) *locator {
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil || len(n.Content) == 0 {
		return &locator{}
	}
	return &locator{root: n.Content[0]}
}

// pos is the line and column of the value at the JSON pointer path, or of
// the key named key of that value when key is set; 0, 0 when not found.
func (l *locator) pos(path []string, key string) (int, int) {
	n := l.root
	for _, p := range path {
		n = child(n, p)
		if n == nil {
			return 0, 0
		}
	}
	if n == nil {
		return 0, 0
	}
	if key != "" && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i].Line, n.Content[i].Column
			}
		}
	}
	return n.Line, n.Column
}

func child(n *yaml.Node, p string) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == p {
				return n.Content[i+1]
			}
		}
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(p); err == nil && i >= 0 && i < len(n.Content) {
			return n.Content[i]
		}
	}
	return nil
}

// at is "name:line:column" for the position, or "name" without one.
func at(name string, line, col int) string {
	if line <= 0 {
		return name
	}
	return fmt.Sprintf("%s:%d:%d", name, line, col)
}

// fieldPath writes a JSON pointer the way a reader names the field:
// operators[0].states[1].kind.
func fieldPath(path []string) string {
	var b strings.Builder
	for _, p := range path {
		if _, err := strconv.Atoi(p); err == nil {
			b.WriteString("[" + p + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteString(".")
		}
		b.WriteString(p)
	}
	if b.Len() == 0 {
		return "the document"
	}
	return b.String()
}

// syntaxError says where a JSON or YAML document fails to parse:
// "name:line:column: message" for JSON, "name:line: message" for YAML.
func syntaxError(name string, data []byte, err error, what string) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(data, int(se.Offset))
		return fmt.Errorf("%s: not valid %s: %s", at(name, line, col), what, se.Error())
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		line, col := lineCol(data, int(te.Offset))
		return fmt.Errorf("%s: not valid %s: %s", at(name, line, col), what, te.Error())
	}
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s:%s: not valid %s: %s", name, m[1], what, strings.TrimPrefix(msg, m[0]))
	}
	return fmt.Errorf("%s: not valid %s: %s", name, what, strings.TrimPrefix(msg, "yaml: "))
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// lineCol is the 1-based line and column of byte offset off in data
// (json.SyntaxError's Offset is just past the offending byte).
func lineCol(data []byte, off int) (int, int) {
	if off > len(data) {
		off = len(data)
	}
	if off > 0 {
		off--
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}
