package report

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/spcheck/spcheck/compare"
	"github.com/spcheck/spcheck/savepoint"
)

var update = flag.Bool("update", false, "rewrite golden files")

const example = "../fixtures/example"

// today is the day the config cases are judged on.
var today = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)

// check runs compare.Check on the example savepoint and a job graph.
func check(t *testing.T, graph string, opts compare.Options) *compare.Report {
	t.Helper()
	sp, err := savepoint.Open(context.Background(), example+"/savepoint", savepoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	data, err := os.ReadFile(graph)
	if err != nil {
		t.Fatal(err)
	}
	g, err := compare.ReadGraph(data, graph, "")
	if err != nil {
		t.Fatal(err)
	}
	return compare.Check(sp.Metadata, sp.Location, g, opts)
}

// withConfig applies a config file as spcheck check would.
func withConfig(t *testing.T, rep *compare.Report, yaml string) (*compare.Report, Options) {
	t.Helper()
	c, err := compare.LoadConfig([]byte(yaml), ".spcheck.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a := c.Apply(rep, today)
	return a.Report, Options{Accepted: a.AcceptedFindings(), Notices: a.Notices}
}

const exampleConfig = `version: 1
rules:
  SP005: {enabled: false}
accept:
  - rule: SP001
    operator: enrich
    reason: "enrichment moved to the warehouse in PROJ-123, 50% cheaper"
    expires: 2027-01-31
  - rule: uid-changed
    operator: dedup-v2
    reason: dedup state is rebuilt from Kafka within 1h
  - rule: SP010
    operator: orders-sink
    reason: sink rescaled in PROJ-77
    expires: 2026-01-31
  - rule: SP001
    operator: legacy-enricher
    reason: removed in PROJ-99
`

// edgeReport has every severity and the characters each format must
// escape.
func edgeReport() *compare.Report {
	odd := compare.OperatorRef{ID: "00112233445566778899aabbccddeeff", Name: "Window | <b>50%</b> `x`\nline 2, a: b", Where: "savepoint"}
	guessed := compare.OperatorRef{ID: "fedcba9876543210fedcba9876543210", UID: "stream-exec-foo_1", Where: "new graph, nodes[3]"}
	src := compare.OperatorRef{ID: "3a6f51704798c4f418be51bfb6813b77", UID: "broadcast-source-uid", Where: "savepoint"}
	newSrc := compare.OperatorRef{ID: "3a6f51704798c4f418be51bfb6813b77", UID: "broadcast-source-uid", Name: "Source: events", Where: "new graph, operators[0]"}
	empty := compare.OperatorRef{ID: "413c1d6f88ee8627fe4b8bc533b4cf1b", Where: "savepoint"}
	return &compare.Report{
		Schema:    compare.ReportSchema,
		Savepoint: compare.SavepointRef{Location: "s3://bucket/savepoints/savepoint-1a2b", FormatVersion: 4, CheckpointID: 42, Kind: "checkpoint"},
		Graph:     compare.GraphRef{Source: "jobs/orders, v2: final%.json", Format: compare.FormatManifest, Operators: 3},
		Verdict:   compare.VerdictUnknown,
		Findings: []compare.Finding{
			{Rule: "SP001", Name: "state-dropped", Severity: compare.Unknown, Operator: odd,
				Message:     "no operator of the new job graph has this ID; it holds keyed state (1.0 KiB): Flink refuses the restore; unless nodes[3] claims it: spcheck only guesses its ID",
				Fix:         "Keep the operator in the new job: with its old uid, or with .setUidHash(\"00112233445566778899aabbccddeeff\") if the uid is unknown; or, to drop this state on purpose, restore with --allowNonRestoredState (flink run -n) or remove the operator's state with the State Processor API.",
				Fingerprint: "6a1c4a2a5ad7f0b1"},
			{Rule: "SP007", Name: "unknown-operator", Severity: compare.Unknown, Operator: guessed,
				Message:     "spcheck does not know this exec node and only guesses its operator ID (uid \"stream-exec-foo_1\"); if the guess is wrong, it may be the operator that claims the savepoint's unmatched state",
				Fix:         "Check this operator by hand, or describe the job with a manifest.",
				Fingerprint: "c0ffee0000000001"},
			{Rule: "SP030", Name: "in-flight-data", Severity: compare.Warning, Operator: src, NewOperator: &newSrc,
				Message:     "the checkpoint holds in-flight data (unaligned checkpoint) for this operator, whose parallelism changes from 2 to 4",
				Fix:         "Restore from an aligned checkpoint or a savepoint when rescaling, or keep the parallelism for this restore.",
				Fingerprint: "c0ffee0000000002"},
			{Rule: "SP002", Name: "empty-state-unmatched", Severity: compare.Info, Operator: empty,
				Message:     "no operator of the new job graph has this ID; it holds no state, so Flink skips it",
				Fix:         "Nothing to do.",
				Fingerprint: "c0ffee0000000003"},
		},
		Operators: []compare.Mapping{
			{Operator: src, HasState: true, Size: 2048, MatchedTo: &newSrc, Fate: "restored"},
			{Operator: odd, HasState: true, Size: 1024, Fate: "unknown"},
			{Operator: empty, Fate: "skipped (no state)"},
		},
		Summary: compare.Summary{Unknown: 2, Warnings: 1, Infos: 1, Restored: 1},
	}
}

type goldenCase struct {
	name  string
	build func(t *testing.T) (*compare.Report, Options)
}

var cases = []goldenCase{
	// Three errors: SP001, SP003, SP010 (see internal/cli's check-example-v3).
	{"example-v3", func(t *testing.T) (*compare.Report, Options) {
		return check(t, example+"/job-v3.json", compare.Options{}), Options{}
	}},
	// With -n: SP001 is a warning.
	{"example-v3-n", func(t *testing.T) (*compare.Report, Options) {
		return check(t, example+"/job-v3.json", compare.Options{AllowNonRestoredState: true}), Options{}
	}},
	// With -n: SP001 and SP003 accepted; the SP010 acceptance expired; one unused.
	{"example-v3-config", func(t *testing.T) (*compare.Report, Options) {
		return withConfig(t, check(t, example+"/job-v3.json", compare.Options{AllowNonRestoredState: true}), exampleConfig)
	}},
	// Compatible, one info finding.
	{"example-v2", func(t *testing.T) (*compare.Report, Options) {
		return check(t, example+"/job-v2.json", compare.Options{}), Options{ToolVersion: "1.2.3"}
	}},
	// The savepoint against its own operators: no findings.
	{"example-self", func(t *testing.T) (*compare.Report, Options) {
		return check(t, example+"/savepoint/_metadata", compare.Options{}), Options{}
	}},
	{"edge", func(t *testing.T) (*compare.Report, Options) {
		return edgeReport(), Options{HelpURL: "https://example.com/spcheck/rules.html"}
	}},
}

var extension = map[string]string{"junit": "xml", "sarif": "sarif.json", "github": "github.txt", "markdown": "md"}

// write renders one case in one format.
func write(t *testing.T, c goldenCase, format string) []byte {
	t.Helper()
	rep, opts := c.build(t)
	var b bytes.Buffer
	if err := Write(&b, rep, format, opts); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	for _, c := range cases {
		for _, format := range Formats {
			t.Run(c.name+"/"+format, func(t *testing.T) {
				got := write(t, c, format)
				if again := write(t, c, format); !bytes.Equal(got, again) {
					t.Fatal("two runs differ")
				}
				path := filepath.Join("testdata", "golden", c.name+"."+extension[format])
				if *update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (go test ./report -update creates it)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("output differs from %s (go test ./report -update rewrites it after a deliberate change)\n--- got\n%s\n--- want\n%s", path, got, want)
				}
			})
		}
	}
}

// Every golden file belongs to a case: none is left over from a renamed
// one.
func TestGoldenFilesUsed(t *testing.T) {
	want := map[string]bool{}
	for _, c := range cases {
		for _, format := range Formats {
			want[c.name+"."+extension[format]] = true
		}
	}
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !want[filepath.Base(f)] {
			t.Errorf("%s belongs to no case", f)
		}
	}
}

