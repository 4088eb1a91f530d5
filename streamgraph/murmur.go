package streamgraph

import (
	"encoding/binary"
	"math/bits"

	"github.com/spcheck/spcheck/metadata"
)

// HashBytes returns Guava's Hashing.murmur3_128(0) of data as the 16 bytes
// HashCode.asBytes() yields: the two 64-bit halves h1 and h2 of
// MurmurHash3_x64_128, each little-endian. Flink uses these bytes unchanged
// as the OperatorID (StreamGraphHasherV2), so the result prints as Flink
// prints the ID.
func HashBytes(data []byte) metadata.OperatorID {
	h1, h2 := murmur3x64128(data)
	var id metadata.OperatorID
	binary.LittleEndian.PutUint64(id[0:8], h1)
	binary.LittleEndian.PutUint64(id[8:16], h2)
	return id
}

// UserSpecifiedID returns the ID Flink derives for an operator with
// uid(uid): murmur3_128 of the UTF-8 bytes of uid
// (StreamGraphHasherV2#generateUserSpecifiedHash).
func UserSpecifiedID(uid string) metadata.OperatorID {
	return HashBytes([]byte(uid))
}

// murmur3x64128 is MurmurHash3_x64_128 with seed 0.
func murmur3x64128(data []byte) (h1, h2 uint64) {
	const c1, c2 = 0x87c37b91114253d5, 0x4cf5ad432745937f
	n := len(data)
	for ; len(data) >= 16; data = data[16:] {
		k1 := binary.LittleEndian.Uint64(data)
		k2 := binary.LittleEndian.Uint64(data[8:])

		h1 ^= bits.RotateLeft64(k1*c1, 31) * c2
		h1 = bits.RotateLeft64(h1, 27) + h2
		h1 = h1*5 + 0x52dce729

		h2 ^= bits.RotateLeft64(k2*c2, 33) * c1
		h2 = bits.RotateLeft64(h2, 31) + h1
		h2 = h2*5 + 0x38495ab5
	}
	// The tail: up to 15 bytes, little-endian into k1 (bytes 0-7) and
	// k2 (bytes 8-14).
	var k1, k2 uint64
	for i := len(data) - 1; i >= 8; i-- {
		k2 = k2<<8 | uint64(data[i])
	}
	for i := min(len(data), 8) - 1; i >= 0; i-- {
		k1 = k1<<8 | uint64(data[i])
	}
	if len(data) > 8 {
		h2 ^= bits.RotateLeft64(k2*c2, 33) * c1
	}
	if len(data) > 0 {
		h1 ^= bits.RotateLeft64(k1*c1, 31) * c2
	}

	h1 ^= uint64(n)
	h2 ^= uint64(n)
	h1 += h2
	h2 += h1
	h1 = fmix64(h1)
	h2 = fmix64(h2)
	h1 += h2
	h2 += h1
	return h1, h2
}

func fmix64(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}
