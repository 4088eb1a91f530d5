package metadata

import (
	"testing"
	"time"
)

// wait gives the last window buffer to the hashing goroutine, which gives
// it back with the others: there must be room for all of them (the first
// window buffer and the maxWindowBuffers swap makes), or wait hangs.
func TestFileSetWaitTakesBackEveryBuffer(t *testing.T) {
	s := newFileSet(nil, true)
	s.win = make([]byte, 0, 16)
	s.start()
	for range maxWindowBuffers { // given back already
		s.free <- fileBatch{buf: make([]byte, 0, 16)}
	}
	s.bufs = maxWindowBuffers
	s.addRef("x", false, false, 0) // not in the window: kept with the batch
	done := make(chan struct{})
	go func() {
		s.wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("wait hangs: the goroutine cannot give the last window buffer back")
	}
	if n := s.count(make([]int, 1)); n != 1 {
		t.Errorf("%d files, want 1", n)
	}
}

// A fault outside the input (here a nil dereference, a bug) is not taken
// for a truncated input: the panic goes on.
func TestRecoverFaultOnlyInTheInput(t *testing.T) {
	var err error
	defer func() {
		if r := recover(); r == nil || err != nil {
			t.Errorf("recovered %v, error %v; want the panic to go on", r, err)
		}
	}()
	func() {
		defer guardFaults()()
		defer recoverFault(make([]byte, 10), &err)
		var p *[4]byte
		_ = p[1]
	}()
}
