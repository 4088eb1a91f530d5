package savepoint

import (
	"fmt"
	"io"
	"os"
)

// MaxInputFileSize bounds the configuration, job-graph, accept and
// deployment files spcheck reads: far above any real one, low enough that
// reading and parsing one stays within spcheck's memory bound.
const MaxInputFileSize = 32 << 20

// ReadInputFile reads a local input file the user names (a job graph, a
// configuration), refusing one larger than MaxInputFileSize. A FIFO is
// read (the user's own shell may pass one, as with <(…)), but only up to
// the bound.
func ReadInputFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxInputFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxInputFileSize {
		return nil, fmt.Errorf("%s: larger than the %d MiB spcheck reads", name, MaxInputFileSize>>20)
	}
	return b, nil
}
