package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/spcheck/spcheck/compare"
	"github.com/spcheck/spcheck/savepoint"
)

var cmdDiff = &command{
	Name:      "diff",
	UsageLine: "diff [-o text|json] LOCATION_A LOCATION_B",
	Short:     "compare two savepoints or checkpoints of one job",
	Long: `Diff compares two savepoints or checkpoints of the same job, matching operators
by ID: which operators were added and removed, which were rescaled or had their
max parallelism changed, how each operator's state size changed, and which
kinds of state (keyed, named operator states, coordinator state, in-flight
data) appeared or disappeared. A is usually the older one.

Both locations may be anything inspect takes; see 'spcheck help locations'.
-o json writes the spcheck/diff/v1 document.

See also: spcheck inspect, spcheck check.`,
	New: func() runner { return &diffRunner{} },
}

type diffRunner struct {
	output    string
	flinkConf string
}

func (r *diffRunner) Bind(fs *pflag.FlagSet) {
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
	opts := savepoint.Options{FlinkConf: r.flinkConf}
	a, err := savepoint.OpenSummaries(ctx, args[0], opts)
	if err != nil {
		return err
	}
	defer a.Close()
	b, err := savepoint.OpenSummaries(ctx, args[1], opts)
	if err != nil {
		return err
	}
	defer b.Close()
	for _, sp := range []*savepoint.Savepoint{a, b} {
		if sp.Picked != "" {
			fmt.Fprintf(e.stderr, "spcheck: %s: %s\n", sp.Location, sp.Picked)
		}
	}
	d := compare.Compare(a.Metadata, a.Location, b.Metadata, b.Location)
	if r.output == "json" {
		return writeJSON(e.stdout, d)
	}
	writeDiff(e.stdout, d)
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
