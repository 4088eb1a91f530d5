// Package cli is the spcheck command line: flag parsing, help, output and
// exit codes. The work itself is done by the metadata, savepoint and
// compare packages.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/spcheck/spcheck/savepoint"
	"github.com/spf13/pflag"
)

// Exit codes.
const (
	ExitOK       = 0 // nothing at or above --fail-on
	ExitFindings = 1 // findings at or above --fail-on
	ExitUsage    = 2 // bad flags or arguments, unknown command, bad configuration
	ExitInput    = 3 // an input could not be read or decoded
	// ExitInterrupted: Ctrl-C (128 + SIGINT, as shells report it).
	ExitInterrupted = 130
)

// interruptGrace is how long a command may take to stop after Ctrl-C
// before Main returns without it.
const interruptGrace = 900 * time.Millisecond

// Version is the spcheck version. Left empty, it is read from the build
// info the Go toolchain stamps into the binary (the module version for
// 'go install …@vX', the VCS revision for a build in a checkout); a
// release build may set it with
// -ldflags "-X github.com/spcheck/spcheck/internal/cli.Version=…".
var Version = ""

type command struct {
	Name      string
	UsageLine string // after "spcheck "
	Short     string
	Long      string
	// New returns a fresh runner for one invocation.
	New func() runner
}

// A runner holds one invocation's options.
type runner interface {
	Bind(fs *pflag.FlagSet)
	Run(ctx context.Context, e *env, args []string) error
}

// env is what a command may touch.
type env struct {
	stdout, stderr io.Writer
	// color is true when stdout is a terminal and NO_COLOR is unset.
	color bool
}

// usageError is a problem with flags or arguments (exit 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

// findingsError says the run found something at or above --fail-on (exit
// 1). It carries no message: the report says it all.
type findingsError struct{}

func (findingsError) Error() string { return "findings at or above the --fail-on level" }

var commands []*command

func init() {
	commands = []*command{cmdInspect, cmdCheck, cmdDiff, cmdLs, cmdUID, cmdVersion}
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Main runs spcheck with args (without the program name) and returns the
// exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	e := &env{stdout: stdout, stderr: stderr, color: colorOK(stdout)}
	if len(args) == 0 {
		printMainHelp(stderr)
		return ExitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "--help":
		if len(args) > 1 {
			if c := lookup(args[1]); c != nil {
				printHelp(stdout, c, nil)
				return ExitOK
			}
			if t, ok := topics[args[1]]; ok {
				fmt.Fprint(stdout, t)
				return ExitOK
			}
			names := append(commandNames(), "exit-codes", "locations")
			fmt.Fprintf(stderr, "spcheck help %s: unknown command or topic%s\nRun 'spcheck help' for usage.\n", args[1], didYouMean(args[1], names))
			return ExitUsage
		}
		printMainHelp(stdout)
		return ExitOK
	case "--version":
		name = "version"
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(stderr, "spcheck %s: unknown command%s\nRun 'spcheck help' for usage.\n", name, didYouMean(name, commandNames()))
		return ExitUsage
	}
	fs := pflag.NewFlagSet("spcheck "+c.Name, pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	r := c.New()
	r.Bind(fs)
	timeoutFlag := bindCommon(fs, c)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			printHelp(stdout, c, fs)
			return ExitOK
		}
		fmt.Fprintf(stderr, "spcheck %s: %v%s\nusage: spcheck %s\nRun 'spcheck help %s' for details.\n", c.Name, err, flagSuggestion(err, fs), c.UsageLine, c.Name)
		return ExitUsage
	}
	if *timeoutFlag < 0 {
		fmt.Fprintf(stderr, "spcheck %s: --timeout must not be negative\n", c.Name)
		return ExitUsage
	}
	interrupted := ctx
	if *timeoutFlag > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeoutFlag)
		defer cancel()
	}
	err, stopped := runBounded(ctx, r, e, fs.Args())
	timeout := *timeoutFlag
	switch {
	case interrupted.Err() != nil:
		fmt.Fprintf(stderr, "spcheck %s: interrupted\n", c.Name)
		return ExitInterrupted
	case stopped || errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
		fmt.Fprintf(stderr, "spcheck %s: stopped after --timeout %v\n", c.Name, timeout)
		return ExitInput
	}
	var ue *usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "spcheck %s: %s\nusage: spcheck %s\nRun 'spcheck help %s' for details.\n", c.Name, ue.msg, c.UsageLine, c.Name)
		return ExitUsage
	case errors.Is(err, findingsError{}):
		return ExitFindings
	default:
		var ce *configError
		if errors.As(err, &ce) {
			fmt.Fprintf(stderr, "spcheck %s: %s\n", c.Name, userMessage(savepoint.RedactText(err.Error())))
			return ExitUsage
		}
		fmt.Fprintf(stderr, "spcheck %s: %s\n", c.Name, userMessage(savepoint.RedactText(err.Error())))
		return ExitInput
	}
}

