package fakehdfs

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net"
	"path"
	"sort"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// A method handles one ClientProtocol call: it decodes the request message
// and returns the response message or a Java exception.
type method func(s *Server, user string, req fields) (message, *rpcError)

// methods are the ClientProtocol methods the NameNode answers. Any other
// gets RpcNoSuchMethodException, as from a NameNode that lacks it; in
// particular every method that would change the namespace.
var methods = map[string]method{
	"getFileInfo":       (*Server).getFileInfo,
	"getListing":        (*Server).getListing,
	"getBlockLocations": (*Server).getBlockLocations,
	"getServerDefaults": (*Server).getServerDefaults,
	"renewLease":        (*Server).renewLease,
	"getContentSummary": (*Server).getContentSummary,
}

// serveNameNode runs one client connection to the NameNode.
func (s *Server) serveNameNode(conn net.Conn) error {
	c := &ipcConn{r: bufio.NewReader(conn), w: bufio.NewWriter(conn)}
	if err := c.handshake(); err != nil {
		if err == io.EOF {
			return nil // a port probe
		}
		return err
	}
	for {
		cl, err := c.readCall()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if cl.id == pingCallID {
			continue
		}
		s.mu.Lock()
		s.calls[cl.method]++
		s.mu.Unlock()
		resp, rerr := s.call(c.user, cl)
		if rerr != nil {
			s.logf("fakehdfs: %s by %s: %v", cl.method, c.user, rerr)
		}
		if err := c.writeResponse(cl, resp, rerr); err != nil {
			return err
		}
	}
}

func (s *Server) call(user string, cl call) (message, *rpcError) {
	if s.opts.Standby {
		return nil, appError(excStandby, "Operation category READ is not supported in state standby")
	}
	if rerr := checkProtocol(cl); rerr != nil {
		return nil, rerr
	}
	m, ok := methods[cl.method]
	if !ok {
		return nil, &rpcError{class: excNoSuchMethod, detail: errNoSuchMethod,
			msg: fmt.Sprintf("Unknown method %s called on %s protocol.", cl.method, clientProtocol)}
	}
	req, err := decode(cl.request)
	if err != nil {
		return nil, &rpcError{class: excRPCServer, detail: errRPCServer, msg: fmt.Sprintf("%s: %v", cl.method, err)}
	}
	return m(s, user, req)
}

// getFileInfo answers GetFileInfoRequestProto{src = 1} with
// GetFileInfoResponseProto{fs = 1}; fs is absent for a missing path.
func (s *Server) getFileInfo(user string, req fields) (message, *rpcError) {
	p, rerr := pathField(req, 1)
	if rerr != nil {
		return nil, rerr
	}
	if rerr := s.access(user, p, ""); rerr != nil {
		return nil, rerr
	}
	fi, rerr := s.lookup(p)
	if rerr != nil || fi == nil {
		return nil, rerr
	}
	return message(nil).embed(1, s.fileStatus(p, "", fi, false)), nil
}

// getListing answers GetListingRequestProto{src = 1, startAfter = 2,
// needLocation = 3} with GetListingResponseProto{dirList = 1}: up to
// PageSize entries named after startAfter, and the number remaining.
// dirList is absent for a missing path.
func (s *Server) getListing(user string, req fields) (message, *rpcError) {
	p, rerr := pathField(req, 1)
	if rerr != nil {
		return nil, rerr
	}
	after := string(req.bytes(2))
	withBlocks := req.uint(3) != 0
	if rerr := s.access(user, p, "READ_EXECUTE"); rerr != nil {
		return nil, rerr
	}
	fi, rerr := s.lookup(p)
	if rerr != nil || fi == nil {
		return nil, rerr
	}
	var list message // DirectoryListingProto
	if !fi.IsDir() {
		// A file lists as itself, with an empty name.
		list = list.embed(1, s.fileStatus(p, "", fi, withBlocks)).uint(2, 0)
		return message(nil).embed(1, list), nil
	}
	names, err := s.readDirNames(p)
	if err != nil {
		return nil, appError(excIO, "listing %s: %v", p, err)
	}
	i := sort.SearchStrings(names, after)
	if i < len(names) && names[i] == after {
		i++
	}
	end := min(i+s.opts.PageSize, len(names))
	for _, name := range names[i:end] {
		child := path.Join(p, name)
		cfi, rerr := s.lookup(child)
		if rerr != nil || cfi == nil {
			continue // vanished, or not a file or directory
		}
		list = list.embed(1, s.fileStatus(child, name, cfi, withBlocks))
	}
	list = list.uint(2, uint64(len(names)-end)) // remainingEntries
	return message(nil).embed(1, list), nil
}

