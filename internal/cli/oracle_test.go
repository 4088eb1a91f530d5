package cli

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The restore oracle (testdata/oracle, written by `make oracle` from the
// Maven module oracle/): real Flink restored each edited catalogue job from a
// real savepoint or retained checkpoint and recorded what it did. Every case
// is replayed here without a JVM: spcheck's verdict must be Flink's outcome.
const oracleDir = "../../testdata/oracle"

type oracleCase struct {
	Version string // the directory: the Flink version that ran the case
	Name    string
	Dir     string
	Case    struct {
		Edit                  string `json:"edit"`
		Savepoint             string `json:"savepoint"`
		SnapshotBackend       string `json:"snapshotBackend"`
		SnapshotKind          string `json:"snapshotKind"`
		RestoreBackend        string `json:"restoreBackend"`
		AllowNonRestoredState bool   `json:"allowNonRestoredState"`
	}
	Outcome struct {
		Flink        string   `json:"flink"`
		Outcome      string   `json:"outcome"`
		Message      string   `json:"message"`
		DroppedState []string `json:"droppedState"`
	}
	Args []string
}

func loadOracle(t *testing.T) []oracleCase {
	t.Helper()
	var cases []oracleCase
	versions, err := os.ReadDir(oracleDir)
	if err != nil {
		t.Fatalf("the oracle's cases: %v", err)
	}
	for _, v := range versions {
		if !v.IsDir() {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(oracleDir, v.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			dir := filepath.Join(oracleDir, v.Name(), e.Name())
			if _, err := os.Stat(filepath.Join(dir, "outcome.json")); err != nil {
				continue
			}
			c := oracleCase{Version: v.Name(), Name: e.Name(), Dir: dir}
			for file, into := range map[string]any{"case.json": &c.Case, "outcome.json": &c.Outcome} {
				b, err := os.ReadFile(filepath.Join(dir, file))
				if err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(b, into); err != nil {
					t.Fatalf("%s/%s: %v", dir, file, err)
				}
			}
			b, err := os.ReadFile(filepath.Join(dir, "args"))
			if err != nil {
				t.Fatal(err)
			}
			c.Args = strings.Fields(string(b))
			cases = append(cases, c)
		}
	}
	return cases
}

// replay runs spcheck on one case and says how it disagrees with Flink ("" when it agrees).
// replay runs spcheck on the case. A verdict of unknown (exit 1: it fails
// closed) is neither agreement nor disagreement: undecided says so, and
// disagreement is empty.
func (c oracleCase) replay() (disagreement string, rules []string, undecided bool) {
	args := append([]string{"check", "-o", "json", "--config", "none"}, c.Args...)
	args = append(args, filepath.Join(c.Dir, filepath.FromSlash(c.Case.Savepoint)), "--graph", filepath.Join(c.Dir, "graph.json"))
	stdout, stderr, code := run(args...)
	var out struct {
		Verdict  string `json:"verdict"`
		Findings []struct {
			Rule     string `json:"rule"`
			Severity string `json:"severity"`
		} `json:"findings"`
		Operators []struct {
			Operator struct {
				ID string `json:"id"`
			} `json:"operator"`
			HasState bool   `json:"has_state"`
			Fate     string `json:"fate"`
		} `json:"operators"`
	}
	if code == 0 || code == 1 {
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			return fmt.Sprintf("spcheck's JSON: %v", err), nil, false
		}
	}
	seen := map[string]bool{}
	for _, f := range out.Findings {
		deciding := f.Severity == "error" || f.Severity == "unknown" ||
			(f.Severity == "warning" && (f.Rule == "SP001" || f.Rule == "SP020"))
		if deciding && !seen[f.Rule] {
			seen[f.Rule] = true
			rules = append(rules, f.Rule)
		}
	}
	sort.Strings(rules)
	// Flink refused or failed: the verdict is incompatible and the exit code 1.
	// Flink restored: the verdict is compatible, or compatible-with-state-loss
	// when Flink dropped state, and the operators spcheck reports as dropped
	// are exactly those. (The exit code of a restore may be 1 by policy: SP003
	// and SP009 keep severity error under -n, though their outcome is
	// restores-losing-state.)
	summary := func() string {
		msg := strings.TrimSpace(stderr)
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return fmt.Sprintf("Flink %s, spcheck exit %d, verdict %s (rules %v) %s", c.Outcome.Outcome, code, out.Verdict, rules, msg)
	}
	if out.Verdict == "unknown" && code == 1 {
		return "", rules, true
	}
	if c.Outcome.Outcome != "restored" {
		if code != 1 || out.Verdict != "incompatible" {
			return summary(), rules, false
		}
		return "", rules, false
	}
	want := "compatible"
	if len(c.Outcome.DroppedState) > 0 {
		want = "compatible-with-state-loss"
	}
	if out.Verdict != want || (code != 0 && code != 1) {
		return summary(), rules, false
	}
	var dropped []string
	for _, o := range out.Operators {
		if o.Fate == "dropped" && o.HasState {
			dropped = append(dropped, o.Operator.ID)
		}
	}
	sort.Strings(dropped)
	if strings.Join(dropped, ",") != strings.Join(c.Outcome.DroppedState, ",") {
		return fmt.Sprintf("Flink dropped the state of %v, spcheck says %v", c.Outcome.DroppedState, dropped), rules, false
	}
	return "", rules, false
}

// TestOracle replays every case Flink ran and checks that spcheck agrees,
// except for the known disagreements listed in
// testdata/oracle/disagreements.txt, which must be exactly the cases where
// spcheck disagrees: the test fails when one is fixed (remove it from the
// list) and when a new one appears. The cases where spcheck says unknown
// (and fails closed) are listed in testdata/oracle/unknowns.txt, with what
// Flink did, and must be exactly those too: a new unknown fails the test.
// -update rewrites both lists and testdata/oracle/REPORT.md (agreement
// per Flink version and per rule).
func TestOracle(t *testing.T) {
	cases := loadOracle(t)
	if len(cases) == 0 {
		t.Fatal("no oracle cases in " + oracleDir)
	}
	type tally struct{ cases, agree, unknown int }
	perVersion := map[string]*tally{}
	perRule := map[string]*tally{}
	perOutcome := map[string]*tally{}
	add := func(m map[string]*tally, k string, ok, undecided bool) {
		if m[k] == nil {
			m[k] = &tally{}
		}
		m[k].cases++
		switch {
		case undecided:
			m[k].unknown++
		case ok:
			m[k].agree++
		}
	}
	got := map[string]string{}
	undecidedCases := map[string]string{}
	for _, c := range cases {
		d, rules, undecided := c.replay()
		key := c.Version + "/" + c.Name
		if d != "" {
			got[key] = d
		}
		if undecided {
			undecidedCases[key] = fmt.Sprintf("Flink %s; spcheck unknown (rules %v)", c.Outcome.Outcome, rules)
		}
		add(perVersion, c.Version, d == "", undecided)
		add(perOutcome, c.Outcome.Outcome, d == "", undecided)
		if len(rules) == 0 {
			rules = []string{"(no finding)"}
		}
		for _, r := range rules {
			add(perRule, r, d == "", undecided)
		}
	}
	readList := func(file string) map[string]bool {
		l := map[string]bool{}
		if b, err := os.ReadFile(file); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				line = strings.TrimSpace(line)
				if line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				l[strings.Fields(line)[0]] = true
			}
		}
		return l
	}
	listFile := filepath.Join(oracleDir, "disagreements.txt")
	unknownsFile := filepath.Join(oracleDir, "unknowns.txt")
	known, knownUndecided := readList(listFile), readList(unknownsFile)
	var report strings.Builder
	fmt.Fprintf(&report, "| Flink | cases | spcheck agrees | spcheck unknown |\n|---|---|---|---|\n")
	total, agree, unknown := 0, 0, 0
	for _, k := range slices.Sorted(maps.Keys(perVersion)) {
		fmt.Fprintf(&report, "| %s | %d | %d | %d |\n", k, perVersion[k].cases, perVersion[k].agree, perVersion[k].unknown)
		total += perVersion[k].cases
		agree += perVersion[k].agree
		unknown += perVersion[k].unknown
	}
	fmt.Fprintf(&report, "| all | %d | %d (%.1f%%) | %d |\n\n", total, agree, 100*float64(agree)/float64(total), unknown)
	fmt.Fprintf(&report, "| Flink's outcome | cases | spcheck agrees | spcheck unknown |\n|---|---|---|---|\n")
	for _, k := range slices.Sorted(maps.Keys(perOutcome)) {
		fmt.Fprintf(&report, "| %s | %d | %d | %d |\n", k, perOutcome[k].cases, perOutcome[k].agree, perOutcome[k].unknown)
	}
	fmt.Fprintf(&report, "\n| spcheck's deciding rule | cases | spcheck agrees | spcheck unknown |\n|---|---|---|---|\n")
	for _, k := range slices.Sorted(maps.Keys(perRule)) {
		fmt.Fprintf(&report, "| %s | %d | %d | %d |\n", k, perRule[k].cases, perRule[k].agree, perRule[k].unknown)
	}
	t.Logf("oracle: %d cases, spcheck agrees with Flink on %d and says unknown on %d\n%s", total, agree, unknown, report.String())
	gotKeys := slices.Sorted(maps.Keys(got))
	if *update {
		var b strings.Builder
		b.WriteString("# Cases where spcheck's verdict is not Flink's (written by go test ./internal/cli -run TestOracle -update).\n")
		b.WriteString("# Each is a bug to fix; TestOracle fails when this list is not exactly the cases that disagree.\n")
		for _, k := range gotKeys {
			fmt.Fprintf(&b, "%s  %s\n", k, strings.ReplaceAll(got[k], "\n", " "))
		}
		if err := os.WriteFile(listFile, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		var u strings.Builder
		u.WriteString("# Cases where spcheck says unknown and fails closed, with what Flink did (written by go test ./internal/cli -run TestOracle -update).\n")
		u.WriteString("# The outcome depends on what the checkpoint does not record (see each rule in the README); TestOracle fails when this list is not exactly those cases.\n")
		for _, k := range slices.Sorted(maps.Keys(undecidedCases)) {
			fmt.Fprintf(&u, "%s  %s\n", k, undecidedCases[k])
		}
		if err := os.WriteFile(unknownsFile, []byte(u.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(oracleDir, "REPORT.md"), []byte(report.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		readme, err := os.ReadFile(readmeFile)
		if err != nil {
			t.Fatal(err)
		}
		updated, ok := withOracleReport(string(readme), report.String())
		if !ok {
			t.Fatalf("%s has no oracle-report markers", readmeFile)
		}
		if err := os.WriteFile(readmeFile, []byte(updated), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	// The README shows the same tables (between its oracle-report markers).
	if readme, err := os.ReadFile(readmeFile); err != nil {
		t.Error(err)
	} else if updated, ok := withOracleReport(string(readme), report.String()); !ok || updated != string(readme) {
		t.Errorf("the README's oracle agreement tables are not testdata/oracle/REPORT.md's (go test ./internal/cli -run TestOracle -update rewrites both)")
	}
	for _, k := range gotKeys {
		if !known[k] {
			t.Errorf("%s: spcheck disagrees with Flink: %s", k, got[k])
		}
	}
	for k := range known {
		if _, ok := got[k]; !ok {
			t.Errorf("%s: listed in %s but spcheck now agrees with Flink: remove it from the list", k, listFile)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(undecidedCases)) {
		if !knownUndecided[k] {
			t.Errorf("%s: spcheck says unknown (%s), which %s does not list", k, undecidedCases[k], unknownsFile)
		}
	}
	for k := range knownUndecided {
		if _, ok := undecidedCases[k]; !ok {
			t.Errorf("%s: listed in %s but spcheck no longer says unknown: remove it from the list", k, unknownsFile)
		}
	}
}

const readmeFile = "../../README.md"

// withOracleReport returns readme with the report, indented as a list
// item's, between its oracle-report markers; ok is false without them.
func withOracleReport(readme, report string) (string, bool) {
	const open, end = "<!-- oracle-report: testdata/oracle/REPORT.md -->\n", "  <!-- /oracle-report -->"
	i := strings.Index(readme, open)
	j := strings.Index(readme, end)
	if i < 0 || j < i {
		return readme, false
	}
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(report, "\n"), "\n") {
		if line != "" {
			b.WriteString("  ")
		}
		b.WriteString(line + "\n")
	}
	return readme[:i+len(open)] + b.String() + readme[j:], true
}
