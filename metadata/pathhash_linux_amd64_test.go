package metadata

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"
)

// A fault in hashPathAES (a mapped file truncated under the hashing
// goroutine) is a panic that recoverFault turns into an error, as a
// fault in Go code is: not a crash.
func TestHashPathAESFault(t *testing.T) {
	if !hasAES {
		t.Skip("no AES-NI: hashPath hashes every path in Go")
	}
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := syscall.Mmap(int(f.Fd()), 0, 1<<20, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(b)
	if err := os.Truncate(p, 4096); err != nil {
		t.Fatal(err)
	}
	k := newPathKeys()
	err = func() (err error) {
		defer guardFaults()()
		defer recoverFault(b, &err)
		hashPathAES(&k.aes, unsafe.SliceData(b[8192:]), 100)
		return nil
	}()
	if err == nil {
		t.Fatal("reading past the truncated file did not fault")
	}
	t.Log(err)
}
