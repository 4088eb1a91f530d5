package compare

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The rule table is the one place a rule is defined: every RuleID
// constant of rules.go has exactly one entry, IDs and names are unique,
// every entry has an outcome and a category, and the README documents
// each rule under the heading its anchor points at, saying its outcome.
func TestRulesTable(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "rules.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var consts []RuleID
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "RuleID" {
				continue
			}
			for _, v := range vs.Values {
				s, err := strconv.Unquote(v.(*ast.BasicLit).Value)
				if err != nil {
					t.Fatal(err)
				}
				consts = append(consts, RuleID(s))
			}
		}
	}
	if len(consts) != len(Rules) {
		t.Errorf("%d RuleID constants, %d rules in the table", len(consts), len(Rules))
	}
	for _, id := range consts {
		if _, ok := RuleByID(id); !ok {
			t.Errorf("constant %s has no entry in Rules", id)
		}
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	ids, names := map[RuleID]bool{}, map[string]bool{}
	for _, r := range Rules {
		if ids[r.ID] || names[r.Name] {
			t.Errorf("%s %s: ID or name given twice", r.ID, r.Name)
		}
		ids[r.ID], names[r.Name] = true, true
		if r.Outcome == 0 || r.Category == "" || r.Severity == 0 || r.Summary == "" {
			t.Errorf("%s: outcome, category, severity or summary missing: %+v", r.ID, r)
		}
		if (r.Severity == Unknown) != (r.Outcome == OutcomeUnknown) {
			t.Errorf("%s: severity %s with outcome %s", r.ID, r.Severity, r.Outcome)
		}
		heading := "#### " + string(r.ID) + " " + r.Name + "\n"
		i := strings.Index(string(readme), heading)
		if i < 0 {
			t.Errorf("README has no section %q", strings.TrimSpace(heading))
			continue
		}
		if r.Anchor() != strings.ToLower(string(r.ID))+"-"+r.Name {
			t.Errorf("%s: anchor %s", r.ID, r.Anchor())
		}
		section := string(readme[i+len(heading):])
		if j := strings.Index(section, "\n#"); j >= 0 {
			section = section[:j]
		}
		if !strings.Contains(section, "**Outcome:**") {
			t.Errorf("README section %s does not state the outcome", r.ID)
		}
	}
}

// The verdict comes from the outcomes alone: refused above unknown above
// state loss above restores, whatever the severities say.
func TestVerdictFromOutcomes(t *testing.T) {
	f := func(o Outcome, s Severity) Finding { return Finding{Outcome: o, Severity: s} }
	for _, tc := range []struct {
		findings []Finding
		want     string
	}{
		{nil, Compatible},
		{[]Finding{f(Restores, Error)}, Compatible},
		{[]Finding{f(RestoresLosingState, Warning), f(Restores, Info)}, CompatibleWithStateLoss},
		{[]Finding{f(RestoresLosingState, Error), f(OutcomeUnknown, Unknown)}, VerdictUnknown},
		{[]Finding{f(OutcomeUnknown, Unknown), f(Refused, Warning)}, Incompatible},
	} {
		if got := Verdict(tc.findings); got != tc.want {
			t.Errorf("%v: verdict %s, want %s", tc.findings, got, tc.want)
		}
	}
}
