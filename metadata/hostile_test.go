package metadata

import (
	"errors"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
)

// raw builds an input by hand with the encoder's primitives.
func raw(f func(w *writer)) []byte {
	w := &writer{}
	f(w)
	return w.b
}

func header(w *writer, version int32) {
	w.u32(Magic)
	w.i32(version)
}

func TestHostileInputs(t *testing.T) {
	id := OperatorIDFromUID("x")
	for _, tc := range []struct {
		name   string
		in     []byte
		want   string // substring of the error
		offset int64  // -1: not a FormatError
		is     error  // errors.Is target, if any
	}{
		{"empty", nil, "truncated: the input ends at byte 0, 4 bytes short of the magic number", 0, io.ErrUnexpectedEOF},
		{"bad magic", []byte("PK\x03\x04 a zip file"), "bad magic number", -1, ErrNotMetadata},
		{"unknown version", raw(func(w *writer) { header(w, 99) }), "unsupported metadata version 99", -1, nil},
		{"version 0", raw(func(w *writer) { header(w, 0) }), "unsupported metadata version 0", -1, nil},
		{"negative checkpoint id", raw(func(w *writer) { header(w, 3); w.i64(-5); w.i32(0); w.i32(0) }), "negative checkpoint ID -5", 8, nil},
		{"huge operator count", raw(func(w *writer) { header(w, 3); w.i64(1); w.i32(0); w.i32(1<<31 - 1) }),
			"number of operator states 2147483647 too large", 20, io.ErrUnexpectedEOF},
		{"negative master count", raw(func(w *writer) { header(w, 3); w.i64(1); w.i32(-1) }), "negative number of master states -1", 16, nil},
		{"bad master magic", raw(func(w *writer) {
			header(w, 3)
			w.i64(1)
			w.i32(1)
			w.u32(0xdeadbeef)
			w.i32(4)
			w.b = append(w.b, make([]byte, 20)...)
		}),
			"bad master state magic number 0xdeadbeef", 20, nil},
		{"unknown keyed tag", raw(func(w *writer) {
			header(w, 3)
			w.i64(1)
			w.i32(0)
			w.i32(1)
			w.b = append(w.b, id[:]...)
			w.i32(1)
			w.i32(128)
			w.u8(0)  // no coordinator state
			w.i32(1) // one subtask
			w.i32(0) // index 0
			w.i32(0) // no managed operator state
			w.i32(0) // no raw operator state
			w.u8(42) // keyed handle tag 42
		}), "unknown keyed state handle tag 42", 65, nil},
		{"unknown stream tag", raw(func(w *writer) {
			header(w, 3)
			w.i64(1)
			w.i32(0)
			w.i32(1)
			w.b = append(w.b, id[:]...)
			w.i32(1)
			w.i32(128)
			w.u8(99)
			w.b = append(w.b, make([]byte, 8)...)
		}), "unknown stream state handle tag 99", 48, nil},
		{"inline state longer than the file", raw(func(w *writer) {
			header(w, 3)
			w.i64(1)
			w.i32(0)
			w.i32(1)
			w.b = append(w.b, id[:]...)
			w.i32(1)
			w.i32(128)
			w.u8(1)
			w.utf("coordinator")
			w.i32(1<<31 - 1)
		}), "inline state length 2147483647 too large", 62, io.ErrUnexpectedEOF},
		{"trailing bytes", raw(func(w *writer) { header(w, 2); w.i64(1); w.i32(0); w.i32(0); w.u8(7) }), "1 unexpected bytes after the end", 24, nil},
		{"coordinator not inline", raw(func(w *writer) {
			header(w, 3)
			w.i64(1)
			w.i32(0)
			w.i32(1)
			w.b = append(w.b, id[:]...)
			w.i32(1)
			w.i32(128)
			w.u8(6)
			w.utf("f")
			w.i64(3)
			w.i32(0)
		}), "coordinator state must be inline", 48, nil},
		{"bad distribution mode", raw(func(w *writer) {
			header(w, 3)
			w.i64(1)
			w.i32(0)
			w.i32(1)
			w.b = append(w.b, id[:]...)
			w.i32(1)
			w.i32(128)
			w.u8(0)
			w.i32(1)
			w.i32(0)
			w.i32(1) // managed operator state present
			w.u8(4)
			w.i32(1)
			w.utf("s")
			w.u8(9)
			w.b = append(w.b, make([]byte, 8)...)
		}), "unknown distribution mode 9", 69, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(tc.in)
			if err == nil {
				t.Fatalf("decoded %+v; want an error", m)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			var fe *FormatError
			if tc.offset >= 0 {
				if !errors.As(err, &fe) {
					t.Fatalf("error %v is not a *FormatError", err)
				}
				if fe.Offset != tc.offset {
					t.Errorf("offset %d, want %d (%v)", fe.Offset, tc.offset, err)
				}
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
		})
	}
}

// The error names the structure being read.
func TestErrorPath(t *testing.T) {
	b := raw(func(w *writer) {
		id := OperatorIDFromUID("x")
		header(w, 3)
		w.i64(1)
		w.i32(0)
		w.i32(1)
		w.b = append(w.b, id[:]...)
		w.i32(1)
		w.i32(128)
		w.u8(0)
		w.i32(1)
		w.i32(0)
		w.i32(0)
		w.i32(0)
		w.u8(42)
	})
	_, err := Decode(b)
	want := "metadata: unknown keyed state handle tag 42 at offset 65 (0x41) in operator 0 (" + OperatorIDFromUID("x").String() + "), subtask record 0, managed keyed state"
	if err == nil || err.Error() != want {
		t.Errorf("error\n %v\nwant\n %s", err, want)
	}
}

// Every proper prefix of a real file is an error, never a panic.
func TestTruncations(t *testing.T) {
	for _, name := range []string{
		corpusDir + "/flink-tests/new-stateful-udf-migration-itcase-flink1.19-rocksdb-checkpoint/_metadata",
		corpusDir + "/flink-tests/new-stateful-broadcast-udf-migration-itcase-flink1.12-savepoint/_metadata",
		corpusDir + "/flink-tests/operatorstate/complexKeyed-flink1.3/_metadata",
	} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < len(b); n++ {
			if _, err := Decode(b[:n]); err == nil {
				t.Fatalf("%s: prefix of %d of %d bytes decoded without error", name, n, len(b))
			}
		}
	}
}

