package objstore

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/spcheck/spcheck/savepoint"
)

// object is an open object. The body of the GET that Open sent is kept
// for the first read that starts where it stands.
type object struct {
	st      *Store
	key     string
	ctx     context.Context // Open's; reads run under it
	size    int64
	version string
	abort   func() // ends Open's request, as a timeout
	release func() // ends Open's request once its body is not needed

	mu      sync.Mutex
	body    Reader // Open's response body, until used or dropped
	bodyPos int64  // where body stands
	bodyEnd int64  // where body ends
	whole   bool   // read the whole object on the first read
	data    []byte // the whole object, once read
	closed  bool
}

var _ savepoint.FullReader = (*object)(nil)

func (o *object) Size() int64 { return o.size }

func (o *object) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.closed {
		o.closed = true
		o.dropBody()
		o.data = nil
	}
	return nil
}

// dropBody closes Open's response, if still held. o.mu is held.
func (o *object) dropBody() {
	if o.body != nil {
		o.body.Close()
		o.body = nil
	}
	o.release()
}

func (o *object) errClosed() error {
	return o.st.newError("read", o.key, "object is closed", fs.ErrClosed)
}

// ReadAt reads len(p) bytes at off, as io.ReaderAt does. Each call is
// bounded by the store's timeout and runs under the context given to
// Open.
func (o *object) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, o.st.newError("read", o.key, "negative offset", fs.ErrInvalid)
	}
	if off >= o.size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	want, eof := p, false
	if int64(len(p)) > o.size-off {
		want, eof = p[:o.size-off], true
	}
	ctx, cancel := o.st.opContext(o.ctx)
	defer cancel()
	n, err := o.read(ctx, want, off)
	if err != nil {
		return n, err
	}
	if eof {
		return n, io.EOF
	}
	return n, nil
}

func (o *object) read(ctx context.Context, p []byte, off int64) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return 0, o.errClosed()
	}
	if o.data == nil && o.whole {
		data, err := o.readWhole(o.ctx, ctx)
		if err != nil {
			return 0, err
		}
		o.data = data
	}
	if o.data != nil {
		return copy(p, o.data[off:]), nil
	}
	if len(p) == 0 {
		return 0, nil
	}
	// Continue Open's body if the read starts where it stands and ends
	// within it.
	if o.body != nil && o.bodyPos == off && off+int64(len(p)) <= o.bodyEnd {
		n, err := o.readBody(ctx, p)
		if err == nil {
			if o.bodyPos == o.bodyEnd {
				o.dropBody()
			}
			return n, nil
		}
		o.dropBody()
		if ctx.Err() != nil || o.ctx.Err() != nil {
			return n, o.st.wrap(o.ctx, "read", o.key, ctxErr(ctx, err))
		}
		m, err := o.fill(o.ctx, ctx, p[n:], off+int64(n), nil)
		return n + m, err
	}
	o.dropBody()
	return o.fill(o.ctx, ctx, p, off, nil)
}

// readBody reads len(p) bytes of Open's body under ctx. o.mu is held.
func (o *object) readBody(ctx context.Context, p []byte) (int, error) {
	stop := context.AfterFunc(ctx, o.abort)
	n, err := io.ReadFull(o.body, p)
	stop()
	o.bodyPos += int64(n)
	return n, err
}

// readWhole returns the whole object, starting with Open's body if it
// covers it. parent is the caller's context, ctx the operation's. o.mu is
// held.
func (o *object) readWhole(parent, ctx context.Context) ([]byte, error) {
	buf := make([]byte, o.size)
	var body Reader
	if o.body != nil && o.bodyPos == 0 && o.bodyEnd == o.size {
		body = o.body
		o.body = nil
	} else {
		o.dropBody()
	}
	_, err := o.fill(parent, ctx, buf, 0, body)
	o.release() // after fill: it ends the request body reads
	if err != nil {
		return nil, err
	}
	return buf, nil
}

func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// fill reads len(p) bytes from off into p, starting with body (a response
// standing at off and ending at off+len(p), consumed and closed) if not
// nil, and resuming with ranged GETs pinned to the version seen at Open
// when a body breaks off, up to MaxAttempts bodies in all. parent is the
// caller's context, ctx the operation's.
func (o *object) fill(parent, ctx context.Context, p []byte, off int64, body Reader) (int, error) {
	n := 0
	var lastErr error
	attempts := o.st.cfg.MaxAttempts
	for attempt := 0; n < len(p); attempt++ {
		if attempt > 0 {
			if attempt >= attempts || ctx.Err() != nil {
				break
			}
			t := time.NewTimer(resumeDelay(attempt))
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
			if ctx.Err() != nil {
				break
			}
		}
		if body == nil {
			r, err := o.st.d.NewRangeReader(ctx, o.key, off+int64(n), int64(len(p)-n), o.version)
			if err != nil {
				return n, o.st.wrap(parent, "read", o.key, err)
			}
			if a := r.Attributes(); a.Size >= 0 && a.Size != o.size {
				r.Close()
				return n, o.st.newError("read", o.key, fmt.Sprintf("the object changed while it was being read (%d bytes, then %d)", o.size, a.Size), nil)
			}
			body = r
		}
		// Make ctx reach a body opened under another context (Open's).
		b := body
		stop := context.AfterFunc(ctx, func() { b.Close() })
		m, err := io.ReadFull(body, p[n:])
		n += m
		lastErr = err
		if err == nil {
			// Read to the end of the body: the connection can be reused
			// and a driver that checks a checksum gets to do it.
			var one [1]byte
			k, err := body.Read(one[:])
			if k > 0 {
				err = fmt.Errorf("the server sent more bytes than the range asked for")
			}
			if err != nil && err != io.EOF {
				stop()
				body.Close()
				return n, &Error{Driver: o.st.cfg.Name, Op: "read", Location: o.st.d.Location(o.key), Msg: "at the end of the range: " + err.Error(), err: err}
			}
		}
		stop()
		body.Close()
		body = nil
	}
	if body != nil { // p was empty
		body.Close()
	}
	if n == len(p) {
		return n, nil
	}
	if ctx.Err() != nil {
		return n, o.st.wrap(parent, "read", o.key, ctx.Err())
	}
	return n, &Error{Driver: o.st.cfg.Name, Op: "read", Location: o.st.d.Location(o.key), err: lastErr,
		Msg: fmt.Sprintf("the response broke off %d times (%d of %d bytes read): %v", attempts, n, len(p), lastErr)}
}

// resumeDelay is the pause before resuming a broken response for the
// attempt-th time (from 1): 100 ms doubling up to 2 s, with jitter.
func resumeDelay(attempt int) time.Duration {
	d := 100 * time.Millisecond << min(attempt-1, 5)
	d = min(d, 2*time.Second)
	return d/2 + rand.N(d/2)
}

// ReadFull returns the whole object (savepoint.FullReader): when nothing
// has been read yet, from the GET Open started.
func (o *object) ReadFull(ctx context.Context) ([]byte, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil, o.errClosed()
	}
	if o.data != nil {
		return append([]byte(nil), o.data...), nil
	}
	rctx, cancel := o.st.opContext(ctx)
	defer cancel()
	return o.readWhole(ctx, rctx)
}
