package compare

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func loadConfigFile(t *testing.T, name string) (*Config, error) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "config", name))
	if err != nil {
		t.Fatal(err)
	}
	return LoadConfig(data, name)
}

func mustConfig(t *testing.T, yaml string) *Config {
	t.Helper()
	c, err := LoadConfig([]byte(yaml), ".spcheck.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLoadConfigFull(t *testing.T) {
	c, err := loadConfigFile(t, "full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	wantRules := map[RuleID]RuleSetting{
		"SP005": {Enabled: false, Line: 4, Col: 3},
		"SP004": {Enabled: true, Severity: Warning, Line: 5, Col: 3},
		"SP010": {Enabled: true, Severity: Info, Line: 6, Col: 3},
	}
	if !reflect.DeepEqual(c.Rules, wantRules) {
		t.Errorf("rules:\n got %+v\nwant %+v", c.Rules, wantRules)
	}
	wantAccept := []Acceptance{
		{Rule: "SP001", Operator: "enrich", Reason: "dropped on purpose in PROJ-123", Expires: "2027-01-31", File: "full.yaml", Line: 10, Column: 5},
		{Rule: "SP003", Operator: "5A872F3A73B9DAD53994E3E6E14F16E6", Reason: "renamed in PROJ-124; the state is rebuilt from Kafka", File: "full.yaml", Line: 14, Column: 5},
		{Rule: "SP001", Operator: "Legacy enricher", Reason: "removed in PROJ-99", Expires: "2026-01-31", File: "full.yaml", Line: 17, Column: 5},
	}
	if !reflect.DeepEqual(c.Accept, wantAccept) {
		t.Errorf("accept:\n got %+v\nwant %+v", c.Accept, wantAccept)
	}
	if c.Name != "full.yaml" {
		t.Errorf("name %q", c.Name)
	}
}

func TestLoadConfigEmptySections(t *testing.T) {
	c, err := loadConfigFile(t, "empty-sections.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rules) != 0 || len(c.Accept) != 0 {
		t.Errorf("want nothing configured, got %+v", c)
	}
}

// Every error names the file, the line and the column, and an unknown key
// or rule gets the closest known one.
func TestLoadConfigErrors(t *testing.T) {
	for _, tc := range []struct{ file, want string }{
		{"bad-empty.yaml", `compare: bad-empty.yaml:1:1: version is missing: the file must start with version: 1`},
		{"bad-version.yaml", `compare: bad-version.yaml:1:10: version must be 1, not "2"`},
		{"bad-no-version.yaml", `compare: bad-no-version.yaml:1:1: version is missing: the file must start with version: 1`},
		{"bad-not-mapping.yaml", `compare: bad-not-mapping.yaml:1:1: the config file must be a mapping, not a list`},
		{"bad-yaml.yaml", `compare: bad-yaml.yaml:2: not valid YAML: did not find expected ',' or '}'`},
		{"bad-unknown-key.yaml", `compare: bad-unknown-key.yaml:2:1: unknown key "acept" (did you mean accept?)`},
		{"bad-unknown-rule.yaml", `compare: bad-unknown-rule.yaml:3:3: rules: unknown rule "SP099" (did you mean SP009?)`},
		{"bad-unknown-rule-key.yaml", `compare: bad-unknown-rule-key.yaml:4:5: rules.SP005: unknown key "enable" (did you mean enabled?)`},
		{"bad-enabled.yaml", `compare: bad-enabled.yaml:3:20: rules.SP005.enabled must be true or false, not "no"`},
		{"bad-severity.yaml", `compare: bad-severity.yaml:3:21: rules.SP004.severity must be info, warning, unknown or error, not "critical"`},
		{"bad-rule-twice.yaml", `compare: bad-rule-twice.yaml:4:3: rules: SP001 (state-dropped) is configured twice (first on line 3)`},
		{"bad-duplicate-key.yaml", `compare: bad-duplicate-key.yaml:6:5: accept[0]: reason is given twice (first on line 5)`},
		{"bad-accept-not-list.yaml", `compare: bad-accept-not-list.yaml:3:3: accept must be a list of acceptances (- rule: …), not a mapping`},
		{"bad-accept-unknown-rule.yaml", `compare: bad-accept-unknown-rule.yaml:3:11: accept[0]: unknown rule "state-droped" (did you mean state-dropped?)`},
		{"bad-accept-unknown-key.yaml", `compare: bad-accept-unknown-key.yaml: 2 problems:
  bad-accept-unknown-key.yaml:3:5: accept[0]: operator is missing (the operator's uid, name or 32-hex ID)
  bad-accept-unknown-key.yaml:4:5: accept[0]: unknown key "operater" (did you mean operator?)`},
		{"bad-missing-reason.yaml", `compare: bad-missing-reason.yaml:3:5: accept[0]: reason is missing (say why the finding is accepted)`},
		{"bad-empty-reason.yaml", `compare: bad-empty-reason.yaml:5:13: accept[0]: reason is empty; say why the finding is accepted`},
		{"bad-date.yaml", `compare: bad-date.yaml:6:14: accept[0].expires: "2027-02-30" is not a date; want YYYY-MM-DD, e.g. 2027-01-31`},
		{"bad-date-format.yaml", `compare: bad-date-format.yaml:6:14: accept[0].expires: "31/01/2027" is not a date; want YYYY-MM-DD, e.g. 2027-01-31`},
		{"bad-many.yaml", `compare: bad-many.yaml: 3 problems:
  bad-many.yaml:3:21: rules.SP004.severity must be info, warning, unknown or error, not "loud"
  bad-many.yaml:5:5: accept[0]: reason is missing (say why the finding is accepted)
  bad-many.yaml:8:15: accept[1].operator must be a single value, not a list`},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c, err := loadConfigFile(t, tc.file)
			if err == nil {
				t.Fatalf("no error; config %+v", c)
			}
			if err.Error() != tc.want {
				t.Errorf("got  %s\nwant %s", err, tc.want)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Name != tc.file || len(ce.Problems) == 0 {
				t.Errorf("not a *ConfigError for %s: %#v", tc.file, err)
			}
		})
	}
}

