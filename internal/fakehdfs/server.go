// Package fakehdfs is a read-only HDFS for tests: a NameNode and a DataNode
// in one process, on 127.0.0.1, serving a local directory as the root of
// the file system.
//
// It speaks the wire protocols that HDFS clients speak — Hadoop IPC version
// 9 with SIMPLE authentication to the NameNode, and the data transfer
// protocol's READ_BLOCK to the DataNode — well enough for
// github.com/colinmarc/hdfs/v2 to stat, list and read files: getFileInfo,
// getListing (paginated), getBlockLocations, getServerDefaults, renewLease
// and getContentSummary. Files are cut into blocks of Options.BlockSize and
// sent in packets with CRC32C checksums, one per 512 bytes. Faults can be
// injected per path: permission denied, a DataNode that drops or stalls the
// connection part-way through a block, and bad checksums.
//
// It is a protocol-level stand-in, not Hadoop: spcheck's HDFS support is
// tested against it, not against a Hadoop cluster. It does not cover
// Kerberos or any SASL negotiation (with the NameNode or the DataNode),
// encrypted data transfer, block access tokens, writes, symlinks as HDFS
// symlinks (they are followed), erasure coding, snapshots, HA failover
// between live NameNodes (Options.Standby only makes a NameNode refuse
// calls), or more than one DataNode per block.
package fakehdfs

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path"
	"strings"
	"sync"
	"syscall"
)

// Options configure a Server. The zero value is valid.
type Options struct {
	// BlockSize is the size of the blocks files are cut into. It must be a
	// multiple of 512. Default: 128 MiB, as dfs.blocksize.
	BlockSize int64
	// PageSize is the number of entries getListing returns per call.
	// Default: 1000, as dfs.ls.limit.
	PageSize int
	// Owner and Group are reported for every file. Defaults: "hdfs" and
	// "supergroup".
	Owner, Group string
	// Standby makes the NameNode refuse every call with a StandbyException,
	// as the standby NameNode of an HA pair does.
	Standby bool
	// Faults injects a fault on each path given (slash-separated, absolute
	// in the served tree) and everything under it; where faulted paths
	// nest, the nearest one decides.
	Faults map[string]Fault
	// FaultOffset is the offset within a block from which DropConnection,
	// Stall and BadChecksum take effect. Default 0: from the first packet.
	FaultOffset int64
	// Logf, if set, receives protocol errors and injected faults.
	Logf func(format string, args ...any)
}

// A Fault is a failure the server injects on a path and everything under
// it.
type Fault int

const (
	// Deny makes the NameNode answer with
	// org.apache.hadoop.security.AccessControlException, as HDFS does for
	// a user without permission: the path itself can be stat'ed but not
	// listed or read, and nothing under it can be reached.
	Deny Fault = iota + 1
	// DropConnection makes the DataNode close the connection half-way
	// through the first packet holding bytes at or after FaultOffset, as a
	// DataNode that crashes mid-block.
	DropConnection
	// Stall makes the DataNode stop sending half-way through the first
	// packet holding bytes at or after FaultOffset, keeping the connection
	// open, as a DataNode that hangs or whose host vanished.
	Stall
	// BadChecksum makes the DataNode send a wrong CRC32C for every chunk
	// from FaultOffset on.
	BadChecksum
)

