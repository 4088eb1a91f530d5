package savepoint

// Deep mode: the states of every operator, read from the headers of the
// state files (FORMAT.md §10). Only the header bytes are read, with ranged
// reads, concurrently.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/spcheck/spcheck/metadata"
)

// DeepOptions tune ReadStates. The zero value is ready to use.
type DeepOptions struct {
	// Concurrency bounds the reads under way at once; 0 means 16.
	Concurrency int
	// MaxHeaderSize bounds the bytes read for one header whose end the
	// handle does not give (a stream that holds only a header); 0 means
	// 16 MiB. A longer stream is reported as a problem, not read.
	MaxHeaderSize int64
	// Progress, when set, is called after each header read with the
	// number of reads done and the total; calls come from one goroutine
	// at a time.
	Progress func(done, total int)
}

// DeepResult is what ReadStates found.
type DeepResult struct {
	// Operators are the operators of the metadata, in its order, with the
	// states their headers name.
	Operators []OperatorStates
	// BytesRead counts the bytes read from state files (ranged reads);
	// InlineBytes the bytes decoded from inline handles in _metadata.
	BytesRead   int64
	InlineBytes int64
	// StateBytes is the total state size the metadata reports: what a
	// full read would have fetched.
	StateBytes int64
	// Headers counts the headers read; Distinct those decoded (identical
	// headers of several subtasks are decoded once).
	Headers  int
	Distinct int
	// Problems are the files that could not be read or decoded, and
	// other findings (relocated paths, headers that disagree). They never
	// fail the whole run.
	Problems []DeepProblem
}

// OperatorStates are the states of one operator.
type OperatorStates struct {
	ID   metadata.OperatorID
	Name string // version 5+ metadata only
	UID  string // version 5+ metadata only
	// KeyType is the key serializer's type ("" when the operator has no
	// decoded keyed state); KeySerializer the snapshot itself.
	KeyType       string
	KeySerializer *metadata.SerializerSnapshot
	// KeyedStates are the keyed states (including Flink 2.x KEY_VALUE_V2),
	// Timers the timer queues (priority queue states), OperatorStates the
	// list and union list states, BroadcastStates the broadcast states;
	// each sorted by name.
	KeyedStates     []KeyedState
	Timers          []TimerState
	OperatorStates  []ListState
	BroadcastStates []BroadcastState
	// RawKeyed and RawOperator say the operator also has raw state, which
	// has no header (its format is the user's; Flink ≤1.9 also kept
	// timers of some backends there).
	RawKeyed    bool
	RawOperator bool
	// RawKeyedTimers says the raw keyed state is the timer services Flink
	// 1.9 and earlier wrote there (AbstractStreamOperator.snapshotState with
	// heap timers), not the user's: it decodes as them (from 1.4.1 after
	// their magic). A user cannot add raw keyed state beside them: each key
	// group can be started once (KeyedStateCheckpointOutputStream).
	RawKeyedTimers bool
	// Undecoded counts state streams of the operator whose header could
	// not be read or decoded (see DeepResult.Problems).
	Undecoded int
}

// KeyedState is a keyed state: its name, kind and types.
type KeyedState struct {
	Name string
	// Kind is VALUE, LIST, MAP, REDUCING, AGGREGATING, FOLDING (or legacy
	// UNKNOWN).
	Kind metadata.StateKind
	// NamespaceType, ValueType and UserKeyType (map key of Flink 2.x
	// KEY_VALUE_V2 map states) are the serializers' TypeStrings; for list
	// and map states ValueType is the List<…>/Map<…> serializer.
	NamespaceType string
	ValueType     string
	UserKeyType   string
	// TTL says the state has time-to-live.
	TTL bool
	// Meta is the full meta info, serializer snapshots included.
	Meta *metadata.StateMetaInfo
}

