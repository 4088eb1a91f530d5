package fakehdfs

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
)

// The DataNode side of the data transfer protocol (DataTransferProtocol,
// version 28), READ_BLOCK only. A request is
//
//	int16 version | op (0x51) | varint-delimited OpReadBlockProto
//
// and the answer a varint-delimited BlockOpResponseProto followed, on
// success, by packets:
//
//	uint32 payload length (4 + checksums + data) | uint16 header length |
//	PacketHeaderProto | big-endian CRC per chunk | data
//
// ending with an empty packet marked lastPacketInBlock. Reads start at the
// chunk boundary at or before the requested offset (chunkOffset in the
// response); the client discards the bytes before its offset.

const (
	dataTransferVersion = 28
	opReadBlock         = 0x51
	maxOpSize           = 64 << 10

	bytesPerChecksum = 512
	packetDataSize   = 64 << 10 // data bytes per packet, a multiple of bytesPerChecksum

	poolID          = "BP-1-127.0.0.1-1" // BP-<id>-<ip>-<creation time>
	generationStamp = 1001
	datanodeUUID    = "fakehdfs-datanode-1"
)

// Status (datatransfer.proto)
const (
	opSuccess          = 0
	opError            = 1
	opErrorInvalid     = 3
	opErrorUnsupported = 7
)

// ChecksumTypeProto
const (
	checksumNull   = 0
	checksumCRC32C = 2
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// blockID names block i of inode ino: blocks are not stored, so the ID
// itself says where the bytes are.
func blockID(ino, i uint64) uint64 { return ino<<32 | i }

// A readRequest is a decoded OpReadBlockProto.
type readRequest struct {
	pool      string
	block     uint64
	offset    uint64
	length    uint64
	checksums bool
}

func (r readRequest) String() string {
	return fmt.Sprintf("%s:blk_%d_%d", r.pool, r.block, generationStamp)
}

// A replica is the part of a served file that one block holds.
type replica struct {
	path   string
	offset int64 // of the block in the file
	size   int64
}

// serveDataNode runs one client connection to the DataNode: one op.
func (s *Server) serveDataNode(conn net.Conn) error {
	r := bufio.NewReader(conn)
	w := bufio.NewWriterSize(conn, packetDataSize+4096)
	var hdr [3]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if err == io.EOF {
			return nil // a port probe
		}
		return err
	}
	if v := binary.BigEndian.Uint16(hdr[:2]); v != dataTransferVersion {
		return refuse(w, opError, fmt.Sprintf("fakehdfs: data transfer version %d, want %d", v, dataTransferVersion))
	}
	if hdr[2] != opReadBlock {
		return refuse(w, opErrorUnsupported, fmt.Sprintf("fakehdfs: op 0x%02x not supported; the fake is read-only and serves READ_BLOCK only", hdr[2]))
	}
	b, err := readDelimited(r, maxOpSize)
	if err != nil {
		return fmt.Errorf("reading READ_BLOCK: %w", err)
	}
	req, err := parseReadRequest(b)
	if err != nil {
		return refuse(w, opErrorInvalid, "fakehdfs: READ_BLOCK: "+err.Error())
	}
	rep, err := s.replica(req)
	if err != nil {
		return refuse(w, opError, "fakehdfs: "+err.Error())
	}
	return s.sendBlock(r, w, req, rep)
}

func parseReadRequest(b []byte) (readRequest, error) {
	op, err := decode(b) // OpReadBlockProto
	if err != nil {
		return readRequest{}, err
	}
	hdr, err := op.sub(1) // ClientOperationHeaderProto
	if err != nil {
		return readRequest{}, err
	}
	base, err := hdr.sub(1) // BaseHeaderProto
	if err != nil {
		return readRequest{}, err
	}
	blk, err := base.sub(1) // ExtendedBlockProto
	if err != nil {
		return readRequest{}, err
	}
	if !blk.has(1) || !blk.has(2) || !op.has(2) || !op.has(3) {
		return readRequest{}, errors.New("missing block, offset or length")
	}
	return readRequest{
		pool:      blk.str(1),
		block:     blk.uint(2),
		offset:    op.uint(2),
		length:    op.uint(3),
		checksums: !op.has(4) || op.uint(4) != 0, // sendChecksums defaults to true
	}, nil
}

// replica finds the bytes of the requested block.
func (s *Server) replica(req readRequest) (replica, error) {
	notFound := fmt.Errorf("replica not found for %v", req)
	if req.pool != poolID {
		return replica{}, notFound
	}
	p, ok := s.pathOf(req.block >> 32)
	if !ok {
		return replica{}, notFound
	}
	fi, err := s.stat(p)
	if err != nil || fi.IsDir() {
		return replica{}, notFound
	}
	off := int64(req.block&0xffffffff) * s.opts.BlockSize
	if off >= fi.Size() {
		return replica{}, notFound
	}
	return replica{path: p, offset: off, size: min(s.opts.BlockSize, fi.Size()-off)}, nil
}