// bindCommon adds the flags every command that reads has.
func bindCommon(fs *pflag.FlagSet, c *command) *time.Duration {
	var timeout time.Duration
	if c.Name != "version" && c.Name != "uid" {
		fs.DurationVar(&timeout, "timeout", 0, "stop after this long, e.g. 2m (0: no limit); Ctrl-C stops within a second")
	}
	return &timeout
}

// runBounded runs the command and returns its error; once ctx is done
// (Ctrl-C or --timeout) it waits at most interruptGrace for the command to
// return, then gives up on it (stopped), so that spcheck stops within a
// second whatever a store or decoder is doing.
func runBounded(ctx context.Context, r runner, e *env, args []string) (err error, stopped bool) {
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, e, args) }()
	select {
	case err := <-done:
		return err, false
	case <-ctx.Done():
	}
	select {
	case err := <-done:
		return err, false
	case <-time.After(interruptGrace):
		return ctx.Err(), true
	}
}

// configError is a bad configuration or job-graph file option value (exit 2).
type configError struct{ err error }

func (e *configError) Error() string { return e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

func printMainHelp(w io.Writer) {
	fmt.Fprint(w, `spcheck tells whether a Flink savepoint or checkpoint will restore into a new
version of a job, and what state would be lost, before 'flink run -s'.

Usage:

	spcheck <command> [flags] [arguments]

Commands:

`)
	for _, c := range commands {
		fmt.Fprintf(w, "\t%-10s %s\n", c.Name, c.Short)
	}
	fmt.Fprint(w, `
Help topics:

	exit-codes  what the exit codes mean
	locations   where savepoints can be read from

Run 'spcheck help <command>' for details on a command.
`)
}

func printHelp(w io.Writer, c *command, fs *pflag.FlagSet) {
	fmt.Fprintf(w, "usage: spcheck %s\n\n%s\n", c.UsageLine, strings.TrimSpace(c.Long))
	if fs == nil {
		fs = pflag.NewFlagSet(c.Name, pflag.ContinueOnError)
		fs.SortFlags = false
		c.New().Bind(fs)
		bindCommon(fs, c)
	}
	if fs.HasFlags() {
		fmt.Fprintf(w, "\nFlags:\n%s", fs.FlagUsages())
	}
}

var topics = map[string]string{
	"exit-codes": `Exit codes:

	0  nothing at or above --fail-on (check), or the command succeeded
	1  findings at or above --fail-on (default: unknown, so that a check
	   spcheck cannot decide fails closed); a restore Flink refuses is
	   never accepted away, and a state file the savepoint references that
	   does not exist is one (SP040); inspect --files: such a file
	2  usage error: bad flag, wrong arguments, unknown command, bad configuration
	3  an input could not be read or decoded (missing file, corrupt metadata,
	   unreadable job graph), or --timeout ran out
	130 interrupted (Ctrl-C)

A failure to read never exits 0.
`,
	"locations": `Locations:

A LOCATION is a metadata file (whatever its name), a savepoint directory, a
chk-N directory, or a checkpoint directory (spcheck picks its latest complete
chk-N and says so). It may be:

	/path/to/savepoint             a local path
	file:///path/to/savepoint      a local path as URL
	hdfs://namenode:8020/path      HDFS (HADOOP_CONF_DIR, HADOOP_USER_NAME)
	s3://bucket/key, s3a://, s3p:// S3 (the AWS credential chain; --flink-conf)
	gs://bucket/key                GCS (Application Default Credentials)
	abfss://container@account.dfs.core.windows.net/path, abfs://, wasb[s]://
	                               Azure (account key, connection string, or
	                               DefaultAzureCredential)

spcheck never writes, renames or deletes anything where savepoints live.
`,
}

func colorOK(w io.Writer) bool {
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

var cmdVersion = &command{
	Name:      "version",
	UsageLine: "version",
	Short:     "print the spcheck version",
	Long:      "Version prints the spcheck version and the metadata format versions it reads.",
	New:       func() runner { return &versionRunner{} },
}

type versionRunner struct{}

func (*versionRunner) Bind(*pflag.FlagSet) {}
func (*versionRunner) Run(_ context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usagef("version takes no arguments")
	}
	bi, _ := debug.ReadBuildInfo()
	fmt.Fprintf(e.stdout, "spcheck %s\n", versionLine(Version, bi))
	fmt.Fprintln(e.stdout, "reads Flink _metadata format versions 1 to 7")
	return nil
}

// versionLine says which spcheck this is, from what the build recorded:
// the module version ('go install …@v1.2.3' gives v1.2.3; a build in a
// checkout gives a pseudo-version, or "(devel)"), the VCS revision, its
// time and whether the tree had changes, and the Go toolchain. override,
// when set at link time, replaces the module version.
func versionLine(override string, bi *debug.BuildInfo) string {
	if bi == nil {
		if override == "" {
			override = "(unknown version: built without module support)"
		}
		return override
	}
	v := override
	if v == "" {
		v = bi.Main.Version
	}
	if v == "" {
		v = "(devel)"
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	var parts []string
	if rev := settings["vcs.revision"]; rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		c := "commit " + rev
		if t := settings["vcs.time"]; t != "" {
			c += " " + t
		}
		if settings["vcs.modified"] == "true" {
			c += ", modified"
		}
		parts = append(parts, c)
	}
	if bi.GoVersion != "" {
		parts = append(parts, bi.GoVersion)
	}
	if len(parts) == 0 {
		return v
	}
	return v + " (" + strings.Join(parts, "; ") + ")"
}

// parseSize parses a byte size: a number with an optional KiB, MiB or GiB
// (or KB, MB, GB, also meaning powers of 1024) suffix.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"B", 1}} {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(rest), u.m
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("%q is not a size such as 512MiB", s)
	}
	return n * mult, nil
}

