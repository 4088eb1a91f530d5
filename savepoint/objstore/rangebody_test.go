package objstore

import (
	"io"
	"strings"
	"testing"
)

// RangeBody accepts the range asked for, its part up to the end of the
// object, and a whole-object answer for a range from byte 0 (cut to the
// range); it refuses any other Content-Range and a whole object for a
// range further on.
func TestRangeBody(t *testing.T) {
	const obj = "0123456789"
	for _, tc := range []struct {
		name        string
		off, length int64
		cr          string
		whole       int64
		body        string
		size        int64
		want, err   string
	}{
		{"range", 2, 3, "bytes 2-4/10", -1, "234", 10, "234", ""},
		{"range past the end", 8, 5, "bytes 8-9/10", -1, "89", 10, "89", ""},
		{"to the end", 4, -1, "bytes 4-9/10", -1, "456789", 10, "456789", ""},
		{"whole object for a range from 0", 0, 4, "", 10, obj, 10, "0123", ""},
		{"whole object asked", 0, -1, "", 10, obj, 10, obj, ""},
		{"whole object for a range further on", 3, 2, "", 10, obj, 0, "", "with the whole object"},
		{"another range", 2, 3, "bytes 0-9/10", -1, obj, 0, "", `with Content-Range "bytes 0-9/10"`},
		{"garbled Content-Range", 2, 3, "(none)", -1, "", 0, "", `GET of bytes=2-4 with Content-Range "(none)"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			size, body, err := RangeBody(tc.off, tc.length, tc.cr, tc.whole, io.NopCloser(strings.NewReader(tc.body)))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(body)
			if size != tc.size || string(b) != tc.want {
				t.Errorf("size %d, body %q; want %d, %q", size, b, tc.size, tc.want)
			}
		})
	}
	if RangeHeader(0, -1) != "" || RangeHeader(5, -1) != "bytes=5-" || RangeHeader(0, 4) != "bytes=0-3" {
		t.Error("RangeHeader")
	}
}
