// Package safeparse checks untrusted JSON and YAML before they are parsed:
// nesting depth, and for YAML the size aliases expand to (a "billion
// laughs" document of a kilobyte expands to a billion nodes).
package safeparse

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// Limits. Real job graphs, plans, configurations and deployments nest a few
// dozen levels and have thousands of nodes.
const (
	MaxDepth     = 256
	MaxYAMLNodes = 1 << 20
)

// CheckJSON refuses JSON nested deeper than MaxDepth. It only counts
// brackets outside strings; the syntax is the parser's business.
func CheckJSON(data []byte) error {
	depth, inString, escaped := 0, false, false
	for i, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			if depth > MaxDepth {
				return fmt.Errorf("JSON nested deeper than %d levels at byte %d", MaxDepth, i)
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return nil
}

// CheckYAML refuses a YAML stream any of whose documents nests deeper than
// MaxDepth or whose aliases expand it to more than MaxYAMLNodes nodes.
// Syntax errors are left to the real parse (it reports them with lines).
func CheckYAML(data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return nil
		}
		w := walker{memo: map[*yaml.Node]int{}}
		if _, err := w.size(&doc, 0); err != nil {
			return err
		}
	}
}

type walker struct {
	memo map[*yaml.Node]int
}

var errBudget = fmt.Errorf("YAML aliases expand to more than %d nodes", MaxYAMLNodes)

// size returns the number of nodes n stands for once its aliases are
// expanded (memoized per node, so the walk itself stays linear).
func (w *walker) size(n *yaml.Node, depth int) (int, error) {
	if n == nil {
		return 0, nil
	}
	if depth > MaxDepth {
		return 0, fmt.Errorf("YAML nested deeper than %d levels (line %d)", MaxDepth, n.Line)
	}
	if s, ok := w.memo[n]; ok {
		if s < 0 {
			return 0, fmt.Errorf("YAML alias refers to itself (line %d)", n.Line)
		}
		return s, nil
	}
	w.memo[n] = -1
	total := 1
	if n.Kind == yaml.AliasNode {
		s, err := w.size(n.Alias, depth+1)
		if err != nil {
			return 0, err
		}
		total += s
	}
	for _, c := range n.Content {
		s, err := w.size(c, depth+1)
		if err != nil {
			return 0, err
		}
		total += s
		if total > MaxYAMLNodes {
			return 0, errBudget
		}
	}
	if total > MaxYAMLNodes {
		return 0, errBudget
	}
	w.memo[n] = total
	return total, nil
}
