package fakehdfs

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/colinmarc/hdfs/v2"
	"google.golang.org/protobuf/encoding/protowire"
)

const blockSize = 1 << 20

// tree writes files (slash-separated relative path → contents; a name
// ending in a slash is a directory) under a new temporary directory and
// returns it.
func tree(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(int64(n))).Read(b)
	return b
}

// start serves files and returns the server and a colinmarc client for it,
// both closed when the test ends.
func start(t *testing.T, files map[string][]byte, opts Options) (*Server, *hdfs.Client) {
	t.Helper()
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	srv, err := Start(tree(t, files), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{srv.Addr()}, User: "flink"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return srv, c
}

var readMethods = map[string]bool{
	"getFileInfo": true, "getListing": true, "getBlockLocations": true,
	"getServerDefaults": true, "renewLease": true, "getContentSummary": true,
}

func TestStatAndList(t *testing.T) {
	files := map[string][]byte{
		"sp/_metadata": []byte("metadata"),
		"sp/b":         []byte("bb"),
		"sp/a":         []byte("a"),
		"sp/sub/x":     []byte("x"),
		"sp/c":         {},
		"sp/d":         []byte("dddd"),
	}
	srv, c := start(t, files, Options{BlockSize: blockSize, PageSize: 2})

	fi, err := c.Stat("/sp/_metadata")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Name() != "_metadata" || fi.Size() != 8 || fi.IsDir() || fi.ModTime().IsZero() {
		t.Errorf("Stat(file) = %s %d dir=%v %v", fi.Name(), fi.Size(), fi.IsDir(), fi.ModTime())
	}
	if fi.(*hdfs.FileInfo).Owner() != "hdfs" {
		t.Errorf("owner = %q, want hdfs", fi.(*hdfs.FileInfo).Owner())
	}
	fi, err = c.Stat("/sp/sub/")
	if err != nil || !fi.IsDir() || fi.Name() != "sub" {
		t.Errorf("Stat(dir) = %v, %v", fi, err)
	}
	if fi, err := c.Stat("/"); err != nil || !fi.IsDir() {
		t.Errorf("Stat(/) = %v, %v", fi, err)
	}
	for _, p := range []string{"/nope", "/sp/nope", "/sp/_metadata/below-a-file"} {
		if _, err := c.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Stat(%s) error = %v, want os.ErrNotExist", p, err)
		}
	}
	if _, err := c.ReadDir("/nope"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadDir(missing) error = %v, want os.ErrNotExist", err)
	}

	ents, err := c.ReadDir("/sp")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		s := fmt.Sprintf("%s:%d", e.Name(), e.Size())
		if e.IsDir() {
			s = e.Name() + "/"
		}
		got = append(got, s)
	}
	want := "_metadata:8 a:1 b:2 c:0 d:4 sub/"
	if strings.Join(got, " ") != want {
		t.Errorf("ReadDir(/sp) = %s, want %s", strings.Join(got, " "), want)
	}
	// Six entries, two a page.
	if n := srv.Calls()["getListing"]; n != 3 {
		t.Errorf("getListing called %d times, want 3 (pages of 2)", n)
	}
	for m := range srv.Calls() {
		if !readMethods[m] {
			t.Errorf("unexpected call %s", m)
		}
	}
}

