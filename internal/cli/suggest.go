package cli

import (
	"strings"

	"github.com/spf13/pflag"

	"github.com/spcheck/spcheck/internal/suggest"
)

// didYouMean is " (did you mean X?)" for the closest candidate, or "".
func didYouMean(s string, candidates []string) string {
	if c := suggest.Closest(s, candidates); c != "" {
		return " (did you mean " + c + "?)"
	}
	return ""
}

// flagSuggestion suggests a flag of fs for pflag's "unknown flag: --x"
// error, or returns "".
func flagSuggestion(err error, fs *pflag.FlagSet) string {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return ""
	}
	var names []string
	fs.VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	if c := suggest.Closest(name, names); c != "" {
		return " (did you mean --" + c + "?)"
	}
	return ""
}

func commandNames() []string {
	var out []string
	for _, c := range commands {
		out = append(out, c.Name)
	}
	return out
}

// packagePrefixes are the names of spcheck's Go packages, which library
// errors start with by Go convention.
var packagePrefixes = []string{"metadata: ", "compare: ", "savepoint: ", "streamgraph: ", "report: ", "deployment: ",
	"s3store: ", "gcsstore: ", "azurestore: ", "hdfsstore: ", "objread: ", "schemas: ", "encode: ", "decode: "}

// userMessage drops the Go package names library errors start with (also
// after the file or location a message names first): a
// user reads "operator ID … not hex", not "metadata: operator ID …".
func userMessage(msg string) string {
	for {
		trimmed := msg
		for _, p := range packagePrefixes {
			trimmed = strings.TrimPrefix(trimmed, p)
			// Also after the location a message starts with.
			trimmed = strings.ReplaceAll(trimmed, ": "+p, ": ")
		}
		if trimmed == msg {
			return msg
		}
		msg = trimmed
	}
}
