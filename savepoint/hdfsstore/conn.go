package hdfsstore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"
)

// The colinmarc client sets no deadlines of its own on namenode
// connections and only those a caller asks for on datanode connections, so
// a server that stops answering would block it for good. dialer gives it
// connections that bound every dial, read and write by the store's
// timeout.

// dialer returns a dial function for the client's NamenodeDialFunc or
// DatanodeDialFunc; role ("namenode" or "datanode") names the peer in
// errors.
func dialer(role string, timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, &connError{role: role, addr: addr, op: "dial", timeout: timeout, err: err}
		}
		tc := &timeoutConn{Conn: c, role: role, addr: addr, timeout: timeout}
		// The client reads packet streams straight from the connection,
		// a checksum chunk at a time when the driver reads in small
		// pieces; buffer them.
		tc.r = bufio.NewReaderSize(rawReader{tc}, 64<<10)
		return tc, nil
	}
}

// timeoutConn is a connection to a namenode or datanode on which:
//   - every Read and Write must make progress within timeout, or before the
//     deadline the client set, whichever comes first;
//   - the end of the stream is an error: HDFS clients only read what the
//     protocol says is coming, so it always means the peer went away. Left
//     as io.EOF, the client takes a datanode that hangs up between packets
//     for the end of the block and reconnects (without end if the datanode
//     answers every READ_BLOCK that way), and reports one that hangs up
//     mid-packet as a short read ending in io.EOF, like the end of a file.
//   - after any error the connection is closed, so that a namenode
//     connection whose response was not read cannot be reused out of step
//     and a datanode connection the client abandons is not leaked.
type timeoutConn struct {
	net.Conn
	role, addr string
	timeout    time.Duration

	r      *bufio.Reader // over rawReader
	mu     sync.Mutex
	rd, wd time.Time // deadlines set by the client
	broken error     // the failure that closed the connection
}

func (c *timeoutConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// rawReader reads from the connection under the deadline.
type rawReader struct{ c *timeoutConn }

func (r rawReader) Read(b []byte) (int, error) { return r.c.read(b) }

func (c *timeoutConn) read(b []byte) (int, error) {
	if err := c.failed(); err != nil {
		return 0, err
	}
	if err := c.Conn.SetReadDeadline(c.deadline(&c.rd)); err != nil {
		return 0, c.fail("read", err)
	}
	n, err := c.Conn.Read(b)
	if err != nil {
		err = c.fail("read", err)
	}
	return n, err
}

func (c *timeoutConn) Write(b []byte) (int, error) {
	if err := c.failed(); err != nil {
		return 0, err
	}
	if err := c.Conn.SetWriteDeadline(c.deadline(&c.wd)); err != nil {
		return 0, c.fail("write", err)
	}
	n, err := c.Conn.Write(b)
	if err != nil {
		err = c.fail("write", err)
	}
	return n, err
}

func (c *timeoutConn) deadline(set *time.Time) time.Time {
	d := time.Now().Add(c.timeout)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !set.IsZero() && set.Before(d) {
		return *set
	}
	return d
}

func (c *timeoutConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rd, c.wd = t, t
	return nil
}

func (c *timeoutConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rd = t
	return nil
}

func (c *timeoutConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wd = t
	return nil
}

// fail closes the connection after err; later calls report the same
// failure.
func (c *timeoutConn) fail(op string, err error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken == nil {
		c.Conn.Close()
		c.broken = &connError{role: c.role, addr: c.addr, op: op, timeout: c.timeout, err: err}
	}
	return c.broken
}

func (c *timeoutConn) failed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.broken
}

// A connError is a failed dial, read or write on a connection to a
// namenode or datanode.
type connError struct {
	role    string // "namenode" or "datanode"
	addr    string
	op      string // "dial", "read" or "write"
	timeout time.Duration
	err     error
}

func (e *connError) Error() string {
	peer := e.role + " " + e.addr
	switch {
	case e.Timeout() && e.op == "dial":
		return fmt.Sprintf("%s: no connection within %v", peer, e.timeout)
	case e.Timeout():
		return fmt.Sprintf("%s: no answer within %v", peer, e.timeout)
	case errors.Is(e.err, syscall.ECONNREFUSED):
		return peer + ": connection refused"
	case e.err == io.EOF:
		return peer + " closed the connection"
	case errors.Is(e.err, syscall.ECONNRESET):
		return peer + " reset the connection"
	}
	return fmt.Sprintf("%s: %s: %v", peer, e.op, e.err)
}

func (e *connError) Unwrap() error { return e.err }

// Timeout reports whether the peer did not answer in time.
func (e *connError) Timeout() bool {
	var ne net.Error
	return errors.As(e.err, &ne) && ne.Timeout()
}
