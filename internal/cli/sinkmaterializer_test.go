package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The sink's upsert materializers of Flink 2.2 and 2.3, from the restore
// oracle (testdata/oracle/<version>/sink-materializer, written by
// scripts/oracle.sh with SinkJob): each variant's compiled plan and
// savepoint, and what Flink did when it restored each variant's plan from
// each variant's savepoint, with the hashmap and the RocksDB backend.
// spcheck check --deep must say what Flink did: incompatible exactly where
// Flink failed, compatible where it restored; and a plan against its own
// savepoint must map every plan state to the savepoint's states and every
// operator to the savepoint's (sqlSinkState, the watermark timestamp
// assigner of ON CONFLICT DO ERROR and NOTHING).
func TestSinkMaterializerOracle(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(oracleDir, "*", "sink-materializer"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct{ variants, failed int }{
		// LEGACY, VALUE, MAP, ADAPTIVE; with TTL: LEGACY and MAP.
		"2.2.0": {6, 4},
		// ON CONFLICT DO DEDUPLICATE with each strategy, ERROR, NOTHING;
		// with TTL: DEDUPLICATE, DEDUPLICATE with MAP, NOTHING.
		"2.3.0": {9, 4},
	}
	seen := 0
	for _, dir := range dirs {
		version := filepath.Base(filepath.Dir(dir))
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var variants []string
		for _, e := range entries {
			if e.IsDir() {
				variants = append(variants, e.Name())
			}
		}
		failed := 0
		for _, v := range variants {
			b, err := os.ReadFile(filepath.Join(dir, v, "restores.json"))
			if err != nil {
				t.Fatal(err)
			}
			var restores map[string]map[string]struct{ Outcome, Message string }
			if err := json.Unmarshal(b, &restores); err != nil {
				t.Fatalf("%s/%s/restores.json: %v", dir, v, err)
			}
			for _, from := range variants {
				for _, backend := range []string{"hashmap", "rocksdb"} {
					flink, ok := restores[from][backend]
					if !ok {
						t.Fatalf("%s/%s: no restore from %s with %s", dir, v, from, backend)
					}
					name := version + " " + v + " from " + from + " (" + backend + ")"
					out, stderr, code := run("check", filepath.Join(dir, from, "savepoint"), "--graph", filepath.Join(dir, v, "plan", v+".json"),
						"--flink-version", version, "--state-backend", backend, "--deep", "-o", "json")
					var rep struct {
						Verdict  string
						Findings []struct{ Rule, Severity, Message string }
					}
					if err := json.Unmarshal([]byte(out), &rep); err != nil {
						t.Fatalf("%s: exit %d, %v: %s", name, code, err, stderr)
					}
					var rules []string
					for _, f := range rep.Findings {
						rules = append(rules, f.Severity+" "+f.Rule)
					}
					switch flink.Outcome {
					case "failed":
						failed++
						// The TTL flip of the legacy materializer's
						// ValueState<List<RowData>>, which Flink cannot migrate.
						if rep.Verdict != "incompatible" || !slices.Contains(rules, "error SP057") {
							t.Errorf("%s: Flink failed (%s); spcheck: %s %v", name, flink.Message, rep.Verdict, rules)
						}
					case "restored":
						if rep.Verdict != "compatible" {
							t.Errorf("%s: Flink restored; spcheck: %s %v", name, rep.Verdict, rules)
						}
					default:
						t.Fatalf("%s: outcome %q", name, flink.Outcome)
					}
					if v == from && len(rules) > 0 {
						t.Errorf("%s: the plan's own savepoint: %v", name, rules)
					}
				}
			}
		}
		if w, ok := want[version]; !ok || len(variants) != w.variants || failed != w.failed {
			t.Errorf("%s: %d variants, %d failed restores; want %+v", dir, len(variants), failed, want[version])
		}
		seen++
	}
	if seen != len(want) {
		t.Errorf("sink-materializer files of %d Flink versions, want %d", seen, len(want))
	}
}
