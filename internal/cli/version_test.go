package cli

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionLine(t *testing.T) {
	rev := "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		name, override string
		bi             *debug.BuildInfo
		want           string
	}{
		{"go install of a tag", "", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}},
			"v1.2.3 (go1.26.8)"},
		{"build in a checkout", "", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261205035000-0123456789ab+dirty"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.time", Value: "2026-12-05T03:50:00Z"}, {Key: "vcs.modified", Value: "true"}}},
			"v0.0.0-20261205035000-0123456789ab+dirty (commit 0123456789ab 2026-12-05T03:50:00Z, modified; go1.26.8)"},
		{"no VCS, no version", "", &debug.BuildInfo{GoVersion: "go1.26.8"}, "(devel) (go1.26.8)"},
		{"set at link time", "v9.9.9", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}}}, "v9.9.9 (commit 0123456789ab)"},
		{"no build info", "", nil, "(unknown version: built without module support)"},
	} {
		if got := versionLine(tc.override, tc.bi); got != tc.want {
			t.Errorf("%s: versionLine = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// The test binary carries build info too: the command prints a version a
// user can report, never an empty one.
func TestVersionCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main([]string{"version"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "spcheck ") || len(lines[0]) <= len("spcheck ") || strings.Contains(lines[0], "spcheck  ") {
		t.Fatalf("version output = %q", out.String())
	}
	if !strings.Contains(lines[0], "go1.") {
		t.Errorf("version line %q names no Go toolchain", lines[0])
	}
}
