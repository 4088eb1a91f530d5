package metadata_test

import (
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/spcheck/spcheck/fixtures"
	"github.com/spcheck/spcheck/metadata"
)

var (
	bigOnce sync.Once
	bigFile string
	bigLen  int64
)

// bigMetadata writes the large synthetic checkpoint to a temporary file
// once per test binary and returns its path.
func bigMetadata(b *testing.B) (string, int64) {
	bigOnce.Do(func() {
		m := fixtures.Synthetic(60, 1000, 40)
		data, err := metadata.Encode(m)
		if err != nil {
			b.Fatal(err)
		}
		dir, err := os.MkdirTemp("", "spcheck-bench")
		if err != nil {
			b.Fatal(err)
		}
		bigFile = filepath.Join(dir, "_metadata")
		if err := os.WriteFile(bigFile, data, 0o644); err != nil {
			b.Fatal(err)
		}
		bigLen = int64(len(data))
	})
	return bigFile, bigLen
}

// BenchmarkReadFile is the baseline: reading the file's bytes.
func BenchmarkReadFile(b *testing.B) {
	path, n := bigMetadata(b)
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := os.ReadFile(path); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeFile reads the same file and decodes it.
func BenchmarkDecodeFile(b *testing.B) {
	path, n := bigMetadata(b)
	b.SetBytes(n)
	b.ReportAllocs()
	var peak uint64
	for b.Loop() {
		// Start each iteration from a collected heap, so that the heap
		// measured after it holds this iteration's data only.
		b.StopTimer()
		runtime.GC()
		b.StartTimer()
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		m, err := metadata.Decode(data)
		if err != nil {
			b.Fatal(err)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse > peak {
			peak = ms.HeapInuse
		}
		runtime.KeepAlive(m)
	}
	b.ReportMetric(float64(peak)/float64(n), "peak-heap/file-size")
}

// BenchmarkDecode decodes the file's bytes already in memory: decoding
// alone, to set against BenchmarkReadFile.
func BenchmarkDecode(b *testing.B) {
	path, n := bigMetadata(b)
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := metadata.Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncode writes the synthetic model.
func BenchmarkEncode(b *testing.B) {
	path, n := bigMetadata(b)
	data, _ := os.ReadFile(path)
	m, err := metadata.Decode(data)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(n)
	for b.Loop() {
		if _, err := metadata.Encode(m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeSummariesFile is DecodeSummaries on the file, as inspect
// and check read a local _metadata (make bench-cli measures the whole
// process).
func BenchmarkDecodeSummariesFile(b *testing.B) {
	path, n := bigMetadata(b)
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := metadata.DecodeSummaries(f, n); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
