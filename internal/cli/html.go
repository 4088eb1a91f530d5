package cli

import (
	"context"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/spcheck/spcheck/compare"
	"github.com/spcheck/spcheck/metadata"
	"github.com/spcheck/spcheck/savepoint"
)

// htmlPage is what inspect -o html and check -o html show: one
// self-contained page (inline CSS, no scripts, no external assets).
type htmlPage struct {
	Title     string
	Location  string
	Facts     [][2]string
	Verdict   string
	VerdictOK bool
	Summary   string
	Operators []htmlOperator
	Findings  []htmlFinding
	Accepted  int
	Version   string
}

type htmlOperator struct {
	ID, UID, Name string
	State         string
	Size          string
	BarPct        float64
	Parallelism   int32
	MaxP          int32
	Keyed         bool
	Fate          string
	Subtasks      []htmlCell
}

type htmlCell struct {
	Index     int
	Size      string
	Color     template.CSS
	KeyGroups string
}

type htmlFinding struct {
	Severity, Rule, Name, Operator, Message, Fix, Flink string
}

// keyGroupRange is the key groups subtask index of an operator with this
// parallelism and max parallelism holds, as Flink assigns them
// (KeyGroupRangeAssignment.computeKeyGroupRangeForOperatorIndex,
// flink-runtime/.../state/KeyGroupRangeAssignment.java, Flink 1.x and 2.x).
func keyGroupRange(maxP, p, index int32) (start, end int64) {
	start = (int64(index)*int64(maxP) + int64(p) - 1) / int64(p)
	end = ((int64(index)+1)*int64(maxP) - 1) / int64(p)
	return start, end
}

// heat is the background of a heat-map cell: white for no state to deep
// red for the largest subtask of the page.
func heat(size, max int64) template.CSS {
	if size <= 0 || max <= 0 {
		return "#f4f4f4"
	}
	f := float64(size) / float64(max)
	light := 92 - 55*f
	return template.CSS(fmt.Sprintf("hsl(8, 78%%, %.0f%%)", light))
}

// buildHTMLOperators lays out the savepoint's operators: state size bars
// relative to the largest operator, and a heat map of the subtasks'
// state sizes relative to the largest subtask of the savepoint.
func buildHTMLOperators(m *metadata.Metadata, d *savepoint.Description, fates map[string]string) []htmlOperator {
	var maxOp, maxSub int64
	for i := range m.Operators {
		maxOp = max(maxOp, m.Operators[i].StateSize())
		for j := range m.Operators[i].Subtasks {
			maxSub = max(maxSub, m.Operators[i].Subtasks[j].StateSize())
		}
	}
	byID := map[string]*metadata.OperatorState{}
	for i := range m.Operators {
		byID[m.Operators[i].ID.String()] = &m.Operators[i]
	}
	var out []htmlOperator
	for _, od := range d.Operators {
		op := byID[od.ID]
		h := htmlOperator{ID: od.ID, UID: od.UID, Name: od.Name, State: stateText(od), Size: compare.FormatBytes(od.StateSize),
			Parallelism: od.Parallelism, MaxP: od.MaxParallelism, Keyed: od.KeyedState != nil, Fate: fates[od.ID]}
		if h.UID == "" {
			h.UID = od.UIDFromList
		}
		if maxOp > 0 {
			h.BarPct = 100 * float64(od.StateSize) / float64(maxOp)
		}
		if op != nil {
			sizes := map[int32]int64{}
			for j := range op.Subtasks {
				sizes[op.Subtasks[j].Index] = op.Subtasks[j].StateSize()
			}
			n := int32(od.Parallelism)
			if n > 1024 {
				n = 1024 // a page, not a dump: the first 1024 subtasks
			}
			for idx := int32(0); idx < n; idx++ {
				c := htmlCell{Index: int(idx), Size: compare.FormatBytes(sizes[idx]), Color: heat(sizes[idx], maxSub)}
				if maxSub > 0 && float64(sizes[idx]) > 0.6*float64(maxSub) {
					c.Color += ";color:#fff"
				}
				if h.Keyed && od.MaxParallelism >= od.Parallelism && od.Parallelism > 0 {
					s, e := keyGroupRange(od.MaxParallelism, od.Parallelism, idx)
					c.KeyGroups = fmt.Sprintf("%d-%d", s, e)
				}
				h.Subtasks = append(h.Subtasks, c)
			}
		}
		out = append(out, h)
	}
	return out
}

