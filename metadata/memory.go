package metadata

import (
	"fmt"
	"io"
	"runtime/debug"
	"unsafe"
)

// An InMemory input is held in memory whole: a mapped file, or the bytes
// of an object fetched whole. DecodeSummaries (and FileCheck's decodes)
// read it in place, where other inputs are copied through a window.
//
// ReleaseBefore, when the input has it, is called as decoding moves on:
// the decoder will not read the bytes before off again in this decode. A
// mapped file drops those pages from the process, which keeps its
// resident memory flat.
//
// The bytes of a mapped file can vanish under the decoder (the file is
// truncated while it is read): the decoder turns the fault that follows
// into an error (ErrInputChanged) instead of crashing.
type InMemory interface {
	io.ReaderAt
	Bytes() []byte
}

type releaser interface {
	ReleaseBefore(off int64)
}

// Memory is an InMemory input of bytes already read.
type Memory []byte

// Bytes returns m.
func (m Memory) Bytes() []byte { return m }

// ReadAt is io.ReaderAt on m. When m is mapped memory, a fault (the file
// truncated) is ErrInputChanged.
func (m Memory) ReadAt(p []byte, off int64) (_ int, err error) {
	defer guardFaults()()
	defer recoverFault(m, &err)
	if off < 0 {
		return 0, fmt.Errorf("metadata: negative offset %d", off)
	}
	if off >= int64(len(m)) {
		return 0, io.EOF
	}
	n := copy(p, m[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// ErrInputChanged reports a fault reading an InMemory input: the file
// mapped was truncated while it was read.
var ErrInputChanged = fmt.Errorf("metadata: the input changed while it was read (a mapped file was truncated)")

// guardFaults makes a fault on memory of an InMemory input a panic
// recoverFault can turn into an error, for the calling goroutine; call
// the function it returns (deferred) to restore the setting.
func guardFaults() func() {
	old := debug.SetPanicOnFault(true)
	return func() { debug.SetPanicOnFault(old) }
}

// recoverFault turns a memory fault in b recovered from into
// ErrInputChanged in *err, and lets any other panic go on (a nil
// dereference is a bug, not a truncated file). Call it deferred,
// directly.
func recoverFault(b []byte, err *error) {
	r := recover()
	if r == nil {
		return
	}
	if f, ok := r.(interface{ Addr() uintptr }); ok && cap(b) > 0 {
		start := uintptr(unsafe.Pointer(unsafe.SliceData(b[:1])))
		if a := f.Addr(); a >= start && a-start < uintptr(cap(b)) {
			*err = ErrInputChanged
			return
		}
	}
	panic(r)
}