// sendBlock answers a READ_BLOCK for rep with packets, injecting the fault
// set on its file.
func (s *Server) sendBlock(r *bufio.Reader, w *bufio.Writer, req readRequest, rep replica) error {
	if req.offset > uint64(rep.size) {
		return refuse(w, opErrorInvalid, fmt.Sprintf("fakehdfs: offset %d is beyond the %d bytes of %v", req.offset, rep.size, req))
	}
	start := int64(req.offset) - int64(req.offset)%bytesPerChecksum
	end := rep.size
	if req.length < uint64(rep.size)-req.offset {
		end = int64(req.offset + req.length)
	}
	f, err := s.root.Open(rel(rep.path))
	if err != nil {
		return refuse(w, opError, fmt.Sprintf("fakehdfs: opening %s: %v", rep.path, err))
	}
	defer f.Close()

	ck := message(nil).uint(1, checksumCRC32C).uint(2, bytesPerChecksum) // ChecksumProto
	if !req.checksums {
		ck = message(nil).uint(1, checksumNull).uint(2, bytesPerChecksum)
	}
	// BlockOpResponseProto
	resp := message(nil).
		uint(1, opSuccess).
		embed(4, message(nil).embed(1, ck).uint(2, uint64(start))) // ReadOpChecksumInfoProto
	if _, err := w.Write(resp.delimited()); err != nil {
		return err
	}

	fault, _ := s.fault(rep.path)
	data := make([]byte, packetDataSize)
	var seq int64
	for pos := start; pos < end; seq++ {
		n := min(int64(packetDataSize), end-pos)
		chunk := data[:n]
		if _, err := f.ReadAt(chunk, rep.offset+pos); err != nil {
			return fmt.Errorf("reading %s at %d: %w", rep.path, rep.offset+pos, noEOF(err))
		}
		var sums []byte
		if req.checksums {
			sums = s.checksums(chunk, pos, fault == BadChecksum)
		}
		pkt := packet(pos, seq, false, sums, chunk)
		if (fault == DropConnection || fault == Stall) && pos+n > s.opts.FaultOffset {
			// Cut the packet half-way through its data.
			if _, err := w.Write(pkt[:int64(len(pkt))-n+n/2]); err != nil {
				return err
			}
			if err := w.Flush(); err != nil {
				return err
			}
			s.logf("fakehdfs: %v of %s: injected %v at block offset %d", req, rep.path, fault, pos+n/2)
			if fault == Stall {
				// Send nothing more; wait for the client, or Close, to
				// give up on the connection.
				io.Copy(io.Discard, r)
			}
			return nil
		}
		if _, err := w.Write(pkt); err != nil {
			return err
		}
		pos += n
	}
	if _, err := w.Write(packet(end, seq, true, nil, nil)); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	// The client may answer with ClientReadStatusProto{CHECKSUM_OK}; read
	// until it hangs up.
	_, err = io.Copy(io.Discard, r)
	return err
}

// checksums returns the CRC32C of each 512-byte chunk of data, which starts
// at block offset pos. With bad set, the chunks ending after FaultOffset
// get a wrong one.
func (s *Server) checksums(data []byte, pos int64, bad bool) []byte {
	sums := make([]byte, 0, 4*((len(data)+bytesPerChecksum-1)/bytesPerChecksum))
	for i := 0; i < len(data); i += bytesPerChecksum {
		j := min(i+bytesPerChecksum, len(data))
		sum := crc32.Checksum(data[i:j], castagnoli)
		if bad && pos+int64(j) > s.opts.FaultOffset {
			sum ^= 0xdeadbeef
		}
		sums = binary.BigEndian.AppendUint32(sums, sum)
	}
	return sums
}

// packet encodes one data packet.
func packet(offset, seq int64, last bool, sums, data []byte) []byte {
	// PacketHeaderProto
	hdr := message(nil).
		sfixed64(1, offset). // offsetInBlock
		sfixed64(2, seq).    // seqno
		boolean(3, last).    // lastPacketInBlock
		sfixed32(4, int32(len(data)))
	b := make([]byte, 0, 6+len(hdr)+len(sums)+len(data))
	b = binary.BigEndian.AppendUint32(b, uint32(4+len(sums)+len(data)))
	b = binary.BigEndian.AppendUint16(b, uint16(len(hdr)))
	b = append(b, hdr...)
	b = append(b, sums...)
	return append(b, data...)
}

// refuse answers an op with an error status and returns the error for the
// log; the connection is then closed.
func refuse(w *bufio.Writer, status uint64, msg string) error {
	resp := message(nil).uint(1, status).str(5, msg) // BlockOpResponseProto{status, message}
	if _, err := w.Write(resp.delimited()); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return errors.New(msg)
}
