package compare

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// A MissingFile is a state file a savepoint's handles reference that does
// not exist where Flink will look for it (savepoint.VerifyFiles).
type MissingFile struct {
	// Operator is the index of the savepoint operator in the metadata.
	Operator int
	// Subtasks are the subtasks whose handles reference it.
	Subtasks []int32
	// Path is the path as the handle stores it; Resolved where it was
	// looked for.
	Path, Resolved string
}

// maxMissingFindings bounds the SP040 findings per operator; one more
// finding counts the rest.
const maxMissingFindings = 20

// checkFiles is rule SP040: a state file of an operator whose state is
// restored does not exist. Flink reads every state file of a restored
// operator when its tasks start, through the handle's openInputStream
// (FileStateHandle.openInputStream, flink-runtime/.../state/filesystem/
// FileStateHandle.java L70-L73, Flink 1.20; the same in 1.x and 2.x):
// HeapRestoreOperation L125, the RocksDB full and incremental restores
// (FullSnapshotRestoreOperation L169, RocksDBStateDownloader L145),
// OperatorStateRestoreOperation L75 and the channel-state reader
// (SequentialChannelStateReaderImpl L103). A missing file throws
// FileNotFoundException there, StreamTaskStateInitializerImpl L330 fails
// the task ("Exception while creating StreamOperatorStateContext."), and
// the job never gets past it: the restore fails however often it is
// retried. An operator whose state is dropped (-n) opens none of its files.
func (c *checker) checkFiles() {
	if len(c.opts.MissingFiles) == 0 {
		return
	}
	matched := map[string]bool{}
	for _, mp := range c.rep.Operators {
		if mp.MatchedTo != nil {
			matched[mp.Operator.ID] = true
		}
	}
	byOp := map[int][]MissingFile{}
	var order []int
	for _, mf := range c.opts.MissingFiles {
		if mf.Operator < 0 || mf.Operator >= len(c.m.Operators) {
			continue
		}
		if _, ok := byOp[mf.Operator]; !ok {
			order = append(order, mf.Operator)
		}
		byOp[mf.Operator] = append(byOp[mf.Operator], mf)
	}
	for _, i := range order {
		op := &c.m.Operators[i]
		if !matched[op.ID.String()] {
			continue
		}
		ref := c.spRef(op)
		files := byOp[i]
		for k, mf := range files {
			if k == maxMissingFindings {
				c.add(Finding{Rule: RuleStateFileMissing, Operator: ref,
					Message:      fmt.Sprintf("%d more state files of this operator are missing (%d in all; -o json lists the first %d)", len(files)-k, len(files), maxMissingFindings),
					FlinkMessage: flinkMissingMessage(mf.Resolved),
					Fix:          missingFix})
				c.fingerprintFile("more")
				break
			}
			c.add(Finding{Rule: RuleStateFileMissing, Operator: ref,
				Message: fmt.Sprintf("%s %s references %s, which does not exist (looked for at %s): the task fails at start with FileNotFoundException, and the restore with it",
					subtaskWord(mf.Subtasks), joinSubtasks(mf.Subtasks), mf.Path, mf.Resolved),
				FlinkMessage: flinkMissingMessage(mf.Resolved),
				Fix:          missingFix})
			c.fingerprintFile(mf.Path)
		}
	}
}

const missingFix = "Restore the file from a backup or copy it back next to the savepoint (for an incremental checkpoint: the job's shared/ directory; check the bucket's lifecycle rules), or restore from another savepoint or checkpoint whose files are all there; a savepoint moved without its files needs them copied along."

func flinkMissingMessage(p string) string {
	return "Exception while creating StreamOperatorStateContext. (caused by java.io.FileNotFoundException for " + p + ")"
}

// fingerprintFile makes the fingerprint of the last finding cover the
// file, so that two missing files of one operator differ.
func (c *checker) fingerprintFile(p string) {
	last := &c.rep.Findings[len(c.rep.Findings)-1]
	h := sha256.New()
	h.Write([]byte(string(last.Rule) + "|" + last.Operator.ID + "|" + p))
	last.Fingerprint = hex.EncodeToString(h.Sum(nil))[:16]
}

func subtaskWord(s []int32) string {
	if len(s) == 1 {
		return "subtask"
	}
	return "subtasks"
}

// joinSubtasks writes at most eight subtask indexes.
func joinSubtasks(s []int32) string {
	var parts []string
	for i, x := range s {
		if i == 8 {
			parts = append(parts, fmt.Sprintf("and %d more", len(s)-i))
			break
		}
		parts = append(parts, fmt.Sprint(x))
	}
	return strings.Join(parts, ", ")
}
