package metadata

import (
	"bytes"
	"os"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to Decode, seeded with every corpus
// file. Properties: no panic; whatever decodes re-encodes to the same bytes
// that then decode again to a model encoding the same way.
func FuzzDecode(f *testing.F) {
	for _, p := range corpusFiles(f) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			if m != nil {
				t.Fatalf("Decode returned a model and an error")
			}
			return
		}
		out, err := Encode(m)
		if err != nil {
			t.Fatalf("Encode of a decoded file: %v", err)
		}
		m2, err := Decode(out)
		if err != nil {
			t.Fatalf("decoding the re-encoded file: %v", err)
		}
		out2, err := Encode(m2)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("encode(decode(encode(decode(b)))) is not stable (%v)", err)
		}
	})
}

// FuzzModifiedUTF8 checks the modified UTF-8 codec: encoding then decoding
// gives back valid UTF-8 text, and decoding never panics.
func FuzzModifiedUTF8(f *testing.F) {
	for _, s := range []string{"", "abc", "\x00", "é", "€", "😀", "a\x00b😀c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		decodeMUTF8([]byte(s)) // arbitrary bytes must not panic
		enc := appendMUTF8(nil, s)
		got, err := decodeMUTF8(enc)
		if err != nil {
			t.Fatalf("decoding our own encoding of %q: %v", s, err)
		}
		if want := string([]rune(s)); got != want {
			t.Fatalf("round trip of %q gave %q", s, got)
		}
		if mutf8Len(s) != len(enc) {
			t.Fatalf("mutf8Len(%q) = %d, encoded %d bytes", s, mutf8Len(s), len(enc))
		}
	})
}

// isASCII's word-at-a-time check agrees with the byte-at-a-time definition.
func FuzzIsASCII(f *testing.F) {
	f.Add([]byte("plain ascii text, longer than a word"))
	f.Add([]byte("with a \x00 zero, which decodes to itself"))
	f.Add([]byte("high \x80 byte in the second word"))
	f.Fuzz(func(t *testing.T, b []byte) {
		want := true
		for _, c := range b {
			if c >= 0x80 {
				want = false
			}
		}
		if got := isASCII(b); got != want {
			t.Fatalf("isASCII(%q) = %v, want %v", b, got, want)
		}
		// The path hash tells ASCII in its pass over the bytes alike.
		if _, _, got := fuzzKeys.hashPath(b); got != want {
			t.Fatalf("hashPath(%q): ASCII %v, want %v", b, got, want)
		}
	})
}

var fuzzKeys = newPathKeys()
