package compare

import (
	"fmt"
	"github.com/spcheck/spcheck/internal/safeparse"
	"github.com/spcheck/spcheck/internal/suggest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// DefaultConfigFile is the name of the config file spcheck check looks for
// in the current directory.
const DefaultConfigFile = ".spcheck.yaml"

// ConfigVersion is the version of the config file layout this spcheck
// reads.
const ConfigVersion = 1

// A Config is a parsed .spcheck.yaml:
//
//	version: 1
//	rules:                      # by rule ID or name
//	  SP005: {enabled: false}
//	  SP004: {severity: warning}
//	accept:                     # findings accepted per rule and operator
//	  - rule: SP001             # rule ID or name
//	    operator: legacy-enricher   # uid, name or 32-hex operator ID
//	    reason: "dropped on purpose in PROJ-123"   # required
//	    expires: 2027-01-31     # optional; the last day it applies
type Config struct {
	// Name is the file the config was read from, for messages.
	Name string
	// Rules holds the rule settings by rule ID.
	Rules map[RuleID]RuleSetting
	// Accept lists the acceptances in file order.
	Accept []Acceptance
}

// A RuleSetting turns a rule off or changes the severity of its findings.
type RuleSetting struct {
	Enabled bool
	// Severity replaces the severity of the rule's findings; 0 keeps it.
	// It does not apply to a finding that is unknown when the rule's own
	// severity is not: spcheck could not decide that finding, and an
	// override says how bad a decided outcome is.
	Severity Severity
	// Line and Col are where the rule is configured.
	Line, Col int
}

// An Acceptance accepts the findings of one rule for one operator.
type Acceptance struct {
	// Rule is the rule ID, whether the file gave the ID or the name.
	Rule RuleID `json:"rule"`
	// Operator is the operator as the file gives it: a uid, a name, or a
	// 32-hex operator ID. It matches a finding's operator, or the
	// new-graph operator the finding involves.
	Operator string `json:"operator"`
	Reason   string `json:"reason"`
	// Expires is the last day the acceptance applies (YYYY-MM-DD), or
	// empty.
	Expires string `json:"expires,omitempty"`
	// File, Line and Column say where the acceptance is written.
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column,omitempty"`
}

// A ConfiguredFinding is a finding after the config file: its severity
// overridden where the file says so, and marked when accepted.
type ConfiguredFinding struct {
	Finding
	// OriginalSeverity is the severity before an override, or 0 when the
	// file does not override it.
	OriginalSeverity Severity    `json:"original_severity,omitempty"`
	Accepted         bool        `json:"accepted"`
	AcceptedBy       *Acceptance `json:"accepted_by,omitempty"`
}

// A NoticeKind classifies a Notice.
type NoticeKind string

// Notice kinds.
const (
	// NoticeExpired: an acceptance past its expiry date, which no longer
	// applies.
	NoticeExpired NoticeKind = "expired-acceptance"
	// NoticeUnused: an acceptance that matches no finding.
	NoticeUnused NoticeKind = "unused-acceptance"
	// NoticeDisabled: a rule turned off.
	NoticeDisabled NoticeKind = "disabled-rule"
	// NoticeStillRefused: an accepted finding that Flink still refuses to
	// restore past.
	NoticeStillRefused NoticeKind = "accepted-but-refused"
)

// A Notice is something the config file did that the user should know.
type Notice struct {
	Kind     NoticeKind `json:"kind"`
	File     string     `json:"file"`
	Line     int        `json:"line"`
	Column   int        `json:"column,omitempty"`
	Rule     RuleID     `json:"rule,omitempty"`
	Operator string     `json:"operator,omitempty"`
	Message  string     `json:"message"`
}

// String is "file:line:column: message".
func (n Notice) String() string {
	return fmt.Sprintf("%s: %s", atLine(n.File, n.Line, n.Column), n.Message)
}

// Applied is a report after the config file.
type Applied struct {
	// Report is a copy of the report without the findings of disabled
	// rules and without accepted findings, severities overridden, and its
	// verdict and finding counts recomputed. Findings stay sorted as
	// Check sorts them.
	Report *Report
	// Findings are the findings of the enabled rules, accepted or not, in
	// the order of the original report.
	Findings []ConfiguredFinding
	// Notices are in the order of the lines of the config file.
	Notices []Notice
}

// AcceptedFindings returns the accepted findings.
func (a *Applied) AcceptedFindings() []ConfiguredFinding {
	var out []ConfiguredFinding
	for _, f := range a.Findings {
		if f.Accepted {
			out = append(out, f)
		}
	}
	return out
}

// A ConfigError lists the problems of a config file, each with its line.
type ConfigError struct {
	Name     string
	Problems []ConfigProblem
}

// A ConfigProblem is one problem of a config file, where it is written:
// line and column (1-based; Col is 0 where only the line is known, as for
// YAML syntax errors, whose parser reports the line alone).
type ConfigProblem struct {
	Line int
	Col  int
	Msg  string
}

func (e *ConfigError) Error() string {
	if len(e.Problems) == 1 {
		p := e.Problems[0]
		return fmt.Sprintf("compare: %s: %s", atLine(e.Name, p.Line, p.Col), p.Msg)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "compare: %s: %d problems:", e.Name, len(e.Problems))
	for _, p := range e.Problems {
		fmt.Fprintf(&b, "\n  %s: %s", atLine(e.Name, p.Line, p.Col), p.Msg)
	}
	return b.String()
}

// atLine is "name:line:column", or "name:line" when the column is not
// known.
func atLine(name string, line, col int) string {
	if col <= 0 {
		return fmt.Sprintf("%s:%d", name, line)
	}
	return at(name, line, col)
}

// LoadConfig parses a .spcheck.yaml. name is the file name, for messages.
// Unknown keys, unknown rules, bad severities, acceptances without a
// reason and bad dates are errors that name the file and the line; the
// error is a *ConfigError listing every problem found.
func LoadConfig(data []byte, name string) (*Config, error) {
	p := &configParser{c: &Config{Name: name, Rules: map[RuleID]RuleSetting{}}, err: &ConfigError{Name: name}}
	var doc yaml.Node
	if err := safeparse.CheckYAML(data); err != nil {
		p.err.Problems = append(p.err.Problems, ConfigProblem{Line: 1, Msg: err.Error()})
		return nil, p.err
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		p.err.Problems = append(p.err.Problems, yamlProblem(err))
		return nil, p.err
	}
	p.document(&doc)
	if len(p.err.Problems) > 0 {
		sort.SliceStable(p.err.Problems, func(i, j int) bool {
			a, b := p.err.Problems[i], p.err.Problems[j]
			return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
		})
		return nil, p.err
	}
	return p.c, nil
}

var yamlLineError = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlProblem turns a yaml syntax error into a problem with its line.
func yamlProblem(err error) ConfigProblem {
	msg := err.Error()
	if m := yamlLineError.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return ConfigProblem{Line: line, Msg: "not valid YAML: " + m[2]}
	}
	return ConfigProblem{Line: 1, Msg: "not valid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

type configParser struct {
	c   *Config
	err *ConfigError
}

// errorf reports a problem at node n's line and column.
func (p *configParser) errorf(n *yaml.Node, format string, args ...any) {
	p.err.Problems = append(p.err.Problems, ConfigProblem{Line: max(n.Line, 1), Col: max(n.Column, 1), Msg: fmt.Sprintf(format, args...)})
}

// unknownKey reports an unknown key of what, suggesting the closest of
// the keys it allows.
func (p *configParser) unknownKey(k *yaml.Node, what string, allowed ...string) {
	prefix := ""
	if what != "" {
		prefix = what + ": "
	}
	if c := suggest.Closest(k.Value, allowed); c != "" {
		p.errorf(k, "%sunknown key %q (did you mean %s?)", prefix, k.Value, c)
		return
	}
	p.errorf(k, "%sunknown key %q (want %s)", prefix, k.Value, orList(allowed))
}

// orList is "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// unknownRule is the message for a rule reference that names no rule,
// with the closest rule ID or name.
func unknownRule(s string) string {
	var names []string
	for _, r := range Rules {
		names = append(names, string(r.ID), r.Name)
	}
	if c := suggest.Closest(s, names); c != "" {
		return fmt.Sprintf("unknown rule %q (did you mean %s?)", s, c)
	}
	return fmt.Sprintf("unknown rule %q (want a rule ID such as SP001 or a name such as state-dropped; the README's \"Rules\" lists them)", s)
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// mapping returns the key/value pairs of a mapping node, reporting
// duplicate keys, or ok false (reported) when n is not a mapping.
func (p *configParser) mapping(n *yaml.Node, what string) (pairs [][2]*yaml.Node, ok bool) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a mapping, not %s", what, describeNode(n))
		return nil, false
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, "%s: keys must be plain words, not %s", what, describeNode(k))
			continue
		}
		if line, dup := seen[k.Value]; dup {
			p.errorf(k, "%s: %s is given twice (first on line %d)", what, k.Value, line)
			continue
		}
		seen[k.Value] = k.Line
		pairs = append(pairs, [2]*yaml.Node{k, v})
	}
	return pairs, true
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "empty"
		}
		return strconv.Quote(n.Value)
	}
	return "empty"
}

