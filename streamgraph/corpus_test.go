package streamgraph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spcheck/spcheck/metadata"
)

// corpusDir holds real Flink savepoints and checkpoints, read in place.
const corpusDir = "../testdata/flink"

// corpusJob is one job of testdata/corpus_jobs.json.
type corpusJob struct {
	Source       string `json:"source"`
	Notes        string `json:"notes"`
	DirPrefix    string `json:"dir_prefix"`
	FlinkVersion string `json:"flink_version"`
	Graph        Graph  `json:"graph"`
}

func loadCorpusJobs(t testing.TB) map[string]*corpusJob {
	t.Helper()
	b, err := os.ReadFile("testdata/corpus_jobs.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		About string                `json:"about"`
		Jobs  map[string]*corpusJob `json:"jobs"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("testdata/corpus_jobs.json: %v", err)
	}
	for name, j := range f.Jobs {
		if err := j.Graph.Validate(); err != nil {
			t.Fatalf("job %s: %v", name, err)
		}
	}
	return f.Jobs
}

// corpusCase is one flink-tests directory of the corpus with a _metadata.
type corpusCase struct {
	dir     string // relative to corpusDir, e.g. flink-tests/operatorstate/nonKeyed-flink1.3
	job     string
	version string
}

var dirVersion = regexp.MustCompile(`flink(\d+\.\d+)`)

func flinkTestsCases(t testing.TB, jobs map[string]*corpusJob) []corpusCase {
	t.Helper()
	var cases []corpusCase
	root := filepath.Join(corpusDir, "flink-tests")
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || d.Name() != "_metadata" {
			return nil
		}
		rel, err := filepath.Rel(corpusDir, filepath.Dir(path))
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		c := corpusCase{dir: rel}
		for name, j := range jobs {
			if strings.HasPrefix(rel, j.DirPrefix) {
				if c.job != "" {
					return fmt.Errorf("%s matches jobs %s and %s", rel, c.job, name)
				}
				c.job = name
				c.version = j.FlinkVersion
			}
		}
		if c.job == "" {
			return fmt.Errorf("%s: no job in testdata/corpus_jobs.json models it", rel)
		}
		if c.version == "" {
			m := dirVersion.FindStringSubmatch(rel)
			if m == nil {
				return fmt.Errorf("%s: no Flink version in the directory name", rel)
			}
			c.version = m[1]
		}
		cases = append(cases, c)
		return nil
	})
	if err != nil {
		t.Fatalf("reading the corpus: %v", err)
	}
	if len(cases) == 0 {
		t.Fatalf("no _metadata under %s", root)
	}
	slices.SortFunc(cases, func(a, b corpusCase) int { return strings.Compare(a.dir, b.dir) })
	return cases
}

// jobsJSONIDs returns, per case directory, the operator IDs the corpus'
// jobs.json lists.
func jobsJSONIDs(t testing.TB) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, "jobs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases map[string]struct {
			Operators []struct {
				ID string `json:"id_hex"`
			} `json:"operators"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	ids := map[string][]string{}
	for dir, c := range f.Cases {
		for _, op := range c.Operators {
			ids[dir] = append(ids[dir], op.ID)
		}
	}
	return ids
}

// TestCorpusAutoIDs checks Hash against every flink-tests case of the
// corpus: every operator ID in the _metadata must be one the model
// computes, and every auto-generated ID must be in the _metadata, except for
// stateless operators, which Flink up to 1.12 did not write.
func TestCorpusAutoIDs(t *testing.T) {
	jobs := loadCorpusJobs(t)
	expected := jobsJSONIDs(t)
	type tally struct{ cases, autoFound, autoAbsent, uidFound, uidAbsent int }
	perJob := map[string]*tally{}
	for _, c := range flinkTestsCases(t, jobs) {
		job := jobs[c.job]
		if perJob[c.job] == nil {
			perJob[c.job] = &tally{}
		}
		tl := perJob[c.job]
		tl.cases++

		ids, err := Hash(&job.Graph, c.version)
		if err != nil {
			t.Errorf("%s: Hash: %v", c.dir, err)
			continue
		}
		raw, err := os.ReadFile(filepath.Join(corpusDir, c.dir, "_metadata"))
		if err != nil {
			t.Fatal(err)
		}
		md, err := metadata.Decode(raw)
		if err != nil {
			t.Fatalf("%s: %v", c.dir, err)
		}
		inMetadata := map[string]bool{}
		for _, op := range md.Operators {
			inMetadata[op.ID.String()] = true
		}

		computed := map[string]*Node{}
		for i := range job.Graph.Nodes {
			n := &job.Graph.Nodes[i]
			id := ids[n.ID].Generated.String()
			computed[id] = n
			switch {
			case inMetadata[id] && n.UID == "":
				tl.autoFound++
			case inMetadata[id]:
				tl.uidFound++
			case !n.Stateful && !dirVersionAtLeast(c.version, 1, 13):
				// Flink up to 1.12 writes no OperatorState for an operator
				// whose task has no state at all.
				if n.UID == "" {
					tl.autoAbsent++
				} else {
					tl.uidAbsent++
				}
			default:
				t.Errorf("%s: %s: computed ID %s (auto %v) is not in the _metadata", c.dir, n.label(), id, n.UID == "")
			}
		}
		for id := range inMetadata {
			if computed[id] == nil {
				t.Errorf("%s: the _metadata holds operator %s, which the model does not produce", c.dir, id)
			}
		}
		// The corpus' jobs.json models the same jobs; its IDs must agree.
		want := expected[c.dir]
		if len(want) != len(computed) {
			t.Errorf("%s: jobs.json lists %d operators, the model %d", c.dir, len(want), len(computed))
		}
		for _, id := range want {
			if computed[id] == nil {
				t.Errorf("%s: jobs.json lists operator %s, which the model does not produce", c.dir, id)
			}
		}
	}
	names := make([]string, 0, len(perJob))
	for name := range perJob {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		tl := perJob[name]
		t.Logf("%-42s %3d cases: auto IDs: %3d in _metadata, all reproduced; %2d of stateless operators not written (Flink <= 1.12). uid IDs: %3d in _metadata, %d not written",
			name, tl.cases, tl.autoFound, tl.autoAbsent, tl.uidFound, tl.uidAbsent)
	}
}

func dirVersionAtLeast(s string, major, minor int) bool {
	v, err := ParseVersion(s)
	return err == nil && v.AtLeast(major, minor)
}

// TestCorpusJobsAcrossVersions: the corpus jobs hash alike under every
// supported version (none uses a version-dependent feature), which is why
// the same IDs appear in the savepoints of Flink 1.3 to 1.19.
func TestCorpusJobsAcrossVersions(t *testing.T) {
	jobs := loadCorpusJobs(t)
	for name, job := range jobs {
		ref, err := Hash(&job.Graph, "1.3")
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{"1.10", "1.11", "1.12", "1.15", "1.18", "1.19", "1.20", "2.0"} {
			got, err := Hash(&job.Graph, v)
			if err != nil {
				t.Fatalf("%s %s: %v", name, v, err)
			}
			for id, pair := range got {
				if pair != ref[id] {
					t.Errorf("%s: node %d: %s under %s, %s under 1.3", name, id, pair.Generated, v, ref[id].Generated)
				}
			}
		}
	}
}
