package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/spcheck/spcheck/compare"
	"github.com/spcheck/spcheck/savepoint"
)

// writeManifest writes the job-graph manifest of the job that wrote sp
// (inspect -o manifest, -o manifest-json): YAML with comments saying where
// it comes from and what it could not express, or JSON.
func writeManifest(ctx context.Context, e *env, sp *savepoint.Savepoint, opts compare.ManifestOptions, deep, asJSON bool) error {
	if deep {
		states, err := readDeepStates(ctx, e, sp)
		if err != nil {
			return err
		}
		opts.States = states
	}
	m := compare.ManifestFromSavepoint(sp.Metadata, opts)
	for _, n := range m.Notes {
		fmt.Fprintf(e.stderr, "spcheck: manifest: %s\n", n)
	}
	if asJSON {
		return writeJSON(e.stdout, m)
	}
	return writeManifestYAML(e.stdout, m, sp, deep)
}

func writeManifestYAML(w io.Writer, m *compare.GeneratedManifest, sp *savepoint.Savepoint, deep bool) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# The job that wrote %s (checkpoint %d, format version %d),\n",
		sp.Location, sp.Metadata.CheckpointID, sp.Metadata.Version)
	b.WriteString("# written by spcheck inspect -o manifest. Edit it into the next version of the\n")
	b.WriteString("# job and check with: spcheck check LOCATION --graph THIS-FILE")
	if deep {
		b.WriteString(" --deep")
	}
	b.WriteString("\n")
	b.WriteString("# Operators whose uid is not known are given by ID: uidHash (keep it with\n")
	b.WriteString("# .setUidHash(\"…\")) or, without state, id. maxParallelism is the savepoint's;\n")
	b.WriteString("# remove it where the job does not set it explicitly.\n")
	for _, n := range m.Notes {
		b.WriteString("# note: " + strings.ReplaceAll(n, "\n", " ") + "\n")
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(m); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}