// scalar returns the text of a scalar node, reporting anything else.
func (p *configParser) scalar(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, "%s must be a single value, not %s", what, describeNode(n))
		return "", false
	}
	return n.Value, true
}

func (p *configParser) document(doc *yaml.Node) {
	if doc.Kind == 0 || len(doc.Content) == 0 {
		p.errorf(&yaml.Node{Line: 1, Column: 1}, "version is missing: the file must start with version: %d", ConfigVersion)
		return
	}
	root := resolve(doc.Content[0])
	pairs, ok := p.mapping(root, "the config file")
	if !ok {
		return
	}
	haveVersion := false
	for _, kv := range pairs {
		k, v := kv[0], kv[1]
		switch k.Value {
		case "version":
			haveVersion = true
			if s, ok := p.scalar(v, "version"); ok && s != strconv.Itoa(ConfigVersion) {
				p.errorf(v, "version must be %d, not %s", ConfigVersion, strconv.Quote(s))
			}
		case "rules":
			p.rules(v)
		case "accept":
			p.accept(v)
		default:
			p.unknownKey(k, "", "version", "rules", "accept")
		}
	}
	if !haveVersion {
		p.errorf(root, "version is missing: the file must start with version: %d", ConfigVersion)
	}
}

// ruleRef finds a rule by ID (any case) or name.
func ruleRef(s string) (Rule, bool) {
	for _, r := range Rules {
		if strings.EqualFold(string(r.ID), s) || strings.EqualFold(r.Name, s) {
			return r, true
		}
	}
	return Rule{}, false
}

