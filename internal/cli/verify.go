package cli

import (
	"fmt"
	"strings"

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
	// The directories not listed, by why: their files were not looked
	// at, and are neither found nor missing.
	for _, why := range []struct {
		where savepoint.Where
		text  string
	}{
		{savepoint.OutsideRoot, "outside the savepoint (not read; --state-root DIR adds a directory)"},
		{savepoint.OtherStore, "in another store"},
	} {
		var dirs []string
		refs := 0
		for _, d := range v.Unlisted {
			if d.Where == why.where {
				dirs = append(dirs, quote(d.Dir))
				refs += d.Refs
			}
		}
		if len(dirs) > 0 {
			what := "references to state files"
			if refs == 1 {
				what = "reference to a state file"
			}
			fmt.Fprintf(e.stderr, "spcheck: %d %s not verified, %s: %s\n", refs, what, why.text, listSome(dirs, 3))
		}
	}
}

// listSome joins the first n directories and says how many more there
// are.
func listSome(dirs []string, n int) string {
	if len(dirs) <= n {
		return strings.Join(dirs, ", ")
	}
	more := "directories"
	if len(dirs)-n == 1 {
		more = "directory"
	}
	return fmt.Sprintf("%s and %d more %s", strings.Join(dirs[:n], ", "), len(dirs)-n, more)
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
