// Package report renders a compare.Report for CI: JUnit XML, SARIF 2.1.0,
// GitHub Actions workflow commands and Markdown. Every format is
// deterministic: the same report gives the same bytes.
package report

import (
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/spcheck/spcheck/compare"
)

// Formats Write knows, in documentation order.
var Formats = []string{"junit", "sarif", "github", "markdown"}

// DefaultHelpURL is the page whose anchors document the rules: rule SP001
// state-dropped is at DefaultHelpURL#sp001-state-dropped.
const DefaultHelpURL = "https://github.com/spcheck/spcheck/blob/main/README.md"

// InformationURL is spcheck's home page.
const InformationURL = "https://github.com/spcheck/spcheck"

// Options change what Write writes.
type Options struct {
	// Accepted are the findings a config file accepted
	// (compare.Applied.AcceptedFindings); the report passed to Write is
	// then compare.Applied.Report, which no longer holds them. They are
	// shown as accepted: skipped test cases, suppressed SARIF results,
	// notices, a table of their own.
	Accepted []compare.ConfiguredFinding
	// Notices are the config file's notices (compare.Applied.Notices).
	Notices []compare.Notice
	// StepSummary, in the github format, receives the Markdown report as
	// well: the caller opens the file named by GITHUB_STEP_SUMMARY (for
	// appending) when it is set. nil writes no summary.
	StepSummary io.Writer
	// HelpURL is the page whose anchors document the rules;
	// DefaultHelpURL when empty.
	HelpURL string
	// ToolVersion is spcheck's version, for SARIF's tool.driver.version;
	// left out when empty.
	ToolVersion string
}

// Write writes rep to w in format: junit, sarif, github or markdown.
func Write(w io.Writer, rep *compare.Report, format string, opts Options) error {
	if opts.HelpURL == "" {
		opts.HelpURL = DefaultHelpURL
	}
	switch format {
	case "junit":
		return writeJUnit(w, rep, opts)
	case "sarif":
		return writeSARIF(w, rep, opts)
	case "github":
		return writeGitHub(w, rep, opts)
	case "markdown":
		return writeMarkdown(w, rep, opts)
	}
	return fmt.Errorf("report: unknown format %q; want %s", format, choices(Formats))
}

func choices(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// Level maps a severity to the level of SARIF results and GitHub
// annotations: error → error, warning → warning, info → note, and unknown
// → warning. An unknown finding says spcheck could not decide; SARIF's
// error says a problem was found, and would fail code-scanning checks
// that spcheck's default --fail-on error lets pass. Output that keeps
// severities apart (the SARIF result's properties, the annotation's
// title) still says unknown.
func Level(s compare.Severity) string {
	switch s {
	case compare.Error:
		return "error"
	case compare.Unknown, compare.Warning:
		return "warning"
	}
	return "note"
}

// noticeLevel is the level of a config notice: a disabled rule is a
// note, the rest (expired, unused, accepted but refused) warnings.
func noticeLevel(n compare.Notice) string {
	if n.Kind == compare.NoticeDisabled {
		return "note"
	}
	return "warning"
}

// RuleHelpURL is the link to the documentation of rule r under base: the
// anchor GitHub gives the README heading "SP001 state-dropped".
func RuleHelpURL(base string, r compare.Rule) string {
	return base + "#" + r.Anchor()
}

// label names an operator briefly: its uid, else its name, else its ID.
func label(r compare.OperatorRef) string {
	switch {
	case r.UID != "":
		return r.UID
	case r.Name != "":
		return r.Name
	}
	return r.ID
}

// entry is a finding to render: active, or accepted by a config file.
type entry struct {
	compare.Finding
	accepted *compare.Acceptance
}

// entries lists the report's findings, then the accepted ones.
func entries(rep *compare.Report, opts Options) []entry {
	var out []entry
	for _, f := range rep.Findings {
		out = append(out, entry{Finding: f})
	}
	for _, f := range opts.Accepted {
		out = append(out, entry{Finding: f.Finding, accepted: f.AcceptedBy})
	}
	return out
}

// acceptedText is "accepted in .spcheck.yaml:12: reason (until 2027-01-31)".
func acceptedText(a *compare.Acceptance) string {
	s := fmt.Sprintf("accepted in %s:%d: %s", a.File, a.Line, a.Reason)
	if a.Expires != "" {
		s += " (until " + a.Expires + ")"
	}
	return s
}

// graphURI returns the job-graph file as a URI reference for SARIF, or ""
// when the report names none.
func graphURI(rep *compare.Report) string { return uriRef(rep.Graph.Source) }

// uriRef turns a path or URL into a URI reference: a relative path stays
// relative, an absolute one becomes a file URL.
func uriRef(p string) string {
	switch {
	case p == "":
		return ""
	case strings.Contains(p, "://"):
		return p
	case filepath.IsAbs(p):
		return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String()
	}
	return (&url.URL{Path: filepath.ToSlash(p)}).String()
}

// graphPath returns the job-graph file as a local path for GitHub
// annotations, or "" when it is not a local file.
func graphPath(rep *compare.Report) string {
	if strings.Contains(rep.Graph.Source, "://") {
		return ""
	}
	return filepath.ToSlash(rep.Graph.Source)
}

// findingText is the plain text of a finding: operator, message, fix and
// what Flink would say, one per line.
func findingText(f compare.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s: %s\n", f.Severity, f.Rule, f.Name, f.Operator)
	if f.NewOperator != nil && f.NewOperator.ID != f.Operator.ID {
		fmt.Fprintf(&b, "new operator: %s\n", *f.NewOperator)
	}
	fmt.Fprintf(&b, "%s\nfix: %s\n", f.Message, f.Fix)
	if f.FlinkMessage != "" {
		fmt.Fprintf(&b, "flink would say: %s\n", f.FlinkMessage)
	}
	return b.String()
}

// verdictText says the verdict in words, as the text output does.
func verdictText(v string) (head, rest string) {
	switch v {
	case compare.Compatible:
		return "Compatible", "the savepoint restores into the new job with all its state"
	case compare.CompatibleWithStateLoss:
		return "Compatible with state loss", "the restore succeeds, but state is dropped"
	case compare.Incompatible:
		return "Incompatible", "Flink would refuse this restore"
	}
	return "Unknown", "spcheck cannot decide; see the findings marked unknown"
}

func summaryText(rep *compare.Report) string {
	return plural(len(rep.Findings), "finding") + ": " + countsText(rep.Summary)
}

// countsText is "1 error, 0 unknown, 2 warnings, 0 info".
func countsText(s compare.Summary) string {
	return fmt.Sprintf("%s, %d unknown, %s, %d info", plural(s.Errors, "error"), s.Unknown, plural(s.Warnings, "warning"), s.Infos)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