func (p *configParser) rules(n *yaml.Node) {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // "rules:" with nothing under it
	}
	pairs, ok := p.mapping(n, "rules")
	if !ok {
		return
	}
	for _, kv := range pairs {
		k, v := kv[0], kv[1]
		r, ok := ruleRef(k.Value)
		if !ok {
			p.errorf(k, "rules: %s", unknownRule(k.Value))
			continue
		}
		if prev, dup := p.c.Rules[r.ID]; dup {
			p.errorf(k, "rules: %s (%s) is configured twice (first on line %d)", r.ID, r.Name, prev.Line)
			continue
		}
		set := RuleSetting{Enabled: true, Line: k.Line, Col: k.Column}
		what := "rules." + k.Value
		settings, ok := p.mapping(v, what)
		if !ok {
			continue
		}
		for _, skv := range settings {
			sk, sv := skv[0], skv[1]
			switch sk.Value {
			case "enabled":
				if sv.Kind != yaml.ScalarNode || sv.Tag != "!!bool" {
					p.errorf(sv, "%s.enabled must be true or false, not %s", what, describeNode(sv))
					continue
				}
				set.Enabled = sv.Value == "true"
				if !set.Enabled && r.Outcome == Refused {
					// A rule whose findings are restores Flink refuses cannot
					// be turned off: that would hide a refused restore.
					p.errorf(sv, "%s: rule %s (%s) cannot be disabled: its findings are restores Flink refuses; accept a finding of it under --allow-non-restored-state, or fix the job", what, r.ID, r.Name)
					continue
				}
			case "severity":
				s, ok := p.scalar(sv, what+".severity")
				if !ok {
					continue
				}
				sev, err := ParseSeverity(s)
				if err != nil {
					p.errorf(sv, "%s.severity must be info, warning, unknown or error, not %s", what, strconv.Quote(s))
					continue
				}
				set.Severity = sev
			default:
				p.unknownKey(sk, what, "enabled", "severity")
			}
		}
		p.c.Rules[r.ID] = set
	}
}