// A length prefix of 2^31 must not allocate 2 GiB.
func TestNoAllocationFromLengthPrefixes(t *testing.T) {
	b := raw(func(w *writer) {
		header(w, 3)
		w.i64(1)
		w.i32(0)
		w.i32(1)
		id := OperatorIDFromUID("x")
		w.b = append(w.b, id[:]...)
		w.i32(1)
		w.i32(128)
		w.u8(0)
		w.i32(1)
		w.i32(0)
		w.i32(0)
		w.i32(0)
		w.u8(byte(TagKeyGroupsHandleV2))
		w.i32(0)
		w.i32(1<<31 - 1) // key-group count
	})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < 100; i++ {
		if _, err := Decode(b); err == nil {
			t.Fatal("decoded")
		}
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 10<<20 {
		t.Errorf("100 decodes of a %d-byte hostile file allocated %d bytes", len(b), got)
	}
}

// op writes a version 3 file with one operator of the given parallelism and
// max parallelism, whose single subtask has index idx and the managed keyed
// state keyed writes.
func oneOperator(par, maxPar, idx int32, keyed func(w *writer)) []byte {
	return raw(func(w *writer) {
		id := OperatorIDFromUID("x")
		header(w, 3)
		w.i64(1)
		w.i32(0)
		w.i32(1)
		w.b = append(w.b, id[:]...)
		w.i32(par)
		w.i32(maxPar)
		w.u8(0)  // no coordinator state
		w.i32(1) // one subtask
		w.i32(idx)
		w.i32(0) // no managed operator state
		w.i32(0) // no raw operator state
		keyed(w)
		w.u8(0) // no raw keyed state
		w.i32(0)
		w.i32(0)
	})
}

func noKeyed(w *writer) { w.u8(0) }

// The semantic checks the format implies (OperatorState's constructor and
// putState, KeyGroupRangeAssignment) are format errors with the offset.
func TestSemanticChecks(t *testing.T) {
	keyGroups := func(start, count int32, size int64) func(w *writer) {
		return func(w *writer) {
			w.u8(byte(TagKeyGroupsHandle))
			w.i32(start)
			w.i32(count)
			for i := int32(0); i < count; i++ {
				w.i64(0)
			}
			w.u8(byte(TagFileHandle))
			w.i64(size)
			w.utf("/f")
		}
	}
	for _, tc := range []struct {
		name   string
		in     []byte
		want   string
		offset int64
	}{
		{"parallelism 0", oneOperator(0, 128, 0, noKeyed), "parallelism 0 is below 1", 40},
		{"negative parallelism", oneOperator(-3, 128, 0, noKeyed), "parallelism -3 is below 1", 40},
		{"max parallelism 0", oneOperator(1, 0, 0, noKeyed), "max parallelism 0 is outside 1 to 32768", 44},
		{"max parallelism 40000", oneOperator(1, 40000, 0, noKeyed), "max parallelism 40000 is outside 1 to 32768", 44},
		{"parallelism above max", oneOperator(8, 4, 0, noKeyed), "parallelism 8 is above the max parallelism 4", 40},
		{"subtask index = parallelism", oneOperator(2, 128, 2, noKeyed), "subtask index 2 is not below the parallelism 2", 53},
		{"finished subtask index beyond", oneOperator(2, 128, -5, noKeyed), "finished subtask index 4 is not below the parallelism 2", 53},
		{"key groups beyond max parallelism", oneOperator(1, 128, 0, keyGroups(120, 10, 1)), "key groups 120 to 129 lie beyond the operator's max parallelism 128", 66},
		{"negative key-group start", oneOperator(1, 128, 0, keyGroups(-1, 1, 1)), "negative key-group range start -1", 66},
		{"negative file size", oneOperator(1, 128, 0, keyGroups(0, 1, -7)), "negative state size -7", 83},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.in)
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v, want a *FormatError", err)
			}
			if !strings.Contains(err.Error(), tc.want) || fe.Offset != tc.offset {
				t.Errorf("error %q at %d, want %q at %d", err, fe.Offset, tc.want, tc.offset)
			}
		})
	}
	// The same layout with sane values decodes: the checks above test
	// what they name.
	if _, err := Decode(oneOperator(2, 128, 1, keyGroups(0, 128, 5))); err != nil {
		t.Errorf("a sane file: %v", err)
	}
}

