// Command spcheck tells whether a Flink savepoint or checkpoint will restore
// into a new version of a job, before 'flink run -s'. Run 'spcheck help'.
package main

import (
	"os"

	"github.com/spcheck/spcheck/internal/cli"
)

func main() {
	cli.SetMemoryLimit()
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
