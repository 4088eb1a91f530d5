package testserver

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// A CountingProxy is a TCP proxy in front of a server that counts the
// bytes the server sent (response headers and bodies, as they leave the
// server's socket) and the connections made. Tests use it to show how
// much a real server actually transferred.
type CountingProxy struct {
	// Addr is the proxy's host:port.
	Addr  string
	ln    net.Listener
	sent  atomic.Int64
	conns atomic.Int64
	wg    sync.WaitGroup
	mu    sync.Mutex
	open  []net.Conn
}

// NewCountingProxy starts a proxy to upstream (host:port), stopped when
// the test ends.
func NewCountingProxy(t testing.TB, upstream string) *CountingProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &CountingProxy{Addr: ln.Addr().String(), ln: ln}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			p.conns.Add(1)
			p.mu.Lock()
			p.open = append(p.open, c, u)
			p.mu.Unlock()
			p.wg.Add(2)
			go func() { // client to server
				defer p.wg.Done()
				io.Copy(u, c)
				if tc, ok := u.(*net.TCPConn); ok {
					tc.CloseWrite()
				}
			}()
			go func() { // server to client, counted
				defer p.wg.Done()
				io.Copy(c, countingReader{u, &p.sent})
				c.Close()
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.open {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

// Sent is the number of bytes the server sent since the last Reset.
func (p *CountingProxy) Sent() int64 { return p.sent.Load() }

// Conns is the number of connections made since the last Reset.
func (p *CountingProxy) Conns() int64 { return p.conns.Load() }

// Reset sets the counts to zero.
func (p *CountingProxy) Reset() { p.sent.Store(0); p.conns.Store(0) }

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
	return n, err
}
