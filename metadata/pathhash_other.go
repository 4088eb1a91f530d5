//go:build !amd64

package metadata

// hasAES: elsewhere than on amd64 every path is hashed in Go (hashPath).
var hasAES = false

func hashPathAES(*aesKeys, *byte, int) (h0, h1 uint64, high uint32) {
	panic("metadata: no AES path hash on this architecture")
}
