package fakehdfs

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Hadoop IPC, as spoken by org.apache.hadoop.ipc.Server (protocol version
// 9). A connection opens with a 7-byte preamble:
//
//	"hrpc" | version 9 | service class | auth protocol (0 SIMPLE, 0xdf SASL)
//
// followed by frames: a big-endian uint32 length, then varint-delimited
// messages. The first frame is the connection context
// (RpcRequestHeaderProto with callId -3, IpcConnectionContextProto); every
// later one is a call (RpcRequestHeaderProto, RequestHeaderProto naming the
// method, the request). A response frame holds an RpcResponseHeaderProto
// and, on success, the response message.

const (
	ipcVersion       = 9
	authSimple       = 0x00
	authSASL         = 0xdf
	contextCallID    = -3  // the connection-context frame
	pingCallID       = -4  // keep-alive pings from the Java client; no answer
	saslCallID       = -33 // SASL negotiation
	maxFrameSize     = 8 << 20
	clientProtocol   = "org.apache.hadoop.hdfs.protocol.ClientProtocol"
	serverIPCVersion = 9
)

// RpcResponseHeaderProto.RpcStatusProto
const (
	statusSuccess = 0
	statusError   = 1
	statusFatal   = 2
)

// RpcResponseHeaderProto.RpcErrorCodeProto
const (
	errApplication    = 1
	errNoSuchMethod   = 2
	errNoSuchProtocol = 3
	errRPCServer      = 4
	fatalUnauthorized = 15
)

// Java exception classes the NameNode reports, by the name clients match.
const (
	excFileNotFound   = "java.io.FileNotFoundException"
	excAccessControl  = "org.apache.hadoop.security.AccessControlException"
	excStandby        = "org.apache.hadoop.ipc.StandbyException"
	excNoSuchMethod   = "org.apache.hadoop.ipc.RpcNoSuchMethodException"
	excNoSuchProtocol = "org.apache.hadoop.ipc.RpcNoSuchProtocolException"
	excRPCServer      = "org.apache.hadoop.ipc.RpcServerException"
	excIO             = "java.io.IOException"
	excInvalidPath    = "org.apache.hadoop.fs.InvalidPathException"
)

// An rpcError is a Java exception returned to the caller of one method; the
// connection stays open.
type rpcError struct {
	class  string
	msg    string
	detail uint64 // RpcErrorCodeProto
}

func (e *rpcError) Error() string { return e.class + ": " + e.msg }

func appError(class, format string, args ...any) *rpcError {
	return &rpcError{class: class, msg: fmt.Sprintf(format, args...), detail: errApplication}
}

// A call is one decoded request frame.
type call struct {
	id       int32
	clientID []byte
	method   string
	protocol string
	request  []byte // the method's request message
}

// ipcConn is the server side of one client connection.
type ipcConn struct {
	r    *bufio.Reader
	w    *bufio.Writer
	user string // effective user from the connection context
}

// errSASL reports a client that asked for SASL (Kerberos or token)
// authentication, which the fake does not offer.
var errSASL = errors.New("client asked for SASL authentication, which fakehdfs does not support")

// handshake reads the preamble and the connection context. A client that
// asks for SASL gets a fatal response and errSASL.
func (c *ipcConn) handshake() error {
	var pre [7]byte
	if _, err := io.ReadFull(c.r, pre[:]); err != nil {
		return fmt.Errorf("reading preamble: %w", err)
	}
	if string(pre[:4]) != "hrpc" {
		return fmt.Errorf("not a Hadoop IPC client: preamble %q", pre[:])
	}
	if pre[4] != ipcVersion {
		return fmt.Errorf("IPC version %d, want %d", pre[4], ipcVersion)
	}
	switch pre[6] {
	case authSimple:
	case authSASL:
		// The client sends its SASL NEGOTIATE before anything else.
		if _, err := c.readFrame(); err != nil {
			return err
		}
		err := c.writeFatal(saslCallID, excAccessControl,
			"fakehdfs: SASL authentication (Kerberos) is not supported; the fake accepts SIMPLE only", fatalUnauthorized)
		if err != nil {
			return err
		}
		return errSASL
	default:
		return fmt.Errorf("unknown auth protocol 0x%02x", pre[6])
	}

	frame, err := c.readFrame()
	if err != nil {
		return fmt.Errorf("reading connection context: %w", err)
	}
	hdr, rest, err := splitDelimited(frame)
	if err != nil {
		return fmt.Errorf("connection context: %w", err)
	}
	h, err := decode(hdr)
	if err != nil {
		return fmt.Errorf("connection context header: %w", err)
	}
	if id := int32(zigzag32(h.uint(3))); id != contextCallID {
		return fmt.Errorf("connection context has call ID %d, want %d", id, contextCallID)
	}
	ctxMsg, _, err := splitDelimited(rest)
	if err != nil {
		return fmt.Errorf("connection context: %w", err)
	}
	ctx, err := decode(ctxMsg) // IpcConnectionContextProto
	if err != nil {
		return fmt.Errorf("connection context: %w", err)
	}
	ui, err := ctx.sub(2) // UserInformationProto
	if err != nil {
		return fmt.Errorf("connection context user: %w", err)
	}
	c.user = ui.str(1) // effectiveUser
	if c.user == "" {
		c.user = "dr.who" // Hadoop's name for an unknown user
	}
	return nil
}

// readFrame reads one length-prefixed frame.
func (c *ipcConn) readFrame() ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(c.r, n[:]); err != nil {
		return nil, err // io.EOF: the client hung up between calls
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > maxFrameSize {
		return nil, fmt.Errorf("frame of %d bytes exceeds %d", size, maxFrameSize)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(c.r, b); err != nil {
		return nil, noEOF(err)
	}
	return b, nil
}

// readCall reads and decodes the next call.
func (c *ipcConn) readCall() (call, error) {
	frame, err := c.readFrame()
	if err != nil {
		return call{}, err
	}
	var cl call
	rpcHdr, rest, err := splitDelimited(frame)
	if err != nil {
		return cl, err
	}
	h, err := decode(rpcHdr) // RpcRequestHeaderProto
	if err != nil {
		return cl, fmt.Errorf("request header: %w", err)
	}
	if !h.has(3) {
		return cl, errors.New("request header without callId")
	}
	cl.id = int32(zigzag32(h.uint(3)))
	cl.clientID = h.bytes(4)
	if cl.id == pingCallID {
		return cl, nil
	}
	reqHdr, rest, err := splitDelimited(rest)
	if err != nil {
		return cl, err
	}
	rh, err := decode(reqHdr) // RequestHeaderProto
	if err != nil {
		return cl, fmt.Errorf("method header: %w", err)
	}
	cl.method = rh.str(1)
	cl.protocol = rh.str(2)
	if cl.request, _, err = splitDelimited(rest); err != nil {
		return cl, fmt.Errorf("%s request: %w", cl.method, err)
	}
	return cl, nil
}

// writeResponse answers cl with resp, or with the exception rerr.
func (c *ipcConn) writeResponse(cl call, resp message, rerr *rpcError) error {
	status := uint64(statusSuccess)
	if rerr != nil {
		status = statusError
	}
	h := message(nil).
		uint(1, uint64(uint32(cl.id))). // callId, sent back as uint32
		uint(2, status).
		uint(3, serverIPCVersion)
	if rerr != nil {
		// Hadoop sends the stringified exception as errorMsg: class,
		// message and stack trace.
		h = h.str(4, rerr.class).
			str(5, rerr.class+": "+rerr.msg+"\n\tat fakehdfs (protocol-level test server)").
			uint(6, rerr.detail)
	}
	h = h.bytes(7, cl.clientID)
	body := h.delimited()
	if rerr == nil {
		body = append(body, resp.delimited()...)
	}
	return c.writeFrame(body)
}

// writeFatal sends a fatal error, after which the server closes the
// connection.
func (c *ipcConn) writeFatal(callID int32, class, msg string, detail uint64) error {
	h := message(nil).
		uint(1, uint64(uint32(callID))).
		uint(2, statusFatal).
		uint(3, serverIPCVersion).
		str(4, class).
		str(5, class+": "+msg).
		uint(6, detail)
	return c.writeFrame(h.delimited())
}

func (c *ipcConn) writeFrame(body []byte) error {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(body)))
	if _, err := c.w.Write(n[:]); err != nil {
		return err
	}
	if _, err := c.w.Write(body); err != nil {
		return err
	}
	return c.w.Flush()
}

// zigzag32 decodes a sint32 field read as a varint.
func zigzag32(v uint64) int32 {
	u := uint32(v)
	return int32(u>>1) ^ -int32(u&1)
}

// checkProtocol reports a call made to a protocol other than ClientProtocol.
func checkProtocol(cl call) *rpcError {
	if cl.protocol != clientProtocol {
		return &rpcError{class: excNoSuchProtocol, detail: errNoSuchProtocol,
			msg: "Unknown protocol: " + cl.protocol}
	}
	return nil
}
