package cli

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/spcheck/spcheck/compare"
	"github.com/spcheck/spcheck/deployment"
	"github.com/spcheck/spcheck/metadata"
	"github.com/spcheck/spcheck/report"
	"github.com/spcheck/spcheck/savepoint"
)

var cmdCheck = &command{
	Name:      "check",
	UsageLine: "check [flags] LOCATION --graph FILE | check [flags] --deployment FILE --graph FILE [LOCATION]",
	Short:     "check a savepoint against the new job graph",
	Long: `Check tells, before 'flink run -s LOCATION', whether the savepoint or
checkpoint at LOCATION will restore into the new job described by --graph,
and lists every piece of state that would be lost (Flink stops at the first).
It applies Flink's own restore rules (Checkpoints.loadAndValidateCheckpoint,
StateAssignmentOperation): state is matched to operators by operator ID (the
murmur3 hash of the uid, or a setUidHash); state without a match fails the
restore unless -n is given; max parallelism must match where it is set
explicitly; parallelism must not exceed the state's max parallelism.

--graph is one of (detected from the content; --graph-format forces it):
	a job-graph manifest (JSON or YAML, format spcheck/jobgraph/v1; schema in
	    schemas/jobgraph-v1.json)
	a Flink SQL compiled plan (the JSON of COMPILE PLAN)
	a savepoint of the new job, e.g. taken in staging (a metadata file, or any
	    LOCATION with --graph-format savepoint)

--deep reads the headers of the savepoint's state files (only those bytes)
and checks each state the new graph declares (manifest "states"): removed,
added, kind changed, key or value serializer incompatible, POJO and Avro
evolution Flink migrates, TTL turned on or off (rules SP050-SP057; see
docs/state-rules.md).

Check verifies that every state file the savepoint references exists, with
one listing per directory (never a request per file): a missing file fails
the restore when the operator's tasks start (rule SP040, an error naming the
operator, subtask and path). Files outside the savepoint (see --state-root)
or in another store are not read and not verified; stderr names their
directories, with the references to files there.
--no-verify-files skips the verification.

--deployment reads a Flink Kubernetes Operator FlinkDeployment or
FlinkSessionJob (YAML, e.g. from kubectl get -o yaml): the savepoint it
restores from (spec.job.initialStateReference.path or initialSavepointPath,
else the last savepoint in its status) unless LOCATION is given, its
allowNonRestoredState (or ignore-unclaimed-state setting), its job
parallelism for operators the graph gives none, pipeline.max-parallelism and
its Flink version.

--flink-version and --state-backend name the Flink (1.20, 2.0, 1.20.1) and
state backend (hashmap, rocksdb, forst) that will restore the savepoint. They
override the graph's flinkVersion and the manifest's stateBackend, and also
apply when --graph is a savepoint (checking one savepoint for an upgrade of
the same job).
With either known, the upgrade rules (SP070-SP077) judge the savepoint
against them from what it tells of the Flink and backend that wrote it:
a _metadata format the target cannot read, pre-1.8 serializer snapshots on
1.17+, a checkpoint or native savepoint restored into another backend, a 1.x
savepoint on 2.x (with --deep: Kryo and Scala serializers), a downgrade, and
the limitations of Flink's compatibility table.

The verdict is one of: compatible; compatible-with-state-loss (only with -n);
incompatible; unknown (spcheck could not decide). Findings have a rule ID
(SP001…), a severity (error, unknown, warning, info) and a fix.

--config names a config file (default: .spcheck.yaml in the current
directory, when there is one; --config none reads none). It turns rules off,
overrides their severity, and accepts findings per rule and operator, with a
reason and an optional expiry date:

	version: 1
	rules:
	  SP005: {enabled: false}
	  SP004: {severity: warning}
	accept:
	  - rule: SP001                  # rule ID or name
	    operator: legacy-enricher    # uid, name or 32-hex operator ID
	    reason: dropped on purpose in PROJ-123
	    expires: 2027-01-31          # optional: the last day it applies

Accepted findings are listed apart and count towards neither --fail-on nor
the verdict, except that no acceptance or rule setting hides a restore Flink
refuses: such a finding stays, and disabling its rule is a config error.
Expired and unused acceptances are reported on stderr.

-o is one of: text; json (schema in schemas/check-v1.json); junit (JUnit
XML, one test case per rule and operator); sarif (SARIF 2.1.0 for code
scanning); github (GitHub Actions annotations, plus a Markdown summary in
$GITHUB_STEP_SUMMARY when it is set); markdown (a pull-request comment);
html (one self-contained page: the operators with their state size and
fate, a per-subtask heat map, key-group ranges, the findings with fixes).

Every finding says which of Flink's outcomes it leads to: refused, restores
losing this state, or restores (or unknown). -n (--allowNonRestoredState)
judges as Flink does with that flag: unmatched state, coordinator state
included, is dropped, and those findings become restores losing state.

Exit codes: 0 when no finding reaches --fail-on (default unknown: a check
spcheck cannot decide fails), 1 when one does, 2 on usage or config errors,
3 when an input cannot be read or decoded.

See also: spcheck inspect, spcheck help exit-codes.`,
	New: func() runner { return &checkRunner{} },
}