// TimerState is a timer queue: Flink names it "_timer_state/" + domain +
// "_" + service, e.g. "_timer_state/event_user-timers".
type TimerState struct {
	Name string
	// Service is the timer service name ("user-timers", "window-timers",
	// …) and Domain "event" or "processing", when Name has that form.
	Service string
	Domain  string
	// ElementType is the TimerSerializer's type, e.g.
	// "Timer<Long, VoidNamespace>".
	ElementType string
	// Raw marks the timers of a service that Flink ≤1.9 kept in raw keyed
	// state (metadata.DecodeRawTimers) rather than in a priority queue
	// state; they are listed under the names the service's queues get when
	// Flink restores them, and Meta is nil.
	Raw  bool
	Meta *metadata.StateMetaInfo
}

// ListState is an operator list state.
type ListState struct {
	Name string
	// Mode is SplitDistribute (list state) or Union (union list state).
	Mode        metadata.DistributionMode
	ElementType string
	Meta        *metadata.StateMetaInfo
}

// BroadcastState is a broadcast (map) state.
type BroadcastState struct {
	Name      string
	KeyType   string
	ValueType string
	Meta      *metadata.StateMetaInfo
}

// DeepProblem is a file or header ReadStates could not use, or a note
// about one. Only Kind ProblemNote entries are informational.
type DeepProblem struct {
	Operator metadata.OperatorID
	Subtask  int32
	// Where is the file (store path or path as stored), or "inline" for
	// bytes kept in _metadata.
	Where string
	Kind  ProblemKind
	Err   error
}

// ProblemKind classifies a DeepProblem.
type ProblemKind string

// Problem kinds.
const (
	ProblemMissing   ProblemKind = "missing"   // the file does not exist
	ProblemRead      ProblemKind = "read"      // the file could not be read
	ProblemDecode    ProblemKind = "decode"    // the header does not decode
	ProblemSkipped   ProblemKind = "skipped"   // not read (outside the store, too large, changelog files)
	ProblemDisagree  ProblemKind = "disagree"  // subtasks' headers describe a state differently
	ProblemRelocated ProblemKind = "relocated" // an absolute path was found in the savepoint directory instead
	ProblemPartial   ProblemKind = "partial"   // only some timer services of raw keyed state could be named
	ProblemInexact   ProblemKind = "inexact"   // the header decodes, but not to the end its handle gives; its states are used
)

func (p DeepProblem) String() string {
	return RedactText(fmt.Sprintf("operator %s subtask %d: %s: %s: %v", p.Operator, p.Subtask, p.Where, p.Kind, p.Err))
}

const (
	defaultDeepConcurrency = 16
	defaultMaxHeaderSize   = 16 << 20
)

// headerKind says which header a job reads.
type headerKind int

const (
	keyedHeader headerKind = iota
	operatorHeader
	changelogMeta
	rawTimers
)

// maxRawTimersRead bounds the bytes read of a key group of raw keyed state
// to find its timer services.
const maxRawTimersRead = 64 << 10

// headerJob is one header to read: the stream, and where the header ends
// in it (-1: at the end of the stream).
type headerJob struct {
	op      int
	subtask int32
	kind    headerKind
	stream  metadata.StreamHandle
	start   int64  // where the header starts in the stream
	end     int64  // where it ends; -1: at the end of the stream
	inline  []byte // changelog metadata records
	// results
	data []byte // the header bytes, until decoded
	// decoded is the decoded header (see decodeJob), size the length of
	// the bytes it was decoded from, rawMagic whether they start with
	// rawTimersMagic.
	decoded   any
	size      int
	rawMagic  bool
	where     string
	bytesRead int64
	problems  []DeepProblem
}