// memoryLimit is the heap size at which the garbage collector works
// harder (a soft limit): with the input bounds (a 128 MiB metadata file,
// 96 MiB of decoded structures, bounded header reads) it keeps spcheck
// under 400 MB whatever it reads.
const memoryLimit = 256 << 20

// gcPercent is spcheck's GOGC: the heap grows to three times what is live
// before the garbage collector runs, where Go's default lets it double.
// Under memoryLimit the limit rules, so this mostly spares the collections
// of a small heap growing: check on the 351 MiB synthetic checkpoint ran
// seven while it decoded and listed the checkpoint's 219,000 files (181 ms
// against 172 with 200, 168 with 400, one interleaved run of 15; peak RSS
// 72, 72 and 75 MiB). The largest peak RSS of the hostile inputs
// (internal/hostile) went from 264 to 266 MiB with 200, to 287 with 400.
const gcPercent = 200

// SetMemoryLimit sets spcheck's soft memory limit and its GOGC, unless
// GOMEMLIMIT and GOGC do.
func SetMemoryLimit() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}

// A backgroundOpen opens a savepoint on a goroutine of its own, so that it
// is read while the caller reads something else (on two CPUs at once):
// check's graph, diff's other savepoint.
type backgroundOpen struct {
	c      chan openResult
	cancel context.CancelFunc
	taken  bool
}

type openResult struct {
	sp  *savepoint.Savepoint
	err error
}

func openInBackground(ctx context.Context, open func(context.Context, string, savepoint.Options) (*savepoint.Savepoint, error), location string, opts savepoint.Options) *backgroundOpen {
	ctx, cancel := context.WithCancel(ctx)
	b := &backgroundOpen{c: make(chan openResult, 1), cancel: cancel}
	go func() {
		sp, err := open(ctx, location, opts)
		b.c <- openResult{sp, err}
	}()
	return b
}

// take waits for the savepoint, which the caller closes (before stop: its
// listings run under the open's context).
func (b *backgroundOpen) take() (*savepoint.Savepoint, error) {
	r := <-b.c
	b.taken = true
	return r.sp, r.err
}

// stop ends the open's context; when the savepoint was not taken (the
// caller returned first), it waits for the open and closes what it
// opened. Defer it.
func (b *backgroundOpen) stop() {
	b.cancel()
	if !b.taken {
		if r := <-b.c; r.sp != nil {
			r.sp.Close()
		}
	}
}
