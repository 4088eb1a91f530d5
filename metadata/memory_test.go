package metadata_test

import (
	"bytes"
	"testing"

	"github.com/spcheck/spcheck/fixtures"
	"github.com/spcheck/spcheck/metadata"
)

// poisoning is an InMemory input that overwrites the bytes it is told
// the decoder is done with (ReleaseBefore), as a released page of a
// mapped file would be gone: a decoder (or its hashing goroutine) that
// read them again would count other files or fail.
type poisoning struct {
	metadata.Memory
	released []int64
}

func (p *poisoning) ReleaseBefore(off int64) {
	if n := len(p.released); n > 0 && off <= p.released[n-1] {
		panic("ReleaseBefore moved back")
	}
	for i := range p.Memory[:off] {
		p.Memory[i] = 0xA5
	}
	p.released = append(p.released, off)
}

// The decoder releases an InMemory input behind it, and never bytes it
// reads again: the summaries are those of the intact bytes, and the
// FileCheck finds the same files.
func TestDecodeSummariesReleases(t *testing.T) {
	defer metadata.SetReleaseStep(1000)()
	defer metadata.SetFlushRefs(7)()
	b, want := encodeDecode(t, fixtures.Synthetic(3, 40, 6))
	for _, async := range []bool{true, false} {
		for _, fast := range []bool{true, false} {
			restore := metadata.SetAsyncFiles(async)
			restoreFast := metadata.SetFastPath(fast)
			src := &poisoning{Memory: bytes.Clone(b)}
			got, err := metadata.DecodeSummaries(src, int64(len(b)))
			if err != nil {
				t.Fatalf("async %v, fast %v: %v", async, fast, err)
			}
			sameSummaries(t, "synthetic", want, got)
			if len(src.released) < 10 {
				t.Errorf("async %v, fast %v: released %d times", async, fast, len(src.released))
			}
			restore()
			restoreFast()
		}
	}
	// A FileCheck keeps the same directories and files.
	fcWant := metadata.NewFileCheck(func(string, bool) bool { return true })
	if _, err := fcWant.DecodeSummaries(metadata.Memory(b), int64(len(b))); err != nil {
		t.Fatal(err)
	}
	fc := metadata.NewFileCheck(func(string, bool) bool { return true })
	if _, err := fc.DecodeSummaries(&poisoning{Memory: bytes.Clone(b)}, int64(len(b))); err != nil {
		t.Fatal(err)
	}
	if fc.Files() != fcWant.Files() || fc.Files() != 3*40*9 || len(fc.Dirs()) != len(fcWant.Dirs()) {
		t.Errorf("FileCheck: %d files in %d directories, want %d in %d", fc.Files(), len(fc.Dirs()), fcWant.Files(), len(fcWant.Dirs()))
	}
}
