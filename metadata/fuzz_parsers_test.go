package metadata

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stateFileSeeds returns the starts of a few state files of the corpus,
// where their headers are.
func stateFileSeeds(f *testing.F, n int) [][]byte {
	var out [][]byte
	filepath.WalkDir(corpusDir+"/flink-tests", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "_metadata" || len(out) >= n {
			return nil
		}
		b, err := os.ReadFile(p)
		if err == nil && len(b) > 0 {
			out = append(out, b[:min(len(b), 4096)])
		}
		return nil
	})
	return out
}

// FuzzSerializerSnapshot decodes one serializer snapshot (with its proxy)
// from arbitrary bytes: no panic, no runaway work.
func FuzzSerializerSnapshot(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x02\x00\x4forg.apache.flink.api.common.typeutils.base.LongSerializer$LongSerializerSnapshot\x00\x00\x00\x03"))
	for _, b := range stateFileSeeds(f, 8) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, _, err := decodeHeader(b, nil, func(h *hdr) SerializerSnapshot { return h.snapshot(false) })
		if err == nil {
			_ = s.TypeString()
		}
	})
}

// FuzzDecodeChangelogMetadata decodes a changelog metadata record.
func FuzzDecodeChangelogMetadata(f *testing.F) {
	f.Add([]byte{8, 0, 0, 0, 6})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, n, err := DecodeChangelogMetadata(b)
		if err == nil && (m == nil || n < 0 || n > len(b)) {
			t.Fatalf("decoded %v taking %d of %d bytes", m, n, len(b))
		}
	})
}

// FuzzDecodeRawTimers decodes the timer services of raw keyed state.
func FuzzDecodeRawTimers(f *testing.F) {
	f.Add([]byte{0xf1, 0xcd, 0x85, 0x9f, 0, 0, 0, 1, 0, 0, 0, 1})
	for _, b := range stateFileSeeds(f, 4) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = DecodeRawTimers(b)
	})
}

// FuzzParseLogicalType parses SQL logical type strings; whatever parses
// prints back to a string that parses again.
func FuzzParseLogicalType(f *testing.F) {
	for _, s := range []string{"BIGINT", "ROW<`a` INT NOT NULL, `b` STRING>", "MAP<STRING, ARRAY<DECIMAL(10, 2)>>",
		"TIMESTAMP(3) WITH LOCAL TIME ZONE", "VARCHAR(2147483647)", strings.Repeat("ARRAY<", 40) + "INT" + strings.Repeat(">", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lt, err := ParseLogicalType(s)
		if err != nil {
			return
		}
		if _, err := ParseLogicalType(lt.String()); err != nil {
			t.Fatalf("%q parses, its String %q does not: %v", s, lt.String(), err)
		}
	})
}
