package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"github.com/spcheck/spcheck/compare"
	"github.com/spcheck/spcheck/metadata"
	"github.com/spcheck/spcheck/savepoint"
)

var cmdInspect = &command{
	Name:      "inspect",
	UsageLine: "inspect [--deep] [--files] [--uids FILE] [--graph FILE] [-o text|json|html|manifest|manifest-json] LOCATION",
	Short:     "show what a savepoint or checkpoint holds",
	Long: `Inspect reads the _metadata of a savepoint or checkpoint and shows what it
holds: the format version and the Flink releases that write it, checkpoint or
savepoint (canonical or native), and for each operator its ID (as Flink prints
it), uid and name where stored (format version 5+), parallelism, max
parallelism, the kinds of state it holds (keyed; operator states with their
names and distribution modes; coordinator state; in-flight channel data of
unaligned checkpoints), how many subtasks hold state, and the state size.

LOCATION is a metadata file, a savepoint or chk-N directory, or a checkpoint
directory (its latest complete chk-N is used, and inspect says so); see
'spcheck help locations'.

--deep reads the headers of the state files (only those bytes, with ranged
reads) and lists each operator's states: keyed states with their kind
(value, list, map, reducing, aggregating) and type, TTL as TTL(...); timers;
operator list, union-list and broadcast states. Types are printed in the
syntax a manifest's "serializer" takes.

--files lists every file the handles reference and whether it exists; a
missing file makes inspect exit 1. Files outside the savepoint (see
--state-root) are listed as not read.

--uids names a file of uids, one per line ('#' starts a comment): each
operator whose ID is the hash of one of them is shown with it. --graph maps
each operator to the job graph's (manifest, SQL compiled plan or savepoint;
see 'spcheck help check'), including operators without uid whose IDs
spcheck derives from a manifest's topology.

-o is one of: text; json (schema spcheck/inspect/v1, schemas/inspect-v1.json);
html (one self-contained page: state size per operator and per subtask,
key-group ranges, kinds of state); manifest (YAML) or manifest-json: the job-graph manifest of the job that
wrote the savepoint (schemas/jobgraph-v1.json), to edit into the next
version and check against; with --deep it declares every state.

See also: spcheck check, spcheck uid.`,
	New: func() runner { return &inspectRunner{} },
}

type inspectRunner struct {
	maxMetadataSize string
	stateRoots      []string
	deep            bool
	files           bool
	uids            string
	graph           string
	output          string
	flinkConf       string
}

func (r *inspectRunner) Bind(fs *pflag.FlagSet) {
	fs.BoolVar(&r.deep, "deep", false, "read state-file headers: state names, kinds and types")
	fs.BoolVar(&r.files, "files", false, "list referenced files and whether they exist")
	fs.StringVar(&r.uids, "uids", "", "file of uids to map operator IDs back to")
	fs.StringVar(&r.graph, "graph", "", "job graph whose operators to map the savepoint's operators to")
	fs.StringVarP(&r.output, "output", "o", "text", "output format: text, json, html, manifest (YAML) or manifest-json")
	fs.StringVar(&r.flinkConf, "flink-conf", "", "Flink configuration directory or file (S3 settings)")
	fs.StringVar(&r.maxMetadataSize, "max-metadata-size", "128MiB", "refuse metadata files larger than this (memory grows to about twice it)")
	fs.StringArrayVar(&r.stateRoots, "state-root", nil, "also read state files under this directory (repeatable; e.g. a relocated savepoint's shared state)")
}

