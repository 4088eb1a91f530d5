// Command measure runs spcheck as cmd/spcheck does and then prints its own
// peak resident set size (VmHWM) to stderr: the hostile-input tests read it.
// A parent's rusage is no measure here: on Linux a child started with
// vfork inherits the parent's high-water mark across exec.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/spcheck/spcheck/internal/cli"
)

func main() {
	cli.SetMemoryLimit()
	code := cli.Main(os.Args[1:], os.Stdout, os.Stderr)
	f, err := os.Open("/proc/self/status")
	if err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
				fmt.Fprintf(os.Stderr, "\npeak-rss %s\n", strings.TrimSpace(v))
			}
		}
		f.Close()
	}
	os.Exit(code)
}
