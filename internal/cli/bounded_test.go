package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// stuck ignores its context, as a read blocked in a system call would.
type stuck struct{ release chan struct{} }

func (stuck) Bind(*pflag.FlagSet) {}
func (s stuck) Run(context.Context, *env, []string) error {
	<-s.release
	return nil
}

// Once the context is done (Ctrl-C, --timeout), a command that does not
// return is given up on within a second.
func TestRunBoundedStopsWithinASecond(t *testing.T) {
	s := stuck{make(chan struct{})}
	defer close(s.release)
	ctx, cancel := context.WithCancel(t.Context())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	start := time.Now()
	_, stopped := runBounded(ctx, s, &env{}, nil)
	if took := time.Since(start); !stopped || took > time.Second+50*time.Millisecond {
		t.Errorf("stopped %v after %v", stopped, took)
	}
}

func TestTimeoutFlag(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main([]string{"inspect", "--timeout", "-1s", "x"}, &out, &errb); code != ExitUsage ||
		!strings.Contains(errb.String(), "--timeout must not be negative") {
		t.Errorf("exit %d: %s", code, errb.String())
	}
	errb.Reset()
	if code := Main([]string{"help", "inspect"}, &out, &errb); code != ExitOK || !strings.Contains(out.String(), "--timeout duration") ||
		!strings.Contains(out.String(), "--state-root stringArray") {
		t.Errorf("help lacks --timeout or --state-root:\n%s", out.String())
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"128MiB": 128 << 20, "1GiB": 1 << 30, "4096": 4096, "2 GB": 2 << 30} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "0", "lots", "5TB"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}