// Every bad-*.yaml file has a case above.
func TestLoadConfigErrorsCovered(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "config", "bad-*.yaml"))
	if err != nil || len(files) < 20 {
		t.Fatalf("%d bad-*.yaml files, %v", len(files), err)
	}
}

var (
	enrich   = OperatorRef{ID: "9c32e3838cee893dbb2fc90ccad79598", UID: "enrich", Name: "Enrich with customers", Where: "savepoint"}
	dedupOp  = OperatorRef{ID: "5a872f3a73b9dad53994e3e6e14f16e6", UID: "dedup", Name: "Deduplicate", Where: "savepoint"}
	dedupV2  = OperatorRef{ID: "3830373d2099d64d8dcfe04deaeb6f86", UID: "dedup-v2", Name: "Deduplicate", Where: "new graph, operators[2]"}
	sink     = OperatorRef{ID: "996b62f0ff6bfc3bea119677451f320d", UID: "orders-sink", Name: "Sink: orders-enriched", Where: "savepoint"}
	fraud    = OperatorRef{ID: "b6178eccb258469b79a723c7c5e49988", UID: "fraud-score", Name: "Fraud score", Where: "new graph, operators[4]"}
	noUID    = OperatorRef{ID: "0123456789abcdef0123456789abcdef", Name: "Window", Where: "new graph, operators[5]"}
	guessed  = OperatorRef{ID: "fedcba9876543210fedcba9876543210", UID: "stream-exec-foo", Where: "new graph, nodes[3]"}
	unknownA = OperatorRef{ID: "00112233445566778899aabbccddeeff", Where: "savepoint"}
)

