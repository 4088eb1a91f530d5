package compare_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spcheck/spcheck/compare"
	"github.com/spcheck/spcheck/metadata"
)

// corpusJob is a job of streamgraph/testdata/corpus_jobs.json: the
// topology of a Flink test job transcribed from Flink's test sources.
type corpusJob struct {
	DirPrefix    string          `json:"dir_prefix"`
	FlinkVersion string          `json:"flink_version"`
	Graph        json.RawMessage `json:"graph"`
}

func corpusJobs(t *testing.T) map[string]corpusJob {
	t.Helper()
	b, err := os.ReadFile("../streamgraph/testdata/corpus_jobs.json")
	require.NoError(t, err)
	var doc struct {
		Jobs map[string]corpusJob `json:"jobs"`
	}
	require.NoError(t, json.Unmarshal(b, &doc))
	require.NotEmpty(t, doc.Jobs)
	return doc.Jobs
}

// versionOf reads the Flink version from a case directory name
// ("…-flink1.15-…").
func versionOf(rel string) string {
	i := strings.Index(rel, "flink1.")
	if i < 0 {
		i = strings.Index(rel, "flink2.")
	}
	if i < 0 {
		return ""
	}
	v := rel[i+5:]
	if j := strings.IndexAny(v, "-/"); j >= 0 {
		v = v[:j]
	}
	return v
}

func topologyManifest(t *testing.T, version string, graph []byte) []byte {
	t.Helper()
	m := map[string]any{"format": "spcheck/jobgraph/v1", "flinkVersion": version, "topology": json.RawMessage(graph)}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

// Manifests with the topology of the job that wrote each flink-tests
// savepoint predict every operator ID stored in it, auto-generated ones
// included; as old graph they verify, and as new graph they check
// compatible.
func TestTopologyManifestsReproduceSavepoints(t *testing.T) {
	jobs := corpusJobs(t)
	checked := 0
	for _, c := range flinkTestCases(t) {
		var job *corpusJob
		for _, j := range jobs {
			if strings.HasPrefix("flink-tests/"+c.rel, j.DirPrefix) {
				job = &j
				break
			}
		}
		require.NotNil(t, job, c.rel)
		version := job.FlinkVersion
		if version == "" {
			version = versionOf(c.rel)
		}
		g, err := compare.ReadManifest(topologyManifest(t, version, job.Graph), c.rel+" topology")
		require.NoError(t, err, c.rel)
		rep := compare.Check(c.sp, c.rel, g, compare.Options{OldGraph: g})
		require.NotNil(t, rep.OldGraphCheck)
		if len(rep.OldGraphCheck.Unpredicted) > 0 || rep.Verdict != compare.Compatible {
			t.Errorf("%s (Flink %s): verdict %s, unpredicted %v, findings %+v", c.rel, version, rep.Verdict, rep.OldGraphCheck.Unpredicted, rep.Findings)
		}
		checked++
	}
	t.Logf("%d savepoints reproduced from their job's topology", checked)
}

// The unified-sink job's source has no uid and holds state. Giving its
// chained map another parallelism breaks the chain, which changes the ID
// Flink generates for the source (it counts chainable outputs): SP009 with
// the setUidHash fix. Renaming the map changes nothing.
func TestAutoIDChanged(t *testing.T) {
	jobs := corpusJobs(t)
	job := jobs["UnifiedSinkMigrationITCase"]
	var c *flinkTestCase
	for _, x := range flinkTestCases(t) {
		if strings.HasPrefix("flink-tests/"+x.rel, job.DirPrefix) {
			c = &x
		}
	}
	require.NotNil(t, c)
	old, err := compare.ReadManifest(topologyManifest(t, job.FlinkVersion, job.Graph), "old")
	require.NoError(t, err)

	var graph map[string]any
	require.NoError(t, json.Unmarshal(job.Graph, &graph))
	nodes := graph["nodes"].([]any)
	var mapNode map[string]any
	for _, n := range nodes {
		if nm := n.(map[string]any); strings.HasPrefix(fmt.Sprint(nm["name"]), "Map") {
			mapNode = nm
		}
	}
	require.NotNil(t, mapNode)

	edit := func(f func()) *compare.Report {
		saved := map[string]any{}
		for k, v := range mapNode {
			saved[k] = v
		}
		f()
		b, err := json.Marshal(graph)
		require.NoError(t, err)
		for k := range mapNode {
			delete(mapNode, k)
		}
		for k, v := range saved {
			mapNode[k] = v
		}
		g, err := compare.ReadManifest(topologyManifest(t, job.FlinkVersion, b), "new")
		require.NoError(t, err)
		return compare.Check(c.sp, c.rel, g, compare.Options{OldGraph: old})
	}

	// With different parallelism the default edge becomes a rebalance, as
	// Flink's DataStream API makes it.
	edges := graph["edges"].([]any)
	rep := edit(func() {
		mapNode["parallelism"] = 2
		for _, e := range edges {
			if em := e.(map[string]any); em["target"] == mapNode["id"] || em["source"] == mapNode["id"] {
				em["partitioner"] = "rebalance"
			}
		}
	})
	for _, e := range edges {
		if em := e.(map[string]any); em["target"] == mapNode["id"] || em["source"] == mapNode["id"] {
			em["partitioner"] = "forward"
		}
	}
	var hit *compare.Finding
	for i, f := range rep.Findings {
		if f.Rule == "SP009" {
			hit = &rep.Findings[i]
		}
	}
	require.NotNil(t, hit, "findings: %+v", rep.Findings)
	require.Equal(t, compare.Incompatible, rep.Verdict)
	require.Equal(t, "cbc357ccb763df2852fee8c4fc7d55f2", hit.Operator.ID) // the sequence source
	require.Contains(t, hit.Fix, `.setUidHash("cbc357ccb763df2852fee8c4fc7d55f2")`)
	require.Equal(t, len(c.sp.Operators), rep.OldGraphCheck.Predicted)

	rep = edit(func() { mapNode["name"] = "Map (renamed)" })
	require.Equal(t, compare.Compatible, rep.Verdict, "%+v", rep.Findings)
}

// An old graph that is not the savepoint's job is reported loudly.
func TestOldGraphMismatch(t *testing.T) {
	jobs := corpusJobs(t)
	for _, c := range flinkTestCases(t) {
		if !strings.HasPrefix(c.rel, "operatorstate/nonKeyed-flink1.19") {
			continue
		}
		wrong := jobs["KeyedJob"]
		old, err := compare.ReadManifest(topologyManifest(t, "1.19", wrong.Graph), "keyed-job")
		require.NoError(t, err)
		g, err := compare.ReadManifest(c.manifest, c.name)
		require.NoError(t, err)
		rep := compare.Check(c.sp, c.rel, g, compare.Options{OldGraph: old})
		require.NotEmpty(t, rep.OldGraphCheck.Unpredicted)
		found := false
		for _, f := range rep.Findings {
			if f.Rule == "SP008" && f.Severity == compare.Unknown {
				found = true
			}
		}
		require.True(t, found, "%+v", rep.Findings)
		require.Equal(t, compare.VerdictUnknown, rep.Verdict)
		return
	}
	t.Fatal("no nonKeyed-flink1.19 case")
}

var _ = metadata.OperatorID{}