type checkRunner struct {
	maxMetadataSize              string
	stateRoots                   []string
	graph, graphFormat, oldGraph string
	allowNonRestored             bool
	uids                         string
	failOn                       string
	output                       string
	flinkConf                    string
	deployment                   string
	config                       string
	deep                         bool
	noVerifyFiles                bool
	// flinkVersion and stateBackend are the Flink and state backend the
	// new job restores with, over what the graph says.
	flinkVersion, stateBackend string
	// tableConfig are --table-config KEY=VALUE settings.
	tableConfig []string
}

// outputFormats are the values of check -o.
var outputFormats = append([]string{"text", "json", "html"}, report.Formats...)

func (r *checkRunner) Bind(fs *pflag.FlagSet) {
	fs.StringVar(&r.graph, "graph", "", "the new job graph: manifest, SQL compiled plan or savepoint (required)")
	fs.StringVar(&r.graphFormat, "graph-format", "", "force the --graph format: manifest, sql-plan or savepoint")
	fs.StringVar(&r.oldGraph, "old-graph", "", "the job graph the savepoint was taken with, to recognise changed uids")
	fs.BoolVarP(&r.allowNonRestored, "allow-non-restored-state", "n", false, "judge as Flink does with --allowNonRestoredState: unmatched state is dropped")
	fs.BoolVar(&r.allowNonRestored, "allowNonRestoredState", false, "the same as -n, in Flink's own spelling")
	fs.StringVar(&r.uids, "uids", "", "file of uids (one per line) to name the savepoint's operators")
	fs.StringVar(&r.failOn, "fail-on", "unknown", "exit 1 on findings not accepted at or above: error, unknown, warning, info or none")
	fs.StringVarP(&r.output, "output", "o", "text", "output format: "+strings.Join(outputFormats, ", "))
	fs.StringVar(&r.config, "config", "", "config file: rules and accepted findings (default .spcheck.yaml if present; none for no file)")
	fs.StringVar(&r.flinkConf, "flink-conf", "", "Flink configuration directory or file (S3 settings)")
	fs.StringVar(&r.maxMetadataSize, "max-metadata-size", "128MiB", "refuse metadata files larger than this (memory grows to about twice it)")
	fs.StringArrayVar(&r.stateRoots, "state-root", nil, "also read state files under this directory (repeatable; e.g. a relocated savepoint's shared state)")
	fs.StringVar(&r.deployment, "deployment", "", "a FlinkDeployment or FlinkSessionJob to take the savepoint, -n and parallelism from")
	fs.BoolVar(&r.deep, "deep", false, "read the state-file headers and check each state the graph declares (rules SP050-SP057)")
	fs.BoolVar(&r.noVerifyFiles, "no-verify-files", false, "do not verify that the state files the savepoint references exist (rule SP040)")
	fs.StringVar(&r.flinkVersion, "flink-version", "", "the Flink version that restores the savepoint, e.g. 1.20 or 2.0 (over the graph's flinkVersion)")
	fs.StringArrayVar(&r.tableConfig, "table-config", nil, "a table.* setting KEY=VALUE of the job that runs a SQL compiled plan (repeatable), e.g. table.exec.uid.format=<id>_<type>_<version>_<transformation>")
	fs.StringVar(&r.stateBackend, "state-backend", "", "the state backend that restores it: hashmap, rocksdb or forst (over the manifest's stateBackend)")
}

