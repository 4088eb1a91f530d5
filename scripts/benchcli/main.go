// Command benchcli measures the spcheck binary as a user runs it, as whole
// processes, on a large synthetic checkpoint, beside commands that read
// the same bytes in the same run:
//
//	make bench-cli        (or: go run ./scripts/benchcli -bin bin/spcheck)
//
// It writes the checkpoint (fixtures.Synthetic: parallelism 1,000, an
// incremental RocksDB handle per subtask with -sst shared files) and a
// manifest of its job to a temporary directory, runs the baselines ('cat
// FILE', 'ls -f DIR' of the checkpoint directory, 'cat FILE FILE'),
// 'spcheck inspect', 'spcheck check --graph MANIFEST' and 'spcheck check
// --graph SAVEPOINT' (the same checkpoint as the new job's graph), both
// with and without --no-verify-files, -runs times, interleaved, and
// prints for each the median wall time, its ratio to the median of cat
// and to the baselines that read what the command reads, and the peak
// RSS (ru_maxrss from wait4) against the file size. The machine is
// shared, so the ratios, measured in the same run, say more than the
// absolute times.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spcheck/spcheck/fixtures"
	"github.com/spcheck/spcheck/metadata"
)

func main() {
	bin := flag.String("bin", "bin/spcheck", "the spcheck binary to measure")
	ops := flag.Int("ops", 73, "operators (73 with -par 1000 -sst 40 gives about 352 MiB)")
	par := flag.Int("par", 1000, "parallelism of every operator")
	sst := flag.Int("sst", 40, "shared files per RocksDB handle")
	runs := flag.Int("runs", 5, "runs of each command")
	keep := flag.String("dir", "", "write the files here and keep them (default: a temporary directory, removed)")
	gen := flag.Bool("generate", false, "only write the files to -dir (benchcli runs itself so, to keep its own memory out of the measured processes)")
	flag.Parse()
	if *gen {
		if _, err := generate(*keep, *ops, *par, *sst); err != nil {
			fmt.Fprintln(os.Stderr, "benchcli:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*bin, *ops, *par, *sst, *runs, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "benchcli:", err)
		os.Exit(1)
	}
}

type result struct {
	wall []time.Duration
	cpu  []time.Duration // user + system
	rss  []int64         // bytes
}

func run(bin string, ops, par, sst, runs int, dir string) error {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%v (build it first: make build)", err)
	}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "spcheck-bench-cli"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	chk := filepath.Join(dir, "chk-9001")
	meta := filepath.Join(chk, "_metadata")
	manifest := filepath.Join(dir, "job.json")
	// Generate in a child process: on Linux a child's ru_maxrss starts
	// from its parent's RSS at fork, so this process must stay small.
	self, err := os.Executable()
	if err != nil {
		return err
	}
	g := exec.Command(self, "-generate", "-dir", dir, "-ops", fmt.Sprint(ops), "-par", fmt.Sprint(par), "-sst", fmt.Sprint(sst))
	g.Stdout, g.Stderr = os.Stdout, os.Stderr
	if err := g.Run(); err != nil {
		return fmt.Errorf("generating the checkpoint: %v", err)
	}
	fi, err := os.Stat(meta)
	if err != nil {
		return err
	}
	size := fi.Size()
	fmt.Printf("checkpoint  %s: %d operators at parallelism %d, %d shared files per RocksDB handle\n", meta, ops, par, sst)
	fmt.Printf("            %d bytes (%.1f MiB)\n", size, float64(size)/(1<<20))
	fmt.Printf("machine     %s/%s, %d CPUs, %s; %d runs of each, interleaved\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), bin, runs)

	// base: the baseline commands whose medians, added, read the same
	// bytes as the command: the file, and for check, which verifies the
	// referenced files by listing the checkpoint directory, that
	// listing; a savepoint given as the graph is read a second time.
	type cmd struct {
		name string
		args []string
		base []int
	}
	const catFile, lsDir, catTwice = 0, 1, 2
	cmds := []cmd{
		{"cat FILE >/dev/null", []string{"cat", meta}, nil},
		{"ls -f DIR >/dev/null", []string{"ls", "-f", chk}, nil},
		{"cat FILE FILE >/dev/null", []string{"cat", meta, meta}, nil},
		{"spcheck inspect", []string{bin, "inspect", chk}, []int{catFile}},
		{"spcheck check --graph MANIFEST", []string{bin, "check", "--config", "none", "--graph", manifest, chk}, []int{catFile, lsDir}},
		{"  … --no-verify-files", []string{bin, "check", "--config", "none", "--no-verify-files", "--graph", manifest, chk}, []int{catFile}},
		{"spcheck check --graph SAVEPOINT", []string{bin, "check", "--config", "none", "--graph", chk, chk}, []int{catTwice, lsDir}},
		{"  … --no-verify-files", []string{bin, "check", "--config", "none", "--no-verify-files", "--graph", chk, chk}, []int{catTwice}},
	}
	baseNames := map[int]string{catFile: "cat", lsDir: "ls", catTwice: "cat×2"}
	res := make([]result, len(cmds))
	before := loadAvg()
	// One cat first, so that every measured run reads from the page cache.
	if _, err := measure(cmds[0].args); err != nil {
		return err
	}
	for i := 0; i < runs; i++ {
		for j, c := range cmds {
			m, err := measure(c.args)
			if err != nil {
				return fmt.Errorf("%s: %v", c.name, err)
			}
			res[j].wall = append(res[j].wall, m.wall)
			res[j].cpu = append(res[j].cpu, m.cpu)
			res[j].rss = append(res[j].rss, m.rss)
		}
	}
	base, baseCPU := median(res[catFile].wall), median(res[catFile].cpu)
	fmt.Printf("%-32s  %-34s  %8s  %7s  %-18s  %9s  %7s  %s\n", "command", "wall times (ms)", "median", "× cat", "× same bytes", "CPU", "× cat", "peak RSS (max), × file")
	for j, c := range cmds {
		var ws string
		for k, w := range res[j].wall {
			if k > 0 {
				ws += " "
			}
			ws += fmt.Sprintf("%.0f", ms(w))
		}
		m, cpu := median(res[j].wall), median(res[j].cpu)
		same := ""
		if len(c.base) > 0 {
			var b time.Duration
			var names []string
			for _, i := range c.base {
				b += median(res[i].wall)
				names = append(names, baseNames[i])
			}
			same = fmt.Sprintf("%.2f× (%s)", float64(m)/float64(b), strings.Join(names, "+"))
		}
		rss := slices.Max(res[j].rss)
		fmt.Printf("%-32s  %-34s  %6.0fms  %6.2f×  %-18s  %7.0fms  %6.2f×  %6.1f MiB, %.2f×\n", c.name, ws, ms(m), float64(m)/float64(base), same,
			ms(cpu), float64(cpu)/float64(baseCPU), float64(rss)/(1<<20), float64(rss)/float64(size))
	}
	fmt.Println("\nwall and CPU (user + system) are medians; × cat is the ratio to cat's median in this run; × same bytes")
	fmt.Println("the ratio to the baselines that read what the command reads: the file (cat), the checkpoint directory")
	fmt.Println("check lists to verify the referenced files (ls), the file twice when it is also the graph (cat×2).")
	fmt.Printf("load average before the runs %s, after %s (2 or more on 2 CPUs: the times include waiting for a CPU).\n", before, loadAvg())
	return nil
}

// generate writes dir/chk-9001/_metadata, an empty file for each of its
// relative handles, and a manifest dir/job.json
// naming each of its operators by uid, at its parallelism and max
// parallelism.
func generate(dir string, ops, par, sst int) (int64, error) {
	if dir == "" {
		return 0, fmt.Errorf("-generate needs -dir")
	}
	chk := filepath.Join(dir, "chk-9001")
	meta := filepath.Join(chk, "_metadata")
	manifest := filepath.Join(dir, "job.json")
	if err := os.MkdirAll(chk, 0o755); err != nil {
		return 0, err
	}
	m := fixtures.Synthetic(ops, par, sst)
	// The files its relative handles name, empty, so that check's file
	// verification (one listing of chk-9001) finds them all; the shared
	// files are in S3 and not verified from here.
	for i := range m.Operators {
		var ferr error
		metadata.Walk(&m.Operators[i], func(h metadata.StateHandle) {
			if r, ok := h.(*metadata.RelativeFileHandle); ok && ferr == nil {
				ferr = os.WriteFile(filepath.Join(chk, r.RelativePath), nil, 0o644)
			}
		})
		if ferr != nil {
			return 0, ferr
		}
	}
	data, err := metadata.Encode(m)
	if err != nil {
		return 0, err
	}
	m = nil
	if err := os.WriteFile(meta, data, 0o644); err != nil {
		return 0, err
	}
	size := int64(len(data))
	data = nil
	debug.FreeOSMemory()

	type op struct {
		UID            string `json:"uid"`
		Parallelism    int    `json:"parallelism"`
		MaxParallelism int    `json:"maxParallelism"`
		Stateful       bool   `json:"stateful"`
	}
	g := struct {
		Format    string `json:"format"`
		Job       string `json:"job"`
		Operators []op   `json:"operators"`
	}{Format: "spcheck/jobgraph/v1", Job: "synthetic"}
	for o := 0; o < ops; o++ {
		g.Operators = append(g.Operators, op{UID: fmt.Sprintf("synthetic-operator-%d", o), Parallelism: par, MaxParallelism: 4096, Stateful: true})
	}
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return 0, err
	}
	return size, os.WriteFile(manifest, b, 0o644)
}

type measurement struct {
	wall, cpu time.Duration
	rss       int64
}

// measure runs args with stdout to /dev/null and returns its wall time,
// CPU time and peak RSS. A non-zero exit fails, with what the command
// wrote to stderr.
func measure(args []string) (measurement, error) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return measurement{}, err
	}
	defer null.Close()
	c := exec.Command(args[0], args[1:]...)
	c.Stdout = null
	var stderr limitedBuffer
	c.Stderr = &stderr
	start := time.Now()
	err = c.Run()
	wall := time.Since(start)
	if err != nil {
		return measurement{}, fmt.Errorf("%v: %s", err, stderr.b)
	}
	ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return measurement{}, fmt.Errorf("no rusage on %s", runtime.GOOS)
	}
	cpu := c.ProcessState.UserTime() + c.ProcessState.SystemTime()
	return measurement{wall: wall, cpu: cpu, rss: ru.Maxrss * 1024}, nil // Linux reports kilobytes
}

type limitedBuffer struct{ b []byte }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := 4096 - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// loadAvg is the 1-minute load average (Linux), or "unknown".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "unknown"
}
