//go:build linux

package hostile

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spcheck/spcheck/metadata"
)

// maxRSS is the memory bound every run must stay under (the 400 MB).
const maxRSS = 400 << 20

// secret is written in files outside the savepoints; no output may show it.
const secret = "HOSTILE-SECRET-7f3a9c"

// w builds bytes as java.io.DataOutputStream writes them.
type w struct{ b []byte }

func (x *w) u8(v byte) *w   { x.b = append(x.b, v); return x }
func (x *w) i32(v int32) *w { x.b = binary.BigEndian.AppendUint32(x.b, uint32(v)); return x }
func (x *w) i64(v int64) *w { x.b = binary.BigEndian.AppendUint64(x.b, uint64(v)); return x }

// v3 starts a version 3 metadata file with nOps operators to follow.
func v3(nOps int32) *w {
	return (&w{}).i32(int32(metadata.Magic)).i32(3).i64(1).i32(0).i32(nOps)
}

// op starts an operator with no coordinator state and n subtask states.
func (x *w) op(uid string, par, maxPar, n int32) *w {
	id := metadata.OperatorIDFromUID(uid)
	x.b = append(x.b, id[:]...)
	return x.i32(par).i32(maxPar).u8(0).i32(n)
}

type hcase struct {
	name string
	args []string
	// exit is the wanted exit code; want substrings of stdout+stderr.
	exit int
	want []string
}

