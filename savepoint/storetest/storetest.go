// Package storetest is the conformance suite every savepoint.Store driver
// passes: the same tree is placed in each store and read back through the
// driver.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"math/rand"
	"path"
	"strings"
	"sync"
	"testing"

	"github.com/spcheck/spcheck/savepoint"
)

// A Harness places files in a store and returns a driver for it. files maps
// slash-separated relative paths to contents; root is the path under which
// the driver sees them.
type Harness func(t *testing.T, files map[string][]byte) (store savepoint.Store, root string)

// Tree returns the files the suite places: a small savepoint-like
// directory and a file larger than a few HDFS blocks of 1 MiB.
func Tree() map[string][]byte {
	rnd := rand.New(rand.NewSource(1))
	big := make([]byte, 3<<20+12345)
	rnd.Read(big)
	return map[string][]byte{
		"sp/_metadata":        []byte("metadata bytes"),
		"sp/a-state-file":     []byte("state"),
		"sp/sub/nested":       []byte("nested"),
		"sp/empty":            {},
		"big.bin":             big,
		"chk/chk-1/_metadata": []byte("c1"),
		"chk/chk-2/x":         []byte("x"),
	}
}

// Run runs the suite against the driver h returns.
func Run(t *testing.T, h Harness) {
	files := Tree()
	st, root := h(t, files)
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	p := func(rel string) string {
		if root == "" || root[len(root)-1] == '/' {
			return root + rel
		}
		return root + "/" + rel
	}

	t.Run("OpenReadAll", func(t *testing.T) {
		for _, name := range []string{"sp/_metadata", "sp/sub/nested", "big.bin", "sp/empty"} {
			obj, err := st.Open(ctx, p(name))
			if err != nil {
				t.Fatalf("Open(%s): %v", name, err)
			}
			if obj.Size() != int64(len(files[name])) {
				t.Errorf("%s: Size() = %d, want %d", name, obj.Size(), len(files[name]))
			}
			got, err := io.ReadAll(io.NewSectionReader(obj, 0, obj.Size()))
			if err != nil {
				t.Fatalf("%s: read: %v", name, err)
			}
			if !bytes.Equal(got, files[name]) {
				t.Errorf("%s: contents differ (%d bytes read, %d stored)", name, len(got), len(files[name]))
			}
			obj.Close()
		}
	})

	t.Run("ReadAtRanges", func(t *testing.T) {
		want := files["big.bin"]
		obj, err := st.Open(ctx, p("big.bin"))
		if err != nil {
			t.Fatal(err)
		}
		defer obj.Close()
		for _, r := range [][2]int{{0, 10}, {1<<20 - 5, 10}, {2<<20 + 511, 1<<20 + 2}, {len(want) - 7, 7}, {12345, 0}} {
			buf := make([]byte, r[1])
			n, err := obj.ReadAt(buf, int64(r[0]))
			if n != r[1] || (err != nil && !(errors.Is(err, io.EOF) && r[0]+r[1] == len(want))) {
				t.Fatalf("ReadAt(off %d, len %d) = %d, %v", r[0], r[1], n, err)
			}
			if !bytes.Equal(buf, want[r[0]:r[0]+r[1]]) {
				t.Errorf("ReadAt(off %d, len %d): wrong bytes", r[0], r[1])
			}
		}
		buf := make([]byte, 10)
		n, err := obj.ReadAt(buf, int64(len(want)-4))
		if n != 4 || !errors.Is(err, io.EOF) {
			t.Errorf("ReadAt past the end = %d, %v; want 4, io.EOF", n, err)
		}
	})

	t.Run("NotExist", func(t *testing.T) {
		if _, err := st.Open(ctx, p("sp/nope")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open(missing) error = %v, want fs.ErrNotExist", err)
		}
		if _, err := st.Stat(ctx, p("nope/nope")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat(missing) error = %v, want fs.ErrNotExist", err)
		}
		if _, err := st.List(ctx, p("nope")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("List(missing) error = %v, want fs.ErrNotExist", err)
		}
	})

	t.Run("Stat", func(t *testing.T) {
		fi, err := st.Stat(ctx, p("sp/a-state-file"))
		if err != nil {
			t.Fatal(err)
		}
		if fi.IsDir || fi.Size != 5 || fi.Name != "a-state-file" {
			t.Errorf("Stat(file) = %+v", fi)
		}
		fi, err = st.Stat(ctx, p("sp"))
		if err != nil {
			t.Fatal(err)
		}
		if !fi.IsDir || fi.Name != "sp" {
			t.Errorf("Stat(dir) = %+v", fi)
		}
	})

	t.Run("List", func(t *testing.T) {
		ents, err := st.List(ctx, p("sp"))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range ents {
			s := e.Name
			if e.IsDir {
				s += "/"
			}
			got = append(got, s)
		}
		want := []string{"_metadata", "a-state-file", "empty", "sub/"}
		if len(got) != len(want) {
			t.Fatalf("List(sp) = %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("List(sp) = %v, want %v", got, want)
			}
		}
		for _, e := range ents {
			if e.Name == "_metadata" && (e.Size != int64(len(files["sp/_metadata"])) || e.Path != p("sp/_metadata")) {
				t.Errorf("List entry %+v: wrong size or path", e)
			}
		}
	})

	t.Run("OpenRange", func(t *testing.T) {
		ro, ok := st.(savepoint.RangeOpener)
		if !ok {
			t.Skip("the store has no OpenRange; Open serves header reads")
		}
		want := files["big.bin"]
		for _, r := range [][2]int{{0, 10}, {1<<20 + 3, 100}, {len(want) - 5, 5}, {len(want) - 5, 50}} {
			obj, err := ro.OpenRange(ctx, p("big.bin"), int64(r[0]), int64(r[1]))
			if err != nil {
				t.Fatalf("OpenRange(%d, %d): %v", r[0], r[1], err)
			}
			if obj.Size() != int64(len(want)) {
				t.Errorf("OpenRange(%d, %d): Size() = %d, want %d", r[0], r[1], obj.Size(), len(want))
			}
			n := min(r[1], len(want)-r[0])
			buf := make([]byte, n)
			if _, err := io.ReadFull(io.NewSectionReader(obj, int64(r[0]), int64(n)), buf); err != nil || !bytes.Equal(buf, want[r[0]:r[0]+n]) {
				t.Errorf("OpenRange(%d, %d): read %v or wrong bytes", r[0], r[1], err)
			}
			// A read outside the range still works.
			if _, err := obj.ReadAt(buf[:1], 7); err != nil || buf[0] != want[7] {
				t.Errorf("OpenRange(%d, %d): ReadAt(7) = %v or a wrong byte", r[0], r[1], err)
			}
			obj.Close()
		}
		// Past the end, and on an empty object: the object exists.
		for _, c := range []struct {
			name string
			off  int64
			size int
		}{{"big.bin", int64(len(want)) + 100, len(want)}, {"sp/empty", 0, 0}} {
			obj, err := ro.OpenRange(ctx, p(c.name), c.off, 10)
			if err != nil {
				t.Errorf("OpenRange(%s, %d, 10): %v", c.name, c.off, err)
				continue
			}
			if obj.Size() != int64(c.size) {
				t.Errorf("OpenRange(%s, %d, 10): Size() = %d, want %d", c.name, c.off, obj.Size(), c.size)
			}
			obj.Close()
		}
		if _, err := ro.OpenRange(ctx, p("sp/nope"), 0, 10); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("OpenRange(missing) error = %v, want fs.ErrNotExist", err)
		}
	})

	t.Run("OpenDirectory", func(t *testing.T) {
		if obj, err := st.Open(ctx, p("sp/sub")); err == nil {
			obj.Close()
			t.Errorf("Open(directory) succeeded; want an error")
		}
	})
}