func (p *configParser) accept(n *yaml.Node) {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "accept must be a list of acceptances (- rule: …), not %s", describeNode(n))
		return
	}
	for i, item := range n.Content {
		item = resolve(item)
		what := fmt.Sprintf("accept[%d]", i)
		pairs, ok := p.mapping(item, what)
		if !ok {
			continue
		}
		a := Acceptance{File: p.c.Name, Line: item.Line, Column: item.Column}
		var haveRule, haveOp, haveReason, bad bool
		for _, kv := range pairs {
			k, v := kv[0], kv[1]
			switch k.Value {
			case "rule":
				haveRule = true
				s, ok := p.scalar(v, what+".rule")
				if !ok {
					bad = true
					continue
				}
				r, ok := ruleRef(s)
				if !ok {
					p.errorf(v, "%s: %s", what, unknownRule(s))
					bad = true
					continue
				}
				a.Rule = r.ID
			case "operator":
				haveOp = true
				s, ok := p.scalar(v, what+".operator")
				if !ok {
					bad = true
					continue
				}
				a.Operator = s
			case "reason":
				haveReason = true
				if v.Kind == yaml.ScalarNode && (v.Tag == "!!null" || strings.TrimSpace(v.Value) == "") {
					p.errorf(v, "%s: reason is empty; say why the finding is accepted", what)
					bad = true
					continue
				}
				s, ok := p.scalar(v, what+".reason")
				if !ok {
					bad = true
					continue
				}
				a.Reason = s
			case "expires":
				s, ok := p.scalar(v, what+".expires")
				if !ok {
					bad = true
					continue
				}
				if _, err := time.Parse(time.DateOnly, s); err != nil {
					p.errorf(v, "%s.expires: %q is not a date; want YYYY-MM-DD, e.g. 2027-01-31", what, s)
					bad = true
					continue
				}
				a.Expires = s
			default:
				p.unknownKey(k, what, "rule", "operator", "reason", "expires")
				bad = true
			}
		}
		for _, m := range []struct {
			have bool
			key  string
			hint string
		}{
			{haveRule, "rule", "a rule ID or name, e.g. rule: SP001"},
			{haveOp, "operator", "the operator's uid, name or 32-hex ID"},
			{haveReason, "reason", "say why the finding is accepted"},
		} {
			if !m.have {
				p.errorf(item, "%s: %s is missing (%s)", what, m.key, m.hint)
				bad = true
			}
		}
		if !bad {
			p.c.Accept = append(p.c.Accept, a)
		}
	}
}