// testReport is the v3 example's report plus findings of the other
// severities, sorted as Check sorts.
func testReport() *Report {
	rep := &Report{
		Schema:  ReportSchema,
		Verdict: Incompatible,
		Findings: []Finding{
			{Rule: "SP001", Name: "state-dropped", Severity: Error, Outcome: Refused, Operator: enrich, Message: "enrich gone", FlinkMessage: "Cannot map checkpoint/savepoint state for operator 9c32…", Fix: "keep it", Fingerprint: "f1"},
			{Rule: "SP003", Name: "uid-changed", Severity: Error, Outcome: Refused, Operator: dedupOp, NewOperator: &dedupV2, Message: "dedup renamed", FlinkMessage: "Cannot map…", Fix: "old uid", Fingerprint: "f2"},
			{Rule: "SP010", Name: "max-parallelism-mismatch", Severity: Error, Outcome: Refused, Operator: sink, NewOperator: &sink, Message: "128 vs 256", FlinkMessage: "Max parallelism mismatch…", Fix: "128", Fingerprint: "f3"},
			{Rule: "SP001", Name: "state-dropped", Severity: Unknown, Outcome: OutcomeUnknown, Operator: unknownA, Message: "maybe gone", Fix: "check", Fingerprint: "f4"},
			{Rule: "SP007", Name: "unknown-operator", Severity: Unknown, Outcome: OutcomeUnknown, Operator: guessed, Message: "guessed", Fix: "check", Fingerprint: "f5"},
			{Rule: "SP005", Name: "missing-uid", Severity: Warning, Outcome: Restores, Operator: noUID, Message: "no uid", Fix: "set one", Fingerprint: "f6"},
			{Rule: "SP004", Name: "new-stateful-operator", Severity: Info, Outcome: Restores, Operator: noUID, Message: "starts empty", Fix: "nothing", Fingerprint: "f8"},
			{Rule: "SP004", Name: "new-stateful-operator", Severity: Info, Outcome: Restores, Operator: fraud, Message: "starts empty", Fix: "nothing", Fingerprint: "f7"},
		},
		Operators: []Mapping{{Operator: enrich, HasState: true, Size: 3300, Fate: "blocks restore"}},
		Summary:   Summary{Errors: 3, Unknown: 2, Warnings: 1, Infos: 2, Dropped: 2, DroppedBytes: 5500},
	}
	return rep
}

// testReportN is testReport as a check with --allowNonRestoredState
// reports it: Flink restores, dropping the state of SP001 and SP003
// (Checkpoints.loadAndValidateCheckpoint, Flink 1.20), and there is no
// SP010.
func testReportN() *Report {
	rep := testReport()
	rep.AllowNonRestoredState = true
	rep.Findings[0].Severity, rep.Findings[0].Outcome, rep.Findings[0].FlinkMessage = Warning, RestoresLosingState, ""
	rep.Findings[1].Outcome, rep.Findings[1].FlinkMessage = RestoresLosingState, ""
	rep.Findings = append(rep.Findings[:2:2], rep.Findings[3:]...)
	rep.Verdict = VerdictUnknown
	rep.Summary = Summary{Errors: 1, Unknown: 2, Warnings: 2, Infos: 2, Dropped: 2, DroppedBytes: 5500}
	return rep
}

func rules(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, string(f.Rule)+"/"+f.Severity.String()+"/"+f.Operator.ID[:4])
	}
	return out
}

func noticeTexts(ns []Notice) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.String())
	}
	return out
}

var today = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func TestApplyNil(t *testing.T) {
	rep := testReport()
	var c *Config
	a := c.Apply(rep, today)
	if !reflect.DeepEqual(a.Report, rep) {
		t.Errorf("nil config changed the report:\n%+v", a.Report)
	}
	if len(a.Findings) != len(rep.Findings) || len(a.Notices) != 0 || len(a.AcceptedFindings()) != 0 {
		t.Errorf("nil config: %+v", a)
	}
}

// A config that does nothing gives the verdict and counts Check gave.
func TestApplyEmptyKeepsVerdict(t *testing.T) {
	rep := testReport()
	a := mustConfig(t, "version: 1\n").Apply(rep, today)
	if !reflect.DeepEqual(a.Report, rep) {
		t.Errorf("empty config changed the report:\n got %+v\nwant %+v", a.Report, rep)
	}
}

