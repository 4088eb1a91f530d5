package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/spcheck/spcheck/metadata"
)

var cmdUID = &command{
	Name:      "uid",
	UsageLine: "uid [-o text|json] UID...",
	Short:     "print the Flink operator ID of each uid",
	Long: `Uid prints the operator ID Flink derives from each uid, as Flink prints it in
logs and errors: murmur3_128 (seed 0) of the uid's UTF-8 bytes, 32 lowercase
hex digits (StreamGraphHasherV2). An operator with .uid("orders-source") has
the ID 'spcheck uid orders-source' prints.

See also: spcheck inspect --uids.`,
	New: func() runner { return &uidRunner{} },
}

type uidRunner struct{ output string }

func (r *uidRunner) Bind(fs *pflag.FlagSet) {
	fs.StringVarP(&r.output, "output", "o", "text", "output format: text or json")
}

func (r *uidRunner) Run(_ context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("no uid given")
	}
	switch r.output {
	case "text":
		for _, u := range args {
			fmt.Fprintf(e.stdout, "%s  %s\n", metadata.OperatorIDFromUID(u), u)
		}
	case "json":
		type row struct {
			UID string `json:"uid"`
			ID  string `json:"id"`
		}
		rows := make([]row, len(args))
		for i, u := range args {
			rows[i] = row{u, metadata.OperatorIDFromUID(u).String()}
		}
		return writeJSON(e.stdout, rows)
	default:
		return usagef("-o must be text or json, not %q", r.output)
	}
	return nil
}

func writeJSON(w interface{ Write([]byte) (int, error) }, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
