package objstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spcheck/spcheck/savepoint"
	"github.com/spcheck/spcheck/savepoint/objstore"
	"github.com/spcheck/spcheck/savepoint/storetest"
)

// memDriver is a complete in-memory driver, as gocloud's memblob is: the
// portable layer's own tests run against it. Every request is recorded;
// hooks make chosen ones misbehave.
type memDriver struct {
	t       *testing.T
	objects map[string][]byte

	mu   sync.Mutex
	reqs []string // "attrs key", "list prefix token", "get key off len"
	// nextToken, when set, replaces the listing's continuation tokens.
	nextToken func(token string) string
	// stall makes every request wait for its context.
	stall bool
}

func newMem(t *testing.T, files map[string][]byte) *memDriver {
	return &memDriver{t: t, objects: files}
}

var errNotFound = errors.New("mem: not found")

func (d *memDriver) record(s string, key string) error {
	for _, seg := range strings.Split(key, "/") {
		if seg == "." || seg == ".." {
			d.t.Errorf("a request for the key %q with a %q segment reached the driver", key, seg)
		}
	}
	d.mu.Lock()
	d.reqs = append(d.reqs, s)
	d.mu.Unlock()
	return nil
}

func (d *memDriver) requests() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.reqs...)
}

func (d *memDriver) wait(ctx context.Context) error {
	if d.stall {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

func (d *memDriver) Location(key string) string { return "mem://bucket/" + key }
func (d *memDriver) Close() error               { return nil }

func (d *memDriver) Attributes(ctx context.Context, key string) (objstore.Attributes, error) {
	d.record("attrs "+key, key)
	if err := d.wait(ctx); err != nil {
		return objstore.Attributes{}, err
	}
	b, ok := d.objects[key]
	if !ok {
		return objstore.Attributes{}, errNotFound
	}
	return objstore.Attributes{Size: int64(len(b)), Version: "v1"}, nil
}

func (d *memDriver) ListPage(ctx context.Context, prefix, delim string, pageSize int, token string) (*objstore.Page, error) {
	d.record("list "+prefix+" "+token, prefix)
	if err := d.wait(ctx); err != nil {
		return nil, err
	}
	var keys []string
	for k := range d.objects {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	type item struct {
		name   string
		prefix bool
	}
	var items []item
	seen := map[string]bool{}
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		rest := k[len(prefix):]
		if i := strings.Index(rest, delim); delim != "" && i >= 0 {
			p := prefix + rest[:i+1]
			if !seen[p] {
				seen[p] = true
				items = append(items, item{p, true})
			}
			continue
		}
		items = append(items, item{k, false})
	}
	start := 0
	if token != "" {
		start, _ = strconv.Atoi(strings.TrimPrefix(token, "t"))
	}
	pg := &objstore.Page{}
	end := min(start+pageSize, len(items))
	for _, it := range items[start:end] {
		if it.prefix {
			pg.Prefixes = append(pg.Prefixes, it.name)
		} else {
			pg.Objects = append(pg.Objects, objstore.Entry{Key: it.name, Size: int64(len(d.objects[it.name]))})
		}
	}
	if end < len(items) {
		pg.Next = "t" + strconv.Itoa(end)
		if d.nextToken != nil {
			pg.Next = d.nextToken(pg.Next)
		}
	}
	return pg, nil
}

type memReader struct {
	io.Reader
	attrs objstore.Attributes
}

func (r *memReader) Close() error                    { return nil }
func (r *memReader) Attributes() objstore.Attributes { return r.attrs }

func (d *memDriver) NewRangeReader(ctx context.Context, key string, off, length int64, version string) (objstore.Reader, error) {
	d.record(fmt.Sprintf("get %s %d %d", key, off, length), key)
	if err := d.wait(ctx); err != nil {
		return nil, err
	}
	b, ok := d.objects[key]
	if !ok {
		return nil, errNotFound
	}
	if off >= int64(len(b)) && off > 0 {
		return nil, errRange
	}
	end := int64(len(b))
	if length >= 0 {
		end = min(end, off+length)
	}
	return &memReader{Reader: bytes.NewReader(b[off:end]), attrs: objstore.Attributes{Size: int64(len(b)), Version: "v1"}}, nil
}

var errRange = errors.New("mem: range")

func (d *memDriver) Describe(op string, err error) (objstore.Kind, string) {
	switch {
	case errors.Is(err, errNotFound):
		return objstore.KindNotFound, "no such object"
	case errors.Is(err, errRange):
		return objstore.KindRange, "range past the end"
	}
	return objstore.KindOther, err.Error()
}

func newStore(d *memDriver, cfg objstore.Config) *objstore.Store {
	cfg.Name = "memstore"
	return objstore.New(d, cfg)
}

// TestConformance runs the suite every driver passes on the in-memory
// driver, through the portable type.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, files map[string][]byte) (savepoint.Store, string) {
		objs := map[string][]byte{}
		for k, v := range files {
			objs["root/"+k] = v
		}
		return newStore(newMem(t, objs), objstore.Config{PageSize: 2}), "/root"
	})
}

