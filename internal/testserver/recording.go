package testserver

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
)

// A RecordingProxy is an HTTP proxy in front of a server that records
// every request (method, path, query, Range) and the most requests it saw
// under way at once. The Host header is passed through, so signed
// requests (S3's SigV4) stay valid.
type RecordingProxy struct {
	*httptest.Server
	mu       sync.Mutex
	reqs     []Request
	inflight int
	maxIn    int
}

// A Request is a request the proxy saw.
type Request struct {
	Method, Path, Query, Range string
}

func (r Request) String() string {
	s := r.Method + " " + r.Path
	if r.Query != "" {
		s += "?" + r.Query
	}
	if r.Range != "" {
		s += " " + r.Range
	}
	return s
}

// NewRecordingProxy starts a proxy to upstream (an http:// URL), stopped
// when the test ends.
func NewRecordingProxy(t testing.TB, upstream string) *RecordingProxy {
	target, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	p := &RecordingProxy{}
	rp := &httputil.ReverseProxy{
		// The inbound Host header stays (S3 signs it).
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme, pr.Out.URL.Host = target.Scheme, target.Host
		},
		ErrorLog: log.New(io.Discard, "", 0),
	}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.reqs = append(p.reqs, Request{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery, Range: r.Header.Get("Range")})
		p.inflight++
		p.maxIn = max(p.maxIn, p.inflight)
		p.mu.Unlock()
		defer func() {
			p.mu.Lock()
			p.inflight--
			p.mu.Unlock()
		}()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		p.CloseClientConnections()
		p.Close()
	})
	return p
}

// Requests returns the requests since the last Reset.
func (p *RecordingProxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.reqs...)
}

// MaxInFlight is the most requests under way at once since the last Reset.
func (p *RecordingProxy) MaxInFlight() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.maxIn
}

// Reset forgets the requests seen.
func (p *RecordingProxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reqs, p.maxIn = nil, p.inflight
}
