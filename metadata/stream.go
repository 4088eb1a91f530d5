package metadata

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unsafe"
)

// opSummary is what DecodeSummaries keeps of an operator's subtask states.
type opSummary struct {
	Summary
	subtasks int
	files    int
}

// metaSummary is what DecodeSummaries keeps of the whole file's handles.
type metaSummary struct {
	files int
	kinds handleKinds
	// sample is the first checkpoint-format key-group handle
	// (FullKeyedSample), copied.
	sample *KeyedSample
}

// DecodeSummaries decodes the metadata file of the given size read from
// src, like Decode, but keeps of each operator only what Summarize,
// HasState, StateSize, NumSubtasks and FileCount report, and of the file
// what Kind and Metadata.FileCount report: it reads the file through a
// window of a megabyte (or in place, for an InMemory input), one subtask
// state at a time, and drops each subtask's handles once they are
// counted. Memory stays flat in the file's size, but for the files
// referenced (16 bytes per reference).
//
// It accepts and rejects exactly the files Decode does, with the same
// errors. The result does not alias src. Operators have Subtasks nil
// (Summarized); callers that need the handles (header reads, file lists)
// use Decode. Versions 1 and 2, whose layouts have no streaming reader,
// are decoded whole and then summarized.
//
// Distinct files are counted by a 96-bit hash of their path under random
// keys chosen per call (pathhash.go), not by the paths themselves: two
// different paths are counted as one only if their hashes collide, which
// for ten million files happens with odds of about 10^-15.
func DecodeSummaries(src io.ReaderAt, size int64) (*Metadata, error) {
	return decodeSummaries(src, size, nil, true)
}

// DecodeSummariesNoFiles is DecodeSummaries for callers that need no file
// counts (a job graph from a savepoint): it does not count the files the
// handles reference, which is most of DecodeSummaries' work on a large
// checkpoint. FileCount and Metadata.FileCount of its result are -1.
func DecodeSummariesNoFiles(src io.ReaderAt, size int64) (*Metadata, error) {
	return decodeSummaries(src, size, nil, false)
}

