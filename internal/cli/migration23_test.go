package cli

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/spcheck/spcheck/compare"
)

// migrationSnapshotRE names a snapshot of Flink's migration tests:
// new-stateful[-broadcast]-udf-migration-itcase-flink<version>-<backend>-<kind>.
var migrationSnapshotRE = regexp.MustCompile(`^new-stateful(-broadcast)?-udf-migration-itcase-flink(\d+\.\d+)-(hashmap|rocksdb)-(savepoint|savepoint-native|checkpoint)$`)

// Flink 2.3.0's StatefulJobSnapshotMigrationITCase and
// StatefulJobWBroadcastStateMigrationITCase restore, into the same jobs on
// Flink 2.3, the canonical RocksDB savepoints of Flink 1.8 to 2.2 and the
// other snapshots (hashmap canonical, native savepoints, checkpoints) of
// 1.15 to 2.2 (their internalParameters: FlinkVersion.rangeOf(v1_8 or
// v1_15, the most recently published version), in the bytecode of
// flink-tests-2.3.0-tests.jar), with the backend that wrote them. So check
// --deep --flink-version 2.3 must find nothing that fails: across the major
// upgrade, SP073 must decide "restores" for each 1.x snapshot, and SP072
// must not doubt the 1.17 hashmap checkpoint whose keyed state is only
// changelog changes.
func TestFlink23RestoresMigrationSnapshots(t *testing.T) {
	var dirs []string
	for _, root := range []string{"flink-tests", "flink-tests-2.3"} {
		d, err := filepath.Glob(filepath.Join("../../testdata/flink", root, "new-stateful-*"))
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, d...)
	}
	checked, major := 0, 0
	for _, dir := range dirs {
		m := migrationSnapshotRE.FindStringSubmatch(filepath.Base(dir))
		if m == nil {
			continue
		}
		v := compare.MustFlinkVersion(m[2])
		if !(m[3] == "rocksdb" && m[4] == "savepoint" && v.AtLeast(1, 8) || v.AtLeast(1, 15)) {
			continue // not restored by Flink 2.3's test
		}
		manifest := "../../fixtures/flink-tests/stateful-job.json"
		if m[1] != "" {
			manifest = "../../fixtures/flink-tests/stateful-broadcast-job.json"
		}
		out, errOut, code := run("check", "--config", "none", "--deep", "-o", "json", "--flink-version", "2.3", "--state-backend", m[3], dir, "--graph", manifest)
		var rep struct {
			Findings []struct {
				Rule     string `json:"rule"`
				Severity string `json:"severity"`
			} `json:"findings"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%s: exit %d, %v\n%s", dir, code, err, errOut)
		}
		var bad []string
		sp073 := false
		for _, f := range rep.Findings {
			if f.Rule == "SP073" {
				sp073 = f.Severity == "info"
			}
			if f.Severity == "info" {
				continue
			}
			bad = append(bad, f.Severity+" "+f.Rule)
		}
		if len(bad) > 0 {
			t.Errorf("%s on Flink 2.3 with %s: %v; Flink's migration test restores it", filepath.Base(dir), m[3], bad)
		}
		if v.Major == 1 {
			major++
			if !sp073 {
				t.Errorf("%s: no SP073 info for the 1.x → 2.3 upgrade", filepath.Base(dir))
			}
		}
		checked++
	}
	t.Logf("%d snapshots restored on Flink 2.3 (%d across the major upgrade)", checked, major)
	// RocksDB canonical savepoints of 1.8 to 1.14 (7 × 2 jobs), six kinds
	// of 1.15 to 2.2 (9 × 6 × 2).
	if checked != 122 {
		t.Errorf("%d snapshots checked, want 122", checked)
	}
}
