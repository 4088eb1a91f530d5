package cli

import (
	"fmt"
	"os"
	"time"
)

// progress prints a one-line progress counter on stderr while long work
// runs, only when stderr is a terminal, at most every 100 ms.
type progress struct {
	e     *env
	what  string
	on    bool
	last  time.Time
	shown bool
}

func newProgress(e *env, what string) *progress {
	on := false
	if f, ok := e.stderr.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			on = true
		}
	}
	return &progress{e: e, what: what, on: on}
}

func (p *progress) update(done, total int) {
	if !p.on || (time.Since(p.last) < 100*time.Millisecond && done < total) {
		return
	}
	p.last = time.Now()
	p.shown = true
	fmt.Fprintf(p.e.stderr, "\r%s: %d/%d", p.what, done, total)
}

func (p *progress) done() {
	if p.shown {
		fmt.Fprint(p.e.stderr, "\r\x1b[K")
	}
}