func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(SARIFSchema, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SARIFSchema)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The SARIF output is valid by the official SARIF 2.1.0 schema.
func TestSARIFSchema(t *testing.T) {
	schema := sarifSchema(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := write(t, c, "sarif")
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(doc); err != nil {
				t.Errorf("%v\n%s", err, out)
			}
		})
	}
}

// The schema is not lenient: it rejects what SARIF does not allow.
func TestSARIFSchemaRejects(t *testing.T) {
	schema := sarifSchema(t)
	for _, bad := range []string{
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "spcheck"}}, "results": [{"ruleId": "SP001", "level": "fatal", "message": {"text": "x"}}]}]}`,
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "spcheck"}}, "results": [{"ruleId": "SP001", "message": {}}]}]}`,
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]}`,
		`{"version": "2.0.0", "runs": []}`,
	} {
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		if schema.Validate(doc) == nil {
			t.Errorf("schema accepts %s", bad)
		}
	}
}

func TestJUnitSchema(t *testing.T) {
	xsd := loadXSD(t, filepath.Join("testdata", "junit-10.xsd"))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := write(t, c, "junit")
			if errs := xsd.validate(out); len(errs) > 0 {
				t.Errorf("%s\n%s", strings.Join(errs, "\n"), out)
			}
		})
	}
}

func TestJUnitCounts(t *testing.T) {
	for _, tc := range []struct {
		c                                           goldenCase
		tests, failures, skipped, passed, systemOut int
	}{
		// 5 savepoint operators: orders-source (restored), parse (no
		// state), enrich SP001, dedup SP003, orders-sink SP010.
		{cases[0], 5, 3, 0, 2, 0},
		// SP001 is a warning with -n: it passes, with system-out.
		{cases[1], 5, 2, 0, 3, 1},
		// SP001 and SP003 accepted; SP010's acceptance expired.
		{cases[2], 5, 1, 2, 2, 0},
		// 5 savepoint operators restore; SP004 on fraud-score passes.
		{cases[3], 6, 0, 0, 6, 1},
		{cases[5], 4, 2, 0, 2, 2},
	} {
		t.Run(tc.c.name, func(t *testing.T) {
			out := string(write(t, tc.c, "junit"))
			count := func(s string) int { return strings.Count(out, s) }
			if n := count("<testcase "); n != tc.tests {
				t.Errorf("%d test cases, want %d", n, tc.tests)
			}
			if n := count("<failure "); n != tc.failures {
				t.Errorf("%d failures, want %d", n, tc.failures)
			}
			if n := count("<skipped "); n != tc.skipped {
				t.Errorf("%d skipped, want %d", n, tc.skipped)
			}
			if n := count("<testcase ") - count("<failure ") - count("<skipped "); n != tc.passed {
				t.Errorf("%d passed, want %d", n, tc.passed)
			}
			if n := count("<system-out>") - count(`name="restore"`); n != tc.systemOut {
				t.Errorf("%d findings in system-out, want %d", n, tc.systemOut)
			}
		})
	}
}

func TestEscapeGitHub(t *testing.T) {
	for _, tc := range []struct{ in, data, prop string }{
		{"plain text", "plain text", "plain text"},
		{"50%", "50%25", "50%25"},
		{"%0A", "%250A", "%250A"},
		{"a\nb", "a%0Ab", "a%0Ab"},
		{"a\r\nb", "a%0D%0Ab", "a%0D%0Ab"},
		{"a: b, c", "a: b, c", "a%3A b%2C c"},
		{"::error::x", "::error::x", "%3A%3Aerror%3A%3Ax"},
	} {
		if got := EscapeData(tc.in); got != tc.data {
			t.Errorf("EscapeData(%q) = %q, want %q", tc.in, got, tc.data)
		}
		if got := EscapeProperty(tc.in); got != tc.prop {
			t.Errorf("EscapeProperty(%q) = %q, want %q", tc.in, got, tc.prop)
		}
	}
}

// No text from the savepoint or the job graph starts a line of its own:
// every output line is a workflow command or the final verdict line.
func TestGitHubNoInjection(t *testing.T) {
	rep := edgeReport()
	rep.Findings[0].Message = "evil\n::add-mask::x\r\n::set-env name=A::b"
	var b bytes.Buffer
	if err := Write(&b, rep, "github", Options{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != len(rep.Findings)+1 {
		t.Fatalf("%d lines for %d findings:\n%s", len(lines), len(rep.Findings), b.String())
	}
	for _, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, "::error ") && !strings.HasPrefix(l, "::warning ") && !strings.HasPrefix(l, "::notice ") {
			t.Errorf("not a command: %q", l)
		}
		if strings.Contains(l, "\r") {
			t.Errorf("carriage return in %q", l)
		}
	}
	if !strings.HasPrefix(lines[len(lines)-1], "spcheck: Unknown: ") {
		t.Errorf("last line %q", lines[len(lines)-1])
	}
}

// The step summary is the Markdown report, written only when asked for.
func TestGitHubStepSummary(t *testing.T) {
	for _, c := range cases {
		rep, opts := c.build(t)
		var out, summary bytes.Buffer
		opts.StepSummary = &summary
		if err := Write(&out, rep, "github", opts); err != nil {
			t.Fatal(err)
		}
		md := write(t, c, "markdown")
		if !bytes.Equal(summary.Bytes(), md) {
			t.Errorf("%s: step summary differs from the markdown output", c.name)
		}
		if !bytes.Equal(out.Bytes(), write(t, c, "github")) {
			t.Errorf("%s: the step summary changed the commands", c.name)
		}
	}
}

func TestMarkdownEscape(t *testing.T) {
	for _, tc := range []struct{ in, md, code string }{
		{"plain", "plain", "`plain`"},
		{"a|b", `a\|b`, "`a\\|b`"},
		{"<script>alert(1)</script>", `\<script\>alert(1)\</script\>`, "`<script>alert(1)</script>`"},
		{"*bold* _it_ [l](u)", `\*bold\* \_it\_ \[l\](u)`, "`*bold* _it_ [l](u)`"},
		{"a\nb", "a<br>b", "`a b`"},
		{"x `y` z", "x \\`y\\` z", "`` x `y` z ``"},
		{"`y`", "\\`y\\`", "`` `y` ``"},
		{"&amp; #1 ~~s~~", `\&amp; \#1 \~\~s\~\~`, "`&amp; #1 ~~s~~`"},
	} {
		if got := md(tc.in); got != tc.md {
			t.Errorf("md(%q) = %q, want %q", tc.in, got, tc.md)
		}
		if got := code(tc.in); got != tc.code {
			t.Errorf("code(%q) = %q, want %q", tc.in, got, tc.code)
		}
	}
}

