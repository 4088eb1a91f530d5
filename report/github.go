package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spcheck/spcheck/compare"
)

// GitHub Actions workflow commands: one annotation per finding,
//
//	::error title=SP001 state-dropped,file=jobs/orders.json::<operator>: <message>%0Afix: <fix>
//
// at Level's level (unknown findings are warnings titled "… (unknown)"),
// accepted findings as notices titled "… (accepted)", the config file's
// notices as warnings on its lines (a disabled rule as a notice), then one plain line with the verdict.
// Property values escape %, CR, LF, ':' and ','; messages escape %, CR and
// LF, as @actions/core does, so no text from a savepoint or job graph can
// start a command of its own. With Options.StepSummary the Markdown report
// goes there too.

var (
	dataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	propertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

// EscapeData escapes the message of a workflow command.
func EscapeData(s string) string { return dataEscaper.Replace(s) }

// EscapeProperty escapes a property value of a workflow command.
func EscapeProperty(s string) string { return propertyEscaper.Replace(s) }

// A workflowCommand is ::name key=value,…::message.
type workflowCommand struct {
	name    string
	props   [][2]string
	message string
}

func (c workflowCommand) String() string {
	var b strings.Builder
	b.WriteString("::" + c.name)
	sep := " "
	for _, p := range c.props {
		if p[1] == "" {
			continue
		}
		b.WriteString(sep + p[0] + "=" + EscapeProperty(p[1]))
		sep = ","
	}
	b.WriteString("::" + EscapeData(c.message))
	return b.String()
}

func githubLevel(s compare.Severity) string {
	if l := Level(s); l != "note" {
		return l
	}
	return "notice"
}

func writeGitHub(w io.Writer, rep *compare.Report, opts Options) error {
	file := graphPath(rep)
	var lines []string
	for _, e := range entries(rep, opts) {
		title := string(e.Rule) + " " + e.Name
		msg := fmt.Sprintf("%s: %s\nfix: %s", e.Operator, e.Message, e.Fix)
		if e.FlinkMessage != "" {
			msg += "\nflink would say: " + e.FlinkMessage
		}
		level := githubLevel(e.Severity)
		switch {
		case e.accepted != nil:
			level, title = "notice", title+" (accepted)"
			msg = fmt.Sprintf("%s: %s\n%s", e.Operator, e.Message, acceptedText(e.accepted))
		case e.Severity == compare.Unknown:
			title += " (unknown)"
		}
		lines = append(lines, workflowCommand{level, [][2]string{{"title", title}, {"file", file}}, msg}.String())
	}
	for _, n := range opts.Notices {
		level := "warning"
		if noticeLevel(n) == "note" {
			level = "notice"
		}
		lines = append(lines, workflowCommand{level, [][2]string{
			{"title", "spcheck config"}, {"file", n.File}, {"line", strconv.Itoa(n.Line)},
		}, n.Message}.String())
	}
	head, rest := verdictText(rep.Verdict)
	counts := summaryText(rep)
	if n := len(opts.Accepted); n > 0 {
		counts += fmt.Sprintf("; %d accepted", n)
	}
	lines = append(lines, fmt.Sprintf("spcheck: %s: %s (%s)", head, rest, counts))
	if _, err := io.WriteString(w, strings.Join(lines, "\n")+"\n"); err != nil {
		return err
	}
	if opts.StepSummary != nil {
		if err := writeMarkdown(opts.StepSummary, rep, opts); err != nil {
			return fmt.Errorf("report: step summary: %w", err)
		}
	}
	return nil
}