func (r *checkRunner) Run(ctx context.Context, e *env, args []string) error {
	var dep *deployment.Deployment
	if r.deployment != "" {
		data, err := savepoint.ReadInputFile(r.deployment)
		if err != nil {
			return err
		}
		if dep, err = deployment.Read(data, r.deployment); err != nil {
			return err
		}
		if len(args) == 0 {
			if dep.Savepoint == "" {
				return usagef("%s/%s names no savepoint to restore from; pass LOCATION", dep.Kind, dep.Name)
			}
			args = []string{dep.Savepoint}
		}
	}
	if len(args) != 1 {
		return usagef("want exactly one LOCATION, have %d arguments", len(args))
	}
	if r.graph == "" {
		return usagef("--graph is required")
	}
	var failOn compare.Severity
	if r.failOn != "none" {
		s, err := compare.ParseSeverity(r.failOn)
		if err != nil {
			return usagef("--fail-on: %v (or none)", err)
		}
		failOn = s
	}
	if !slices.Contains(outputFormats, r.output) {
		return usagef("-o must be one of %s, not %q", strings.Join(outputFormats, ", "), r.output)
	}
	switch r.graphFormat {
	case "", compare.FormatManifest, compare.FormatSQLPlan, compare.FormatSavepoint:
	default:
		return usagef("--graph-format must be manifest, sql-plan or savepoint, not %q", r.graphFormat)
	}
	var flinkVersion compare.FlinkVersion
	if r.flinkVersion != "" {
		v, err := compare.ParseFlinkVersion(r.flinkVersion)
		if err != nil {
			return usagef("--flink-version: %v", err)
		}
		flinkVersion = v
	}
	var backend compare.StateBackend
	if r.stateBackend != "" {
		b, err := compare.ParseStateBackend(r.stateBackend)
		if err != nil {
			return usagef("--state-backend: %v", err)
		}
		backend = b
	}
	tableConfig := map[string]string{}
	if dep != nil {
		for k, v := range dep.TableConfig {
			tableConfig[k] = v
		}
	}
	for _, kv := range r.tableConfig {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || !strings.HasPrefix(k, "table.") {
			return usagef("--table-config %q: want KEY=VALUE with a table.* key, e.g. table.exec.uid.format=<id>_<transformation>", kv)
		}
		tableConfig[k] = strings.TrimSpace(v)
	}
	sqlOpts := compare.SQLPlanOptions{FlinkVersion: flinkVersion, TableConfig: tableConfig}
	if sqlOpts.FlinkVersion.IsZero() && dep != nil && dep.FlinkVersion != "" {
		if v, err := compare.ParseFlinkVersion(dep.FlinkVersion); err == nil {
			sqlOpts.FlinkVersion = v
		}
	}
	cfg, err := r.loadConfig(e)
	if err != nil {
		return err
	}
	maxMeta, err := parseSize(r.maxMetadataSize)
	if err != nil {
		return usagef("--max-metadata-size: %v", err)
	}
	spOpts := savepoint.Options{FlinkConf: r.flinkConf, MaxMetadataSize: maxMeta}
	opts := compare.Options{AllowNonRestoredState: r.allowNonRestored}
	if dep != nil && dep.AllowNonRestoredState {
		opts.AllowNonRestoredState = true
	}
	if r.uids != "" {
		m, err := readUIDList(r.uids)
		if err != nil {
			return &configError{err}
		}
		opts.UIDs = m
	}
	// Open the savepoint while the graph is read: on two CPUs a graph
	// that is a savepoint too (or a large plan) is read at the same time.
	// Errors keep their order: the graph's first.
	openOpts := spOpts
	openOpts.StateRoots = r.stateRoots
	openOpts.VerifyFiles = !r.noVerifyFiles
	// No rule and no part of the report counts the files the handles
	// reference: without verification they are not counted (nor hashed).
	openOpts.NoFileCounts = r.noVerifyFiles
	// Without --deep the rules need no state handles: decode summaries,
	// in memory that does not grow with the number of handles.
	open := savepoint.OpenSummaries
	if r.deep || r.output == "html" { // the page's heat map needs each subtask's handles
		open = savepoint.Open
	}
	pending := openInBackground(ctx, open, args[0], openOpts)
	defer pending.stop()
	g, err := readGraph(ctx, r.graph, r.graphFormat, spOpts, sqlOpts)
	if err != nil {
		return err
	}
	if dep != nil {
		applyDeployment(e, dep, args[0], g, opts.AllowNonRestoredState)
	}
	if !flinkVersion.IsZero() {
		if g.FlinkVersion != "" && g.FlinkVersion != flinkVersion.String() {
			fmt.Fprintf(e.stderr, "spcheck: --flink-version %s over the graph's Flink %s\n", flinkVersion, g.FlinkVersion)
		}
		g.FlinkVersion = flinkVersion.String()
	}
	if backend != compare.BackendUnknown {
		g.StateBackend = backend
	}
	if r.oldGraph != "" {
		if opts.OldGraph, err = readGraph(ctx, r.oldGraph, "", spOpts, compare.SQLPlanOptions{}); err != nil {
			return err
		}
	}
	sp, err := pending.take()
	if err != nil {
		return err
	}
	defer sp.Close()
	if sp.Picked != "" {
		fmt.Fprintf(e.stderr, "spcheck: %s: %s\n", sp.Location, sp.Picked)
	}
	if !r.noVerifyFiles {
		v, err := sp.VerifyFiles(ctx)
		if err != nil {
			return err
		}
		noteVerification(e, v)
		opts.MissingFiles = missingFiles(v)
	}
	if r.deep {
		states, err := readDeepStates(ctx, e, sp)
		if err != nil {
			return err
		}
		opts.States = states
	}
	if g.StateBackend != compare.BackendUnknown {
		// Which backend wrote a full snapshot decides SP072: one small read.
		opts.KeyedFormat = KeyedFormatOf(ctx, sp)
	}
	applied := cfg.Apply(compare.Check(sp.Metadata, sp.Location, g, opts), time.Now())
	rep := applied.Report
	for _, n := range applied.Notices {
		fmt.Fprintf(e.stderr, "spcheck: %s\n", n)
	}
	accepted := applied.AcceptedFindings()
	switch r.output {
	case "text":
		writeReport(e.stdout, rep, e.color)
		writeAccepted(e.stdout, accepted)
	case "html":
		if err := writeCheckHTML(ctx, e.stdout, sp, rep, len(accepted)); err != nil {
			return err
		}
	case "json":
		out := checkJSON{Report: rep, Accepted: accepted, Notices: applied.Notices}
		if err := writeJSON(e.stdout, out); err != nil {
			return err
		}
	default:
		ropts := report.Options{Accepted: accepted, Notices: applied.Notices, ToolVersion: Version}
		if name := os.Getenv("GITHUB_STEP_SUMMARY"); r.output == "github" && name != "" {
			f, err := os.OpenFile(name, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				return fmt.Errorf("GITHUB_STEP_SUMMARY: %w", err)
			}
			defer f.Close()
			ropts.StepSummary = f
		}
		if err := report.Write(e.stdout, rep, r.output, ropts); err != nil {
			return err
		}
	}
	if failOn != 0 {
		for _, f := range rep.Findings {
			if f.Severity >= failOn {
				return findingsError{}
			}
		}
	}
	return nil
}

