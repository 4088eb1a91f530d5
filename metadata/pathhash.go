package metadata

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"unsafe"
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
// paths the decoder's fast path left unchecked (see fileHasher.hashRef).
// For a checkpoint's path of 87 bytes it takes 14 ns, where two
// hash/maphash calls and an ASCII check took 28.
//
// On amd64 with AES-NI, a path of 16 bytes or more is hashed in AES rounds
// instead (hashPathAES, pathhash_amd64.s), as Go's runtime hashes map keys
// where it has AES: its 16-byte blocks xored into four lanes in turn, one
// round each under random round keys, the lanes folded in two more rounds
// and mixed in a last one (every bit through four rounds; two rounds of AES
// already make every output bit depend on every input bit), the blocks
// ORed for the ASCII answer. A path of 88 bytes takes 8.5 ns, and inspect
// on the 351 MiB checkpoint, whose goroutine hashes 3.1 million of them,
// 125 ms where it took 132 (one interleaved run of 21). Which of the two
// hashes a path depends on its length only, so that one path always has
// one hash; paths of different lengths differ in both anyway.
type pathKeys struct {
	w   [6]uint64
	aes aesKeys
}

// aesKeys are ten 16-byte AES round keys (hashPathAES).
type aesKeys [20]uint64

func newPathKeys() pathKeys {
	var k pathKeys
	for i := range k.w {
		k.w[i] = rand.Uint64() | 1 // math/rand/v2: ChaCha8, randomly seeded
	}
	for i := range k.aes {
		k.aes[i] = rand.Uint64()
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
	if hasAES && len(p) >= 16 {
		h0, h1, high := hashPathAES(&k.aes, unsafe.SliceData(p), len(p))
		return h0, h1, high == 0
	}
	n := uint64(len(p))
	a, b := k.w[4]^n, k.w[5]^n
	var or uint64
	for len(p) > 16 {
		x, y := binary.LittleEndian.Uint64(p), binary.LittleEndian.Uint64(p[8:])
		or |= x | y
		a = fold(x^k.w[0], y^a)
		b = fold(x^k.w[2], y^b)
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
	h0 = fold(fold(x^k.w[0], y^a)^k.w[1], n^k.w[4])
	h1 = fold(fold(x^k.w[2], y^b)^k.w[3], n^k.w[5])
	return h0, h1, or&asciiMask == 0
}
