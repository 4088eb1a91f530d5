package compare

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/spcheck/spcheck/metadata"
)

// Graph formats, as DetectFormat names them.
const (
	FormatManifest  = "manifest"
	FormatSQLPlan   = "sql-plan"
	FormatSavepoint = "savepoint"
)

// DetectFormat tells what a job-graph file is from its content: a
// metadata file ("savepoint"), a SQL compiled plan ("sql-plan": JSON with
// a "nodes" array), or a manifest (any other JSON or YAML).
func DetectFormat(data []byte) string {
	if len(data) >= 4 && binary.BigEndian.Uint32(data) == metadata.Magic {
		return FormatSavepoint
	}
	t := bytes.TrimSpace(data)
	if len(t) > 0 && t[0] == '{' {
		var probe struct {
			Nodes  json.RawMessage `json:"nodes"`
			Format string          `json:"format"`
		}
		if json.Unmarshal(t, &probe) == nil && probe.Format == "" && len(probe.Nodes) > 0 && probe.Nodes[0] == '[' {
			return FormatSQLPlan
		}
	}
	return FormatManifest
}

// ReadGraph reads a job-graph file of the given format ("" detects it). A
// savepoint given as a file is decoded here; savepoints in directories or
// remote stores are opened by the caller and passed to GraphFromSavepoint.
func ReadGraph(data []byte, name, format string) (*JobGraph, error) {
	return ReadGraphWith(data, name, format, SQLPlanOptions{})
}

// ReadGraphWith is ReadGraph with the options a SQL compiled plan's
// operator IDs depend on (the running Flink, the table configuration);
// other formats ignore them.
func ReadGraphWith(data []byte, name, format string, sql SQLPlanOptions) (*JobGraph, error) {
	if format == "" {
		format = DetectFormat(data)
	}
	switch format {
	case FormatManifest:
		return ReadManifest(data, name)
	case FormatSQLPlan:
		return ReadSQLPlanWithOptions(bytes.NewReader(data), name, sql)
	case FormatSavepoint:
		m, err := metadata.DecodeSummaries(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return GraphFromSavepoint(m, name), nil
	}
	return nil, fmt.Errorf("unknown job-graph format %q (want manifest, sql-plan or savepoint)", format)
}

// GraphFromSavepoint takes the operators of a savepoint of the new job (for
// example one taken in staging) as the new job graph. What a savepoint
// cannot say is left open: whether the max parallelism was set explicitly
// (MaxParallelismUnsure), whether an operator without state is stateful,
// and, in formats 1-4, which store no uids and names
// (MetadataV5Serializer.serializeOperatorState writes them from format 5,
// FLINK-36001, Flink 2.0), whether an operator has a uid (UIDUnknown).
func GraphFromSavepoint(m *metadata.Metadata, source string) *JobGraph {
	g := &JobGraph{Source: source, Format: FormatSavepoint}
	for i := range m.Operators {
		op := &m.Operators[i]
		o := &Operator{ID: op.ID, UID: op.UID, Name: op.Name, Parallelism: int(op.Parallelism),
			MaxParallelism: int(op.MaxParallelism), MaxParallelismUnsure: true,
			Node: fmt.Sprintf("operator %d of the savepoint", i), UIDUnknown: m.Version < 5}
		if op.HasState() {
			o.Stateful = Stateful
		}
		if op.CoordinatorState != nil {
			o.Source = true
		}
		g.Operators = append(g.Operators, o)
	}
	return g
}