func (r *inspectRunner) Run(ctx context.Context, e *env, args []string) error {
	if len(args) != 1 {
		return usagef("want exactly one LOCATION, have %d arguments", len(args))
	}
	switch r.output {
	case "text", "json", "html", "manifest", "manifest-json":
	default:
		return usagef("-o must be text, json, html, manifest or manifest-json, not %q", r.output)
	}
	opts := savepoint.DescribeOptions{CheckFiles: r.files, Deep: r.deep}
	if r.uids != "" {
		m, err := readUIDList(r.uids)
		if err != nil {
			return &configError{err}
		}
		opts.UIDs = m
	}
	maxMeta, err := parseSize(r.maxMetadataSize)
	if err != nil {
		return usagef("--max-metadata-size: %v", err)
	}
	spOpts := savepoint.Options{FlinkConf: r.flinkConf, MaxMetadataSize: maxMeta}
	if r.graph != "" {
		g, err := readGraph(ctx, r.graph, "", spOpts, compare.SQLPlanOptions{})
		if err != nil {
			return err
		}
		opts.Graph = map[metadata.OperatorID]savepoint.GraphOperatorDesc{}
		for _, op := range g.Operators {
			for _, id := range op.IDs() {
				opts.Graph[id] = savepoint.GraphOperatorDesc{Node: op.Node, UID: op.UID, Name: op.Name, AutoID: op.AutoID}
			}
		}
	}
	spOpts.StateRoots = r.stateRoots
	// Without --deep or --files inspect needs no state handles: decode summaries,
	// in memory that does not grow with the number of handles.
	open := savepoint.OpenSummaries
	if r.deep || r.files || r.output == "html" { // the page's heat map needs each subtask's handles
		open = savepoint.Open
	}
	sp, err := open(ctx, args[0], spOpts)
	if err != nil {
		return err
	}
	defer sp.Close()
	if sp.Picked != "" && strings.HasPrefix(r.output, "manifest") {
		fmt.Fprintf(e.stderr, "spcheck: %s: %s\n", sp.Location, sp.Picked)
	}
	if strings.HasPrefix(r.output, "manifest") {
		return writeManifest(ctx, e, sp, compare.ManifestOptions{UIDs: opts.UIDs}, r.deep, r.output == "manifest-json")
	}
	if r.deep {
		p := newProgress(e, "reading state-file headers")
		opts.Progress = p.update
		defer p.done()
	}
	d, err := savepoint.Describe(ctx, sp, opts)
	if err != nil {
		return err
	}
	prov := compare.ProvenanceOf(sp.Metadata, nil)
	prov.ApplyKeyedFormat(KeyedFormatOf(ctx, sp))
	switch r.output {
	case "json":
		err = writeJSON(e.stdout, inspectJSON{Description: d, Provenance: prov})
	case "html":
		err = writeInspectHTML(ctx, e.stdout, sp, d)
	default:
		writeDescription(e.stdout, d, prov)
	}
	if err != nil {
		return err
	}
	// With --files, a missing file is a failure: Flink cannot restore
	// the savepoint (rule SP040).
	if n := d.Totals.MissingFiles; n != nil && *n > 0 {
		what := "referenced files are"
		if *n == 1 {
			what = "referenced file is"
		}
		fmt.Fprintf(e.stderr, "spcheck: %d %s missing: Flink cannot restore this savepoint (see spcheck check, rule SP040)\n", *n, what)
		return findingsError{}
	}
	return nil
}

// inspectJSON is inspect's JSON output: the description, and what it tells
// of the Flink and state backend that wrote the savepoint.
type inspectJSON struct {
	*savepoint.Description
	Provenance compare.Provenance `json:"provenance"`
}