// TestDotSegments checks that keys with "." or ".." segments are refused
// by every operation and never reach the driver.
func TestDotSegments(t *testing.T) {
	d := newMem(t, map[string][]byte{"sp/_metadata": []byte("m"), "secret": []byte("s")})
	st := newStore(d, objstore.Config{})
	ctx := t.Context()
	for _, p := range []string{"/sp/../secret", "/sp/./_metadata", "/../secret", "/sp/..", "/./sp", "/sp/../"} {
		_, err1 := st.Open(ctx, p)
		_, err2 := st.Stat(ctx, p)
		_, err3 := st.List(ctx, p)
		_, err4 := st.OpenRange(ctx, p, 0, 1)
		for i, err := range []error{err1, err2, err3, err4} {
			if !errors.Is(err, fs.ErrInvalid) || !strings.Contains(err.Error(), "refused, not sent") {
				t.Errorf("%s: operation %d: error = %v; want a refusal (fs.ErrInvalid)", p, i, err)
			}
		}
	}
	if reqs := d.requests(); len(reqs) != 0 {
		t.Errorf("requests reached the driver: %v", reqs)
	}
	// Names that merely contain dots are keys like any other.
	if _, err := st.Stat(ctx, "/sp/_metadata"); err != nil {
		t.Fatal(err)
	}
	d.objects["sp/..hidden"] = []byte("x")
	d.objects["sp/a.b"] = []byte("x")
	for _, p := range []string{"/sp/..hidden", "/sp/a.b"} {
		if _, err := st.Stat(ctx, p); err != nil {
			t.Errorf("Stat(%s): %v", p, err)
		}
	}
}

// TestListBounds checks that a listing stops on a repeated continuation
// token, and past the page and entry caps, with an error.
func TestListBounds(t *testing.T) {
	files := map[string][]byte{}
	for i := range 50 {
		files[fmt.Sprintf("dir/f%03d", i)] = []byte("x")
	}
	ctx := t.Context()

	t.Run("RepeatedToken", func(t *testing.T) {
		d := newMem(t, files)
		d.nextToken = func(string) string { return "t2" } // a server that loops
		st := newStore(d, objstore.Config{PageSize: 2})
		_, err := st.List(ctx, "/dir")
		if err == nil || !strings.Contains(err.Error(), "repeated a continuation token") {
			t.Fatalf("error = %v; want one about a repeated token", err)
		}
		if n := len(d.requests()); n > 3 {
			t.Errorf("%d requests before stopping; want at most 3", n)
		}
	})
	t.Run("MaxPages", func(t *testing.T) {
		d := newMem(t, files)
		st := newStore(d, objstore.Config{PageSize: 2, MaxPages: 5})
		_, err := st.List(ctx, "/dir")
		if err == nil || !strings.Contains(err.Error(), "more than 5 pages") {
			t.Fatalf("error = %v; want the page cap", err)
		}
		if n := len(d.requests()); n != 5 {
			t.Errorf("%d requests; want 5", n)
		}
	})
	t.Run("MaxEntries", func(t *testing.T) {
		st := newStore(newMem(t, files), objstore.Config{PageSize: 10, MaxEntries: 25})
		_, err := st.List(ctx, "/dir")
		if err == nil || !strings.Contains(err.Error(), "more than 25 entries") {
			t.Fatalf("error = %v; want the entry cap", err)
		}
	})
	t.Run("WithinBounds", func(t *testing.T) {
		st := newStore(newMem(t, files), objstore.Config{PageSize: 10, MaxPages: 5, MaxEntries: 50})
		ents, err := st.List(ctx, "/dir")
		if err != nil || len(ents) != 50 {
			t.Fatalf("List = %d entries, %v; want 50", len(ents), err)
		}
	})
}

