package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/spcheck/spcheck/compare"
	"github.com/spcheck/spcheck/metadata"
	"github.com/spcheck/spcheck/savepoint"
)

var cmdDiff = &command{
	Name:      "diff",
	UsageLine: "diff [--uids FILE] [--exit-code] [-o text|json] LOCATION_A LOCATION_B",
	Short:     "compare two savepoints or checkpoints of one job",
	Long: `Diff compares two savepoints or checkpoints of the same job, matching operators
by ID: which operators were added and removed, which were rescaled or had their
max parallelism changed, how each operator's state size changed, and which
kinds of state (keyed, named operator states, coordinator state, in-flight
data) appeared or disappeared. A is usually the older one.

Kinds of state are named as inspect names them: keyed, operator: NAME (with
union or broadcast when not split-distributed), coordinator, in-flight data.
Both locations may be anything inspect takes; see 'spcheck help locations'.

--uids names a file of uids, one per line, to name operators whose uid the
savepoints do not store (format versions before 5). --exit-code exits 1
when the savepoints differ (an operator added, removed, rescaled, its max
parallelism or its kinds of state changed; state sizes aside) and 0 when
not, like git diff --exit-code. -o json writes the spcheck/diff/v1 document
(schema in schemas/diff-v1.json).

See also: spcheck inspect, spcheck check.`,
	New: func() runner { return &diffRunner{} },
}

type diffRunner struct {
	uids      string
	exitCode  bool
	output    string
	flinkConf string
}

func (r *diffRunner) Bind(fs *pflag.FlagSet) {
	fs.StringVar(&r.uids, "uids", "", "file of uids (one per line) to name operators the savepoints store no uid for")
	fs.BoolVar(&r.exitCode, "exit-code", false, "exit 1 when the savepoints differ, 0 when not")
	fs.StringVarP(&r.output, "output", "o", "text", "output format: text or json")
	fs.StringVar(&r.flinkConf, "flink-conf", "", "Flink configuration directory or file (S3 settings)")
}

func (r *diffRunner) Run(ctx context.Context, e *env, args []string) error {
	if len(args) != 2 {
		return usagef("want two locations, have %d arguments", len(args))
	}
	if r.output != "text" && r.output != "json" {
		return usagef("-o must be text or json, not %q", r.output)
	}
	var uids map[metadata.OperatorID]string
	if r.uids != "" {
		m, err := readUIDList(r.uids)
		if err != nil {
			return &configError{err}
		}
		uids = m
	}
	// A diff compares operators, parallelism and state sizes, not file
	// counts: the files are not counted.
	opts := savepoint.Options{FlinkConf: r.flinkConf, NoFileCounts: true}
	// B is read while A is: on two CPUs at the same time. Errors keep
	// their order: A's first.
	pb := openInBackground(ctx, savepoint.OpenSummaries, args[1], opts)
	defer pb.stop()
	a, err := savepoint.OpenSummaries(ctx, args[0], opts)
	if err != nil {
		return err
	}
	defer a.Close()
	b, err := pb.take()
	if err != nil {
		return err
	}
	defer b.Close()
	for _, sp := range []*savepoint.Savepoint{a, b} {
		if sp.Picked != "" {
			fmt.Fprintf(e.stderr, "spcheck: %s: %s\n", sp.Location, sp.Picked)
		}
	}
	d := compare.CompareWithUIDs(a.Metadata, a.Location, b.Metadata, b.Location, uids)
	if r.output == "json" {
		if err := writeJSON(e.stdout, d); err != nil {
			return err
		}
	} else {
		writeDiff(e.stdout, d)
	}
	if r.exitCode && d.Differ() {
		return findingsError{}
	}
	return nil
}

func writeDiff(w io.Writer, d *compare.Diff) {
	for _, s := range []struct {
		label string
		ref   compare.SnapshotRef
	}{{"A", d.A}, {"B", d.B}} {
		fmt.Fprintf(w, "%s  %s (format version %d, checkpoint %d, %s, %s of state)\n", s.label, s.ref.Location,
			s.ref.FormatVersion, s.ref.CheckpointID, s.ref.Kind, compare.FormatBytes(s.ref.StateSize))
	}
	fmt.Fprintln(w)
	tb := &table{header: []string{"CHANGE", "OPERATOR ID", "PARALLELISM", "MAX", "STATE SIZE"}}
	for _, o := range d.Operators {
		var notes []string
		if o.UID != "" {
			notes = append(notes, "uid "+quote(o.UID))
		}
		if o.Name != "" {
			notes = append(notes, "name "+quote(o.Name))
		}
		notes = append(notes, o.Notes...)
		for _, s := range o.StatesAdded {
			notes = append(notes, "+ "+s)
		}
		for _, s := range o.StatesRemoved {
			notes = append(notes, "- "+s)
		}
		tb.add([]string{o.Change, o.ID, pair(int64(o.Parallelism[0]), int64(o.Parallelism[1]), o.Change, fmt.Sprint),
			pair(int64(o.MaxParallelism[0]), int64(o.MaxParallelism[1]), o.Change, fmt.Sprint),
			sizeChange(o.StateSize, o.Change)}, strings.Join(notes, "; "))
	}
	tb.write(w)
	s := d.Summary
	fmt.Fprintf(w, "\n%d added, %d removed, %d changed (%d rescaled), %d unchanged\n", s.Added, s.Removed, s.Changed, s.Rescaled, s.Unchanged)
}

// pair shows "a → b", or one value when equal or one side is absent.
func pair(a, b int64, change string, f func(...any) string) string {
	switch {
	case change == "added":
		return f(b)
	case change == "removed":
		return f(a)
	case a == b:
		return f(a)
	}
	return f(a) + " → " + f(b)
}

func sizeChange(s [2]int64, change string) string {
	txt := pair(s[0], s[1], change, func(v ...any) string { return compare.FormatBytes(v[0].(int64)) })
	if change == "added" || change == "removed" || s[0] == s[1] || s[0] == 0 {
		return txt
	}
	return fmt.Sprintf("%s (%+.0f%%)", txt, 100*float64(s[1]-s[0])/float64(s[0]))
}
