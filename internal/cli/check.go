package cli

import (
	"context"

	"github.com/spf13/pflag"
)

var cmdCheck = &command{
	Name:      "check",
	UsageLine: "check [flags] LOCATION --graph FILE",
	Short:     "check a savepoint against the new job graph",
	Long:      `Check is not implemented yet.`,
	New:       func() runner { return &checkRunner{} },
}

type checkRunner struct{}

func (*checkRunner) Bind(*pflag.FlagSet) {}
func (*checkRunner) Run(context.Context, *env, []string) error {
	return usagef("check is not implemented yet")
}
