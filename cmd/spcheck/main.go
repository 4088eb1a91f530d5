// Command spcheck tells whether a Flink savepoint or checkpoint will restore
// into a new version of a job, before 'flink run -s'. Run 'spcheck help'.
package main

import (
	"os"
	"runtime/debug"

	"github.com/spcheck/spcheck/internal/cli"
)

// memoryLimit is the heap size at which the garbage collector works
// harder (a soft limit; GOMEMLIMIT overrides it): with the input bounds
// (a 128 MiB metadata file, 192 MiB of decoded structures, bounded header
// reads) it keeps spcheck under 400 MB whatever it reads.
const memoryLimit = 320 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