// checkJSON is the JSON output: the report, plus what the config file
// accepted and said when there is one.
type checkJSON struct {
	*compare.Report
	Accepted []compare.ConfiguredFinding `json:"accepted,omitempty"`
	Notices  []compare.Notice            `json:"notices,omitempty"`
}

// loadConfig reads --config, or .spcheck.yaml in the current directory
// when there is one (and says so on stderr). A nil Config applies nothing.
func (r *checkRunner) loadConfig(e *env) (*compare.Config, error) {
	name := r.config
	switch name {
	case "none":
		return nil, nil
	case "":
		if _, err := os.Stat(compare.DefaultConfigFile); errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		name = compare.DefaultConfigFile
		fmt.Fprintf(e.stderr, "spcheck: using %s\n", name)
	}
	data, err := savepoint.ReadInputFile(name)
	if err != nil {
		return nil, &configError{fmt.Errorf("--config: %w", err)}
	}
	c, err := compare.LoadConfig(data, name)
	if err != nil {
		return nil, &configError{err}
	}
	return c, nil
}

// writeAccepted lists the accepted findings after the text report.
func writeAccepted(w io.Writer, accepted []compare.ConfiguredFinding) {
	if len(accepted) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s accepted:\n", plural(len(accepted), "finding"))
	for _, f := range accepted {
		a := f.AcceptedBy
		fmt.Fprintf(w, "accepted %s %s  %s\n", f.Rule, f.Name, f.Operator)
		fmt.Fprintf(w, "        %s:%d: %s", a.File, a.Line, a.Reason)
		if a.Expires != "" {
			fmt.Fprintf(w, " (until %s)", a.Expires)
		}
		fmt.Fprintln(w)
	}
}