func TestApplyDisabled(t *testing.T) {
	rep := testReport()
	a := mustConfig(t, `version: 1
rules:
  missing-uid: {enabled: false}
  SP004: {enabled: false}
  SP030: {enabled: false}
  SP002: {enabled: true}
`).Apply(rep, today)
	for _, f := range a.Report.Findings {
		if f.Rule == "SP005" || f.Rule == "SP004" {
			t.Errorf("finding of a disabled rule: %+v", f)
		}
	}
	for _, f := range a.Findings {
		if f.Rule == "SP005" || f.Rule == "SP004" {
			t.Errorf("configured finding of a disabled rule: %+v", f)
		}
	}
	want := []string{
		".spcheck.yaml:3:3: rule SP005 (missing-uid) is disabled; it hid 1 finding",
		".spcheck.yaml:4:3: rule SP004 (new-stateful-operator) is disabled; it hid 2 findings",
		".spcheck.yaml:5:3: rule SP030 (in-flight-data) is disabled",
	}
	if got := noticeTexts(a.Notices); !reflect.DeepEqual(got, want) {
		t.Errorf("notices:\n got %q\nwant %q", got, want)
	}
	if s := a.Report.Summary; s.Warnings != 0 || s.Infos != 0 || s.Errors != 3 || s.Unknown != 2 {
		t.Errorf("summary %+v", s)
	}
	if len(rep.Findings) != 8 {
		t.Errorf("Apply changed its input: %d findings", len(rep.Findings))
	}
}

func TestApplySeverity(t *testing.T) {
	rep := testReport()
	a := mustConfig(t, `version: 1
rules:
  SP004: {severity: warning}
  SP001: {severity: info}
  SP007: {severity: warning}
`).Apply(rep, today)
	want := []string{
		"SP001/error/9c32", // Flink refuses: an override does not lower it
		"SP003/error/5a87", "SP010/error/996b",
		"SP001/unknown/0011", // unknown stays unknown: spcheck could not decide
		"SP004/warning/0123", "SP004/warning/b617", "SP005/warning/0123",
		"SP007/warning/fedc", // the rule's own severity is unknown: overridable
	}
	if got := rules(a.Report.Findings); !reflect.DeepEqual(got, want) {
		t.Errorf("findings:\n got %q\nwant %q", got, want)
	}
	for _, f := range a.Findings {
		switch f.Operator.ID[:4] + string(f.Rule) {
		case "9c32SP001":
			if f.OriginalSeverity != 0 {
				t.Errorf("refused SP001 enrich overridden: %+v", f)
			}
		case "0011SP001":
			if f.OriginalSeverity != 0 {
				t.Errorf("unknown SP001 overridden: %+v", f)
			}
		}
	}
	if s := a.Report.Summary; s.Errors != 3 || s.Unknown != 1 || s.Warnings != 4 || s.Infos != 0 {
		t.Errorf("summary %+v", s)
	}
	if len(a.Notices) != 0 {
		t.Errorf("notices %v", a.Notices)
	}
}

func TestApplyAcceptMatching(t *testing.T) {
	for _, tc := range []struct {
		name, rule, operator string
		want                 string // rule/operator prefix of the accepted finding
	}{
		{"uid", "SP001", "enrich", "SP001/warning/9c32"},
		{"name", "state-dropped", "Enrich with customers", "SP001/warning/9c32"},
		{"hex ID", "SP001", "9c32e3838cee893dbb2fc90ccad79598", "SP001/warning/9c32"},
		{"hex ID upper case", "SP001", "9C32E3838CEE893DBB2FC90CCAD79598", "SP001/warning/9c32"},
		{"new operator uid", "SP003", "dedup-v2", "SP003/error/5a87"},
		{"savepoint operator uid", "uid-changed", "dedup", "SP003/error/5a87"},
		{"operator without uid by name", "SP005", "Window", "SP005/warning/0123"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustConfig(t, "version: 1\naccept:\n  - rule: "+tc.rule+"\n    operator: "+tc.operator+"\n    reason: PROJ-1\n")
			a := c.Apply(testReportN(), today)
			acc := a.AcceptedFindings()
			if len(acc) != 1 {
				t.Fatalf("%d accepted findings, want 1; notices %v", len(acc), a.Notices)
			}
			if got := rules([]Finding{acc[0].Finding}); got[0] != tc.want {
				t.Errorf("accepted %s, want %s", got[0], tc.want)
			}
			if acc[0].AcceptedBy == nil || acc[0].AcceptedBy.Line != 3 || acc[0].AcceptedBy.Reason != "PROJ-1" {
				t.Errorf("accepted by %+v", acc[0].AcceptedBy)
			}
			if len(a.Report.Findings) != 6 {
				t.Errorf("%d findings remain, want 6", len(a.Report.Findings))
			}
			for _, f := range a.Report.Findings {
				if rules([]Finding{f})[0] == tc.want {
					t.Errorf("accepted finding still in the report")
				}
			}
		})
	}
}

