package testserver

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Shared is a server a test binary starts once, on first use, and stops
// from TestMain.
type Shared[T any] struct {
	name  string
	start func() (T, error)
	stop  func(T)

	once    sync.Once
	mu      sync.Mutex
	srv     T
	err     error
	started bool
}

// NewShared describes a shared server: how to start and how to stop it.
func NewShared[T any](name string, start func() (T, error), stop func(T)) *Shared[T] {
	return &Shared[T]{name: name, start: start, stop: stop}
}

// Get returns the server, starting it on first use. It fails the test when
// the server cannot be had.
func (s *Shared[T]) Get(t testing.TB) T {
	t.Helper()
	s.once.Do(func() {
		srv, err := s.start()
		s.mu.Lock()
		s.srv, s.err, s.started = srv, err, err == nil
		s.mu.Unlock()
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		t.Fatalf("testserver: %s: %v", s.name, s.err)
	}
	return s.srv
}

// Stop stops the server if it was started.
func (s *Shared[T]) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		s.stop(s.srv)
		s.started = false
	}
}

// CacheDir is where scripts/*.sh install the test servers, by version:
// $SPCHECK_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/spcheck.
func CacheDir() string {
	if c := os.Getenv("SPCHECK_CACHE"); c != "" {
		return c
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		base = filepath.Join(os.Getenv("HOME"), ".cache")
	}
	return filepath.Join(base, "spcheck")
}