// Apply applies the config to rep: drops the findings of disabled rules,
// overrides severities, marks the findings that an acceptance covers, and
// recomputes the verdict and counts over what remains. today decides
// which acceptances have expired. A nil Config applies nothing.
//
// Nothing in a config file hides a restore Flink refuses: a finding whose
// outcome is Refused keeps its severity and stays in the report when an
// acceptance names it (with a notice), and rules whose findings Flink
// refuses cannot be disabled (LoadConfig says so). An accepted finding
// no longer counts towards the verdict, except that accepted state loss
// (outcome RestoresLosingState) makes it at best
// compatible-with-state-loss.
func (c *Config) Apply(rep *Report, today time.Time) Applied {
	out := *rep
	out.Findings = []Finding{}
	out.Operators = append([]Mapping{}, rep.Operators...)
	applied := Applied{Report: &out}
	if c == nil {
		for _, f := range rep.Findings {
			applied.Findings = append(applied.Findings, ConfiguredFinding{Finding: f})
			out.Findings = append(out.Findings, f)
		}
		return applied
	}
	day := today.Format(time.DateOnly)
	expired := make([]bool, len(c.Accept))
	used := make([]bool, len(c.Accept))
	matchedOther := make([]int, len(c.Accept)) // line of an earlier acceptance that took its findings
	for i, a := range c.Accept {
		expired[i] = a.Expires != "" && day > a.Expires
	}
	hidden := map[RuleID]int{}
	var acceptedLoss []Finding
	var notices []Notice
	for _, f := range rep.Findings {
		set, configured := c.Rules[f.Rule]
		if configured && !set.Enabled && f.Outcome != Refused {
			hidden[f.Rule]++
			continue
		}
		cf := ConfiguredFinding{Finding: f}
		if configured && set.Severity != 0 && set.Severity != f.Severity && f.Outcome != Refused {
			if f.Severity != Unknown || f.Rule.Rule().Severity == Unknown {
				cf.OriginalSeverity = f.Severity
				cf.Severity = set.Severity
			}
		}
		for i := range c.Accept {
			a := &c.Accept[i]
			if expired[i] || a.Rule != f.Rule || !findingMatches(f, a.Operator) {
				continue
			}
			if f.Outcome == Refused {
				used[i] = true
				what := fmt.Sprintf("%s for %s", a.Rule, a.Operator)
				msg := fmt.Sprintf("%s does not apply: Flink refuses this restore, so the finding stays and the verdict stays %s", what, Incompatible)
				if f.Rule.Rule().Category == CategoryMatching {
					msg += "; to drop this state on purpose, restore with --allowNonRestoredState (flink run -n) and check with -n"
				}
				notices = append(notices, Notice{Kind: NoticeStillRefused, File: a.File, Line: a.Line, Column: a.Column, Rule: a.Rule, Operator: a.Operator, Message: msg})
				continue
			}
			if cf.Accepted {
				if matchedOther[i] == 0 {
					matchedOther[i] = cf.AcceptedBy.Line
				}
				continue
			}
			acc := *a
			cf.Accepted, cf.AcceptedBy = true, &acc
			used[i] = true
		}
		switch {
		case !cf.Accepted:
			out.Findings = append(out.Findings, cf.Finding)
		case f.Outcome == RestoresLosingState:
			acceptedLoss = append(acceptedLoss, f)
		}
		applied.Findings = append(applied.Findings, cf)
	}
	for i, a := range c.Accept {
		who := acceptanceText(a)
		switch {
		case expired[i]:
			notices = append(notices, Notice{Kind: NoticeExpired, File: a.File, Line: a.Line, Column: a.Column, Rule: a.Rule, Operator: a.Operator,
				Message: fmt.Sprintf("%s expired on %s and no longer applies", who, a.Expires)})
		case used[i]:
		case matchedOther[i] != 0:
			notices = append(notices, Notice{Kind: NoticeUnused, File: a.File, Line: a.Line, Column: a.Column, Rule: a.Rule, Operator: a.Operator,
				Message: fmt.Sprintf("%s is unused: the acceptance on line %d already accepts the same findings", who, matchedOther[i])})
		case c.Rules[a.Rule].Line != 0 && !c.Rules[a.Rule].Enabled:
			notices = append(notices, Notice{Kind: NoticeUnused, File: a.File, Line: a.Line, Column: a.Column, Rule: a.Rule, Operator: a.Operator,
				Message: fmt.Sprintf("%s is unused: rule %s is disabled", who, a.Rule)})
		default:
			notices = append(notices, Notice{Kind: NoticeUnused, File: a.File, Line: a.Line, Column: a.Column, Rule: a.Rule, Operator: a.Operator,
				Message: fmt.Sprintf("%s matches no finding; remove it", who)})
		}
	}
	for id, set := range c.Rules {
		if set.Enabled {
			continue
		}
		r := id.Rule()
		msg := fmt.Sprintf("rule %s (%s) is disabled", r.ID, r.Name)
		switch n := hidden[id]; n {
		case 0:
		case 1:
			msg += "; it hid 1 finding"
		default:
			msg += fmt.Sprintf("; it hid %d findings", n)
		}
		notices = append(notices, Notice{Kind: NoticeDisabled, File: c.Name, Line: set.Line, Column: set.Col, Rule: id, Message: msg})
	}
	sort.SliceStable(notices, func(i, j int) bool { return notices[i].Line < notices[j].Line })
	applied.Notices = notices
	sortFindings(out.Findings)
	recount(&out)
	// Accepted state is still lost.
	out.Verdict = Verdict(append(append([]Finding{}, out.Findings...), acceptedLoss...))
	return applied
}

// acceptanceText is "acceptance of SP001 for legacy-enricher".
func acceptanceText(a Acceptance) string {
	return fmt.Sprintf("acceptance of %s for %s", a.Rule, a.Operator)
}

var hexID = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)

// findingMatches reports whether op (a uid, name or 32-hex ID) names the
// finding's operator or the new-graph operator it involves.
func findingMatches(f Finding, op string) bool {
	match := func(r *OperatorRef) bool {
		if r == nil {
			return false
		}
		if hexID.MatchString(op) && strings.EqualFold(r.ID, op) {
			return true
		}
		return r.UID == op || r.Name == op
	}
	return match(&f.Operator) || match(f.NewOperator)
}

// sortFindings sorts as Check does: by severity (highest first), rule,
// operator ID.
func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Operator.ID < b.Operator.ID
	})
}

// recount recomputes the finding counts of rep from its findings, and
// its verdict from their outcomes (Verdict), keeping the operator counts
// (which acceptances do not change).
func recount(rep *Report) {
	s := &rep.Summary
	s.Errors, s.Unknown, s.Warnings, s.Infos = 0, 0, 0, 0
	for _, f := range rep.Findings {
		switch f.Severity {
		case Error:
			s.Errors++
		case Unknown:
			s.Unknown++
		case Warning:
			s.Warnings++
		case Info:
			s.Infos++
		}
	}
	rep.Verdict = Verdict(rep.Findings)
}
