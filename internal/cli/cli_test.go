package cli

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

const (
	corpus   = "../../testdata/flink"
	fixtures = "../../fixtures"
)

// run runs spcheck in-process and returns what it printed and its exit code.
func run(args ...string) (stdout, stderr string, code int) {
	var o, e bytes.Buffer
	code = Main(args, &o, &e)
	return o.String(), e.String(), code
}

// A golden case runs the CLI and compares exit code, stdout and stderr
// with testdata/golden/<name>.golden. The goldens were reviewed by hand
// against Flink's source (see the comments on each case); -update rewrites
// them after a deliberate change.
type golden struct {
	name string
	args []string
}

var goldens = []golden{
	// Flink 1.3 (format 2): memory backend, inline key groups (tag 3),
	// ListCheckpointed operator state "_default_" (SPLIT_DISTRIBUTE).
	{"inspect-v2-flink1.3-keyed", []string{"inspect", corpus + "/flink-tests/operatorstate/complexKeyed-flink1.3"}},
	// Flink 1.10 (format 2) RocksDB savepoint: key-group handles (tag 3),
	// union and broadcast operator states; the kind is not recorded.
	{"inspect-v2-flink1.10-rocksdb-savepoint", []string{"inspect", corpus + "/flink-tests/new-stateful-broadcast-udf-migration-itcase-flink1.10-rocksdb-savepoint"}},
	// Flink 1.13 (format 3) canonical savepoint: savepoint key-group
	// handles (tag 7) make the guess "canonical savepoint".
	{"inspect-v3-flink1.13-rocksdb-savepoint", []string{"inspect", corpus + "/flink-tests/new-stateful-broadcast-udf-migration-itcase-flink1.13-rocksdb-savepoint"}},
	// Flink 1.16 (format 4) native savepoint of the hashmap backend,
	// recorded as NATIVE in the properties.
	{"inspect-v4-flink1.16-hashmap-native", []string{"inspect", corpus + "/flink-tests/new-stateful-broadcast-udf-migration-itcase-flink1.16-hashmap-savepoint-native"}},
	// Flink 1.17 (format 4) RocksDB incremental checkpoint with in-flight
	// data of an unaligned checkpoint; --files resolves relative paths.
	{"inspect-v4-flink1.17-rocksdb-checkpoint-files", []string{"inspect", "--files", corpus + "/flink-tests/new-stateful-udf-migration-itcase-flink1.17-rocksdb-checkpoint"}},
	// Flink 1.17 (format 4) changelog backend checkpoint (tag 14).
	{"inspect-v4-flink1.17-changelog-json", []string{"inspect", "-o", "json", corpus + "/flink-tests/new-stateful-udf-migration-itcase-flink1.17-hashmap-checkpoint"}},
	// Flink 1.19 SQL job, stop-with-savepoint ("Suspend Savepoint"): a
	// FLIP-27 source with coordinator state.
	{"inspect-v4-table-dedup", []string{"inspect", corpus + "/table-restore/stream-exec-deduplicate_1/deduplicate-asc/savepoint"}},
	{"inspect-v4-table-dedup-json", []string{"inspect", "-o", "json", corpus + "/table-restore/stream-exec-deduplicate_1/deduplicate-asc/savepoint"}},
	// Our own fixtures for the versions the corpus lacks.
	{"inspect-fixture-v1", []string{"inspect", fixtures + "/versions/v1/_metadata"}},
	{"inspect-fixture-v3-files", []string{"inspect", "--files", fixtures + "/versions/v3"}},
	{"inspect-fixture-v5", []string{"inspect", fixtures + "/versions/v5"}},
	{"inspect-fixture-v6-json", []string{"inspect", "-o", "json", fixtures + "/versions/v6"}},
	{"inspect-fixture-v7", []string{"inspect", fixtures + "/versions/v7"}},
	{"inspect-example-uids", []string{"inspect", "--uids", "testdata/uids.txt", corpus + "/flink-tests/new-stateful-udf-migration-itcase-flink1.19-rocksdb-checkpoint"}},

	{"check-example-v2", []string{"check", fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v2.json"}},
	{"check-example-v3", []string{"check", fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v3.json"}},
	{"check-example-v3-n", []string{"check", "-n", fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v3.json"}},
	{"check-example-v3-json", []string{"check", "-o", "json", fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v3.json"}},
	{"check-example-v2-fail-on-info", []string{"check", "--fail-on", "info", fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v2.json"}},
	{"check-sql-plan", []string{"check", corpus + "/table-restore/stream-exec-join_1/join-left-join/savepoint",
		"--graph", corpus + "/table-restore/stream-exec-join_1/join-left-join/plan/join-left-join.json"}},
	{"check-sql-plan-crossed", []string{"check", corpus + "/table-restore/stream-exec-join_1/join-left-join/savepoint",
		"--graph", corpus + "/table-restore/stream-exec-deduplicate_1/deduplicate-asc/plan/deduplicate-asc.json"}},
	// .spcheck.yaml: SP001 and SP003 accepted (they still need -n, says
	// stderr), the SP010 acceptance expired, one acceptance unused.
	{"check-example-v3-config", []string{"check", "--config", "testdata/accept.yaml", fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v3.json"}},
	{"check-example-v3-config-json", []string{"check", "--config", "testdata/accept.yaml", "-o", "json", fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v3.json"}},
	{"check-example-v3-github", []string{"check", "-o", "github", fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v3.json"}},
	{"check-example-v3-markdown", []string{"check", "-o", "markdown", fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v3.json"}},
	{"usage-bad-output", []string{"check", "-o", "pdf", "x", "--graph", "y"}},
	{"config-bad", []string{"check", "--config", "testdata/bad-config.yaml", fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v3.json"}},
	{"config-missing", []string{"check", "--config", "testdata/nope.yaml", fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v3.json"}},
	{"check-savepoint-graph", []string{"check", fixtures + "/example/savepoint", "--graph", fixtures + "/example/savepoint/_metadata"}},
	// The target Flink and state backend, over the manifest's, and with a
	// savepoint as the new graph.
	{"check-target-flink-backend", []string{"check", "--flink-version", "1.20.1", "--state-backend", "rocksdb", fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v2.json"}},
	{"check-savepoint-graph-target", []string{"check", "--flink-version", "2.0", "--state-backend", "forst", fixtures + "/example/savepoint", "--graph", fixtures + "/example/savepoint/_metadata"}},
	// Flink 1.3's serializer snapshots are TypeSerializerConfigSnapshots:
	// Flink 1.17 refuses them (FLINK-29807, SP071), found by --deep.
	{"check-deep-upgrade-flink1.3-to-1.17", []string{"check", "--deep", "--flink-version", "1.17", corpus + "/flink-tests/operatorstate/complexKeyed-flink1.3",
		"--graph", corpus + "/flink-tests/operatorstate/complexKeyed-flink1.3/_metadata"}},
	{"usage-bad-flink-version", []string{"check", "--flink-version", "1", fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v2.json"}},
	{"usage-bad-state-backend", []string{"check", "--state-backend", "leveldb", fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v2.json"}},

	// A FlinkDeployment names the savepoint (its status' upgrade snapshot),
	// the parallelism and pipeline.max-parallelism: 128 matches, so v2
	// stays compatible.
	{"check-deployment", []string{"check", "--deployment", "testdata/flinkdeployment.yaml", "--graph", fixtures + "/example/job-v2.json"}},
	{"diff-example", []string{"diff", fixtures + "/example/savepoint", fixtures + "/versions/v5"}},
	// Jobs without uids: a topology manifest predicts the generated IDs.
	{"check-auto-id-changed", []string{"check", corpus + "/flink-tests/unified-sink-migration-test/savepoint-7bd90b-3a2cda6957cb",
		"--graph", fixtures + "/flink-tests/unified-sink-job-topology-edited.json", "--old-graph", fixtures + "/flink-tests/unified-sink-job-topology.json"}},
	{"check-old-graph-mismatch", []string{"check", corpus + "/flink-tests/operatorstate/nonKeyed-flink1.19",
		"--graph", fixtures + "/flink-tests/non-keyed-job.json", "--old-graph", fixtures + "/flink-tests/unified-sink-job-topology.json"}},
	{"inspect-graph-topology", []string{"inspect", "--graph", fixtures + "/flink-tests/non-keyed-job-topology.json", corpus + "/flink-tests/operatorstate/nonKeyed-flink1.19"}},
	{"inspect-graph-sql-json", []string{"inspect", "-o", "json", "--graph", corpus + "/table-restore/stream-exec-deduplicate_1/deduplicate-asc/plan/deduplicate-asc.json",
		corpus + "/table-restore/stream-exec-deduplicate_1/deduplicate-asc/savepoint"}},
	// Deep mode: state names, kinds and types from the state files. The
	// states match what jobs.json declares for these Flink test jobs.
	{"inspect-deep-v4-broadcast", []string{"inspect", "--deep", corpus + "/flink-tests/new-stateful-broadcast-udf-migration-itcase-flink1.19-rocksdb-savepoint"}},
	{"inspect-deep-v2-flink1.3-keyed", []string{"inspect", "--deep", corpus + "/flink-tests/operatorstate/complexKeyed-flink1.3"}},
	{"inspect-deep-v4-changelog", []string{"inspect", "--deep", corpus + "/flink-tests/new-stateful-udf-migration-itcase-flink1.17-hashmap-checkpoint"}},
	{"inspect-deep-table-dedup", []string{"inspect", "--deep", corpus + "/table-restore/stream-exec-deduplicate_1/deduplicate-asc/savepoint"}},
	{"inspect-deep-table-agg-json", []string{"inspect", "--deep", "-o", "json", corpus + "/table-restore/stream-exec-group-aggregate_1/agg-with-state-ttl-hint/savepoint"}},
	// State-level rules: the states fixture's savepoint against manifests
	// that change state types (docs/state-rules.md).
	// The sql-states fixture: the SQL runtime's states the corpus lacks,
	// built from the Java source (fixtures/sqlstates.go): LAG's
	// LinkedList inside RAW inside its STRUCTURED accumulator, MultiJoin,
	// delta join, a process table function with a VARIANT state, ForSt's
	// TtlAwareSerializerSnapshot, an async ML_PREDICT.
	{"inspect-deep-sql-states", []string{"inspect", "--deep", fixtures + "/sql-states/savepoint"}},
	{"check-deep-sql-states-unchanged", []string{"check", "--deep", fixtures + "/sql-states/savepoint", "--graph", fixtures + "/sql-states/job-unchanged.json"}},
	{"check-deep-sql-lag-bigint", []string{"check", "--deep", fixtures + "/sql-states/savepoint", "--graph", fixtures + "/sql-states/job-lag-bigint.json"}},
	{"check-deep-avro-incompatible", []string{"check", "--deep", fixtures + "/states/savepoint", "--graph", fixtures + "/states/job-avro-incompatible.json"}},
	{"check-deep-pojo-field-added", []string{"check", "--deep", fixtures + "/states/savepoint", "--graph", fixtures + "/states/job-pojo-field-added.json"}},
	{"uid", []string{"uid", "broadcast-source-uid", "keyed-broadcast-process-uid"}},
	{"usage-no-args", []string{}},
	{"usage-unknown-command", []string{"frobnicate"}},
	{"usage-check-no-graph", []string{"check", fixtures + "/example/savepoint"}},
	{"usage-bad-fail-on", []string{"check", "--fail-on", "sometimes", "x", "--graph", "y"}},
	{"usage-bad-flag", []string{"inspect", "--no-such-flag", "x"}},
	{"input-missing", []string{"inspect", "testdata/does-not-exist"}},
	{"input-not-metadata", []string{"inspect", "testdata/uids.txt"}},
	{"input-no-metadata-dir", []string{"inspect", "testdata"}},
	{"input-bad-manifest", []string{"check", fixtures + "/example/savepoint", "--graph", "testdata/bad-manifest.json"}},
}

func TestGolden(t *testing.T) {
	for _, g := range goldens {
		t.Run(g.name, func(t *testing.T) {
			stdout, stderr, code := run(g.args...)
			got := fmt.Sprintf("$ spcheck %s\nexit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(g.args, " "), code, stdout, stderr)
			path := filepath.Join("testdata", "golden", g.name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/cli -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (go test ./internal/cli -update rewrites it after a deliberate change)\n--- got\n%s\n--- want\n%s", path, got, want)
			}
		})
	}
}

// Exit codes are what the README promises.
func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"check", fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v2.json"}, ExitOK},
		{[]string{"check", fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v3.json"}, ExitFindings},
		{[]string{"check", "--fail-on", "none", fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v3.json"}, ExitOK},
		{[]string{"check", "--fail-on", "info", fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v2.json"}, ExitFindings},
		{[]string{"check", "-n", "--fail-on", "error", fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v3.json"}, ExitFindings},
		// --fail-on applies to what the config file did not accept; an
		// acceptance cannot hide a restore Flink refuses
		// (Checkpoints.java:L198-L208 throws without -n, Flink 1.20).
		{[]string{"check", "--config", "testdata/accept-all.yaml", fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v3.json"}, ExitFindings},
		{[]string{"check", "--config", "testdata/accept-all.yaml", fixtures + "/example/savepoint", "--graph", "testdata/job-drop-enrich.json"}, ExitFindings},
		{[]string{"check", "-n", "--config", "testdata/accept-all.yaml", fixtures + "/example/savepoint", "--graph", "testdata/job-drop-enrich.json"}, ExitOK},
		{[]string{"check", "--allowNonRestoredState", "--config", "testdata/accept-all.yaml", fixtures + "/example/savepoint", "--graph", "testdata/job-drop-enrich.json"}, ExitOK},
		{[]string{"check", "--config", "testdata/accept.yaml", fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v3.json"}, ExitFindings},
		{[]string{"check", "--config", "testdata/bad-config.yaml", fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v3.json"}, ExitUsage},
		{[]string{"check", fixtures + "/example/savepoint"}, ExitUsage},
		{[]string{"check", "testdata/nope", "--graph", fixtures + "/example/job-v2.json"}, ExitInput},
		{[]string{"check", fixtures + "/example/savepoint", "--graph", "testdata/nope.json"}, ExitInput},
		{[]string{"inspect", "testdata/uids.txt"}, ExitInput},
		{[]string{"help"}, ExitOK},
		{[]string{"help", "check"}, ExitOK},
		{[]string{"check", "--help"}, ExitOK},
		{[]string{"version"}, ExitOK},
	} {
		if _, stderr, code := run(tc.args...); code != tc.code {
			t.Errorf("spcheck %s: exit %d, want %d (stderr %q)", strings.Join(tc.args, " "), code, tc.code, stderr)
		}
	}
}

// Findings go to stdout, diagnostics to stderr: JSON output stays
// parseable.
func TestJSONOnStdoutOnly(t *testing.T) {
	stdout, stderr, _ := run("check", "-o", "json", fixtures+"/example/savepoint", "--graph", fixtures+"/example/job-v3.json")
	if stderr != "" {
		t.Errorf("stderr not empty: %q", stderr)
	}
	if !strings.HasPrefix(stdout, "{") {
		t.Errorf("stdout is not a JSON document: %.80q", stdout)
	}
}
