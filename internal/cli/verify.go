package cli

import (
	"fmt"

	"github.com/spcheck/spcheck/compare"
	"github.com/spcheck/spcheck/metadata"
	"github.com/spcheck/spcheck/savepoint"
)

// noteVerification says on stderr what the file verification could not
// verify.
func noteVerification(e *env, v *savepoint.FileVerification) {
	for _, f := range v.Failed {
		fmt.Fprintf(e.stderr, "spcheck: could not list %s; the state files there were not verified\n", f)
	}
	if v.Partial {
		fmt.Fprintf(e.stderr, "spcheck: the state files lie in more than %d directories; those in the rest were not verified\n", metadata.MaxFileDirs)
	}
	if v.NotVerified > 0 {
		fmt.Fprintf(e.stderr, "spcheck: %s not verified: outside the savepoint (not read; --state-root DIR adds a directory), in another store, or not listed\n",
			plural(v.NotVerified, "referenced file"))
	}
}

// missingFiles turns the missing references into SP040's input: one
// entry per operator and file, with the subtasks that reference it.
func missingFiles(v *savepoint.FileVerification) []compare.MissingFile {
	type key struct {
		op int
		p  string
	}
	idx := map[key]int{}
	var out []compare.MissingFile
	for _, m := range v.Missing {
		k := key{m.Operator, m.Ref.Path}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, compare.MissingFile{Operator: m.Operator, Path: m.Ref.Path, Resolved: m.Resolved})
		}
		out[i].Subtasks = append(out[i].Subtasks, m.Subtask)
	}
	return out
}
