package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/spcheck/spcheck/compare"
)

// Markdown for a pull-request comment or a GitHub step summary: the
// verdict as headline, what was checked, a table of the findings (highest
// severity first), their fixes, the accepted findings and config notices,
// and the operator mapping folded in <details>. Text from the savepoint
// and the job graph is escaped, so an operator name cannot inject
// Markdown or HTML.

var severityIcon = map[compare.Severity]string{
	compare.Error:   "🔴",
	compare.Unknown: "🟣",
	compare.Warning: "🟡",
	compare.Info:    "🔵",
}

var verdictIcon = map[string]string{
	compare.Compatible:              "✅",
	compare.CompatibleWithStateLoss: "⚠️",
	compare.Incompatible:            "❌",
	compare.VerdictUnknown:          "❓",
}

// mdEscaper backslash-escapes what Markdown (GFM) or HTML would
// interpret, and turns line breaks into <br> so text stays in its table
// cell.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", `\<`, ">", `\>`, "|", `\|`, "~", `\~`, "&", `\&`, "#", `\#`,
	"\r\n", "<br>", "\n", "<br>", "\r", "<br>",
)

func md(s string) string { return mdEscaper.Replace(s) }

// code is s as a code span, safe in a table cell.
func code(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "|", `\|`).Replace(s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || len(fence) > 1 {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

func writeMarkdown(w io.Writer, rep *compare.Report, opts Options) error {
	var b strings.Builder
	head, rest := verdictText(rep.Verdict)
	fmt.Fprintf(&b, "## %s spcheck: %s\n\n%s.\n\n", verdictIcon[rep.Verdict], head, upperFirst(rest))

	s := rep.Savepoint
	b.WriteString("| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| Savepoint | %s (format version %d, checkpoint %d, %s) |\n", code(s.Location), s.FormatVersion, s.CheckpointID, md(s.Kind))
	g := rep.Graph
	fmt.Fprintf(&b, "| New job graph | %s (%s, %s", code(g.Source), md(g.Format), plural(g.Operators, "operator"))
	if g.FlinkVersion != "" {
		fmt.Fprintf(&b, ", Flink %s", md(g.FlinkVersion))
	}
	b.WriteString(") |\n")
	if og := rep.OldGraph; og != nil {
		fmt.Fprintf(&b, "| Old job graph | %s (%s, %s) |\n", code(og.Source), md(og.Format), plural(og.Operators, "operator"))
	}
	if rep.AllowNonRestoredState {
		b.WriteString("| Mode | `--allow-non-restored-state`: unmatched state is dropped |\n")
	}
	sum := rep.Summary
	fmt.Fprintf(&b, "| Findings | %s", countsText(sum))
	if n := len(opts.Accepted); n > 0 {
		fmt.Fprintf(&b, "; %d accepted", n)
	}
	b.WriteString(" |\n")
	fmt.Fprintf(&b, "| Operators | %s |\n\n", operatorSummary(rep))

	b.WriteString("### Findings\n\n")
	if len(rep.Findings) == 0 {
		b.WriteString("No findings.\n\n")
	} else {
		b.WriteString("| Severity | Rule | Operator | Finding |\n|---|---|---|---|\n")
		for _, f := range rep.Findings {
			r, _ := compare.RuleByID(f.Rule)
			fmt.Fprintf(&b, "| %s %s | [%s %s](%s) | %s | %s |\n", severityIcon[f.Severity], f.Severity,
				f.Rule, f.Name, RuleHelpURL(opts.HelpURL, r), code(label(f.Operator)), md(f.Message))
		}
		b.WriteString("\n### Fixes\n\n")
		for _, f := range rep.Findings {
			fmt.Fprintf(&b, "- **%s** %s: %s\n", f.Rule, code(label(f.Operator)), md(f.Fix))
		}
		b.WriteString("\n")
	}

	if len(opts.Accepted) > 0 {
		b.WriteString("### Accepted findings\n\n| Rule | Operator | Reason | Until | Accepted in |\n|---|---|---|---|---|\n")
		for _, f := range opts.Accepted {
			a := f.AcceptedBy
			until := a.Expires
			if until == "" {
				until = "—"
			}
			fmt.Fprintf(&b, "| %s %s | %s | %s | %s | %s |\n", f.Rule, f.Name, code(label(f.Operator)), md(a.Reason), until,
				code(fmt.Sprintf("%s:%d", a.File, a.Line)))
		}
		b.WriteString("\n")
	}
	if len(opts.Notices) > 0 {
		b.WriteString("### Configuration notices\n\n")
		for _, n := range opts.Notices {
			fmt.Fprintf(&b, "- %s: %s\n", code(fmt.Sprintf("%s:%d", n.File, n.Line)), md(n.Message))
		}
		b.WriteString("\n")
	}

	fmt.Fprintf(&b, "<details>\n<summary>Operator mapping: %s</summary>\n\n", plural(len(rep.Operators), "savepoint operator"))
	if len(rep.Operators) > 0 {
		b.WriteString("| Savepoint operator | ID | State | Matched to | Fate |\n|---|---|---|---|---|\n")
		for _, mp := range rep.Operators {
			state := "none"
			if mp.HasState {
				state = compare.FormatBytes(mp.Size)
			}
			matched := "—"
			if mp.MatchedTo != nil {
				matched = code(label(*mp.MatchedTo))
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", code(label(mp.Operator)), code(mp.Operator.ID), state, matched, md(string(mp.Fate)))
		}
		b.WriteString("\n")
	}
	b.WriteString("</details>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// operatorSummary is the text output's line about the savepoint's
// operators.
func operatorSummary(rep *compare.Report) string {
	withState, blocked := 0, 0
	for _, mp := range rep.Operators {
		if mp.HasState {
			withState++
		}
		if mp.Fate == compare.FateBlocks && mp.MatchedTo != nil {
			blocked++
		}
	}
	s := fmt.Sprintf("%d in the savepoint, %d with state: %d restored", len(rep.Operators), withState, rep.Summary.Restored)
	if blocked > 0 {
		s += fmt.Sprintf(", %d matched but not restorable", blocked)
	}
	if rep.Summary.Dropped > 0 {
		s += fmt.Sprintf(", %d whose state is lost (%s)", rep.Summary.Dropped, compare.FormatBytes(rep.Summary.DroppedBytes))
	}
	return s
}

// upperFirst starts a sentence, but leaves "spcheck" as it is written.
func upperFirst(s string) string {
	if s == "" || strings.HasPrefix(s, "spcheck") {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