// applyDeployment applies what a Kubernetes resource says about the job to
// the graph, and tells the user on stderr.
func applyDeployment(e *env, d *deployment.Deployment, location string, g *compare.JobGraph, anrs bool) {
	id := d.Kind + " " + d.Name
	if d.Namespace != "" {
		id = d.Kind + " " + d.Namespace + "/" + d.Name
	}
	from := ""
	if d.Savepoint == location {
		from = fmt.Sprintf(" restores from %s (%s);", location, d.SavepointFrom)
	}
	fmt.Fprintf(e.stderr, "spcheck: %s%s allowNonRestoredState %v", id, from, anrs)
	if d.Parallelism > 0 {
		fmt.Fprintf(e.stderr, "; parallelism %d", d.Parallelism)
	}
	if d.MaxParallelism > 0 {
		fmt.Fprintf(e.stderr, "; pipeline.max-parallelism %d", d.MaxParallelism)
	}
	fmt.Fprintln(e.stderr)
	for _, n := range d.Notes {
		fmt.Fprintf(e.stderr, "spcheck: note: %s\n", n)
	}
	if g.FlinkVersion == "" {
		g.FlinkVersion = d.FlinkVersion
	}
	for _, op := range g.Operators {
		if op.Parallelism == 0 && d.Parallelism > 0 {
			op.Parallelism = d.Parallelism
		}
		if d.MaxParallelism > 0 && !op.MaxParallelismConfigured && !op.MaxParallelismUnsure {
			op.MaxParallelism, op.MaxParallelismConfigured, op.MaxParallelismFromJob = d.MaxParallelism, true, true
		}
	}
}

// readGraph reads a job graph: a file (any format), or a savepoint
// location (a directory or a URL).
func readGraph(ctx context.Context, name, format string, spOpts savepoint.Options, sqlOpts compare.SQLPlanOptions) (*compare.JobGraph, error) {
	isLocation := strings.Contains(name, "://")
	if !isLocation {
		if fi, err := os.Stat(name); err == nil && fi.IsDir() {
			isLocation = true
		}
	}
	if isLocation || format == compare.FormatSavepoint && isLocation {
		if format != "" && format != compare.FormatSavepoint {
			return nil, &configError{fmt.Errorf("%s: a directory or URL can only be a savepoint, not a %s", name, format)}
		}
		// The graph needs the operators, not the files.
		spOpts.VerifyFiles, spOpts.NoFileCounts = false, true
		sp, err := savepoint.OpenSummaries(ctx, name, spOpts)
		if err != nil {
			return nil, err
		}
		defer sp.Close()
		return compare.GraphFromSavepoint(sp.Metadata, sp.Location), nil
	}
	if g, ok, err := readSavepointGraphFile(name, format); ok || err != nil {
		return g, err
	}
	data, err := savepoint.ReadInputFile(name)
	if err != nil {
		return nil, err
	}
	g, err := compare.ReadGraphWith(data, name, format, sqlOpts)
	if err != nil {
		return nil, err
	}
	return g, nil
}

