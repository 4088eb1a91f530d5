package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Without --config, check reads .spcheck.yaml in the current directory
// and says so on stderr; --config none reads nothing.
func TestDefaultConfig(t *testing.T) {
	abs, err := filepath.Abs(fixtures + "/example")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile("testdata/accept-all.yaml")
	if err != nil {
		t.Fatal(err)
	}
	graph, err := filepath.Abs("testdata/job-drop-enrich.json")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	args := []string{"check", "-n", "--fail-on", "warning", abs + "/savepoint", "--graph", graph}
	if _, stderr, code := run(args...); code != ExitFindings || stderr != "" {
		t.Errorf("no config file: exit %d, stderr %q", code, stderr)
	}
	if err := os.WriteFile(".spcheck.yaml", cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := run(args...)
	if code != ExitOK || !strings.HasPrefix(stderr, "spcheck: using .spcheck.yaml\n") {
		t.Errorf(".spcheck.yaml: exit %d, stderr %q", code, stderr)
	}
	if _, stderr, code := run(append(args, "--config", "none")...); code != ExitFindings || stderr != "" {
		t.Errorf("--config none: exit %d, stderr %q", code, stderr)
	}
}

// -o github also writes the Markdown report to $GITHUB_STEP_SUMMARY,
// appending to what earlier steps wrote.
func TestGitHubStepSummary(t *testing.T) {
	summary := filepath.Join(t.TempDir(), "summary.md")
	if err := os.WriteFile(summary, []byte("earlier step\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GITHUB_STEP_SUMMARY", summary)
	args := []string{fixtures + "/example/savepoint", "--graph", fixtures + "/example/job-v3.json"}
	stdout, _, code := run(append([]string{"check", "-o", "github"}, args...)...)
	if code != ExitFindings || !strings.HasPrefix(stdout, "::error ") {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
	md, _, _ := run(append([]string{"check", "-o", "markdown"}, args...)...)
	got, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "earlier step\n"+md {
		t.Errorf("step summary:\n%s\nwant the markdown output after the earlier step's:\n%s", got, md)
	}
}