// Guard wraps a store so that any Open, Stat or List of a path outside
// roots (cleaned, slash-separated store paths) fails the test: the proof
// that nothing else is touched. Accesses counts the accesses inside.
func Guard(t testing.TB, st savepoint.Store, roots ...string) *Guarded {
	return &Guarded{t: t, st: st, roots: roots}
}

// Guarded is a store watched by Guard.
type Guarded struct {
	t     testing.TB
	st    savepoint.Store
	roots []string

	mu       sync.Mutex
	Accesses int
}

func (g *Guarded) check(op, p string) {
	g.t.Helper()
	c := path.Clean(p)
	for _, r := range g.roots {
		if c == r || strings.HasPrefix(c, strings.TrimSuffix(r, "/")+"/") {
			g.mu.Lock()
			g.Accesses++
			g.mu.Unlock()
			return
		}
	}
	g.t.Errorf("%s %s: outside the roots %v", op, p, g.roots)
}

func (g *Guarded) Open(ctx context.Context, p string) (savepoint.Object, error) {
	g.check("open", p)
	return g.st.Open(ctx, p)
}

func (g *Guarded) Stat(ctx context.Context, p string) (savepoint.FileInfo, error) {
	g.check("stat", p)
	return g.st.Stat(ctx, p)
}

func (g *Guarded) List(ctx context.Context, p string) ([]savepoint.FileInfo, error) {
	g.check("list", p)
	return g.st.List(ctx, p)
}

func (g *Guarded) Close() error { return g.st.Close() }