// A name shared by two operators accepts the rule's findings on both.
func TestApplyAcceptSharedName(t *testing.T) {
	c := mustConfig(t, `version: 1
accept:
  - rule: SP004
    operator: Window
    reason: new window operator
`)
	a := c.Apply(testReport(), today)
	if n := len(a.AcceptedFindings()); n != 1 {
		t.Errorf("%d accepted, want 1 (only noUID's SP004 is named Window)", n)
	}
	c = mustConfig(t, `version: 1
rules:
  SP005: {enabled: false}
accept:
  - rule: SP004
    operator: fraud-score
    reason: new
  - rule: SP004
    operator: Window
    reason: new
`)
	a = c.Apply(testReport(), today)
	if n := len(a.AcceptedFindings()); n != 2 {
		t.Errorf("%d accepted, want 2", n)
	}
	if a.Report.Summary.Infos != 0 {
		t.Errorf("infos %d, want 0", a.Report.Summary.Infos)
	}
}

func TestApplyExpiry(t *testing.T) {
	c := mustConfig(t, `version: 1
accept:
  - rule: SP001
    operator: enrich
    reason: dropped on purpose in PROJ-123
    expires: 2026-01-31
`)
	for _, tc := range []struct {
		today    time.Time
		accepted bool
	}{
		{time.Date(2026, 1, 30, 0, 0, 0, 0, time.UTC), true},
		{time.Date(2026, 1, 31, 23, 59, 0, 0, time.UTC), true}, // the last day it applies
		{time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), false},
		{time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), false},
	} {
		a := c.Apply(testReportN(), tc.today)
		got := len(a.AcceptedFindings()) == 1
		if got != tc.accepted {
			t.Errorf("on %s: accepted %v, want %v", tc.today.Format(time.DateOnly), got, tc.accepted)
		}
		if tc.accepted {
			if len(a.Notices) != 0 {
				t.Errorf("on %s: notices %v", tc.today.Format(time.DateOnly), a.Notices)
			}
			continue
		}
		want := []string{".spcheck.yaml:3:5: acceptance of SP001 for enrich expired on 2026-01-31 and no longer applies"}
		if got := noticeTexts(a.Notices); !reflect.DeepEqual(got, want) {
			t.Errorf("on %s: notices\n got %q\nwant %q", tc.today.Format(time.DateOnly), got, want)
		}
		if a.Notices[0].Kind != NoticeExpired {
			t.Errorf("kind %s", a.Notices[0].Kind)
		}
		if len(a.Report.Findings) != 7 || a.Report.Verdict != VerdictUnknown {
			t.Errorf("expired acceptance still applies: %d findings, %s", len(a.Report.Findings), a.Report.Verdict)
		}
	}
}

// The date is today's in today's own time zone.
func TestApplyExpiryTimeZone(t *testing.T) {
	c := mustConfig(t, "version: 1\naccept:\n  - {rule: SP001, operator: enrich, reason: x, expires: 2026-01-31}\n")
	tokyo := time.FixedZone("JST", 9*3600)
	// 2026-01-31 20:00 UTC is already 2026-02-01 in Tokyo.
	a := c.Apply(testReport(), time.Date(2026, 1, 31, 20, 0, 0, 0, time.UTC).In(tokyo))
	if len(a.AcceptedFindings()) != 0 {
		t.Error("acceptance applies on 2026-02-01 in Tokyo")
	}
}