// getBlockLocations answers GetBlockLocationsRequestProto{src = 1,
// offset = 2, length = 3} with GetBlockLocationsResponseProto{locations =
// 1}: the blocks holding bytes [offset, offset+length) of the file.
func (s *Server) getBlockLocations(user string, req fields) (message, *rpcError) {
	p, rerr := pathField(req, 1)
	if rerr != nil {
		return nil, rerr
	}
	if rerr := s.access(user, p, "READ"); rerr != nil {
		return nil, rerr
	}
	fi, rerr := s.lookup(p)
	if rerr != nil {
		return nil, rerr
	}
	if fi == nil {
		return nil, appError(excFileNotFound, "File does not exist: %s", p)
	}
	if fi.IsDir() {
		return nil, appError(excFileNotFound, "Path is not a file: %s", p)
	}
	off, length := req.uint(2), req.uint(3)
	return message(nil).embed(1, s.locatedBlocks(p, fi.Size(), off, length)), nil
}

// getServerDefaults answers with GetServerDefaultsResponseProto{
// serverDefaults = 1}.
func (s *Server) getServerDefaults(string, fields) (message, *rpcError) {
	// FsServerDefaultsProto
	d := message(nil).
		uint(1, uint64(s.opts.BlockSize)).
		uint(2, bytesPerChecksum).
		uint(3, packetDataSize). // writePacketSize
		uint(4, 1).              // replication
		uint(5, 4096).           // fileBufferSize
		boolean(6, false).       // encryptDataTransfer
		uint(7, 0).              // trashInterval
		uint(8, checksumCRC32C)
	return message(nil).embed(1, d), nil
}

// renewLease answers RenewLeaseRequestProto{clientName = 1}. Every client
// sends one a second; there are no leases on a read-only file system.
func (s *Server) renewLease(_ string, req fields) (message, *rpcError) {
	if !req.has(1) {
		return nil, &rpcError{class: excRPCServer, detail: errRPCServer, msg: "renewLease: missing clientName"}
	}
	return message{}, nil
}

// getContentSummary answers GetContentSummaryRequestProto{path = 1} with
// GetContentSummaryResponseProto{summary = 1}: the size and the file and
// directory counts of the tree at path.
func (s *Server) getContentSummary(user string, req fields) (message, *rpcError) {
	p, rerr := pathField(req, 1)
	if rerr != nil {
		return nil, rerr
	}
	if rerr := s.access(user, p, "READ_EXECUTE"); rerr != nil {
		return nil, rerr
	}
	// HDFS checks READ_EXECUTE on the whole subtree.
	if q, ok := s.deniedBelow(p); ok {
		return nil, s.denied(user, q, "READ_EXECUTE")
	}
	fi, rerr := s.lookup(p)
	if rerr != nil {
		return nil, rerr
	}
	if fi == nil {
		return nil, appError(excFileNotFound, "File does not exist: %s", p)
	}
	var length, files, dirs uint64
	err := fs.WalkDir(s.root.FS(), rel(p), func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			dirs++
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			files++
			length += uint64(info.Size())
		}
		return nil
	})
	if err != nil {
		return nil, appError(excIO, "content summary of %s: %v", p, err)
	}
	const noQuota = math.MaxUint64 // -1 as a Java long
	// ContentSummaryProto
	sum := message(nil).
		uint(1, length).
		uint(2, files).
		uint(3, dirs).
		uint(4, noQuota).
		uint(5, length). // spaceConsumed, at replication 1
		uint(6, noQuota)
	return message(nil).embed(1, sum), nil
}

// pathField returns the path in field n of req: absolute, cleaned of
// duplicate and trailing slashes, without "." or ".." components, as
// DFSUtil.isValidName requires.
func pathField(req fields, n protowire.Number) (string, *rpcError) {
	if !req.has(n) {
		return "", &rpcError{class: excRPCServer, detail: errRPCServer, msg: "missing path"}
	}
	raw := req.str(n)
	if !strings.HasPrefix(raw, "/") {
		return "", appError(excInvalidPath, "Invalid path name Path is not absolute: %s", raw)
	}
	for _, el := range strings.Split(raw, "/") {
		if el == "." || el == ".." || strings.Contains(el, ":") {
			return "", appError(excInvalidPath, "Invalid path name %s", raw)
		}
	}
	return path.Clean(raw), nil
}

// lookup describes p: nil for a missing path or one that is neither a
// regular file nor a directory.
func (s *Server) lookup(p string) (fs.FileInfo, *rpcError) {
	fi, err := s.stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case errors.Is(err, fs.ErrPermission):
		// The served directory itself is unreadable on the local disk.
		return nil, appError(excAccessControl, "Permission denied: %v", err)
	case err != nil:
		return nil, appError(excIO, "%v", err)
	case !fi.IsDir() && !fi.Mode().IsRegular():
		return nil, nil
	}
	return fi, nil
}