func describeFacts(d *savepoint.Description) [][2]string {
	facts := [][2]string{
		{"Metadata", fmt.Sprintf("%s (%s)", d.MetadataFile, compare.FormatBytes(d.MetadataSize))},
		{"Format", fmt.Sprintf("version %d, written by %s", d.FormatVersion, d.WrittenBy)},
		{"Checkpoint", fmt.Sprint(d.CheckpointID)},
		{"Kind", d.Kind.Label},
		{"State", fmt.Sprintf("%s, %d with state; %s", plural(d.Totals.Operators, "operator"), d.Totals.OperatorsWithState, compare.FormatBytes(d.Totals.StateSize))},
	}
	if d.Picked != "" {
		facts = append(facts, [2]string{"Picked", d.Picked})
	}
	return facts
}

// writeInspectHTML writes inspect -o html.
func writeInspectHTML(ctx context.Context, w io.Writer, sp *savepoint.Savepoint, d *savepoint.Description) error {
	p := htmlPage{Title: "spcheck inspect: " + d.Location, Location: d.Location, Facts: describeFacts(d),
		Operators: buildHTMLOperators(sp.Metadata, d, nil), Version: Version}
	return htmlTemplate.Execute(w, p)
}

// writeCheckHTML writes check -o html: the savepoint's operators with
// what becomes of their state, and the findings with their fixes.
func writeCheckHTML(ctx context.Context, w io.Writer, sp *savepoint.Savepoint, rep *compare.Report, accepted int) error {
	d, err := savepoint.Describe(ctx, sp, savepoint.DescribeOptions{})
	if err != nil {
		return err
	}
	fates := map[string]string{}
	for _, mp := range rep.Operators {
		fates[mp.Operator.ID] = string(mp.Fate)
	}
	p := htmlPage{Title: "spcheck check: " + d.Location, Location: d.Location, Facts: describeFacts(d),
		Operators: buildHTMLOperators(sp.Metadata, d, fates), Accepted: accepted, Version: Version}
	p.Facts = append(p.Facts, [2]string{"New graph", fmt.Sprintf("%s (%s, %d operators)", rep.Graph.Source, rep.Graph.Format, rep.Graph.Operators)})
	p.Verdict = strings.ToUpper(strings.ReplaceAll(rep.Verdict, "-", " "))
	p.VerdictOK = rep.Verdict == compare.Compatible
	s := rep.Summary
	p.Summary = fmt.Sprintf("%s: %s, %d unknown, %s, %d info", plural(len(rep.Findings), "finding"), plural(s.Errors, "error"), s.Unknown, plural(s.Warnings, "warning"), s.Infos)
	for _, f := range rep.Findings {
		op := f.Operator.ID
		if f.Operator.UID != "" {
			op += fmt.Sprintf(" (uid %q)", f.Operator.UID)
		} else if f.Operator.Name != "" {
			op += fmt.Sprintf(" (%q)", f.Operator.Name)
		}
		p.Findings = append(p.Findings, htmlFinding{Severity: f.Severity.String(), Rule: string(f.Rule), Name: f.Name, Operator: op,
			Message: f.Message, Fix: f.Fix, Flink: f.FlinkMessage})
	}
	return htmlTemplate.Execute(w, p)
}

var htmlTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d2330;background:#fff}
h1{font-size:20px;margin:0 0 12px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #dde;padding-bottom:4px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
table{border-collapse:collapse}td,th{padding:4px 10px 4px 0;text-align:left;vertical-align:top}
td.mono{white-space:nowrap}
th{font-weight:600;color:#556}
.facts td:first-child{color:#556;font-weight:600}
.verdict{display:inline-block;padding:6px 12px;border-radius:4px;font-weight:700;margin:8px 0;color:#fff;background:#b3261e}
.verdict.ok{background:#1e7b34}
.bar{height:14px;background:#3d6fb6;border-radius:2px;min-width:1px}
.barcell{width:260px}
.heat{display:flex;flex-wrap:wrap;gap:2px;max-width:520px}
.cell{width:22px;height:22px;border:1px solid #ccd;font-size:9px;display:flex;align-items:center;justify-content:center;color:#223}
.finding{border-left:4px solid #888;padding:6px 12px;margin:10px 0;background:#fafafc}
.finding.error{border-color:#b3261e}.finding.unknown{border-color:#8a3ab9}.finding.warning{border-color:#c98a00}.finding.info{border-color:#2a7ab0}
.sev{font-weight:700;text-transform:uppercase;font-size:12px}
.fix{color:#1e5b2c}.flink{color:#666;font-size:12px}
.fate-lost,.fate-blocks{color:#b3261e;font-weight:600}
footer{margin-top:32px;color:#889;font-size:12px}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<table class="facts">{{range .Facts}}<tr><td>{{index . 0}}</td><td class="mono">{{index . 1}}</td></tr>{{end}}</table>
{{if .Verdict}}<div id="verdict" class="verdict{{if .VerdictOK}} ok{{end}}">{{.Verdict}}</div><div>{{.Summary}}{{if .Accepted}}; {{.Accepted}} accepted{{end}}</div>{{end}}
<h2>Operators and their state size</h2>
<table id="operators">
<tr><th>Operator</th><th>Parallelism</th><th>Max</th><th>State</th><th class="barcell">Size</th><th></th>{{if .Verdict}}<th>Fate</th>{{end}}</tr>
{{range .Operators}}<tr class="operator" data-id="{{.ID}}">
<td><span class="mono">{{.ID}}</span>{{if .UID}}<br>uid <b>{{.UID}}</b>{{end}}{{if .Name}}<br>{{.Name}}{{end}}</td>
<td>{{.Parallelism}}</td><td>{{.MaxP}}</td><td>{{.State}}</td>
<td class="barcell"><div class="bar" style="width:{{printf "%.1f" .BarPct}}%"></div></td><td class="mono">{{.Size}}</td>{{if $.Verdict}}<td>{{.Fate}}</td>{{end}}
</tr>{{end}}
</table>
<h2>State size per subtask</h2>
<p>Each square is one subtask, darker for more state (relative to the largest subtask of the savepoint); hover for its size and, for keyed state, its key-group range.</p>
<table id="heatmap">
{{range .Operators}}<tr><td class="mono">{{if .UID}}{{.UID}}{{else if .Name}}{{.Name}}{{else}}{{.ID}}{{end}}</td><td><div class="heat">{{range .Subtasks}}<div class="cell" style="background:{{.Color}}" title="subtask {{.Index}}: {{.Size}}{{if .KeyGroups}}, key groups {{.KeyGroups}}{{end}}">{{.Index}}</div>{{end}}</div></td></tr>{{end}}
</table>
<h2>Key-group ranges</h2>
<table id="keygroups">
<tr><th>Operator</th><th>Max parallelism</th><th>Key groups per subtask (subtask: first-last)</th></tr>
{{range .Operators}}{{if .Keyed}}<tr><td class="mono">{{if .UID}}{{.UID}}{{else}}{{.ID}}{{end}}</td><td>{{.MaxP}}</td><td class="mono">{{range $i, $c := .Subtasks}}{{if $i}}, {{end}}{{$c.Index}}: {{$c.KeyGroups}}{{end}}</td></tr>{{end}}{{end}}
</table>
{{if .Verdict}}<h2>Findings</h2>
<div id="findings">{{range .Findings}}<div class="finding {{.Severity}}"><span class="sev">{{.Severity}}</span> <b>{{.Rule}}</b> {{.Name}} <span class="mono">{{.Operator}}</span>
<div>{{.Message}}</div><div class="fix">fix: {{.Fix}}</div>{{if .Flink}}<div class="flink">Flink would say: {{.Flink}}</div>{{end}}</div>{{else}}<p>No findings.</p>{{end}}</div>{{end}}
<footer>spcheck {{.Version}}. This page loads nothing from the network.</footer>
</body>
</html>
`))
