package metadata

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// eachHash runs f with paths of 16 bytes and more hashed in Go, and again
// with AES-NI if the CPU has it.
func eachHash(t *testing.T, f func(t *testing.T)) {
	aes := hasAES
	defer func() { hasAES = aes }()
	hasAES = false
	t.Run("go", f)
	if aes {
		hasAES = true
		t.Run("aes", f)
	}
}

// hashPath tells ASCII as isASCII does, at every length and position of
// a non-ASCII byte.
func TestHashPathASCII(t *testing.T) { eachHash(t, testHashPathASCII) }

func testHashPathASCII(t *testing.T) {
	k := newPathKeys()
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n <= 100; n++ {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(r.IntN(0x80))
		}
		if _, _, ascii := k.hashPath(p); !ascii || !isASCII(p) {
			t.Fatalf("length %d: ASCII %v, isASCII %v", n, ascii, isASCII(p))
		}
		for i := range p {
			old := p[i]
			p[i] = 0x80 | old
			if _, _, ascii := k.hashPath(p); ascii || isASCII(p) {
				t.Fatalf("length %d, byte %d not ASCII: ASCII %v, isASCII %v", n, i, ascii, isASCII(p))
			}
			p[i] = old
		}
	}
}

// Every bit of a path, and its length, changes both halves of the hash;
// paths that differ as checkpoint paths do (a few digits) do not collide.
func TestHashPathDistinct(t *testing.T) { eachHash(t, testHashPathDistinct) }

func testHashPathDistinct(t *testing.T) {
	k := newPathKeys()
	for n := 0; n <= 70; n++ {
		p := make([]byte, n)
		for i := range p {
			p[i] = 'a' + byte(i%26)
		}
		h0, h1, _ := k.hashPath(p)
		if n > 0 {
			if g0, g1, _ := k.hashPath(p[:n-1]); g0 == h0 || g1 == h1 {
				t.Fatalf("length %d and %d: the same hash", n, n-1)
			}
		}
		for i := range p {
			for bit := 0; bit < 8; bit++ {
				p[i] ^= 1 << bit
				if g0, g1, _ := k.hashPath(p); g0 == h0 || g1 == h1 {
					t.Fatalf("length %d: flipping bit %d of byte %d leaves half the hash", n, bit, i)
				}
				p[i] ^= 1 << bit
			}
		}
	}
	seen0 := map[uint64]bool{}
	seen1 := map[uint64]bool{}
	for i := 0; i < 1_000_000; i++ {
		h0, h1, _ := k.hashPath(fmt.Appendf(nil, "s3://bucket/flink/checkpoints/7f2a1c9e0b3d4e5f/shared/op-%d-%d-%06d.sst", i%73, i%1000, i/1000))
		if seen0[h0] || seen1[h1] {
			t.Fatalf("path %d: a 64-bit half collides", i)
		}
		seen0[h0], seen1[h1] = true, true
	}
	// Other keys, other hashes.
	k2 := newPathKeys()
	for _, p := range []string{"x", "s3://bucket/shared/x.sst"} {
		a0, a1, _ := k.hashPath([]byte(p))
		if b0, b1, _ := k2.hashPath([]byte(p)); a0 == b0 || a1 == b1 {
			t.Errorf("%s: two key sets hash alike", p)
		}
	}
}