// readDirNames returns the names in directory p, sorted bytewise as HDFS
// lists them.
func (s *Server) readDirNames(p string) ([]string, error) {
	d, err := s.root.Open(rel(p))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	return names, nil
}

// access checks Deny faults for user on p: every ancestor must be
// traversable and, if action is not empty, p itself must allow action.
func (s *Server) access(user, p, action string) *rpcError {
	f, at := s.fault(p)
	if f != Deny {
		return nil
	}
	if at != p {
		return s.denied(user, at, "EXECUTE")
	}
	if action != "" {
		return s.denied(user, p, action)
	}
	return nil
}

// denied is the AccessControlException for user lacking action on inode
// p, worded as FSPermissionChecker words it.
func (s *Server) denied(user, p, action string) *rpcError {
	mode := "-rw-------"
	if fi, err := s.stat(p); err == nil && fi.IsDir() {
		mode = "drwx------"
	}
	return appError(excAccessControl, "Permission denied: user=%s, access=%s, inode=%q:%s:%s:%s",
		user, action, p, s.opts.Owner, s.opts.Group, mode)
}

// fileStatus encodes the HdfsFileStatusProto of p. name is the local name
// sent: empty for getFileInfo, the entry's name in a listing.
func (s *Server) fileStatus(p, name string, fi fs.FileInfo, withBlocks bool) message {
	const isDir, isFile = 1, 2
	typ, length := uint64(isFile), uint64(fi.Size())
	if fi.IsDir() {
		typ, length = isDir, 0
	}
	ms := uint64(fi.ModTime().UnixMilli())
	m := message(nil).
		uint(1, typ).
		str(2, name).
		uint(3, length).
		embed(4, message(nil).uint(1, uint64(fi.Mode().Perm()))). // FsPermissionProto{perm}
		str(5, s.opts.Owner).
		str(6, s.opts.Group).
		uint(7, ms). // modification_time
		uint(8, ms)  // access_time
	if !fi.IsDir() {
		m = m.uint(10, 1). // block_replication
					uint(11, uint64(s.opts.BlockSize))
		if withBlocks {
			m = m.embed(12, s.locatedBlocks(p, fi.Size(), 0, uint64(fi.Size())))
		}
	}
	return m.uint(13, s.inode(p)) // fileId
}

// locatedBlocks encodes the LocatedBlocksProto of a file of the given size:
// the blocks holding [off, off+length), at least one if off is inside the
// file, as BlockManager.createLocatedBlockList returns them.
func (s *Server) locatedBlocks(p string, size int64, off, length uint64) message {
	ino := s.inode(p)
	bs := uint64(s.opts.BlockSize)
	n := (uint64(size) + bs - 1) / bs
	end := off + length
	if end < off {
		end = math.MaxUint64
	}
	lb := message(nil).uint(1, uint64(size)) // fileLength
	if off < uint64(size) {
		for i := off / bs; i < n; i++ {
			if i > off/bs && i*bs >= end {
				break
			}
			lb = lb.embed(2, s.locatedBlock(ino, i, size))
		}
	}
	lb = lb.boolean(3, false) // underConstruction
	if n > 0 {
		lb = lb.embed(4, s.locatedBlock(ino, n-1, size)) // lastBlock
	}
	return lb.boolean(5, true) // isLastBlockComplete
}

// locatedBlock encodes the LocatedBlockProto of block i of inode ino, on
// the one DataNode.
func (s *Server) locatedBlock(ino, i uint64, size int64) message {
	bs := uint64(s.opts.BlockSize)
	start := i * bs
	n := min(bs, uint64(size)-start)
	// ExtendedBlockProto
	b := message(nil).
		str(1, poolID).
		uint(2, blockID(ino, i)).
		uint(3, generationStamp).
		uint(4, n)
	// DatanodeIDProto
	dn := message(nil).
		str(1, "127.0.0.1"). // ipAddr: clients dial ipAddr:xferPort
		str(2, "localhost").
		str(3, datanodeUUID).
		uint(4, uint64(s.dn.Addr().(*net.TCPAddr).Port)).
		uint(5, 0). // infoPort
		uint(6, 0)  // ipcPort
	// Block access tokens are off: an empty TokenProto, all four fields
	// present as proto2 requires.
	token := message(nil).bytes(1, nil).bytes(2, nil).str(3, "").str(4, "")
	return message(nil).
		embed(1, b).
		uint(2, start).
		embed(3, message(nil).embed(1, dn)). // DatanodeInfoProto{id}
		boolean(4, false).                   // corrupt
		embed(5, token)
}