// Handles nested a hundred thousand deep (key-group handles as each
// other's delegates) stop at the nesting limit, with a one-line error.
func TestHandleNesting(t *testing.T) {
	const levels = 100000
	b := oneOperator(1, 128, 0, func(w *writer) {
		for i := 0; i < levels; i++ {
			w.u8(byte(TagKeyGroupsHandle))
			w.i32(0)
			w.i32(1)
			w.i64(0)
		}
		w.u8(0)
	})
	_, err := Decode(b)
	if err == nil || !strings.Contains(err.Error(), "state handles nested deeper than 16 levels") {
		t.Fatalf("error %v", err)
	}
	if n := len(err.Error()); n > 400 {
		t.Errorf("error is %d characters long: %s", n, err)
	}
}

// A truncated file says so and where it ends.
func TestTruncatedSaysWhere(t *testing.T) {
	b := oneOperator(1, 128, 0, noKeyed)
	_, err := Decode(b[:50])
	if err == nil || !strings.Contains(err.Error(), "truncated or corrupt: the input ends at byte 50") {
		t.Errorf("error %v", err)
	}
	_, err = Decode(b[:60])
	if err == nil || !strings.Contains(err.Error(), "truncated: the input ends at byte 60") {
		t.Errorf("error %v", err)
	}
}