func TestRead(t *testing.T) {
	big := randomBytes(3*blockSize + 12345)
	files := map[string][]byte{
		"big.bin":  big,
		"small":    []byte("hello state"),
		"empty":    {},
		"exact.4k": randomBytes(2 * blockSize), // ends on a block boundary
	}
	_, c := start(t, files, Options{BlockSize: blockSize})

	for name, want := range files {
		got, err := c.ReadFile("/" + name)
		if err != nil {
			t.Fatalf("ReadFile(%s): %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("ReadFile(%s): %d bytes, want %d, or contents differ", name, len(got), len(want))
		}
	}

	f, err := c.Open("/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, r := range [][2]int{
		{0, 10}, {513, 100}, {blockSize - 5, 10}, {2*blockSize + 511, blockSize + 2},
		{len(big) - 3, 3}, {2*blockSize + 1234, 70000},
	} {
		buf := make([]byte, r[1])
		n, err := f.ReadAt(buf, int64(r[0]))
		if n != r[1] || (err != nil && err != io.EOF) {
			t.Fatalf("ReadAt(%d, %d) = %d, %v", r[0], r[1], n, err)
		}
		if !bytes.Equal(buf, big[r[0]:r[0]+r[1]]) {
			t.Errorf("ReadAt(%d, %d): wrong bytes", r[0], r[1])
		}
	}
	if _, err := c.Open("/nope"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(missing) error = %v", err)
	}
}

func TestContentSummaryAndDefaults(t *testing.T) {
	_, c := start(t, map[string][]byte{
		"a/1":   []byte("12345"),
		"a/b/2": []byte("678"),
		"a/c/":  nil,
	}, Options{BlockSize: blockSize})
	cs, err := c.GetContentSummary("/a")
	if err != nil {
		t.Fatal(err)
	}
	if cs.Size() != 8 || cs.FileCount() != 2 || cs.DirectoryCount() != 3 {
		t.Errorf("content summary: size %d, files %d, dirs %d; want 8, 2, 3", cs.Size(), cs.FileCount(), cs.DirectoryCount())
	}
	if _, err := c.GetContentSummary("/nope"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("GetContentSummary(missing) error = %v", err)
	}
	d, err := c.ServerDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if d.BlockSize != blockSize || d.BytesPerChecksum != 512 || d.EncryptDataTransfer {
		t.Errorf("server defaults = %+v", d)
	}
}

// TestReadOnly checks that methods that would change the namespace are
// refused as unknown.
func TestReadOnly(t *testing.T) {
	srv, c := start(t, map[string][]byte{"f": []byte("x")}, Options{})
	err := c.Remove("/f")
	var herr hdfs.Error
	if !errors.As(err, &herr) || herr.Exception() != excNoSuchMethod {
		t.Errorf("Remove error = %v, want %s", err, excNoSuchMethod)
	}
	if _, err := os.Stat(filepath.Join(srv.root.Name(), "f")); err != nil {
		t.Errorf("file gone after Remove: %v", err)
	}
}

func TestDeny(t *testing.T) {
	files := map[string][]byte{
		"open/f":        []byte("ok"),
		"secret/f":      []byte("no"),
		"secret/sub/g":  []byte("no"),
		"open/locked":   []byte("locked"),
		"open/unlocked": []byte("fine"),
	}
	_, c := start(t, files, Options{Faults: map[string]Fault{"/secret": Deny, "/open/locked": Deny}})

	// The denied directory can be stat'ed, not listed.
	if fi, err := c.Stat("/secret"); err != nil || !fi.IsDir() {
		t.Errorf("Stat(/secret) = %v, %v", fi, err)
	}
	if _, err := c.ReadDir("/secret"); !errors.Is(err, os.ErrPermission) {
		t.Errorf("ReadDir(/secret) error = %v, want os.ErrPermission", err)
	}
	// Nothing below it can be reached.
	for _, p := range []string{"/secret/f", "/secret/sub/g", "/secret/nope"} {
		if _, err := c.Stat(p); !errors.Is(err, os.ErrPermission) {
			t.Errorf("Stat(%s) error = %v, want os.ErrPermission", p, err)
		}
	}
	// A denied file can be opened (getFileInfo) but not read
	// (getBlockLocations).
	f, err := c.Open("/open/locked")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = f.Read(make([]byte, 10))
	var herr hdfs.Error
	if !errors.As(err, &herr) || herr.Exception() != excAccessControl ||
		!strings.Contains(herr.Message(), `user=flink, access=READ, inode="/open/locked"`) {
		t.Errorf("Read(denied file) error = %v (%v), want %s naming the user and inode", err, herr, excAccessControl)
	}
	if b, err := c.ReadFile("/open/unlocked"); err != nil || string(b) != "fine" {
		t.Errorf("ReadFile(sibling of a denied file) = %q, %v", b, err)
	}
	if _, err := c.GetContentSummary("/"); !errors.Is(err, os.ErrPermission) {
		t.Errorf("GetContentSummary over a denied subtree: error = %v, want os.ErrPermission", err)
	}
}

func TestDropConnection(t *testing.T) {
	data := randomBytes(2*blockSize + 100)
	_, c := start(t, map[string][]byte{"f": data}, Options{
		BlockSize: blockSize, Faults: map[string]Fault{"/f": DropConnection}, FaultOffset: 200 << 10,
	})
	f, err := c.Open("/f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Before the fault, reads succeed.
	buf := make([]byte, 100<<10)
	if _, err := f.ReadAt(buf, 0); err != nil || !bytes.Equal(buf, data[:len(buf)]) {
		t.Fatalf("ReadAt before the fault: %v", err)
	}
	// The colinmarc client reports the cut as a short read with io.EOF
	// (FileReader.ReadAt turns io.ErrUnexpectedEOF into io.EOF).
	buf = make([]byte, len(data))
	n, err := f.ReadAt(buf, 0)
	if err == nil || n == len(data) {
		t.Fatalf("ReadAt across the dropped connection = %d, %v; want a short read and an error", n, err)
	}
}

func TestStall(t *testing.T) {
	_, c := start(t, map[string][]byte{"f": randomBytes(blockSize)}, Options{
		BlockSize: blockSize, Faults: map[string]Fault{"/f": Stall},
	})
	f, err := c.Open("/f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.SetDeadline(time.Now().Add(300 * time.Millisecond))
	t0 := time.Now()
	_, err = f.ReadAt(make([]byte, blockSize), 0)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("ReadAt from a stalled DataNode: error = %v, want a timeout", err)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("ReadAt took %v with a 300ms deadline", d)
	}
}

func TestBadChecksum(t *testing.T) {
	data := randomBytes(blockSize)
	_, c := start(t, map[string][]byte{"f": data}, Options{
		BlockSize: blockSize, Faults: map[string]Fault{"/f": BadChecksum}, FaultOffset: 4096,
	})
	f, err := c.Open("/f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 100)
	if _, err := f.ReadAt(buf, 1000); err != nil || !bytes.Equal(buf, data[1000:1100]) {
		t.Fatalf("ReadAt before the bad chunks: %v", err)
	}
	if _, err := f.ReadAt(buf, 5000); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("ReadAt of a chunk with a bad checksum: error = %v, want a checksum error", err)
	}
}

func TestStandby(t *testing.T) {
	dir := tree(t, map[string][]byte{"f": []byte("x")})
	standby, err := Start(dir, Options{Standby: true})
	if err != nil {
		t.Fatal(err)
	}
	defer standby.Close()
	active, err := Start(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer active.Close()
	c, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{standby.Addr(), active.Addr()}, User: "flink"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if b, err := c.ReadFile("/f"); err != nil || string(b) != "x" {
		t.Errorf("ReadFile through standby, active = %q, %v", b, err)
	}
	if standby.Calls()["getFileInfo"] != 1 {
		t.Errorf("standby calls = %v; want one getFileInfo, refused", standby.Calls())
	}
}

// rawClient speaks Hadoop IPC directly, to make calls the colinmarc client
// does not expose.
type rawClient struct {
	conn net.Conn
	r    *bufio.Reader
	id   int32
}

func dialRaw(t *testing.T, addr string, auth byte) *rawClient {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	rc := &rawClient{conn: conn, r: bufio.NewReader(conn)}
	if _, err := conn.Write([]byte{'h', 'r', 'p', 'c', ipcVersion, 0, auth}); err != nil {
		t.Fatal(err)
	}
	hdr := message(nil).uint(3, protowire.EncodeZigZag(contextCallID)).bytes(4, []byte("0123456789abcdef"))
	ctx := message(nil).embed(2, message(nil).str(1, "raw")).str(3, clientProtocol)
	rc.send(t, hdr.delimited(), ctx.delimited())
	return rc
}

func (rc *rawClient) send(t *testing.T, parts ...[]byte) {
	t.Helper()
	b := bytes.Join(parts, nil)
	if _, err := rc.conn.Write(binary.BigEndian.AppendUint32(nil, uint32(len(b)))); err != nil {
		t.Fatal(err)
	}
	if _, err := rc.conn.Write(b); err != nil {
		t.Fatal(err)
	}
}

// call sends a request and returns the response header and body.
func (rc *rawClient) call(t *testing.T, method string, req message) (hdr fields, body []byte) {
	t.Helper()
	rc.id++
	rh := message(nil).uint(3, protowire.EncodeZigZag(int64(rc.id))).bytes(4, []byte("0123456789abcdef"))
	mh := message(nil).str(1, method).str(2, clientProtocol).uint(3, 1)
	rc.send(t, rh.delimited(), mh.delimited(), req.delimited())
	return rc.read(t)
}

func (rc *rawClient) read(t *testing.T) (hdr fields, body []byte) {
	t.Helper()
	c := &ipcConn{r: rc.r}
	frame, err := c.readFrame()
	if err != nil {
		t.Fatal(err)
	}
	h, rest, err := splitDelimited(frame)
	if err != nil {
		t.Fatal(err)
	}
	if hdr, err = decode(h); err != nil {
		t.Fatal(err)
	}
	if len(rest) > 0 {
		if body, _, err = splitDelimited(rest); err != nil {
			t.Fatal(err)
		}
	}
	return hdr, body
}

// blockOffsets returns the offsets of the blocks in a LocatedBlocksProto.
func blockOffsets(t *testing.T, lb []byte) []uint64 {
	t.Helper()
	var offs []uint64
	for len(lb) > 0 {
		num, typ, n := protowire.ConsumeTag(lb)
		lb = lb[n:]
		if num == 2 && typ == protowire.BytesType {
			blk, n := protowire.ConsumeBytes(lb)
			lb = lb[n:]
			f, err := decode(blk)
			if err != nil {
				t.Fatal(err)
			}
			offs = append(offs, f.uint(2))
			continue
		}
		lb = lb[protowire.ConsumeFieldValue(num, typ, lb):]
	}
	return offs
}

func TestBlockLocationsRange(t *testing.T) {
	srv, err := Start(tree(t, map[string][]byte{"f": randomBytes(3*blockSize + 10)}), Options{BlockSize: blockSize})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	rc := dialRaw(t, srv.Addr(), authSimple)
	for _, tc := range []struct {
		off, length uint64
		want        string
	}{
		{0, 3*blockSize + 10, "[0 1048576 2097152 3145728]"},
		{0, 0, "[0]"},
		{blockSize, 1, "[1048576]"},
		{blockSize - 1, 2, "[0 1048576]"},
		{2*blockSize + 5, 1 << 40, "[2097152 3145728]"},
		{3*blockSize + 10, 5, "[]"},
	} {
		req := message(nil).str(1, "/f").uint(2, tc.off).uint(3, tc.length)
		hdr, body := rc.call(t, "getBlockLocations", req)
		if hdr.uint(2) != statusSuccess {
			t.Fatalf("getBlockLocations(%d, %d): %s", tc.off, tc.length, hdr.str(5))
		}
		resp, _ := decode(body)
		if got := fmt.Sprint(blockOffsets(t, resp.bytes(1))); got != tc.want {
			t.Errorf("getBlockLocations(%d, %d) = blocks at %s, want %s", tc.off, tc.length, got, tc.want)
		}
	}
	hdr, _ := rc.call(t, "getBlockLocations", message(nil).str(1, "/nope").uint(2, 0).uint(3, 1))
	if hdr.uint(2) != statusError || hdr.str(4) != excFileNotFound {
		t.Errorf("getBlockLocations(missing): status %d, %s", hdr.uint(2), hdr.str(4))
	}
	hdr, _ = rc.call(t, "getFileInfo", message(nil).str(1, "relative/path"))
	if hdr.str(4) != excInvalidPath {
		t.Errorf("getFileInfo(relative path): %s, want %s", hdr.str(4), excInvalidPath)
	}
}

func TestSASLRefused(t *testing.T) {
	srv, err := Start(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	conn.Write([]byte{'h', 'r', 'p', 'c', ipcVersion, 0, authSASL})
	negotiate := message(nil).uint(3, protowire.EncodeZigZag(saslCallID)).delimited()
	conn.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(negotiate))), negotiate...))
	rc := &rawClient{conn: conn, r: bufio.NewReader(conn)}
	hdr, _ := rc.read(t)
	if hdr.uint(2) != statusFatal || hdr.str(4) != excAccessControl {
		t.Errorf("SASL negotiation answered with status %d, %s; want FATAL %s", hdr.uint(2), hdr.str(4), excAccessControl)
	}
}

func TestStartErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	for _, tc := range []struct {
		root string
		opts Options
		want string
	}{
		{file, Options{}, "not a directory"},
		{filepath.Join(dir, "nope"), Options{}, "no such file"},
		{dir, Options{BlockSize: 1000}, "multiple of 512"},
		{dir, Options{Faults: map[string]Fault{"/x": 99}}, "unknown fault"},
	} {
		srv, err := Start(tc.root, tc.opts)
		if err == nil {
			srv.Close()
			t.Errorf("Start(%s, %+v) succeeded", tc.root, tc.opts)
			continue
		}
		if !strings.HasPrefix(err.Error(), "fakehdfs: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Start(%s, %+v) error = %v, want fakehdfs: …%s…", tc.root, tc.opts, err, tc.want)
		}
	}
}

func TestCloseUnblocksStall(t *testing.T) {
	srv, err := Start(tree(t, map[string][]byte{"f": randomBytes(4096)}), Options{Faults: map[string]Fault{"/f": Stall}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{srv.Addr()}, User: "flink"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f, err := c.Open("/f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	done := make(chan error, 1)
	go func() {
		_, err := f.ReadAt(make([]byte, 4096), 0)
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return while a DataNode connection was stalled")
	}
	if err := <-done; err == nil {
		t.Error("ReadAt succeeded from a server that was closed mid-read")
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
