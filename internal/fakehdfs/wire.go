package fakehdfs

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
)

// Messages are hand-encoded with protowire rather than generated: the
// generated Hadoop protos in colinmarc/hdfs are internal, and a second
// generated copy would register the same proto files twice and panic at
// init. Only field numbers and wire types matter on the wire; each encoder
// names the .proto message it writes.

// A message is a protobuf message being encoded. The append-style methods
// return the extended message.
type message []byte

func (m message) uint(n protowire.Number, v uint64) message {
	return protowire.AppendVarint(protowire.AppendTag(m, n, protowire.VarintType), v)
}

func (m message) boolean(n protowire.Number, v bool) message {
	return m.uint(n, protowire.EncodeBool(v))
}

func (m message) bytes(n protowire.Number, v []byte) message {
	return protowire.AppendBytes(protowire.AppendTag(m, n, protowire.BytesType), v)
}

func (m message) str(n protowire.Number, v string) message {
	return protowire.AppendString(protowire.AppendTag(m, n, protowire.BytesType), v)
}

func (m message) embed(n protowire.Number, v message) message { return m.bytes(n, v) }

func (m message) sfixed64(n protowire.Number, v int64) message {
	return protowire.AppendFixed64(protowire.AppendTag(m, n, protowire.Fixed64Type), uint64(v))
}

func (m message) sfixed32(n protowire.Number, v int32) message {
	return protowire.AppendFixed32(protowire.AppendTag(m, n, protowire.Fixed32Type), uint32(v))
}

// delimited returns m prefixed with its varint length, as Hadoop writes
// messages inside IPC frames and on DataNode streams.
func (m message) delimited() []byte {
	return protowire.AppendBytes(nil, m)
}

// fields is a decoded message: the last value of each field number, as
// proto2 does for non-repeated fields. The fake reads no repeated fields.
type fields map[protowire.Number]field

type field struct {
	typ protowire.Type
	num uint64 // varint and fixed values
	raw []byte // length-delimited values
}

// decode parses one message.
func decode(b []byte) (fields, error) {
	f := fields{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, fmt.Errorf("bad protobuf tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		var v field
		v.typ = typ
		switch typ {
		case protowire.VarintType:
			v.num, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var x uint32
			x, n = protowire.ConsumeFixed32(b)
			v.num = uint64(x)
		case protowire.Fixed64Type:
			v.num, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			v.raw, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return nil, fmt.Errorf("bad protobuf field %d: %v", num, protowire.ParseError(n))
		}
		b = b[n:]
		f[num] = v
	}
	return f, nil
}

func (f fields) has(n protowire.Number) bool { _, ok := f[n]; return ok }

func (f fields) uint(n protowire.Number) uint64 { return f[n].num }

func (f fields) bytes(n protowire.Number) []byte { return f[n].raw }

func (f fields) str(n protowire.Number) string { return string(f[n].raw) }

// sub decodes an embedded message; a missing field decodes as empty.
func (f fields) sub(n protowire.Number) (fields, error) { return decode(f[n].raw) }

// splitDelimited returns the varint-length-prefixed message at the start of
// b and what follows it.
func splitDelimited(b []byte) (msg, rest []byte, err error) {
	m, n := protowire.ConsumeBytes(b)
	if n < 0 {
		return nil, nil, fmt.Errorf("bad length-delimited message: %v", protowire.ParseError(n))
	}
	return m, b[n:], nil
}

// readDelimited reads one varint-length-prefixed message of at most max
// bytes from r.
func readDelimited(r *bufio.Reader, max int) ([]byte, error) {
	size, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, err
	}
	if size > uint64(max) {
		return nil, fmt.Errorf("message of %d bytes exceeds %d", size, max)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, noEOF(err)
	}
	return b, nil
}

// noEOF turns an io.EOF in the middle of a message into
// io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