// TestTimeouts checks that every remote call is bounded by the timeout.
func TestTimeouts(t *testing.T) {
	d := newMem(t, map[string][]byte{"sp/_metadata": []byte("m")})
	d.stall = true
	const timeout = 200 * time.Millisecond
	st := newStore(d, objstore.Config{Timeout: timeout})
	ctx := t.Context()
	for name, f := range map[string]func() error{
		"Open":      func() error { _, err := st.Open(ctx, "/sp/_metadata"); return err },
		"OpenRange": func() error { _, err := st.OpenRange(ctx, "/sp/_metadata", 0, 1); return err },
		"Stat":      func() error { _, err := st.Stat(ctx, "/sp/_metadata"); return err },
		"List":      func() error { _, err := st.List(ctx, "/sp"); return err },
	} {
		start := time.Now()
		err := f()
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "timed out") {
			t.Errorf("%s: error = %v; want a timeout", name, err)
		}
		if el := time.Since(start); el > 5*timeout {
			t.Errorf("%s took %v with a timeout of %v", name, el, timeout)
		}
	}
}

// TestOpenRange checks that OpenRange asks for the range only, serves
// reads inside it from that one response, and handles ranges past the end.
func TestOpenRange(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 1000)
	d := newMem(t, map[string][]byte{"f": data})
	st := newStore(d, objstore.Config{})
	ctx := t.Context()
	obj, err := st.OpenRange(ctx, "/f", 100, 50)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	if obj.Size() != int64(len(data)) {
		t.Errorf("Size = %d, want %d", obj.Size(), len(data))
	}
	buf := make([]byte, 50)
	if _, err := io.ReadFull(io.NewSectionReader(obj, 100, 50), buf); err != nil || !bytes.Equal(buf, data[100:150]) {
		t.Fatalf("read = %q, %v", buf, err)
	}
	if reqs := d.requests(); len(reqs) != 1 || reqs[0] != "get f 100 50" {
		t.Errorf("requests = %v; want one GET of 50 bytes at 100", reqs)
	}
	// A read elsewhere costs a ranged GET of its own.
	if _, err := obj.ReadAt(buf[:10], 5000); err != nil || !bytes.Equal(buf[:10], data[5000:5010]) {
		t.Fatalf("ReadAt(5000) = %v", err)
	}
	if reqs := d.requests(); len(reqs) != 2 || reqs[1] != "get f 5000 10" {
		t.Errorf("requests = %v; want a second GET of 10 bytes at 5000", reqs)
	}
	// A range past the end: the object exists, with its size.
	obj2, err := st.OpenRange(ctx, "/f", int64(len(data))+10, 5)
	if err != nil {
		t.Fatalf("OpenRange past the end: %v", err)
	}
	if obj2.Size() != int64(len(data)) {
		t.Errorf("Size = %d", obj2.Size())
	}
	obj2.Close()
	if _, err := st.OpenRange(ctx, "/nope", 0, 5); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenRange(missing) = %v; want fs.ErrNotExist", err)
	}
}