func TestApplyUnused(t *testing.T) {
	c := mustConfig(t, `version: 1
rules:
  SP005: {enabled: false}
accept:
  - rule: SP001
    operator: legacy-enricher
    reason: removed in PROJ-99
  - rule: SP005
    operator: Window
    reason: no uid on purpose
  - rule: SP001
    operator: enrich
    reason: PROJ-123
  - rule: state-dropped
    operator: Enrich with customers
    reason: PROJ-123 again
  - rule: SP002
    operator: enrich
    reason: wrong rule
`)
	a := c.Apply(testReportN(), today)
	want := []string{
		".spcheck.yaml:3:3: rule SP005 (missing-uid) is disabled; it hid 1 finding",
		".spcheck.yaml:5:5: acceptance of SP001 for legacy-enricher matches no finding; remove it",
		".spcheck.yaml:8:5: acceptance of SP005 for Window is unused: rule SP005 is disabled",
		".spcheck.yaml:14:5: acceptance of SP001 for Enrich with customers is unused: the acceptance on line 11 already accepts the same findings",
		".spcheck.yaml:17:5: acceptance of SP002 for enrich matches no finding; remove it",
	}
	if got := noticeTexts(a.Notices); !reflect.DeepEqual(got, want) {
		t.Errorf("notices:\n got %q\nwant %q", got, want)
	}
	kinds := []NoticeKind{NoticeDisabled, NoticeUnused, NoticeUnused, NoticeUnused, NoticeUnused}
	for i, n := range a.Notices {
		if i < len(kinds) && n.Kind != kinds[i] {
			t.Errorf("notice %d: kind %s, want %s", i, n.Kind, kinds[i])
		}
	}
	if acc := a.AcceptedFindings(); len(acc) != 1 || acc[0].AcceptedBy.Line != 11 {
		t.Errorf("accepted %+v", acc)
	}
}

// What a config file may hide follows Flink's outcomes: an acceptance
// or a rule setting silences what Flink restores past (state loss under
// --allowNonRestoredState, warnings, info), never a restore Flink refuses
// (Checkpoints.loadAndValidateCheckpoint throws whatever spcheck's config
// says: flink-runtime/src/main/java/org/apache/flink/runtime/checkpoint/Checkpoints.java,
// the "Cannot map checkpoint/savepoint state" and "Max parallelism
// mismatch" throws, Flink 1.20).
func TestApplyVerdict(t *testing.T) {
	onlyLoss := func() *Report {
		rep := testReport()
		rep.Findings = rep.Findings[:2] // SP001 and SP003 errors
		rep.Summary = Summary{Errors: 2}
		return rep
	}
	onlyLossN := func() *Report {
		rep := testReportN()
		rep.Findings = rep.Findings[:2]
		rep.Summary = Summary{Errors: 1, Warnings: 1}
		return rep
	}
	refusedSP001 := ".spcheck.yaml:3:5: SP001 for enrich does not apply: Flink refuses this restore, so the finding stays and the verdict stays incompatible; to drop this state on purpose, restore with --allowNonRestoredState (flink run -n) and check with -n"
	refusedSP003 := ".spcheck.yaml:4:5: SP003 for dedup does not apply: Flink refuses this restore, so the finding stays and the verdict stays incompatible; to drop this state on purpose, restore with --allowNonRestoredState (flink run -n) and check with -n"
	for _, tc := range []struct {
		name     string
		rep      func() *Report
		config   string
		verdict  string
		findings int
		notices  []string
	}{
		{"accepting a refused loss hides nothing", onlyLoss, `version: 1
accept:
  - {rule: SP001, operator: enrich, reason: a}
  - {rule: SP003, operator: dedup, reason: b}
`, Incompatible, 2, []string{refusedSP001, refusedSP003}},
		{"with -n accepted loss is still loss", onlyLossN, `version: 1
accept:
  - {rule: SP001, operator: enrich, reason: a}
  - {rule: SP003, operator: dedup, reason: b}
`, CompatibleWithStateLoss, 0, nil},
		{"with -n one left", onlyLossN, `version: 1
accept:
  - {rule: SP001, operator: enrich, reason: a}
`, CompatibleWithStateLoss, 1, nil},
		{"a refusal stays a refusal", func() *Report {
			rep := testReport()
			rep.Findings = rep.Findings[2:3] // SP010
			return rep
		}, `version: 1
accept:
  - {rule: SP010, operator: orders-sink, reason: c}
`, Incompatible, 1, []string{
			".spcheck.yaml:3:5: SP010 for orders-sink does not apply: Flink refuses this restore, so the finding stays and the verdict stays incompatible",
		}},
		{"refused and unknown: refused wins", testReport, `version: 1
`, Incompatible, 8, nil},
		{"with -n losses accepted, unknown left", testReportN, `version: 1
accept:
  - {rule: SP001, operator: enrich, reason: a}
  - {rule: SP003, operator: dedup, reason: b}
`, VerdictUnknown, 5, nil},
		{"a severity override does not lower a refusal", onlyLoss, `version: 1
rules:
  SP001: {severity: warning}
  SP003: {severity: warning}
`, Incompatible, 2, nil},
		{"with -n everything accepted or off", testReportN, `version: 1
rules:
  SP007: {enabled: false}
  SP005: {severity: info}
accept:
  - {rule: SP001, operator: enrich, reason: a}
  - {rule: SP001, operator: 00112233445566778899aabbccddeeff, reason: checked by hand}
  - {rule: SP003, operator: dedup, reason: b}
`, CompatibleWithStateLoss, 3, []string{
			".spcheck.yaml:3:3: rule SP007 (unknown-operator) is disabled; it hid 1 finding",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := mustConfig(t, tc.config).Apply(tc.rep(), today)
			if a.Report.Verdict != tc.verdict {
				t.Errorf("verdict %s, want %s", a.Report.Verdict, tc.verdict)
			}
			if len(a.Report.Findings) != tc.findings {
				t.Errorf("%d findings left, want %d: %v", len(a.Report.Findings), tc.findings, rules(a.Report.Findings))
			}
			for _, f := range a.Report.Findings {
				if f.Outcome == Refused && f.Severity != Error {
					t.Errorf("refused finding %s lowered to %s", f.Rule, f.Severity)
				}
			}
			if got := noticeTexts(a.Notices); !reflect.DeepEqual(got, tc.notices) {
				t.Errorf("notices:\n got %q\nwant %q", got, tc.notices)
			}
		})
	}
}