// ReadStates reads the header of every managed keyed and operator state
// stream of sp and returns, per operator, the states they name: keyed
// states with their kind and types, timers, list, union list and broadcast
// states (FORMAT.md §10). Where the header lies depends on the handle
// (§10.1): at the start of a key-group or operator stream, ending at the
// smallest non-zero offset; the whole meta data stream of a RocksDB
// incremental or native snapshot; inside the materialized part of a
// changelog handle (plus the metadata records of its inline changes); at
// the start of a file segment. Only those bytes are read, with ranged
// reads, at most opts.Concurrency at a time. Identical headers of several
// subtasks are decoded once.
//
// A file that is missing or does not decode is reported in Problems; the
// other operators and subtasks are still read. Absolute paths that do not
// exist are looked for in the savepoint directory by their base name
// (relocated savepoints). ReadStates fails only when ctx is done.
func ReadStates(ctx context.Context, sp *Savepoint, opts DeepOptions) (*DeepResult, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = defaultDeepConcurrency
	}
	if opts.MaxHeaderSize <= 0 {
		opts.MaxHeaderSize = defaultMaxHeaderSize
	}
	m := sp.Metadata
	res := &DeepResult{Operators: make([]OperatorStates, len(m.Operators))}
	var jobs []*headerJob
	for i := range m.Operators {
		op := &m.Operators[i]
		res.StateBytes += op.StateSize()
		res.Operators[i] = OperatorStates{ID: op.ID, Name: op.Name, UID: op.UID}
		for j := range op.Subtasks {
			st := &op.Subtasks[j]
			jobs = append(jobs, keyedJobs(i, st.Index, st.ManagedKeyedState)...)
			for _, h := range st.ManagedOperatorState {
				if h != nil && h.Delegate != nil && !h.Empty {
					jobs = append(jobs, &headerJob{op: i, subtask: st.Index, kind: operatorHeader, stream: h.Delegate, end: operatorHeaderEnd(h)})
				}
			}
			if st.RawKeyedState != nil {
				if !res.Operators[i].RawKeyed {
					if j := rawTimersJob(i, st.Index, st.RawKeyedState); j != nil {
						jobs = append(jobs, j)
					}
				}
				res.Operators[i].RawKeyed = true
			}
			for _, h := range st.RawOperatorState {
				if h != nil {
					res.Operators[i].RawOperator = true
				}
			}
		}
	}

	sem := make(chan struct{}, opts.Concurrency)
	// Reads of more than bigHeader bytes take turns, so that the header
	// bytes held at once stay below Concurrency × bigHeader +
	// MaxHeaderSize; each job's bytes are dropped once decoded.
	big := make(chan struct{}, 1)
	cache := &decodeCache{m: map[decodeKey]any{}}
	var wg sync.WaitGroup
	var progressMu sync.Mutex
	total, done := 0, 0
	for _, j := range jobs {
		if j.inline == nil && j.stream != nil {
			total++
		}
	}
	for _, j := range jobs {
		if j.inline != nil || j.stream == nil {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return nil, ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			sp.readHeader(ctx, j, opts.MaxHeaderSize, big)
			cache.decode(j)
			if opts.Progress != nil {
				progressMu.Lock()
				done++
				opts.Progress(done, total)
				progressMu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	merge := make([]*opMerge, len(res.Operators))
	for i := range merge {
		merge[i] = &opMerge{out: &res.Operators[i], keyed: map[string]bool{}}
	}
	for _, j := range jobs {
		om := merge[j.op]
		for _, p := range j.problems {
			p.Operator = om.out.ID
			res.Problems = append(res.Problems, p)
		}
		res.BytesRead += j.bytesRead
		if j.inline != nil {
			j.data = j.inline
			j.where = "inline"
			cache.decode(j)
		}
		if j.decoded == nil {
			if len(j.problems) > 0 {
				om.out.Undecoded++
			}
			continue
		}
		if _, inline := j.stream.(*metadata.ByteStreamHandle); inline || j.inline != nil {
			res.InlineBytes += int64(j.size)
		}
		res.Headers++
		v := j.decoded
		problem := func(err error) {
			res.Problems = append(res.Problems, DeepProblem{Operator: om.out.ID, Subtask: j.subtask, Where: j.where, Kind: ProblemDecode, Err: err})
			om.out.Undecoded++
		}
		if ie, ok := v.(inexact); ok {
			res.Problems = append(res.Problems, DeepProblem{Operator: om.out.ID, Subtask: j.subtask, Where: j.where, Kind: ProblemInexact, Err: ie.err})
			v = ie.v
		}
		switch v := v.(type) {
		case error:
			if j.kind == rawTimers && !j.rawMagic {
				// Raw keyed state of the user, not timers.
				break
			}
			problem(v)
		case *metadata.RawTimers:
			om.out.RawKeyedTimers = true
			res.Problems = append(res.Problems, om.addRawTimers(j.subtask, j.where, v)...)
		case *metadata.KeyedHeader:
			res.Problems = append(res.Problems, om.addKeyed(j.subtask, j.where, &v.KeySerializer, v.States)...)
		case *metadata.OperatorHeader:
			res.Problems = append(res.Problems, om.addOperator(j.subtask, j.where, v.States())...)
		case *metadata.StateMetaInfo:
			res.Problems = append(res.Problems, om.addKeyed(j.subtask, j.where, nil, []metadata.StateMetaInfo{*v})...)
		}
	}
	for _, om := range merge {
		om.finish()
	}
	res.Distinct = len(cache.m)
	return res, nil
}

// bigHeader is the size above which header reads take turns.
const bigHeader = 1 << 20

// decodeKey identifies the bytes of a header of one kind by their SHA-256:
// identical headers of several subtasks are decoded once, and only the
// hash is kept, not a copy of the bytes.
type decodeKey struct {
	kind headerKind
	sum  [sha256.Size]byte
}

// decodeCache decodes the headers of jobs, each distinct one once.
type decodeCache struct {
	mu sync.Mutex
	m  map[decodeKey]any
}

// decode decodes j.data into j.decoded and drops the bytes.
func (c *decodeCache) decode(j *headerJob) {
	data := j.data
	if data == nil {
		return
	}
	j.data = nil
	j.size = len(data)
	j.rawMagic = bytes.HasPrefix(data, rawTimersMagic)
	k := decodeKey{kind: j.kind, sum: sha256.Sum256(data)}
	c.mu.Lock()
	v, ok := c.m[k]
	c.mu.Unlock()
	if !ok {
		v = decodeJob(j, data)
		c.mu.Lock()
		c.m[k] = v
		c.mu.Unlock()
	}
	j.decoded = v
}

// inexact is a header that decodes, but not to the end its handle gives:
// its states are used and the mismatch is reported.
type inexact struct {
	v   any
	err error
}

// decodeJob decodes the header bytes of a job; the result is a header, an
// inexact header or an error.
func decodeJob(j *headerJob, data []byte) any {
	switch j.kind {
	case keyedHeader, operatorHeader:
		decode := func(opts *metadata.HeaderOptions) (any, error) {
			if j.kind == keyedHeader {
				h, _, err := metadata.DecodeKeyedHeader(data, opts)
				return h, err
			}
			h, _, err := metadata.DecodeOperatorHeader(data, opts)
			return h, err
		}
		h, err := decode(&metadata.HeaderOptions{End: len(data)})
		if err == nil {
			return h
		}
		if h2, err2 := decode(nil); err2 == nil {
			return inexact{h2, err}
		}
		return err
	}
	if j.kind == rawTimers {
		t, err := metadata.DecodeRawTimers(data)
		if err != nil {
			return err
		}
		return t
	}
	m, _, err := metadata.DecodeChangelogMetadata(data)
	if err != nil {
		return err
	}
	return m
}

// rawTimersMagic starts the timer services of Flink 1.4.1–1.9 in raw
// keyed state.
var rawTimersMagic = []byte{0xf1, 0xcd, 0x85, 0x9f}

// rawTimersJob reads the start of the first key group of a raw keyed
// state stream, where Flink ≤1.9 may have written timer services.
func rawTimersJob(op int, subtask int32, h metadata.KeyedStateHandle) *headerJob {
	kg, ok := h.(*metadata.KeyGroupsHandle)
	if !ok || kg.Delegate == nil || len(kg.Offsets) == 0 {
		return nil
	}
	start := kg.Offsets[0]
	end := int64(-1)
	if len(kg.Offsets) > 1 && kg.Offsets[1] > start {
		end = kg.Offsets[1]
	}
	if size := kg.Delegate.StateSize(); end < 0 && size > start {
		end = size
	}
	if end < 0 || end-start > maxRawTimersRead {
		end = start + maxRawTimersRead
		if size := kg.Delegate.StateSize(); size > start && size < end {
			end = size
		}
	}
	return &headerJob{op: op, subtask: subtask, kind: rawTimers, stream: kg.Delegate, start: start, end: end}
}

// keyedJobs returns the headers of a managed keyed state handle.
func keyedJobs(op int, subtask int32, h metadata.KeyedStateHandle) []*headerJob {
	switch h := h.(type) {
	case *metadata.KeyGroupsHandle:
		if h.Delegate == nil || h.Range.Count == 0 {
			return nil
		}
		return []*headerJob{{op: op, subtask: subtask, kind: keyedHeader, stream: h.Delegate, end: keyedHeaderEnd(h)}}
	case *metadata.IncrementalKeyedHandle:
		if h.MetaData == nil {
			return nil
		}
		return []*headerJob{{op: op, subtask: subtask, kind: keyedHeader, stream: h.MetaData, end: -1}}
	case *metadata.ChangelogBackendHandle:
		var out []*headerJob
		for _, k := range h.Materialized {
			out = append(out, keyedJobs(op, subtask, k)...)
		}
		for _, k := range h.NonMaterialized {
			switch k := k.(type) {
			case *metadata.InMemoryChangelogHandle:
				for _, c := range k.Changes {
					if c.KeyGroup == -1 && len(c.Data) > 0 && c.Data[0] == 8 {
						out = append(out, &headerJob{op: op, subtask: subtask, kind: changelogMeta, inline: c.Data})
					}
				}
			case *metadata.ChangelogStreamHandle:
				// Changelog (DSTL) files: their metadata records are not
				// read; the materialized part names most states.
				out = append(out, &headerJob{op: op, subtask: subtask, problems: []DeepProblem{{
					Subtask: subtask, Where: "changelog files", Kind: ProblemSkipped,
					Err: errors.New("savepoint: states changed since the last materialization are in changelog files, which deep mode does not read")}}})
			}
		}
		return out
	}
	return nil
}

// keyedHeaderEnd is where the header of a key-group stream ends: the
// smallest non-zero offset (key groups without data keep offset 0); -1
// when all are 0 (a stream with only the header).
func keyedHeaderEnd(h *metadata.KeyGroupsHandle) int64 {
	end := int64(-1)
	for _, o := range h.Offsets {
		if o > 0 && (end < 0 || o < end) {
			end = o
		}
	}
	return end
}

// operatorHeaderEnd is where the header of an operator stream ends: the
// smallest offset of any state; -1 when no state has one. The decoder
// consumes what Flink writes between the header and that offset.
func operatorHeaderEnd(h *metadata.OperatorStreamHandle) int64 {
	end := int64(-1)
	for _, e := range h.States {
		for _, o := range e.Offsets {
			if o >= 0 && (end < 0 || o < end) {
				end = o
			}
		}
	}
	return end
}

// readHeader reads the header bytes of j into j.data, or notes a problem.
func (sp *Savepoint) readHeader(ctx context.Context, j *headerJob, maxSize int64, big chan struct{}) {
	fail := func(kind ProblemKind, err error) {
		j.problems = append(j.problems, DeepProblem{Operator: sp.Metadata.Operators[j.op].ID, Subtask: j.subtask, Where: j.where, Kind: kind, Err: err})
	}
	var (
		ref   metadata.FileRef
		start int64
		size  = j.stream.StateSize()
	)
	switch h := j.stream.(type) {
	case *metadata.ByteStreamHandle:
		j.where = "inline"
		end := int64(len(h.Data))
		if j.end >= 0 {
			end = j.end
		}
		if j.start < 0 || j.start > end || end > int64(len(h.Data)) {
			fail(ProblemDecode, fmt.Errorf("savepoint: header [%d, %d) outside the %d inline bytes", j.start, end, len(h.Data)))
			return
		}
		j.data = h.Data[j.start:end]
		return
	case *metadata.RelativeFileHandle:
		ref = metadata.FileRef{Path: h.RelativePath, Relative: true}
	case *metadata.FileHandle:
		ref = metadata.FileRef{Path: h.Path}
	case *metadata.SegmentFileHandle:
		ref = metadata.FileRef{Path: h.PhysicalPath}
		start = h.StartPos
	case *metadata.EmptySegmentFileHandle:
		return
	default:
		j.where = j.stream.Tag().String()
		fail(ProblemSkipped, fmt.Errorf("savepoint: state stream of type %s has no header to read", j.stream.Tag()))
		return
	}
	j.where = ref.Path
	p, relocated, err := sp.locate(ctx, ref)
	if p != "" {
		j.where = p
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			fail(ProblemMissing, err)
		} else if errors.Is(err, errOutsideStore) || errors.Is(err, errOutsideRoot) {
			fail(ProblemSkipped, err)
		} else {
			fail(ProblemRead, err)
		}
		return
	}
	if relocated {
		fail(ProblemRelocated, fmt.Errorf("savepoint: %s not found; read %s from the savepoint directory instead", ref.Path, p))
	}
	obj, err := sp.openHeader(ctx, p, start+j.start, j.end-j.start, j.end >= 0)
	if err != nil {
		kind := ProblemRead
		if errors.Is(err, fs.ErrNotExist) {
			kind = ProblemMissing
		}
		fail(kind, plainPathError(err))
		return
	}
	defer obj.Close()
	start += j.start
	n := j.end - j.start
	if j.end < 0 {
		// The header is the whole stream (or its segment).
		n = obj.Size() - start
		if _, seg := j.stream.(*metadata.SegmentFileHandle); seg || size > 0 && size < n {
			n = size - j.start
		}
		if n > maxSize {
			fail(ProblemSkipped, fmt.Errorf("savepoint: header of unknown length in a stream of %d bytes, more than the %d read", n, maxSize))
			return
		}
	}
	if n > maxSize {
		fail(ProblemSkipped, fmt.Errorf("savepoint: header of %d bytes, more than the %d read", n, maxSize))
		return
	}
	if n > obj.Size()-start && j.kind == rawTimers {
		n = obj.Size() - start // the handle's size was an estimate
	}
	if start < 0 || n < 0 || start+n > obj.Size() {
		fail(ProblemRead, fmt.Errorf("savepoint: header [%d, %d) lies outside the %d-byte file", start, start+n, obj.Size()))
		return
	}
	if n > bigHeader {
		select {
		case big <- struct{}{}:
			defer func() { <-big }()
		case <-ctx.Done():
			fail(ProblemRead, ctx.Err())
			return
		}
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(io.NewSectionReader(obj, start, n), buf); err != nil {
		fail(ProblemRead, fmt.Errorf("savepoint: reading %d header bytes: %w", n, err))
		return
	}
	j.bytesRead = n
	j.data = buf
}

// openHeader opens the file that holds a header of n bytes at off (known:
// the handle gives its end). A store that can open a range (the object
// stores) is asked for those bytes only, so that the server sends no more
// than the header: the range itself when its end is known, else nothing
// until the read, whose ranged GET asks for exactly the bytes read. Other
// stores open the file.
func (sp *Savepoint) openHeader(ctx context.Context, p string, off, n int64, known bool) (Object, error) {
	ro, ok := sp.Store.(RangeOpener)
	if !ok {
		return sp.open(ctx, p)
	}
	if !known || n <= 0 || off < 0 {
		return ro.OpenRange(ctx, p, 0, 0)
	}
	return ro.OpenRange(ctx, p, off, n)
}

var (
	errOutsideStore = errors.New("outside the savepoint's store")
	errOutsideRoot  = errors.New(OutsideStatus)
)

// locate returns the store path of a referenced file. Only paths under the
// read roots are stat'ed. An absolute path that does not exist, lies in
// another store or outside the roots is looked for in the savepoint
// directory by its base name (relocated savepoints); relocated says it
// was found there.
func (sp *Savepoint) locate(ctx context.Context, ref metadata.FileRef) (p string, relocated bool, err error) {
	p, w := sp.Where(ref)
	if _, ranged := sp.Store.(RangeOpener); w == InRoot && ref.Relative && ranged {
		// The ranged GET that reads the header says whether the file
		// exists: a Stat first would cost a request per file.
		return p, false, nil
	}
	if w == InRoot {
		_, err = sp.stat(ctx, p)
		if err == nil || ref.Relative || !errors.Is(err, fs.ErrNotExist) {
			return p, false, plainPathError(err)
		}
	}
	if base := baseName(ref.Path); base != "" && !ref.Relative {
		alt := joinPath(sp.Dir, base)
		if _, aerr := sp.stat(ctx, alt); aerr == nil {
			return alt, true, nil
		}
	}
	switch w {
	case OtherStore:
		return ref.Path, false, fmt.Errorf("savepoint: %s is %w and not in the savepoint directory", ref.Path, errOutsideStore)
	case OutsideRoot:
		return p, false, fmt.Errorf("savepoint: %s: %w", p, errOutsideRoot)
	}
	return p, false, plainPathError(err)
}

// baseName returns the last element of a path or URL path.
func baseName(p string) string {
	if u, err := url.Parse(p); err == nil && u.Path != "" {
		p = u.Path
	}
	b := path.Base(p)
	if b == "." || b == ".." || b == "/" || strings.IndexByte(b, 0) >= 0 {
		return ""
	}
	return b
}

// opMerge collects the states of one operator from its headers.
type opMerge struct {
	out   *OperatorStates
	keyed map[string]bool // names of states seen, by kind prefix
}

// addKeyed adds the states of a keyed header (or a changelog metadata
// record, key == nil).
func (om *opMerge) addKeyed(subtask int32, where string, key *metadata.SerializerSnapshot, states []metadata.StateMetaInfo) []DeepProblem {
	var problems []DeepProblem
	disagree := func(format string, args ...any) {
		problems = append(problems, DeepProblem{Operator: om.out.ID, Subtask: subtask, Where: where, Kind: ProblemDisagree, Err: fmt.Errorf(format, args...)})
	}
	if key != nil {
		kt := key.TypeString()
		switch {
		case om.out.KeySerializer == nil:
			om.out.KeySerializer, om.out.KeyType = key, kt
		case om.out.KeyType != kt:
			disagree("savepoint: key type %s, other subtasks %s", kt, om.out.KeyType)
		}
	}
	for i := range states {
		m := &states[i]
		if m.IsTimer() {
			t := TimerState{Name: m.Name, Meta: m}
			if s := m.Serializer(metadata.ValueSerializerKey); s != nil {
				t.ElementType = s.TypeString()
			}
			if rest, ok := strings.CutPrefix(m.Name, "_timer_state/"); ok {
				if d, svc, ok := strings.Cut(rest, "_"); ok && (d == "event" || d == "processing") {
					t.Domain, t.Service = d, svc
				}
			}
			if prev := om.find("t", m.Name); prev >= 0 {
				if om.out.Timers[prev].ElementType != t.ElementType {
					disagree("savepoint: timers %q hold %s, other subtasks %s", m.Name, t.ElementType, om.out.Timers[prev].ElementType)
				}
				continue
			}
			om.keyed["t"+m.Name] = true
			om.out.Timers = append(om.out.Timers, t)
			continue
		}
		k := KeyedState{Name: m.Name, Kind: m.Kind, TTL: m.TTL(), Meta: m}
		if s := m.Serializer(metadata.NamespaceSerializerKey); s != nil {
			k.NamespaceType = s.TypeString()
		}
		if s := m.Serializer(metadata.ValueSerializerKey); s != nil {
			k.ValueType = s.TypeString()
		}
		if s := m.Serializer(metadata.UserKeySerializerKey); s != nil {
			k.UserKeyType = s.TypeString()
		}
		if prev := om.find("k", m.Name); prev >= 0 {
			p := &om.out.KeyedStates[prev]
			if p.Kind != k.Kind || p.ValueType != k.ValueType || p.NamespaceType != k.NamespaceType {
				disagree("savepoint: keyed state %q is %s %s, other subtasks %s %s", m.Name, k.Kind, k.ValueType, p.Kind, p.ValueType)
			}
			continue
		}
		om.keyed["k"+m.Name] = true
		om.out.KeyedStates = append(om.out.KeyedStates, k)
	}
	return problems
}

// addOperator adds the states of an operator header.
func (om *opMerge) addOperator(subtask int32, where string, states []metadata.StateMetaInfo) []DeepProblem {
	var problems []DeepProblem
	disagree := func(format string, args ...any) {
		problems = append(problems, DeepProblem{Operator: om.out.ID, Subtask: subtask, Where: where, Kind: ProblemDisagree, Err: fmt.Errorf(format, args...)})
	}
	for i := range states {
		m := &states[i]
		typeOf := func(key string) string {
			if s := m.Serializer(key); s != nil {
				return s.TypeString()
			}
			return ""
		}
		if m.BackendType == metadata.BackendBroadcast {
			b := BroadcastState{Name: m.Name, KeyType: typeOf(metadata.KeySerializerKey), ValueType: typeOf(metadata.ValueSerializerKey), Meta: m}
			if prev := om.find("b", m.Name); prev >= 0 {
				p := om.out.BroadcastStates[prev]
				if p.KeyType != b.KeyType || p.ValueType != b.ValueType {
					disagree("savepoint: broadcast state %q maps %s to %s, other subtasks %s to %s", m.Name, b.KeyType, b.ValueType, p.KeyType, p.ValueType)
				}
				continue
			}
			om.keyed["b"+m.Name] = true
			om.out.BroadcastStates = append(om.out.BroadcastStates, b)
			continue
		}
		l := ListState{Name: m.Name, Mode: m.Mode, ElementType: typeOf(metadata.ValueSerializerKey), Meta: m}
		if prev := om.find("o", m.Name); prev >= 0 {
			p := om.out.OperatorStates[prev]
			if p.Mode != l.Mode || p.ElementType != l.ElementType {
				disagree("savepoint: operator state %q is %s of %s, other subtasks %s of %s", m.Name, l.Mode, l.ElementType, p.Mode, p.ElementType)
			}
			continue
		}
		om.keyed["o"+m.Name] = true
		om.out.OperatorStates = append(om.out.OperatorStates, l)
	}
	return problems
}

// addRawTimers adds the timer services found in raw keyed state.
func (om *opMerge) addRawTimers(subtask int32, where string, t *metadata.RawTimers) []DeepProblem {
	var problems []DeepProblem
	if !t.Complete {
		problems = append(problems, DeepProblem{Operator: om.out.ID, Subtask: subtask, Where: where, Kind: ProblemPartial,
			Err: fmt.Errorf("savepoint: raw keyed state declares %d timer services; %d could be named", t.Count, len(t.Services))})
	}
	for _, s := range t.Services {
		elem := "Timer<" + s.KeySerializer.TypeString() + ", " + s.NamespaceSerializer.TypeString() + ">"
		for _, d := range []string{"event", "processing"} {
			name := "_timer_state/" + d + "_" + s.Name
			if om.find("t", name) >= 0 {
				continue
			}
			om.keyed["t"+name] = true
			om.out.Timers = append(om.out.Timers, TimerState{Name: name, Service: s.Name, Domain: d, ElementType: elem, Raw: true})
		}
	}
	if om.out.KeySerializer == nil && len(t.Services) > 0 {
		k := t.Services[0].KeySerializer
		om.out.KeySerializer, om.out.KeyType = &k, k.TypeString()
	}
	return problems
}

// find returns the index of the state of the given kind prefix and name,
// or -1.
func (om *opMerge) find(prefix, name string) int {
	if !om.keyed[prefix+name] {
		return -1
	}
	switch prefix {
	case "t":
		for i := range om.out.Timers {
			if om.out.Timers[i].Name == name {
				return i
			}
		}
	case "k":
		for i := range om.out.KeyedStates {
			if om.out.KeyedStates[i].Name == name {
				return i
			}
		}
	case "b":
		for i := range om.out.BroadcastStates {
			if om.out.BroadcastStates[i].Name == name {
				return i
			}
		}
	case "o":
		for i := range om.out.OperatorStates {
			if om.out.OperatorStates[i].Name == name {
				return i
			}
		}
	}
	return -1
}

// finish sorts the states by name.
func (om *opMerge) finish() {
	o := om.out
	sort.Slice(o.KeyedStates, func(i, j int) bool { return o.KeyedStates[i].Name < o.KeyedStates[j].Name })
	sort.Slice(o.Timers, func(i, j int) bool { return o.Timers[i].Name < o.Timers[j].Name })
	sort.Slice(o.OperatorStates, func(i, j int) bool { return o.OperatorStates[i].Name < o.OperatorStates[j].Name })
	sort.Slice(o.BroadcastStates, func(i, j int) bool { return o.BroadcastStates[i].Name < o.BroadcastStates[j].Name })
}