// readUIDList reads one uid per line; blank lines and lines starting with
// '#' are skipped.
func readUIDList(name string) (map[metadata.OperatorID]string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := map[metadata.OperatorID]string{}
	sc := bufio.NewScanner(io.LimitReader(f, savepoint.MaxInputFileSize))
	for sc.Scan() {
		u := strings.TrimSpace(sc.Text())
		if u == "" || strings.HasPrefix(u, "#") {
			continue
		}
		m[metadata.OperatorIDFromUID(u)] = u
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return m, nil
}

func writeDescription(w io.Writer, d *savepoint.Description, prov compare.Provenance) {
	fmt.Fprintf(w, "Location     %s\n", d.Location)
	if d.Picked != "" {
		fmt.Fprintf(w, "             (%s)\n", d.Picked)
	}
	fmt.Fprintf(w, "Metadata     %s (%s)\n", d.MetadataFile, compare.FormatBytes(d.MetadataSize))
	fmt.Fprintf(w, "Format       version %d, written by %s", d.FormatVersion, d.WrittenBy)
	if len(d.Quirks) > 0 {
		fmt.Fprintf(w, " (layout variant: %s)", strings.Join(d.Quirks, ", "))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Checkpoint   %d\n", d.CheckpointID)
	kind := d.Kind.Label
	if d.Kind.Type != "" {
		kind += fmt.Sprintf(", type %q", d.Kind.Type)
	}
	fmt.Fprintf(w, "Kind         %s\n", kind)
	fmt.Fprintf(w, "Provenance   %s\n", prov.Summary())
	t := d.Totals
	fmt.Fprintf(w, "State        %s, %d with state; %s (%s inline in the metadata); %s referenced",
		plural(t.Operators, "operator"), t.OperatorsWithState, compare.FormatBytes(t.StateSize), compare.FormatBytes(t.InlineSize), plural(t.Files, "file"))
	if t.MissingFiles != nil {
		fmt.Fprintf(w, ", %d missing", *t.MissingFiles)
	}
	fmt.Fprintln(w)
	for _, ms := range d.MasterStates {
		fmt.Fprintf(w, "Master hook  %s (version %d, %s)\n", ms.Name, ms.Version, compare.FormatBytes(int64(ms.Size)))
	}
	fmt.Fprintln(w)

	tb := &table{header: []string{"OPERATOR ID", "PARALLELISM", "MAX", "SUBTASKS WITH STATE", "SIZE", "STATE"}}
	for _, op := range d.Operators {
		var extra []string
		if op.UID != "" {
			extra = append(extra, "uid "+quote(op.UID))
		} else if op.UIDFromList != "" {
			extra = append(extra, "uid "+quote(op.UIDFromList)+" (from --uids)")
		}
		if op.Name != "" {
			extra = append(extra, "name "+quote(op.Name))
		}
		if g := op.GraphOperator; g != nil {
			desc := "graph: " + g.Node
			if g.UID != "" && g.UID != op.UID {
				desc += " uid " + quote(g.UID)
			}
			if g.Name != "" && g.Name != op.Name {
				desc += " " + quote(g.Name)
			}
			if g.AutoID {
				desc += " (ID generated from the topology)"
			}
			extra = append(extra, desc)
		} else if op.InGraph != nil {
			extra = append(extra, "graph: no operator has this ID")
		}
		tb.add([]string{op.ID, fmt.Sprint(op.Parallelism), fmt.Sprint(op.MaxParallelism),
			subtaskText(op), compare.FormatBytes(op.StateSize), stateText(op)}, strings.Join(extra, "  "))
	}
	tb.write(w)

	if d.Deep != nil {
		writeStates(w, d)
	}

	if d.Files != nil {
		fmt.Fprintln(w)
		tb := &table{header: []string{"FILE", "SIZE", "STATUS"}}
		for _, f := range d.Files {
			tb.add([]string{f.Resolved, compare.FormatBytes(f.Size), f.Status}, "")
		}
		tb.write(w)
	}
}

func subtaskText(op savepoint.OperatorDesc) string {
	if op.FullyFinished {
		return "finished"
	}
	s := fmt.Sprintf("%d/%d", op.SubtasksWithState, op.Subtasks)
	if op.FinishedSubtasks > 0 {
		s += fmt.Sprintf(" (%d finished)", op.FinishedSubtasks)
	}
	return s
}

func stateText(op savepoint.OperatorDesc) string {
	var parts []string
	if k := op.KeyedState; k != nil {
		switch {
		case k.Managed && k.Raw:
			parts = append(parts, "keyed (managed and raw)")
		case k.Raw:
			parts = append(parts, "keyed (raw)")
		default:
			parts = append(parts, "keyed")
		}
	}
	if len(op.OperatorStates) > 0 {
		var names []string
		for _, s := range op.OperatorStates {
			n := quote(s.Name)
			var notes []string
			if s.Mode != "SPLIT_DISTRIBUTE" {
				notes = append(notes, strings.ToLower(s.Mode))
			}
			if s.Raw {
				notes = append(notes, "raw")
			}
			if len(notes) > 0 {
				n += " (" + strings.Join(notes, ", ") + ")"
			}
			names = append(names, n)
		}
		parts = append(parts, "operator: "+strings.Join(names, ", "))
	}
	if op.CoordinatorState != nil {
		parts = append(parts, "coordinator")
	}
	if op.InFlightData {
		parts = append(parts, "in-flight data")
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "; ")
}

// quote quotes s when it is empty or has a space, a quotation mark or a
// character that is not printable, so that names and paths from the
// savepoint stay readable and put no control character or terminal escape
// on the user's terminal.
func quote(s string) string {
	if s == "" || strings.IndexFunc(s, func(r rune) bool { return r == ' ' || r == '"' || !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

// table writes left-aligned columns two spaces apart. A row may carry a
// note, printed indented on the line below it without affecting the
// column widths.
type table struct {
	header []string
	rows   [][]string
	notes  []string
}

func (t *table) add(cells []string, note string) {
	t.rows = append(t.rows, cells)
	t.notes = append(t.notes, note)
}

// writeRows writes the rows without a header line.
func (t *table) writeRows(w io.Writer) {
	t.header = make([]string, len(t.rows[0]))
	t.write(w)
}

func (t *table) write(w io.Writer) {
	width := make([]int, len(t.header))
	for _, r := range append([][]string{t.header}, t.rows...) {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	line := func(r []string) {
		var b strings.Builder
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	if strings.TrimSpace(strings.Join(t.header, "")) != "" {
		line(t.header)
	}
	for i, r := range t.rows {
		line(r)
		if t.notes[i] != "" {
			fmt.Fprintln(w, "  "+t.notes[i])
		}
	}
}

// writeStates lists each operator's states (inspect --deep).
func writeStates(w io.Writer, d *savepoint.Description) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "STATES")
	for _, op := range d.Operators {
		s := op.States
		if s == nil || (len(s.Keyed)+len(s.Timers)+len(s.Operator)+len(s.Broadcast) == 0 && !s.RawKeyed && !s.RawOperator && s.Undecoded == 0) {
			continue
		}
		head := op.ID
		if op.UID != "" {
			head += "  uid " + quote(op.UID)
		} else if op.UIDFromList != "" {
			head += "  uid " + quote(op.UIDFromList)
		}
		if op.Name != "" {
			head += "  name " + quote(op.Name)
		}
		fmt.Fprintln(w, head)
		tb := &table{}
		if s.KeyType != "" {
			tb.add([]string{"  key", s.KeyType, "", ""}, "")
		}
		for _, k := range s.Keyed {
			extra := ""
			if k.NamespaceType != "" && k.NamespaceType != "VoidNamespace" {
				extra = "namespace " + k.NamespaceType
			}
			kind := strings.ToLower(k.Kind)
			if kind == "" {
				kind = "-"
			}
			tb.add([]string{"  keyed", k.Name, kind, manifestType(k.UserKeyType, k.ValueType, k.TTL) + spaced(extra)}, "")
		}
		for _, t := range s.Timers {
			kind := "timers"
			if t.Raw {
				kind = "timers (raw)"
			}
			tb.add([]string{"  " + kind, t.Name, t.Domain, t.ElementType}, "")
		}
		for _, l := range s.Operator {
			mode := "list"
			if l.Mode == "UNION" {
				mode = "union-list"
			}
			tb.add([]string{"  operator", l.Name, mode, l.ElementType}, "")
		}
		for _, b := range s.Broadcast {
			tb.add([]string{"  broadcast", b.Name, "broadcast", manifestType(b.KeyType, b.ValueType, false)}, "")
		}
		switch {
		case s.RawKeyedTimers:
			tb.add([]string{"  raw keyed", "-", "", "the timer services above (Flink ≤1.9 kept them there)"}, "")
		case s.RawKeyed:
			tb.add([]string{"  raw keyed", "-", "", "user format, no header"}, "")
		}
		if s.RawOperator {
			tb.add([]string{"  raw operator", "-", "", "user format, no header"}, "")
		}
		if s.Undecoded > 0 {
			tb.add([]string{"  undecoded", fmt.Sprint(s.Undecoded), "", "state streams whose header could not be read (see below)"}, "")
		}
		tb.writeRows(w)
	}
	dd := d.Deep
	pct := 0.0
	if dd.StateBytes > 0 {
		pct = 100 * float64(dd.BytesRead) / float64(dd.StateBytes)
	}
	fmt.Fprintf(w, "\nRead %s (%d distinct): %s from state files, %.1f%% of the %s of state, and %s inline\n",
		plural(dd.Headers, "header"), dd.Distinct, compare.FormatBytes(dd.BytesRead), pct, compare.FormatBytes(dd.StateBytes), compare.FormatBytes(dd.InlineBytes))
	for _, p := range dd.Problems {
		fmt.Fprintf(w, "  %s: operator %s subtask %d: %s: %s\n", p.Kind, p.Operator, p.Subtask, p.Where, p.Message)
	}
}

// manifestType writes a state's type as a manifest declares it (the
// syntax compare.StateTypeString defines): Map<K, V> when the key type is
// kept apart (broadcast states, Flink 2.x map states), TTL(…) around the
// value of a state with time-to-live (or its element or map value).
func manifestType(key, value string, ttl bool) string {
	if value == "" {
		return "type unknown"
	}
	wrapped := strings.HasPrefix(value, "TTL(") && strings.HasSuffix(value, ")")
	if key != "" {
		inner := value
		if wrapped {
			inner = value[len("TTL(") : len(value)-1]
		}
		value = "Map<" + key + ", " + inner + ">"
		if wrapped {
			value = "TTL(" + value + ")"
		}
	}
	// A list or map state's TTL is already on its element or map value
	// (Map<String, TTL(Long)>): TTL serializers wrap nothing else.
	if ttl && !strings.Contains(value, "TTL(") {
		value = "TTL(" + value + ")"
	}
	return value
}

func spaced(s string) string {
	if s == "" {
		return ""
	}
	return "  " + s
}
