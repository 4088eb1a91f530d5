package metadata

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
)

// The file set and FileCheck tell paths apart by a 128-bit hash of their
// bytes (of which they keep 96 bits), in two lanes of the multiply-and-
// fold construction of wyhash (Wang Yi's hash, which Go's runtime uses
// where it has no AES): each lane folds 16 bytes at a time into its state
// with one 64×64→128-bit multiplication, x⊕k and y⊕state, high and low
// halves xored. The keys are random per pathKeys, so that a file cannot
// be written with paths chosen to collide, nor with a word that cancels a
// lane's state (it would have to equal a key, or the state, which the
// keys make secret). This is not a cryptographic hash: the odds quoted
// (DecodeSummaries) hold for paths not chosen against it. It makes one
// pass over the bytes for both lanes and tells, in the same pass, whether
// every byte is ASCII (below 0x80): the hashing goroutine checks the
// paths the decoder's fast path left unchecked (see fileHasher.hashRef). For a checkpoint's
// path of 87 bytes it takes 15 ns, where two hash/maphash calls and an
// ASCII check took 28.
type pathKeys [6]uint64

func newPathKeys() pathKeys {
	var k pathKeys
	for i := range k {
		k[i] = rand.Uint64() | 1 // math/rand/v2: ChaCha8, randomly seeded
	}
	return k
}

func fold(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

const asciiMask = 0x8080808080808080

// hashPath returns the 128-bit hash of p under k, and whether p is ASCII.
func (k *pathKeys) hashPath(p []byte) (h0, h1 uint64, ascii bool) {
	n := uint64(len(p))
	a, b := k[4]^n, k[5]^n
	var or uint64
	for len(p) > 16 {
		x, y := binary.LittleEndian.Uint64(p), binary.LittleEndian.Uint64(p[8:])
		or |= x | y
		a = fold(x^k[0], y^a)
		b = fold(x^k[2], y^b)
		p = p[16:]
	}
	// The last 1 to 16 bytes (overlapping what came before, or each byte
	// of a short path once or more).
	var x, y uint64
	switch m := len(p); {
	case m >= 8:
		x, y = binary.LittleEndian.Uint64(p), binary.LittleEndian.Uint64(p[m-8:])
	case m >= 4:
		x = uint64(binary.LittleEndian.Uint32(p))<<32 | uint64(binary.LittleEndian.Uint32(p[m-4:]))
	case m > 0:
		x = uint64(p[0])<<16 | uint64(p[m>>1])<<8 | uint64(p[m-1])
	}
	or |= x | y
	h0 = fold(fold(x^k[0], y^a)^k[1], n^k[4])
	h1 = fold(fold(x^k[2], y^b)^k[3], n^k[5])
	return h0, h1, or&asciiMask == 0
}
