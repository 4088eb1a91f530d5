package safeparse

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// billionLaughs is the classic alias bomb: ten levels of ten aliases.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [", i, i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func TestCheckYAML(t *testing.T) {
	start := time.Now()
	if err := CheckYAML([]byte(billionLaughs())); err == nil || !strings.Contains(err.Error(), "aliases expand to more than") {
		t.Errorf("billion laughs: %v", err)
	}
	if time.Since(start) > time.Second {
		t.Errorf("took %v", time.Since(start))
	}
	deep := strings.Repeat("[", 1000) + strings.Repeat("]", 1000)
	if err := CheckYAML([]byte(deep)); err == nil || !strings.Contains(err.Error(), "nested deeper than 256") {
		t.Errorf("deep: %v", err)
	}
	// Aliases used sanely, and a second document, pass.
	ok := "base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2\n---\nother: [1, 2]\n"
	if err := CheckYAML([]byte(ok)); err != nil {
		t.Errorf("sane YAML: %v", err)
	}
	var v any
	if err := yaml.Unmarshal([]byte(ok), &v); err != nil {
		t.Fatal(err)
	}
}

func TestCheckJSON(t *testing.T) {
	if err := CheckJSON([]byte(strings.Repeat("[", 300) + strings.Repeat("]", 300))); err == nil {
		t.Error("deep JSON passed")
	}
	if err := CheckJSON([]byte(`{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"", "b": [1, {"c": 2}]}`)); err != nil {
		t.Errorf("brackets in strings counted: %v", err)
	}
}
