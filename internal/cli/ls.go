package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/spcheck/spcheck/compare"
	"github.com/spcheck/spcheck/savepoint"
)

var cmdLs = &command{
	Name:      "ls",
	UsageLine: "ls [-o text|json] DIRECTORY",
	Short:     "list the retained checkpoints and savepoints in a directory",
	Long: `Ls lists the retained checkpoints (chk-N) and savepoints (savepoint-…) directly
under DIRECTORY, newest first: checkpoint ID, type, format version, kind
(checkpoint or savepoint, canonical or native), metadata and state size,
and whether each is complete (Flink writes _metadata last: a directory
without it is a failed or unfinished snapshot). The latest complete one,
which 'spcheck check' and 'spcheck inspect' pick when given DIRECTORY, is
marked with *.

DIRECTORY is a checkpoint directory (state.checkpoints.dir/<job-id>) or a
savepoint directory (state.savepoints.dir), on any store; see 'spcheck help
locations'.`,
	New: func() runner { return &lsRunner{} },
}

type lsRunner struct {
	output    string
	flinkConf string
}

func (r *lsRunner) Bind(fs *pflag.FlagSet) {
	fs.StringVarP(&r.output, "output", "o", "text", "output format: text or json")
	fs.StringVar(&r.flinkConf, "flink-conf", "", "Flink configuration directory or file (S3 settings)")
}

type lsEntry struct {
	Name          string    `json:"name"`
	Location      string    `json:"location"`
	Type          string    `json:"type"`
	CheckpointID  *int64    `json:"checkpoint_id"`
	Complete      bool      `json:"complete"`
	Latest        bool      `json:"latest_complete"`
	FormatVersion int32     `json:"format_version,omitempty"`
	Kind          string    `json:"kind,omitempty"`
	Operators     int       `json:"operators,omitempty"`
	MetadataSize  int64     `json:"metadata_size,omitempty"`
	StateSize     int64     `json:"state_size,omitempty"`
	ModTime       time.Time `json:"modified,omitzero"`
	Error         string    `json:"error,omitempty"`
}

func (r *lsRunner) Run(ctx context.Context, e *env, args []string) error {
	if len(args) != 1 {
		return usagef("want exactly one DIRECTORY, have %d arguments", len(args))
	}
	if r.output != "text" && r.output != "json" {
		return usagef("-o must be text or json, not %q", r.output)
	}
	u, err := savepoint.ParseLocation(args[0])
	if err != nil {
		return err
	}
	st, err := savepoint.OpenStore(ctx, u, savepoint.Options{FlinkConf: r.flinkConf})
	if err != nil {
		return err
	}
	defer st.Close()
	snaps, err := savepoint.ListSnapshots(ctx, st, u.Path, true)
	if err != nil {
		return fmt.Errorf("%s: %w", savepoint.Redact(u), err)
	}
	var entries []lsEntry
	latest := false
	for _, s := range snaps {
		lu := *u
		lu.Path = s.Path
		le := lsEntry{Name: s.Name, Location: savepoint.Redact(&lu), Type: s.Type, Complete: s.Complete,
			FormatVersion: s.FormatVersion, Kind: s.Kind, Operators: s.Operators, MetadataSize: s.MetadataSize,
			StateSize: s.StateSize, ModTime: s.ModTime}
		if s.ID >= 0 {
			id := s.ID
			le.CheckpointID = &id
		}
		if s.Err != nil {
			le.Error = userMessage(savepoint.RedactText(s.Err.Error()))
		} else if s.Complete && !latest {
			le.Latest, latest = true, true
		}
		entries = append(entries, le)
	}
	if r.output == "json" {
		if entries == nil {
			entries = []lsEntry{}
		}
		b, err := json.MarshalIndent(map[string]any{"schema": "spcheck/ls/v1", "directory": savepoint.Redact(u), "snapshots": entries}, "", "  ")
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(append(b, '\n'))
		return err
	}
	if len(entries) == 0 {
		fmt.Fprintf(e.stdout, "no chk-N or savepoint-* directories in %s\n", savepoint.Redact(u))
		return nil
	}
	tb := &table{header: []string{"", "NAME", "ID", "TYPE", "FORMAT", "KIND", "METADATA", "STATE", "STATUS"}}
	for _, le := range entries {
		mark, id, status := "", "-", "complete"
		if le.Latest {
			mark = "*"
		}
		if le.CheckpointID != nil {
			id = fmt.Sprint(*le.CheckpointID)
		}
		format, meta, state := "-", "-", "-"
		switch {
		case le.Error != "":
			status = "unreadable: " + le.Error
		case !le.Complete:
			status = "incomplete (no _metadata)"
		default:
			format, meta, state = fmt.Sprint(le.FormatVersion), compare.FormatBytes(le.MetadataSize), compare.FormatBytes(le.StateSize)
		}
		kind := le.Kind
		if kind == "" {
			kind = "-"
		}
		tb.add([]string{mark, le.Name, id, le.Type, format, kind, meta, state, status}, "")
	}
	tb.write(e.stdout)
	return nil
}