// decodeSummaries is DecodeSummaries; fc, when not nil, also keeps what
// a FileCheck needs (see FileCheck.DecodeSummaries). Without files, no
// file is counted (DecodeSummariesNoFiles).
func decodeSummaries(src io.ReaderAt, size int64, fc *FileCheck, files bool) (*Metadata, error) {
	var head [8]byte
	if _, err := src.ReadAt(head[:min(8, max(size, 0))], 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	version := int32(0)
	if size >= 8 {
		r := &reader{b: head[:]}
		if uint32(r.i32("magic number")) != Magic {
			return nil, ErrNotMetadata
		}
		version = r.i32("version")
		if version < MinVersion || version > MaxVersion {
			return nil, &UnsupportedVersionError{version}
		}
	}
	if size < 16 || version < 3 {
		// Short or old input: Decode reads it whole.
		b := make([]byte, size)
		if _, err := src.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		m, err := Decode(b)
		if err != nil {
			return nil, err
		}
		return summarizeAll(m, fc, files), nil
	}
	stream := func(q []Quirk) (*Metadata, error) {
		m, err := decodeStream(src, size, q, fc, files, true)
		if err == errInvalidPath {
			// The decoder reads the file, for its error.
			m, err = decodeStream(src, size, q, fc, files, false)
		}
		return m, err
	}
	m, err := stream(nil)
	if err == nil || version != 3 {
		return m, err
	}
	if !errors.As(err, new(*FormatError)) {
		return nil, err // a read error, not the layout
	}
	// As Decode: retry the version 3 layout variants.
	for _, q := range [][]Quirk{{QuirkNoChannelSubtaskIndex}, {QuirkChangelog114}, {QuirkNoChannelSubtaskIndex, QuirkChangelog114}} {
		if m2, err2 := stream(q); err2 == nil {
			return m2, nil
		}
	}
	return nil, err
}

// summarizeAll turns a decoded m into what DecodeSummaries returns.
func summarizeAll(m *Metadata, fc *FileCheck, files bool) *Metadata {
	fs := newFileSet(fc, files)
	ms := &metaSummary{}
	for i := range m.Operators {
		op := &m.Operators[i]
		walk(op.CoordinatorState, ms.kinds.add)
		z := newSummarizer(op)
		z.clone = true
		visit := fs.visit(&ms.kinds, i)
		for j := range op.Subtasks {
			z.add(&op.Subtasks[j])
			fs.subtask = op.Subtasks[j].Index
			ms.keepSample(i, &op.Subtasks[j])
			WalkSubtask(&op.Subtasks[j], visit)
			ms.kinds.addKeyed(op.Subtasks[j].ManagedKeyedState)
			ms.kinds.addKeyed(op.Subtasks[j].RawKeyedState)
		}
		op.summary = &opSummary{Summary: z.done(), subtasks: len(op.Subtasks)}
		op.Subtasks = nil
		cloneOperatorHead(op)
	}
	fs.setCounts(m, ms)
	for i := range m.MasterStates {
		m.MasterStates[i].Name = strings.Clone(m.MasterStates[i].Name)
		m.MasterStates[i].Payload = clone(m.MasterStates[i].Payload)
	}
	m.PropertiesRaw = clone(m.PropertiesRaw)
	return m
}

// errInvalidPath: a file path the fast path read is not modified UTF-8
// (see fileHasher.hashRef).
var errInvalidPath = errors.New("metadata: a file path is not modified UTF-8")

// decodeStream is decodeWith for versions 3 and later, through a window;
// with fast, through the fast path where it can.
func decodeStream(src io.ReaderAt, size int64, quirks []Quirk, fc *FileCheck, files, fast bool) (_ *Metadata, err error) {
	fs := newFileSet(fc, files)
	w := &window{src: src, size: size, fs: fs}
	if mem, ok := src.(InMemory); ok && int64(len(mem.Bytes())) == size {
		// The window is the whole input, read in place.
		w.buf = mem.Bytes()[:size:size]
		defer guardFaults()()
		defer recoverFault(w.buf, &err)
		w.release, _ = src.(releaser)
		fs.shared = true
		if fs.h != nil {
			fs.h.release = w.release
		}
	} else {
		w.buf = make([]byte, 0, windowSize)
	}
	fs.win = w.buf
	if files && asyncFiles() {
		fs.start()
	}
	defer func() {
		// A path the fast path read that is not modified UTF-8 comes
		// before any error found after it: the decoder reports it.
		if fs.wait(); err != nil && fs.h != nil && fs.h.invalid {
			err = errInvalidPath
		}
	}()
	m := &Metadata{Quirks: quirks}
	ms := &metaSummary{}
	var nops int
	// The file's head: magic, version, checkpoint ID, master states and
	// the number of operators.
	err = w.unit(quirks, nil, 0, func(r *reader) {
		r.i32("magic number")
		m.Version = r.i32("version")
		off := r.off
		m.CheckpointID = r.i64("checkpoint ID")
		if m.CheckpointID < 0 {
			r.failAt(off, nil, "negative checkpoint ID %d", m.CheckpointID)
		}
		m.MasterStates = nil
		n := r.count("number of master states", 18)
		for i := 0; i < n && r.err == nil; i++ {
			r.push("master state", i)
			m.MasterStates = append(m.MasterStates, decodeMasterState(r))
			r.pop()
		}
		nops = r.count("number of operator states", 28)
		r.charge(nops, unsafe.Sizeof(OperatorState{}), "operator states")
	})
	if err != nil {
		return nil, err
	}
	for i := range m.MasterStates {
		m.MasterStates[i].Name = strings.Clone(m.MasterStates[i].Name)
		m.MasterStates[i].Payload = clone(m.MasterStates[i].Payload)
	}
	var st SubtaskState
	var fst fastSub
	var nfast int64
	for i := 0; i < nops; i++ {
		m.Operators = append(m.Operators, OperatorState{})
		op := &m.Operators[i]
		var nst int
		opPath := []pathElem{{"operator", i, nil}}
		err := w.unit(quirks, opPath, 0, func(r *reader) {
			*op = OperatorState{}
			nst = decodeOperatorHead(r, m.Version, op)
		})
		if err != nil {
			return nil, err
		}
		cloneOperatorHead(op)
		opPath[0].id = &op.ID
		Walk(op, ms.kinds.add)
		z := newSummarizer(op)
		z.clone = true
		visit := fs.visit(&ms.kinds, i)
		for j := 0; j < nst; j++ {
			if fast && !fastDisabled {
				if n := w.fast(m.Version, op, &fst, ms.sample == nil || !decisive(ms.sample.Handle)); n >= 0 {
					b := w.buf[w.cur:]
					z.addFast(&fst, b)
					ms.kinds.addFast(&fst)
					fs.subtask = fst.index
					fs.addRecord(w.buf, w.cur, fst.files, i)
					w.cur += n
					nfast++
					if err := fs.full(i, j); err != nil {
						return nil, err
					}
					w.releaseBehind()
					continue
				}
			}
			err := w.unit(quirks, opPath, op.MaxParallelism, func(r *reader) {
				st = SubtaskState{}
				r.push("subtask record", j)
				decodeSubtaskRecord(r, m.Version, op.Parallelism, &st)
				r.pop()
			})
			if err != nil {
				return nil, err
			}
			z.add(&st)
			fs.subtask = st.Index
			ms.keepSample(i, &st)
			WalkSubtask(&st, visit)
			ms.kinds.addKeyed(st.ManagedKeyedState)
			ms.kinds.addKeyed(st.RawKeyedState)
			if err := fs.full(i, j); err != nil {
				return nil, err
			}
			w.releaseBehind()
		}
		st = SubtaskState{}
		op.summary = &opSummary{Summary: z.done(), subtasks: nst}
	}
	// The properties trailer (version 4 and later), or nothing.
	if err := w.unit(quirks, nil, 0, func(r *reader) {
		if r.beyond > 0 {
			r.failAt(r.remaining(), io.ErrUnexpectedEOF, "the rest of the input is read whole")
			return
		}
		if m.Version >= 4 {
			r.properties(m, clone(r.take(r.remaining(), "checkpoint properties")))
			if r.err != nil {
				return
			}
		}
		if r.err == nil && r.remaining() > 0 {
			r.fail("%d unexpected bytes after the end of the metadata", r.remaining())
		}
	}); err != nil {
		return nil, err
	}
	if fs.wait(); fs.h != nil && fs.h.fault.Load() {
		return nil, ErrInputChanged
	}
	if fs.h != nil && fs.h.invalid {
		return nil, errInvalidPath
	}
	fs.setCounts(m, ms)
	fastRecords.Add(nfast)
	return m, nil
}

// cloneOperatorHead copies what an operator keeps out of the input.
func cloneOperatorHead(op *OperatorState) {
	op.Name = strings.Clone(op.Name)
	op.UID = strings.Clone(op.UID)
	if b, ok := op.CoordinatorState.(*ByteStreamHandle); ok && b != nil {
		op.CoordinatorState = &ByteStreamHandle{Name: strings.Clone(b.Name), Data: clone(b.Data)}
	}
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

// windowSize is the initial size of DecodeSummaries' window; it grows
// when a single unit (a subtask state, an operator's head) is larger.
var windowSize = 1 << 20

// A window holds the part of the input being decoded.
type window struct {
	src  io.ReaderAt
	size int64
	buf  []byte // buf[cur:] are bytes not yet decoded
	base int64  // input offset of buf[0]
	cur  int
	// fs, when it hashes concurrently, takes each buffer the window
	// leaves (see fileSet.swap).
	fs *fileSet
	// release, for an InMemory input that has it, is told what the
	// decode is done with; released is where it was told last.
	release  releaser
	released int64
}

// releaseStep is how far an InMemory input's decode moves on between
// calls to ReleaseBefore; tests set it.
var releaseStep = 16 << 20

// releaseBehind tells an InMemory input what the decode no longer needs:
// the file set releases it once the paths queued before are hashed.
func (w *window) releaseBehind() {
	if w.release == nil || int64(w.cur)-w.released < int64(releaseStep) {
		return
	}
	w.fs.releaseBefore(w.release, int64(w.cur))
	w.released = int64(w.cur)
}

// unit decodes one unit of the input with fn, which must be repeatable:
// when fn runs out of window before the end of the input, the window
// slides (and grows if needed) and fn runs again. Errors have input
// offsets.
func (w *window) unit(quirks []Quirk, path []pathElem, maxKeyGroups int32, fn func(r *reader)) error {
	for {
		end := w.base + int64(len(w.buf))
		r := &reader{b: w.buf[w.cur:], base: w.base + int64(w.cur), beyond: w.size - end, path: append([]pathElem(nil), path...), maxKeyGroups: maxKeyGroups}
		for _, q := range quirks {
			switch q {
			case QuirkNoChannelSubtaskIndex:
				r.noChannelSubtask = true
			case QuirkChangelog114:
				r.changelog114 = true
			}
		}
		fn(r)
		if r.err == nil {
			w.cur += r.off
			return nil
		}
		if end < w.size && errors.Is(r.err, io.ErrUnexpectedEOF) {
			if err := w.more(); err != nil {
				return err
			}
			continue
		}
		if fe, ok := r.err.(*FormatError); ok {
			fe.Offset += w.base + int64(w.cur)
		}
		return r.err
	}
}

// fast reads the next subtask record of op with the fast path into s,
// sliding the window as needed, and returns its length; -1 when the
// decoder must read it (w.unit). With sample, it leaves a record with a
// managed checkpoint-format key-group handle to the decoder, which may
// keep it as the FullKeyedSample.
func (w *window) fast(version int32, op *OperatorState, s *fastSub, sample bool) int {
	for {
		s.reset()
		f := fastReader{b: w.buf[w.cur:], beyond: w.size - w.base - int64(len(w.buf)), maxKG: op.MaxParallelism, s: s, sample: sample,
			paths: w.fs.off}
		f.subtask(version, op.Parallelism)
		switch f.status {
		case fastOK:
			return f.off
		case fastMore:
			if err := w.more(); err != nil {
				return -1 // w.unit reads again and reports the error
			}
		default:
			return -1
		}
	}
}

// more slides the window to start at the first byte not yet decoded and
// fills it, doubling it when it is already full of undecoded bytes.
func (w *window) more() error {
	rest := w.buf[w.cur:]
	n := len(rest)
	size := cap(w.buf)
	if n == size {
		size *= 2
	}
	var nb []byte
	switch {
	case w.fs != nil && w.fs.async:
		nb = w.fs.swap(size)
	case size > cap(w.buf):
		nb = make([]byte, 0, size)
	default:
		nb = w.buf[:0]
	}
	nb = nb[:n]
	copy(nb, rest)
	w.base += int64(w.cur)
	w.buf, w.cur = nb, 0
	want := min(int64(cap(w.buf)-n), w.size-w.base-int64(n))
	k, err := w.src.ReadAt(w.buf[n:n+int(want)], w.base+int64(n))
	if int64(k) < want {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("reading at offset %d: %w", w.base+int64(n+k), err)
	}
	w.buf = w.buf[:n+k]
	return nil
}
