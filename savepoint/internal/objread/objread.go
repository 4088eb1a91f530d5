// Package objread is the object reader the object-store drivers share. The
// response of the GET a driver's Open sends (which tells whether the object
// exists and its size) is kept for the first read. An object of up to
// wholeMax bytes is then read whole once and served from memory, so that
// Open plus reading a _metadata file costs a single GET. A larger object
// continues Open's response for a read that starts where it stands, and
// otherwise is read with ranged requests pinned to the version seen at
// Open.
//
// The GCS and Azure drivers use it: their client libraries resume a
// response that breaks off by themselves (the GCS reader, Azure's
// RetryReader). The S3 driver keeps its own reader, because the AWS SDK
// does not: it resumes broken responses with ranged GETs under one attempt
// budget, checks Content-Range, and drains each body so the SDK can verify
// checksums.
package objread

import (
	"context"
	"io"
	"io/fs"
	"sync"
)

// A Source is what a driver gives an Object.
type Source interface {
	// OpContext bounds one read operation under parent.
	OpContext(parent context.Context) (context.Context, context.CancelFunc)
	// ReadRange reads len(p) > 0 bytes at off with a request pinned to the
	// object version seen at Open, under ctx. parent is the object's
	// context, for telling its cancellation from a timeout in errors.
	ReadRange(parent, ctx context.Context, p []byte, off int64) (int, error)
	// BodyError turns a failed read of Open's response into the driver's
	// error.
	BodyError(parent, ctx context.Context, err error) error
	// Error makes the driver's error for a read that fails before any
	// request: op is "read", kind is fs.ErrClosed or nil.
	Error(op, msg string, kind error) error
}

// Response is the response of Open's GET.
type Response struct {
	Body io.ReadCloser
	// Abort ends the request when a read of Body outlives the operation
	// reading it; Release ends it once Body is no longer needed. Both may
	// be called more than once.
	Abort, Release func()
}

// An Object implements savepoint.Object and savepoint.FullReader.
type Object struct {
	src      Source
	ctx      context.Context // Open's; reads run under it
	size     int64
	wholeMax int64
	abort    func()
	release  func()

	mu      sync.Mutex
	body    io.ReadCloser // Open's response body, until used or dropped
	bodyPos int64         // bytes of body read so far
	data    []byte        // the whole object, once read
	closed  bool
}

// New returns the Object Open hands out: ctx is Open's context, size the
// object's size.
func New(ctx context.Context, size, wholeMax int64, resp Response, src Source) *Object {
	return &Object{src: src, ctx: ctx, size: size, wholeMax: wholeMax, abort: resp.Abort, release: resp.Release, body: resp.Body}
}

// Size is the object's size.
func (o *Object) Size() int64 { return o.size }

// Close releases Open's response and the cached bytes.
func (o *Object) Close() error {
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
func (o *Object) dropBody() {
	if o.body != nil {
		o.body.Close()
		o.body = nil
	}
	o.release()
}

// ReadAt reads len(p) bytes at off, as io.ReaderAt does.
func (o *Object) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, o.src.Error("read", "negative offset", nil)
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
	ctx, cancel := o.src.OpContext(o.ctx)
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

func (o *Object) read(ctx context.Context, p []byte, off int64) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return 0, o.src.Error("read", "object is closed", fs.ErrClosed)
	}
	if o.data == nil && o.size <= o.wholeMax {
		// Small: read it all once, then serve from memory.
		data, err := o.readWhole(o.ctx, ctx)
		if err != nil {
			return 0, err
		}
		o.data = data
	}
	if o.data != nil {
		return copy(p, o.data[off:]), nil
	}
	// Large: continue Open's response if the read starts where it stands.
	if o.body != nil && o.bodyPos == off {
		n, err := o.readBody(ctx, p)
		if err == nil {
			return n, nil
		}
		o.dropBody()
		if ctx.Err() != nil || o.ctx.Err() != nil {
			return n, o.src.BodyError(o.ctx, ctx, err)
		}
		m, err := o.readRange(o.ctx, ctx, p[n:], off+int64(n))
		return n + m, err
	}
	o.dropBody()
	return o.readRange(o.ctx, ctx, p, off)
}

// readBody reads len(p) bytes from Open's response, under ctx. o.mu is
// held.
func (o *Object) readBody(ctx context.Context, p []byte) (int, error) {
	stop := context.AfterFunc(ctx, o.abort)
	n, err := io.ReadFull(o.body, p)
	stop()
	o.bodyPos += int64(n)
	return n, err
}

// readWhole returns the whole object, from Open's response if it is still
// unread and else with a new request. parent is the caller's context, ctx
// the operation's. o.mu is held.
func (o *Object) readWhole(parent, ctx context.Context) ([]byte, error) {
	buf := make([]byte, o.size)
	if o.body != nil && o.bodyPos == 0 {
		n, err := o.readBody(ctx, buf)
		o.dropBody()
		if err == nil {
			return buf, nil
		}
		if ctx.Err() != nil || parent.Err() != nil {
			return nil, o.src.BodyError(parent, ctx, err)
		}
		// A broken response is worth one more request for what is left.
		if _, err := o.readRange(parent, ctx, buf[n:], int64(n)); err != nil {
			return nil, err
		}
		return buf, nil
	}
	o.dropBody()
	if _, err := o.readRange(parent, ctx, buf, 0); err != nil {
		return nil, err
	}
	return buf, nil
}

func (o *Object) readRange(parent, ctx context.Context, p []byte, off int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.src.ReadRange(parent, ctx, p, off)
}

// ReadFull returns the whole object (savepoint.FullReader).
func (o *Object) ReadFull(ctx context.Context) ([]byte, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil, o.src.Error("read", "object is closed", fs.ErrClosed)
	}
	if o.data != nil {
		return append([]byte(nil), o.data...), nil
	}
	rctx, cancel := o.src.OpContext(ctx)
	defer cancel()
	return o.readWhole(ctx, rctx)
}