// readSavepointGraphFile reads a metadata file given as --graph (forced
// with --graph-format savepoint, or recognised by its magic number) with
// metadata.DecodeSummaries, without holding the file; ok is false when
// name is not one.
func readSavepointGraphFile(name, format string) (g *compare.JobGraph, ok bool, err error) {
	if format != "" && format != compare.FormatSavepoint {
		return nil, false, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, false, nil // os.ReadFile reports it
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.IsDir() {
		return nil, false, nil
	}
	var magic [4]byte
	if n, _ := f.ReadAt(magic[:], 0); format == "" && (n < 4 || binary.BigEndian.Uint32(magic[:]) != metadata.Magic) {
		return nil, false, nil
	}
	if fi.Size() > savepoint.MaxStreamedMetadataSize {
		return nil, true, fmt.Errorf("%s: metadata file is %d bytes, more than the %d MiB spcheck reads", name, fi.Size(), savepoint.MaxStreamedMetadataSize>>20)
	}
	m, err := metadata.DecodeSummariesNoFiles(f, fi.Size())
	if err != nil {
		return nil, true, fmt.Errorf("%s: %w", name, err)
	}
	return compare.GraphFromSavepoint(m, name), true, nil
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiMag    = "\x1b[35m"
	ansiCyan   = "\x1b[36m"
	ansiGreen  = "\x1b[32m"
)

func writeReport(w io.Writer, rep *compare.Report, color bool) {
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return code + s + ansiReset
	}
	s := rep.Savepoint
	fmt.Fprintf(w, "Savepoint  %s (format version %d, checkpoint %d, %s)\n", s.Location, s.FormatVersion, s.CheckpointID, s.Kind)
	if p := rep.Provenance; p != nil {
		fmt.Fprintf(w, "           %s\n", p.Summary())
	}
	fmt.Fprintf(w, "New graph  %s (%s, %d operators", rep.Graph.Source, rep.Graph.Format, rep.Graph.Operators)
	if rep.Graph.FlinkVersion != "" {
		fmt.Fprintf(w, ", Flink %s", rep.Graph.FlinkVersion)
	}
	if rep.Graph.StateBackend != compare.BackendUnknown {
		fmt.Fprintf(w, ", %s backend", rep.Graph.StateBackend.Label())
	}
	fmt.Fprintln(w, ")")
	if rep.OldGraph != nil {
		fmt.Fprintf(w, "Old graph  %s (%s, %d operators)\n", rep.OldGraph.Source, rep.OldGraph.Format, rep.OldGraph.Operators)
		if oc := rep.OldGraphCheck; oc != nil {
			if len(oc.Unpredicted) == 0 {
				fmt.Fprintf(w, "           predicts all %d operator IDs of the savepoint (%d generated from the topology): its model of the job holds\n",
					oc.SavepointOperators, oc.AutoGenerated)
			} else {
				fmt.Fprintf(w, "           %s: does not predict %d of the %d operator IDs of the savepoint; see SP008\n",
					paint(ansiMag+ansiBold, "WARNING"), len(oc.Unpredicted), oc.SavepointOperators)
			}
		}
	}
	if rep.AllowNonRestoredState {
		fmt.Fprintln(w, "Mode       --allow-non-restored-state: unmatched state is dropped")
	}
	fmt.Fprintln(w)
	verdict := map[string]string{
		compare.Compatible:              paint(ansiGreen+ansiBold, "COMPATIBLE") + ": the savepoint restores into the new job with all its state",
		compare.CompatibleWithStateLoss: paint(ansiYellow+ansiBold, "COMPATIBLE WITH STATE LOSS") + ": the restore succeeds, but state is dropped",
		compare.Incompatible:            paint(ansiRed+ansiBold, "INCOMPATIBLE") + ": Flink would refuse this restore",
		compare.VerdictUnknown:          paint(ansiMag+ansiBold, "UNKNOWN") + ": spcheck cannot decide; see the findings marked unknown",
	}[rep.Verdict]
	fmt.Fprintln(w, verdict)
	colors := map[compare.Severity]string{compare.Error: ansiRed, compare.Unknown: ansiMag, compare.Warning: ansiYellow, compare.Info: ansiCyan}
	for _, f := range rep.Findings {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "%s %s %s  %s\n", paint(colors[f.Severity], fmt.Sprintf("%-7s", f.Severity)), f.Rule, f.Name, f.Operator)
		fmt.Fprintf(w, "        %s\n", f.Message)
		fmt.Fprintf(w, "        outcome: %s\n", f.Outcome.Text())
		fmt.Fprintf(w, "        fix: %s\n", f.Fix)
		if f.FlinkMessage != "" {
			// Flink's own message may run over lines (SP031, SP032): each
			// goes under the first.
			fmt.Fprintf(w, "        flink would say: %s\n", strings.ReplaceAll(f.FlinkMessage, "\n", "\n"+strings.Repeat(" ", len("        flink would say: "))))
		}
	}
	sum := rep.Summary
	fmt.Fprintln(w)
	withState, blocked := 0, 0
	for _, mp := range rep.Operators {
		if mp.HasState {
			withState++
		}
		if mp.Fate == compare.FateBlocks && mp.MatchedTo != nil {
			blocked++
		}
	}
	fmt.Fprintf(w, "%s in the savepoint, %d with state: %d restored", plural(len(rep.Operators), "operator"), withState, sum.Restored)
	if blocked > 0 {
		fmt.Fprintf(w, ", %d matched but not restorable", blocked)
	}
	if sum.Dropped > 0 {
		fmt.Fprintf(w, ", %d whose state is lost (%s)", sum.Dropped, compare.FormatBytes(sum.DroppedBytes))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%s: %s, %d unknown, %s, %d info\n",
		plural(len(rep.Findings), "finding"), plural(sum.Errors, "error"), sum.Unknown, plural(sum.Warnings, "warning"), sum.Infos)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
