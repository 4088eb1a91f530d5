package metadata

import (
	"crypto/aes"
	"encoding/binary"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// A model of AES rounds in Go, held to crypto/aes, holds hashPathAES to
// what pathhash_amd64.s says it computes.

// aesSbox is AES's S-box, computed as FIPS 197 defines it: the inverse
// in GF(2^8), then the affine map.
var aesSbox = func() (s [256]byte) {
	p, q := byte(1), byte(1)
	for {
		// p times 3, q divided by 3: q stays p's inverse.
		p = p ^ p<<1 ^ byte(int8(p)>>7)&0x1b
		q ^= q << 1
		q ^= q << 2
		q ^= q << 4
		if q&0x80 != 0 {
			q ^= 0x09
		}
		rot := func(x byte, n uint) byte { return x<<n | x>>(8-n) }
		s[p] = q ^ rot(q, 1) ^ rot(q, 2) ^ rot(q, 3) ^ rot(q, 4) ^ 0x63
		if p == 1 {
			break
		}
	}
	s[0] = 0x63
	return s
}()

type block [16]byte // byte i is row i%4 of column i/4, as in an XMM register

func xtime(b byte) byte { return b<<1 ^ byte(int8(b)>>7)&0x1b }

// aesenc is AESENC: ShiftRows, SubBytes, MixColumns, then the round key
// xored in; last leaves out MixColumns (AESENCLAST).
func aesenc(s, k block, last bool) block {
	var t block
	for c := range 4 {
		for r := range 4 {
			t[r+4*c] = aesSbox[s[r+4*((c+r)%4)]]
		}
	}
	if !last {
		for c := range 4 {
			a0, a1, a2, a3 := t[4*c], t[4*c+1], t[4*c+2], t[4*c+3]
			t[4*c] = xtime(a0) ^ xtime(a1) ^ a1 ^ a2 ^ a3
			t[4*c+1] = a0 ^ xtime(a1) ^ xtime(a2) ^ a2 ^ a3
			t[4*c+2] = a0 ^ a1 ^ xtime(a2) ^ xtime(a3) ^ a3
			t[4*c+3] = xtime(a0) ^ a0 ^ a1 ^ a2 ^ xtime(a3)
		}
	}
	for i := range t {
		t[i] ^= k[i]
	}
	return t
}

func xor(a, b block) block {
	for i := range a {
		a[i] ^= b[i]
	}
	return a
}

// The model encrypts as crypto/aes does (AES-128, with its key schedule).
func TestAESModel(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 200 {
		var key, in block
		for i := range key {
			key[i], in[i] = byte(r.Uint32()), byte(r.Uint32())
		}
		c, err := aes.NewCipher(key[:])
		if err != nil {
			t.Fatal(err)
		}
		var want block
		c.Encrypt(want[:], in[:])
		// The key schedule: word i of 44.
		var w [44][4]byte
		for i := range 4 {
			copy(w[i][:], key[4*i:])
		}
		rcon := byte(1)
		for i := 4; i < 44; i++ {
			x := w[i-1]
			if i%4 == 0 {
				x = [4]byte{aesSbox[x[1]] ^ rcon, aesSbox[x[2]], aesSbox[x[3]], aesSbox[x[0]]}
				rcon = xtime(rcon)
			}
			for j := range 4 {
				w[i][j] = w[i-4][j] ^ x[j]
			}
		}
		rk := func(n int) (k block) {
			for c := range 4 {
				copy(k[4*c:], w[4*n+c][:])
			}
			return k
		}
		s := xor(in, rk(0))
		for n := 1; n <= 10; n++ {
			s = aesenc(s, rk(n), n == 10)
		}
		if s != want {
			t.Fatalf("key %x, block %x: model %x, crypto/aes %x", key, in, s, want)
		}
	}
}

// hashPathAESModel is pathhash_amd64.s in Go, on the model's rounds.
func hashPathAESModel(k *aesKeys, p []byte) (h0, h1 uint64, high uint32) {
	key := func(i int) (b block) {
		binary.LittleEndian.PutUint64(b[:], k[2*i])
		binary.LittleEndian.PutUint64(b[8:], k[2*i+1])
		return b
	}
	var nb block
	binary.LittleEndian.PutUint64(nb[:], uint64(len(p)))
	binary.LittleEndian.PutUint64(nb[8:], uint64(len(p)))
	var lane [4]block
	for i := range lane {
		lane[i] = xor(key(4+i), nb)
	}
	var or block
	in := func(l int, b []byte) {
		var x block
		copy(x[:], b)
		or = orBlocks(or, x)
		lane[l] = aesenc(xor(lane[l], x), key(l), false)
	}
	rest := p
	for len(rest) > 64 {
		for l := range 4 {
			in(l, rest[16*l:])
		}
		rest = rest[64:]
	}
	for l := 0; l < 3 && len(rest) > 16*(l+1); l++ {
		in(l, rest[16*l:])
	}
	in(3, p[len(p)-16:])
	x0 := aesenc(xor(lane[0], lane[1]), key(8), false)
	x2 := aesenc(xor(lane[2], lane[3]), key(9), false)
	x0 = aesenc(xor(x0, x2), key(8), false)
	x0 = aesenc(x0, key(9), false)
	for i, b := range or {
		high |= uint32(b>>7) << i
	}
	return binary.LittleEndian.Uint64(x0[:]), binary.LittleEndian.Uint64(x0[8:]), high
}

func orBlocks(a, b block) block {
	for i := range a {
		a[i] |= b[i]
	}
	return a
}

func TestHashPathAES(t *testing.T) {
	if !hasAES {
		t.Skip("no AES-NI: hashPath hashes every path in Go")
	}
	r := rand.New(rand.NewPCG(9, 10))
	for range 20 {
		var k aesKeys
		for i := range k {
			k[i] = r.Uint64()
		}
		for n := 16; n <= 300; n++ {
			p := make([]byte, n)
			for i := range p {
				p[i] = byte(r.Uint32())
				if r.IntN(2) == 0 {
					p[i] &= 0x7f
				}
			}
			g0, g1, gh := hashPathAES(&k, unsafe.SliceData(p), n)
			w0, w1, wh := hashPathAESModel(&k, p)
			if g0 != w0 || g1 != w1 || gh != wh {
				t.Fatalf("length %d: hashPathAES %x %x %x, the model %x %x %x", n, g0, g1, gh, w0, w1, wh)
			}
		}
	}
}
