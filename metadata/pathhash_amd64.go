package metadata

import "golang.org/x/sys/cpu"

// hasAES says whether hashPath hashes paths of 16 bytes or more with
// hashPathAES (the CPU has AES-NI); tests set it.
var hasAES = cpu.X86.HasAES

// hashPathAES is hashPath for n >= 16 bytes at p, in AES rounds under the
// round keys k (pathhash_amd64.s): the hash's two halves, and the high
// bits of the bytes ORed (0: ASCII).
//
//go:noescape
func hashPathAES(k *aesKeys, p *byte, n int) (h0, h1 uint64, high uint32)
