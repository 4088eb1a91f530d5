package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// buildSpcheck builds the spcheck binary into a directory that the recipes
// find on PATH.
func buildSpcheck(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	cmd := exec.Command("go", "build", "-o", filepath.Join(bin, "spcheck"), "../../cmd/spcheck")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func absPath(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// The pre-deploy gate in examples/ci runs against a FlinkDeployment that a
// stand-in kubectl prints: it lets a compatible version through (exit 0)
// and stops one that would lose state (exit 1).
func TestPredeployGate(t *testing.T) {
	bin := buildSpcheck(t)
	// The stand-in kubectl prints a FlinkDeployment whose status names the
	// example savepoint.
	dep, err := os.ReadFile("testdata/flinkdeployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	depYAML := strings.ReplaceAll(string(dep), "../../fixtures/example/savepoint", absPath(t, fixtures+"/example/savepoint"))
	if err := os.WriteFile(filepath.Join(bin, "deployment.yaml"), []byte(depYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	kubectl := "#!/bin/sh\n" +
		`[ "$1 $2 $3" = "get flinkdeployment orders" ] || { echo "unexpected kubectl $*" >&2; exit 9; }` + "\n" +
		`cat "$(dirname "$0")/deployment.yaml"` + "\n"
	if err := os.WriteFile(filepath.Join(bin, "kubectl"), []byte(kubectl), 0o755); err != nil {
		t.Fatal(err)
	}
	gate := absPath(t, "../../examples/ci/predeploy-gate.sh")
	for _, tc := range []struct {
		graph string
		code  int
		want  string
	}{
		{fixtures + "/example/job-v2.json", 0, "the new job restores from its savepoint"},
		{fixtures + "/example/job-v3.json", 1, "NOT deploying: the restore would fail or lose state"},
		{"testdata/does-not-exist.json", 3, "NOT deploying: spcheck could not check (exit 3)"},
	} {
		cmd := exec.Command("bash", gate, "orders", absPath(t, tc.graph), "streaming")
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, _ := cmd.CombinedOutput()
		if cmd.ProcessState.ExitCode() != tc.code || !strings.Contains(string(out), tc.want) {
			t.Errorf("gate with %s: exit %d, want %d containing %q:\n%s", tc.graph, cmd.ProcessState.ExitCode(), tc.code, tc.want, out)
		}
	}
}

// The GitHub Actions workflow in examples/ci: its run steps (after the
// install step, which the test replaces by the binary it built) run as
// GitHub runs them, with bash -e, the job's env overridden to point at a
// built-in example: annotations on stdout, a summary in
// $GITHUB_STEP_SUMMARY, and the exit code failing the job.
func TestGitHubWorkflow(t *testing.T) {
	bin := buildSpcheck(t)
	data, err := os.ReadFile("../../examples/ci/github-workflow.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]struct {
			Env   map[string]string `yaml:"env"`
			Steps []struct {
				Name string `yaml:"name"`
				Uses string `yaml:"uses"`
				Run  string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	job, ok := wf.Jobs["spcheck"]
	if !ok {
		t.Fatal("no spcheck job in the workflow")
	}
	var runs []string
	installed := false
	for _, s := range job.Steps {
		switch {
		case s.Uses != "":
		case s.Name == "Install spcheck":
			installed = true
		case s.Run != "":
			runs = append(runs, s.Run)
		}
	}
	if !installed || len(runs) == 0 {
		t.Fatalf("workflow steps not as expected: %+v", job.Steps)
	}
	for _, tc := range []struct {
		graph string
		code  int
		want  []string
	}{
		{fixtures + "/example/job-v2.json", 0, []string{"::notice title=SP004 new-stateful-operator"}},
		{fixtures + "/example/job-v3.json", 1, []string{"::error title=SP001 state-dropped", "::error title=SP003 uid-changed", "::error title=SP010 max-parallelism-mismatch"}},
	} {
		summary := filepath.Join(t.TempDir(), "summary.md")
		env := append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "GITHUB_STEP_SUMMARY="+summary)
		for k, v := range job.Env {
			switch k {
			case "SPCHECK_SAVEPOINT":
				v = absPath(t, fixtures+"/example/savepoint")
			case "SPCHECK_GRAPH":
				v = absPath(t, tc.graph)
			}
			env = append(env, k+"="+v)
		}
		var out []byte
		code := 0
		for _, r := range runs {
			cmd := exec.Command("bash", "-e", "-c", r)
			cmd.Env = env
			o, _ := cmd.CombinedOutput()
			out = append(out, o...)
			if code = cmd.ProcessState.ExitCode(); code != 0 {
				break
			}
		}
		if code != tc.code {
			t.Errorf("%s: the step exits %d, want %d:\n%s", tc.graph, code, tc.code, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s: no %q in the step's output:\n%s", tc.graph, w, out)
			}
		}
		sum, err := os.ReadFile(summary)
		if err != nil || !strings.Contains(string(sum), "spcheck") {
			t.Errorf("%s: no step summary written (%v)", tc.graph, err)
		}
	}
}