func TestLevel(t *testing.T) {
	for s, want := range map[compare.Severity]string{
		compare.Error: "error", compare.Unknown: "warning", compare.Warning: "warning", compare.Info: "note",
	} {
		if got := Level(s); got != want {
			t.Errorf("Level(%s) = %s, want %s", s, got, want)
		}
	}
}

func TestRuleHelpURL(t *testing.T) {
	r, _ := compare.RuleByID("SP001")
	if got := RuleHelpURL(DefaultHelpURL, r); got != DefaultHelpURL+"#sp001-state-dropped" {
		t.Errorf("got %s", got)
	}
}

func TestUnknownFormat(t *testing.T) {
	err := Write(&bytes.Buffer{}, edgeReport(), "html", Options{})
	want := `report: unknown format "html"; want junit, sarif, github or markdown`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestURIRef(t *testing.T) {
	for in, want := range map[string]string{
		"":                            "",
		"job.json":                    "job.json",
		"../jobs/my job,v2.json":      "../jobs/my%20job,v2.json",
		"a:b/job.json":                "./a:b/job.json",
		"/abs/job 1.json":             "file:///abs/job%201.json",
		"s3://bucket/sp/_metadata":    "s3://bucket/sp/_metadata",
		"jobs/orders 50%.json":        "jobs/orders%2050%25.json",
		"hdfs://nn:8020/sp/_metadata": "hdfs://nn:8020/sp/_metadata",
	} {
		if got := uriRef(in); got != want {
			t.Errorf("uriRef(%q) = %q, want %q", in, got, want)
		}
	}
}
