package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spcheck/spcheck/metadata"
)

// Retained checkpoints with checkpoint file merging (FLIP-306, Flink 1.20
// and later), from the restore oracle (testdata/oracle/<version>/
// file-merging, written by scripts/oracle.sh: Oracle --file-merging): the
// catalogue job's checkpoint with hashmap and with RocksDB, whose state is
// in segments of files the job's checkpoint directory shares, and what
// Flink did restoring it while those files were there. Only the metadata
// is kept, so spcheck checks with --no-verify-files, and cannot read the
// keyed state's bytes (SP072 stays unknown on the backend that wrote it).
//
// Flink gives every subtask of a stateless operator an operator state
// handle over an empty segment, which counts as state
// (OperatorSubtaskState#hasState, StateObjectCollection#hasState,
// Flink 2.3.0): removing the stateless Parse is refused without -n
// (Checkpoints.java L198-L208), as spcheck says (SP001), and restores
// with it.
func TestFileMergingOracle(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(oracleDir, "*", "file-merging", "*-checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) != 10 {
		t.Fatalf("%d file-merging checkpoints in %s; the oracle wrote two per version from 1.20 to 2.3", len(dirs), oracleDir)
	}
	parse := metadata.OperatorIDFromUID("parse").String()
	for _, dir := range dirs {
		name := strings.TrimPrefix(dir, oracleDir+string(filepath.Separator))
		// the stateless Parse holds an empty segment in each subtask
		b, err := os.ReadFile(filepath.Join(dir, "_metadata"))
		if err != nil {
			t.Fatal(err)
		}
		m, err := metadata.Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		segments, empty := 0, 0
		for i := range m.Operators {
			op := &m.Operators[i]
			for j := range op.Subtasks {
				metadata.WalkSubtask(&op.Subtasks[j], func(h metadata.StateHandle) {
					switch h.(type) {
					case *metadata.SegmentFileHandle:
						segments++
					case *metadata.EmptySegmentFileHandle:
						empty++
					}
				})
			}
			if op.ID.String() == parse && (!op.HasState() || op.StateSize() != 0) {
				t.Errorf("%s: Parse has state %v, size %d; want empty segment handles", name, op.HasState(), op.StateSize())
			}
		}
		if segments == 0 || empty == 0 {
			t.Errorf("%s: %d segment and %d empty segment handles; want both", name, segments, empty)
		}

		restores, err := filepath.Glob(filepath.Join(dir, "restores", "*"))
		if err != nil || len(restores) != 4 {
			t.Fatalf("%s: restores %v, %v", name, restores, err)
		}
		for _, r := range restores {
			var flink struct{ Outcome, Message string }
			b, err := os.ReadFile(filepath.Join(r, "outcome.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &flink); err != nil {
				t.Fatal(err)
			}
			args := []string{"check", dir, "--graph", filepath.Join(r, "graph.json"), "--no-verify-files", "-o", "json"}
			if a, _ := os.ReadFile(filepath.Join(r, "args")); strings.TrimSpace(string(a)) != "" {
				args = append(args, strings.Fields(string(a))...)
			}
			out, stderr, code := run(args...)
			var rep struct {
				Verdict  string
				Findings []struct {
					Rule, Severity, Outcome string
					Operator                struct{ ID string }
				}
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("%s: exit %d, %v: %s", r, code, err, stderr)
			}
			parseDropped, refused := false, 0
			for _, f := range rep.Findings {
				parseDropped = parseDropped || f.Rule == "SP001" && f.Operator.ID == parse
				if f.Outcome == "refused" {
					refused++
				}
			}
			switch flink.Outcome {
			case "refused", "failed":
				// Parse's empty segments, and the generated ID of the
				// operator without uid, which Parse's removal changes
				// (SP001 before format 5, SP003 after)
				if filepath.Base(r) != "remove-parse" || rep.Verdict != "incompatible" || !parseDropped ||
					!strings.Contains(flink.Message, "Cannot map checkpoint/savepoint state for operator "+parse) {
					t.Errorf("%s: Flink %s (%s); spcheck %s, %+v", r, flink.Outcome, flink.Message, rep.Verdict, rep.Findings)
				}
			case "restored":
				// (the verdict may be unknown: SP072 on the backend that
				// wrote the state, which the state's bytes would answer)
				if refused > 0 || rep.Verdict == "incompatible" {
					t.Errorf("%s: Flink restored; spcheck %s, %+v", r, rep.Verdict, rep.Findings)
				}
			default:
				t.Errorf("%s: outcome %q", r, flink.Outcome)
			}
		}
	}
}