// spcheck builds the binary: cmd/spcheck's main, and a line with its own
// peak RSS at the end of stderr.
func spcheck(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "spcheck")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/spcheck/spcheck/internal/hostile/measure")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func write(t *testing.T, p string, b []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func billionLaughs(prefix string) string {
	var b strings.Builder
	b.WriteString(prefix)
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [", i, i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

// cases generates one input per class of hostile input under dir.
func cases(t *testing.T, dir string) []hcase {
	var cs []hcase
	add := func(c hcase) { cs = append(cs, c) }
	meta := func(name string, b []byte) string { return write(t, filepath.Join(dir, name, "_metadata"), b) }
	ok := filepath.Join("..", "..", "fixtures", "example", "savepoint")

	// Memory: forty operators of 32768 finished subtasks, 4 bytes each in
	// the file, 184 bytes each decoded.
	bomb := v3(40)
	for i := range 40 {
		bomb.op(fmt.Sprint("op", i), 32768, 32768, 32768)
		for j := range int32(32768) {
			bomb.i32(-j - 1)
		}
	}
	// inspect --files decodes every handle (plain inspect streams the file
	// one subtask state at a time; see the case after these).
	add(hcase{"structure amplification", []string{"inspect", "--files", meta("amplify", bomb.b)}, 3,
		[]string{"the decoded structures would take more than 96 MiB"}})
	add(hcase{"structure amplification, streamed", []string{"inspect", meta("amplify-streamed", bomb.b)}, 0,
		[]string{"0/32768 (32768 finished)"}})
	// The same at the largest file read by default: 120 MiB held while
	// the structures grow to their bound.
	add(hcase{"structure amplification in a 120 MiB file", []string{"inspect", "--files", meta("amplify-big", append(bomb.b, make([]byte, 120<<20-len(bomb.b))...))}, 3,
		[]string{"the decoded structures would take more than 120 MiB"}})
	add(hcase{"huge count", []string{"inspect", meta("count", v3(1<<31-1).b)}, 3,
		[]string{"number of operator states 2147483647 too large"}})
	big := filepath.Join(dir, "big", "_metadata")
	write(t, big, nil)
	if err := os.Truncate(big, 129<<20); err != nil { // sparse
		t.Fatal(err)
	}
	add(hcase{"metadata above the size bound", []string{"inspect", "--files", big}, 3, []string{"more than the 128 MiB spcheck reads"}})
	// Depth: key-group handles as each other's delegates, 200000 deep.
	deep := v3(1).op("d", 1, 128, 1).i32(0).i32(0).i32(0)
	for range 200000 {
		deep.u8(byte(metadata.TagKeyGroupsHandle)).i32(0).i32(1).i64(0)
	}
	add(hcase{"handle nesting", []string{"inspect", meta("nesting", deep.b)}, 3, []string{"state handles nested deeper than 16 levels"}})
	// Semantics and truncation.
	add(hcase{"parallelism 0", []string{"inspect", meta("par0", v3(1).op("p", 0, 128, 0).b)}, 3, []string{"parallelism 0 is below 1 at offset 40"}})
	add(hcase{"max parallelism", []string{"inspect", meta("maxpar", v3(1).op("p", 1, 1<<20, 0).b)}, 3, []string{"max parallelism 1048576 is outside 1 to 32768"}})
	add(hcase{"subtask index", []string{"inspect", meta("idx", v3(1).op("p", 2, 128, 1).i32(5).b)}, 3, []string{"subtask index 5 is not below the parallelism 2 at offset 53"}})
	add(hcase{"key groups beyond max parallelism", []string{"inspect", meta("kg",
		v3(1).op("p", 1, 4, 1).i32(0).i32(0).i32(0).u8(byte(metadata.TagKeyGroupsHandle)).i32(2).i32(8).b)}, 3,
		[]string{"key groups 2 to 9 lie beyond the operator's max parallelism 4"}})
	good, err := os.ReadFile(filepath.Join(ok, "_metadata"))
	if err != nil {
		t.Fatal(err)
	}
	add(hcase{"truncated", []string{"inspect", meta("trunc", good[:len(good)/2])}, 3, []string{"truncated"}})
	// Java serialization: a top-level array in the properties trailer.
	props := v3(0).b
	props[7] = 4 // version 4: the properties follow
	props = append(props, 0xac, 0xed, 0, 5, 0x75)
	add(hcase{"java top-level array", []string{"inspect", meta("javaarray", props)}, 3, []string{"the top-level object is an array"}})
	// Special files.
	fifo := filepath.Join(dir, "fifo", "_metadata")
	os.MkdirAll(filepath.Dir(fifo), 0o755)
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	add(hcase{"metadata is a FIFO", []string{"inspect", fifo}, 3, []string{"not a regular file (a FIFO)"}})
	// Read roots: handles that point outside, at a FIFO, at a header of
	// a gigabyte.
	write(t, filepath.Join(dir, "outside", "secret"), []byte(secret))
	chk := filepath.Join(dir, "job", "chk-9")
	os.MkdirAll(chk, 0o755)
	if err := syscall.Mkfifo(filepath.Join(chk, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	huge := write(t, filepath.Join(chk, "huge"), nil)
	if err := os.Truncate(huge, 1<<30); err != nil {
		t.Fatal(err)
	}
	kg := func(off int64, d metadata.StreamHandle) *metadata.KeyGroupsHandle {
		return &metadata.KeyGroupsHandle{Tag_: metadata.TagKeyGroupsHandleV2, Range: metadata.KeyGroupRange{Count: 1}, Offsets: []int64{off}, Delegate: d, HandleID: "h"}
	}
	m := &metadata.Metadata{Version: 3, CheckpointID: 9}
	for i, h := range []*metadata.KeyGroupsHandle{
		kg(10, &metadata.FileHandle{Path: "file:" + filepath.ToSlash(filepath.Join(dir, "outside", "secret")), Size: 30}),
		kg(10, &metadata.RelativeFileHandle{RelativePath: "../../outside/secret", Size: 30}),
		kg(10, &metadata.RelativeFileHandle{RelativePath: "fifo", Size: 30}),
		kg(1<<30-1, &metadata.RelativeFileHandle{RelativePath: "huge", Size: 1 << 30}),
	} {
		m.Operators = append(m.Operators, metadata.OperatorState{ID: metadata.OperatorIDFromUID(fmt.Sprint(i)), Parallelism: 1, MaxParallelism: 128,
			Subtasks: []metadata.SubtaskState{{ManagedKeyedState: h}}})
	}
	mb, err := metadata.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(chk, "_metadata"), mb)
	add(hcase{"handles outside the savepoint", []string{"inspect", "--files", chk}, 0,
		[]string{"outside the savepoint, not read"}})
	add(hcase{"deep reads outside, FIFO, a 1 GiB header", []string{"inspect", "--deep", chk}, 0,
		[]string{"outside the savepoint, not read", "not a regular file (a FIFO)", "header of 1073741823 bytes, more than the 16777216 read"}})
	// YAML and JSON inputs.
	graph := filepath.Join(ok, "..", "job-v2.json")
	add(hcase{"YAML alias bomb manifest", []string{"check", ok, "--graph", write(t, filepath.Join(dir, "bomb.yaml"), []byte(billionLaughs("format: spcheck/jobgraph/v1\n")))}, 3,
		[]string{"YAML aliases expand to more than"}})
	add(hcase{"YAML alias bomb accept file", []string{"check", ok, "--graph", graph, "--config", write(t, filepath.Join(dir, "accept.yaml"), []byte(billionLaughs("")))}, 2,
		[]string{"YAML aliases expand to more than"}})
	add(hcase{"YAML alias bomb deployment", []string{"check", "--graph", graph, "--deployment", write(t, filepath.Join(dir, "dep.yaml"), []byte(billionLaughs("kind: FlinkDeployment\n")))}, 3,
		[]string{"YAML aliases expand to more than"}})
	add(hcase{"deep JSON manifest", []string{"check", ok, "--graph", write(t, filepath.Join(dir, "deep.json"), []byte("{\"a\":"+strings.Repeat("[", 100000)+strings.Repeat("]", 100000)+"}"))}, 3,
		[]string{"JSON nested deeper than 256 levels"}})
	add(hcase{"deep YAML manifest", []string{"check", ok, "--graph", write(t, filepath.Join(dir, "deep.yaml"), []byte("a: "+strings.Repeat("[", 5000)+strings.Repeat("]", 5000)+"\n"))}, 3,
		[]string{"nested deeper than"}})
	return cs
}

// TestHostileInputs runs every generated hostile input through the
// binary: the wanted error and exit code, within 30 seconds, under the
// memory bound, and never the bytes of the secret file.
func TestHostileInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it on large generated inputs")
	}
	bin := spcheck(t)
	dir := t.TempDir()
	for _, c := range cases(t, dir) {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, c.args...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			start := time.Now()
			err := cmd.Run()
			took := time.Since(start)
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatalf("%v after %v", err, took)
			}
			text, peak, found := strings.Cut(out.String(), "\npeak-rss ")
			var rss int64
			if _, err := fmt.Sscanf(peak, "%d kB", &rss); !found || err != nil {
				t.Fatalf("no peak RSS reported: %q", peak)
			}
			rss <<= 10
			t.Logf("exit %d in %v, peak RSS %d MiB", code, took.Round(time.Millisecond), rss>>20)
			if code != c.exit {
				t.Errorf("exit %d, want %d:\n%s", code, c.exit, text)
			}
			for _, s := range c.want {
				if !strings.Contains(text, s) {
					t.Errorf("output lacks %q:\n%s", s, text)
				}
			}
			if strings.Contains(text, secret) {
				t.Errorf("output shows the secret:\n%s", text)
			}
			if rss > maxRSS {
				t.Errorf("peak RSS %d MiB, over %d MiB", rss>>20, maxRSS>>20)
			}
			if len(text) > 64<<10 {
				t.Errorf("%d bytes of output", len(text))
			}
		})
	}
}