// Disabling a rule whose findings Flink refuses would hide a refused
// restore: a config error naming the file and line.
func TestLoadConfigCannotDisableRefusingRule(t *testing.T) {
	for _, id := range []RuleID{RuleStateDropped, RuleUIDChanged, RuleAutoIDChanged, RuleCoordinatorStateDropped, RuleMaxParallelismMismatch, RuleParallelismExceedsMax, RuleDuplicateID, RuleValueSerializerIncompat} {
		_, err := LoadConfig([]byte("version: 1\nrules:\n  "+string(id)+": {enabled: false}\n"), "x.yaml")
		r := id.Rule()
		want := "compare: x.yaml:3:20: rules." + string(id) + ": rule " + string(id) + " (" + r.Name + ") cannot be disabled: its findings are restores Flink refuses; accept a finding of it under --allow-non-restored-state, or fix the job"
		if err == nil || err.Error() != want {
			t.Errorf("%s: error %v, want %s", id, err, want)
		}
	}
	// Rules whose findings Flink restores past can be.
	if _, err := LoadConfig([]byte("version: 1\nrules:\n  SP005: {enabled: false}\n  SP013: {enabled: false}\n"), "x.yaml"); err != nil {
		t.Error(err)
	}
}

// Operator counts are facts about the restore; acceptances leave them.
func TestApplyKeepsOperatorCounts(t *testing.T) {
	rep := testReportN()
	a := mustConfig(t, "version: 1\naccept:\n  - {rule: SP001, operator: enrich, reason: a}\n").Apply(rep, today)
	s := a.Report.Summary
	if s.Dropped != 2 || s.DroppedBytes != 5500 || s.Errors != 1 {
		t.Errorf("summary %+v", s)
	}
	if !reflect.DeepEqual(a.Report.Operators, rep.Operators) {
		t.Error("operators changed")
	}
	a.Report.Operators[0].Fate = "changed"
	if rep.Operators[0].Fate == "changed" {
		t.Error("the applied report shares its operators with the input")
	}
}

func TestConfigErrorSingleLine(t *testing.T) {
	_, err := LoadConfig([]byte("version: 1\nrules:\n  SP001: {severity: high}\n"), "ci/.spcheck.yaml")
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "compare: ci/.spcheck.yaml:3:21: ") {
		t.Errorf("error %q", err)
	}
}
