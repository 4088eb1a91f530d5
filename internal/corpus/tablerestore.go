// Package corpus finds, for tests, the real Flink files of testdata/flink
// (see testdata/flink/README.md for where each comes from).
package corpus

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// tableRestoreDirs are the folders of testdata/flink that hold Flink's SQL
// restore tests: table-restore, from the Flink repository (1.15 – 1.19;
// jobs.json transcribes them), and table-restore-2.3, the cases of Flink
// 2.3.0's planner test JAR that table-restore does not hold byte for byte.
var tableRestoreDirs = []string{"table-restore", "table-restore-2.3"}

// A RestorePair is a savepoint that Flink's planner tests restore, without
// --allowNonRestoredState, into the job compiled from a plan
// (RestoreTestBase: SavepointRestoreSettings.forPath(path, false, …)).
type RestorePair struct {
	// Name is <dir>/<exec-node>/<case>, with /<flink-version> for a
	// savepoint an earlier release wrote for the same plan; <dir> is one
	// of tableRestoreDirs.
	Name string
	// Plan is the compiled plan (JSON), Savepoint the savepoint directory.
	Plan, Savepoint string
}

// TableRestorePairs returns every pair under flinkDir (testdata/flink), in
// name order: for each <exec-node>/<case> with a savepoint, its one plan
// with savepoint/ and with each <flink-version>/savepoint/ beside it. It
// fails when a folder holds no pair, or a case with a savepoint has not
// exactly one plan.
func TableRestorePairs(flinkDir string) ([]RestorePair, error) {
	var out []RestorePair
	for _, dir := range tableRestoreDirs {
		cases, err := filepath.Glob(filepath.Join(flinkDir, dir, "*", "*"))
		if err != nil {
			return nil, err
		}
		n := len(out)
		for _, c := range cases {
			sps, err := filepath.Glob(filepath.Join(c, "*", "savepoint"))
			if err != nil {
				return nil, err
			}
			if fi, err := os.Stat(filepath.Join(c, "savepoint")); err == nil && fi.IsDir() {
				sps = append(sps, filepath.Join(c, "savepoint"))
			}
			if len(sps) == 0 {
				continue // a plan without state to restore
			}
			plans, err := filepath.Glob(filepath.Join(c, "plan", "*.json"))
			if err != nil {
				return nil, err
			}
			if len(plans) != 1 {
				return nil, fmt.Errorf("%s: %d compiled plans, want 1", c, len(plans))
			}
			for _, sp := range sps {
				name, err := filepath.Rel(flinkDir, filepath.Dir(sp))
				if err != nil {
					return nil, err
				}
				out = append(out, RestorePair{Name: filepath.ToSlash(name), Plan: plans[0], Savepoint: sp})
			}
		}
		if len(out) == n {
			return nil, fmt.Errorf("no restore pairs under %s", filepath.Join(flinkDir, dir))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// PreRelease2 reports a pair whose plan is for Flink 2.0 and whose savepoint
// is in metadata format 4 (version): Flink's planner tests wrote it with a
// 2.0 snapshot from before MetadataV5Serializer (docs/FORMAT.md §2), which
// no released Flink does. spcheck takes format 4 for Flink 1.16 – 1.20, so
// the 1.x → 2.x rule (SP073) applies to it; --deep decides it.
func PreRelease2(version int32, planFlinkVersion string) bool {
	return version == 4 && strings.HasPrefix(planFlinkVersion, "2.")
}