func (f Fault) String() string {
	switch f {
	case Deny:
		return "Deny"
	case DropConnection:
		return "DropConnection"
	case Stall:
		return "Stall"
	case BadChecksum:
		return "BadChecksum"
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

const (
	defaultBlockSize = 128 << 20
	defaultPageSize  = 1000
	rootInodeID      = 16385 // INodeId.ROOT_INODE_ID
)

// Server is a running NameNode and DataNode pair.
type Server struct {
	opts Options
	root *os.Root
	nn   net.Listener
	dn   net.Listener

	wg sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	conns   map[net.Conn]struct{}
	calls   map[string]int
	inodes  map[string]uint64 // path → inode ID, assigned on first sight
	paths   map[uint64]string // inode ID → path
	nextIno uint64
}

// Start serves the directory root read-only on two ephemeral ports of
// 127.0.0.1, one for the NameNode and one for the DataNode.
func Start(root string, opts Options) (*Server, error) {
	if opts.BlockSize == 0 {
		opts.BlockSize = defaultBlockSize
	}
	if opts.BlockSize < 0 || opts.BlockSize%bytesPerChecksum != 0 {
		return nil, fmt.Errorf("fakehdfs: block size %d is not a positive multiple of %d", opts.BlockSize, bytesPerChecksum)
	}
	if opts.PageSize == 0 {
		opts.PageSize = defaultPageSize
	}
	if opts.PageSize < 0 {
		return nil, fmt.Errorf("fakehdfs: negative page size %d", opts.PageSize)
	}
	if opts.Owner == "" {
		opts.Owner = "hdfs"
	}
	if opts.Group == "" {
		opts.Group = "supergroup"
	}
	faults := make(map[string]Fault, len(opts.Faults))
	for p, f := range opts.Faults {
		if f < Deny || f > BadChecksum {
			return nil, fmt.Errorf("fakehdfs: unknown fault %v on %s", f, p)
		}
		faults[path.Clean("/"+p)] = f
	}
	opts.Faults = faults

	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("fakehdfs: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("fakehdfs: %s is not a directory", root)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("fakehdfs: %w", err)
	}
	s := &Server{
		opts:    opts,
		root:    r,
		conns:   map[net.Conn]struct{}{},
		calls:   map[string]int{},
		inodes:  map[string]uint64{"/": rootInodeID},
		paths:   map[uint64]string{rootInodeID: "/"},
		nextIno: rootInodeID + 1,
	}
	if s.nn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		r.Close()
		return nil, fmt.Errorf("fakehdfs: namenode: %w", err)
	}
	if s.dn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		s.nn.Close()
		r.Close()
		return nil, fmt.Errorf("fakehdfs: datanode: %w", err)
	}
	s.wg.Add(2)
	go s.accept(s.nn, "namenode", s.serveNameNode)
	go s.accept(s.dn, "datanode", s.serveDataNode)
	return s, nil
}

// Addr returns the NameNode's address, 127.0.0.1:port.
func (s *Server) Addr() string { return s.nn.Addr().String() }

// DataNodeAddr returns the DataNode's address, 127.0.0.1:port.
func (s *Server) DataNodeAddr() string { return s.dn.Addr().String() }

// Calls returns how many times each NameNode method has been called.
func (s *Server) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		c[k] = v
	}
	return c
}

// Close stops both listeners, closes every connection and waits for the
// handlers to return. It is safe to call more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.nn.Close()
	s.dn.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return s.root.Close()
}

func (s *Server) accept(l net.Listener, role string, serve func(net.Conn) error) {
	defer s.wg.Done()
	for {
		c, err := l.Accept()
		if err != nil {
			return // closed
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			if err := serve(c); err != nil && !hungUp(err) && !s.isClosed() {
				s.logf("fakehdfs: %s connection from %s: %v", role, c.RemoteAddr(), err)
			}
			c.Close()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// hungUp reports an error from a client closing its end, which clients do
// whenever they have read what they need.
func hungUp(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

// rel returns the os.Root-relative name of the HDFS path p (absolute and
// clean).
func rel(p string) string {
	if p == "/" {
		return "."
	}
	return p[1:]
}

// stat describes the HDFS path p. A missing path, or one that runs through
// a file, gives fs.ErrNotExist.
func (s *Server) stat(p string) (fs.FileInfo, error) {
	fi, err := s.root.Stat(rel(p))
	if err != nil && isNotDir(err) {
		return nil, fs.ErrNotExist
	}
	return fi, err
}

func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }

// inode returns the inode ID of path p, assigning one on first sight.
func (s *Server) inode(p string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.inodes[p]
	if !ok {
		id = s.nextIno
		s.nextIno++
		s.inodes[p] = id
		s.paths[id] = p
	}
	return id
}

// pathOf returns the path with inode ID id.
func (s *Server) pathOf(id uint64) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.paths[id]
	return p, ok
}

// fault returns the fault injected on p or its nearest ancestor, and the
// path it was injected on.
func (s *Server) fault(p string) (Fault, string) {
	for q := p; ; q = path.Dir(q) {
		if f, ok := s.opts.Faults[q]; ok {
			return f, q
		}
		if q == "/" {
			return 0, ""
		}
	}
}

// deniedBelow returns a path at or under p on which Deny is injected.
func (s *Server) deniedBelow(p string) (string, bool) {
	prefix := strings.TrimSuffix(p, "/") + "/"
	for q, f := range s.opts.Faults {
		if f == Deny && (q == p || strings.HasPrefix(q, prefix)) {
			return q, true
		}
	}
	return "", false
}
