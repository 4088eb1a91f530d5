package metadata

// This file decodes the headers that keyed and operator state streams
// begin with (FORMAT.md §10): the serialization proxies that name every
// state, its kind and its serializers. Sources:
// flink-runtime/.../state/KeyedBackendSerializationProxy.java,
// OperatorBackendSerializationProxy.java,
// state/metainfo/StateMetaInfoSnapshotReadersWriters.java,
// LegacyStateMetaInfoReaders.java (≤1.16) and StateMetaInfoSnapshot.java.
//
// Decoding is pure: bytes in, typed values out. Where the header ends is
// usually known from the handle that references the stream (§10.1); given
// that end, decoding is verified to stop exactly there, and the payload of
// a serializer snapshot whose class is unknown (its length is not stored)
// is skipped by trying each possible length and keeping the first with
// which the rest of the header decodes to that end (§10.7).

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"
)

// BackendStateType is the kind of state a meta info describes
// (StateMetaInfoSnapshot.BackendStateType).
type BackendStateType int32

// Backend state types, by ordinal.
const (
	BackendKeyValue      BackendStateType = 0 // keyed state
	BackendOperator      BackendStateType = 1 // operator (list, union list) state
	BackendBroadcast     BackendStateType = 2 // broadcast state
	BackendPriorityQueue BackendStateType = 3 // timers and other priority queues
	BackendKeyValueV2    BackendStateType = 4 // Flink 2.x keyed state (state V2 API)
)

func (t BackendStateType) String() string {
	switch t {
	case BackendKeyValue:
		return "KEY_VALUE"
	case BackendOperator:
		return "OPERATOR"
	case BackendBroadcast:
		return "BROADCAST"
	case BackendPriorityQueue:
		return "PRIORITY_QUEUE"
	case BackendKeyValueV2:
		return "KEY_VALUE_V2"
	}
	return fmt.Sprintf("BackendStateType(%d)", int32(t))
}

// StateKind is the kind of a keyed state (StateDescriptor.Type).
type StateKind string

// Keyed state kinds. UnknownStateKind is the legacy UNKNOWN of Flink ≤1.5.
const (
	ValueState       StateKind = "VALUE"
	ListState        StateKind = "LIST"
	ReducingState    StateKind = "REDUCING"
	FoldingState     StateKind = "FOLDING"
	AggregatingState StateKind = "AGGREGATING"
	MapState         StateKind = "MAP"
	UnknownStateKind StateKind = "UNKNOWN"
)

// stateKinds are the StateDescriptor.Type constants by ordinal, as the
// legacy (≤1.5) keyed meta info stores them.
var stateKinds = []StateKind{UnknownStateKind, ValueState, ListState, ReducingState, FoldingState, AggregatingState, MapState}

// knownKind says k is a constant of the StateDescriptor.Type that restores
// a meta info of backend type t: the API's (flink-core
// api/common/state/StateDescriptor.java, the constants above) for
// KEY_VALUE, the v2 one for KEY_VALUE_V2: VALUE, LIST, REDUCING,
// AGGREGATING and MAP (flink-runtime runtime/state/v2/StateDescriptor.java:46
// in the Flink 2.0 tree, since moved to flink-core
// api/common/state/v2/StateDescriptor.java with the same constants).
func knownKind(k StateKind, t BackendStateType) bool {
	switch k {
	case ValueState, ListState, ReducingState, AggregatingState, MapState:
		return true
	case UnknownStateKind, FoldingState:
		return t == BackendKeyValue
	}
	return false
}

// Option keys and serializer keys of state meta info
// (StateMetaInfoSnapshot.CommonOptionsKeys and CommonSerializerKeys).
const (
	OptionKeyedStateType        = "KEYED_STATE_TYPE"
	OptionOperatorStateDistMode = "OPERATOR_STATE_DISTRIBUTION_MODE"

	KeySerializerKey       = "KEY_SERIALIZER"
	NamespaceSerializerKey = "NAMESPACE_SERIALIZER"
	ValueSerializerKey     = "VALUE_SERIALIZER"
	UserKeySerializerKey   = "USER_KEY_SERIALIZER"
)

// Option is one option of a state meta info.
type Option struct{ Key, Value string }

// NamedSerializer is a serializer snapshot and the role it plays
// (KEY_SERIALIZER, NAMESPACE_SERIALIZER, VALUE_SERIALIZER, …).
type NamedSerializer struct {
	Key      string
	Snapshot SerializerSnapshot
}

// StateMetaInfo describes one state registered in a backend
// (StateMetaInfoSnapshot).
type StateMetaInfo struct {
	Name        string
	BackendType BackendStateType
	// Kind is the kind of a keyed state (KEY_VALUE and KEY_VALUE_V2); empty
	// for other states.
	Kind StateKind
	// Mode is the distribution mode of operator and broadcast states
	// (SplitDistribute for list state, Union, Broadcast); meaningless for
	// keyed states and timers.
	Mode DistributionMode
	// Options in file order (a HashMap in Flink: order not significant).
	Options []Option
	// Serializers in file order.
	Serializers []NamedSerializer
	// MetaInfoVersion is the format the meta info was read in: 6 (Flink
	// 1.7+; "v7" of 1.18+ has the same bytes), 5 (1.6), or a legacy one:
	// keyed 1–4, operator 1–3 (see FORMAT.md §10.4).
	MetaInfoVersion int
}

// Serializer returns the snapshot of the serializer with the given key,
// or nil.
func (m *StateMetaInfo) Serializer(key string) *SerializerSnapshot {
	for i := range m.Serializers {
		if m.Serializers[i].Key == key {
			return &m.Serializers[i].Snapshot
		}
	}
	return nil
}

// Option returns the value of an option.
func (m *StateMetaInfo) Option(key string) (string, bool) {
	for _, o := range m.Options {
		if o.Key == key {
			return o.Value, true
		}
	}
	return "", false
}

// IsTimer reports whether the state is a priority queue (timers).
func (m *StateMetaInfo) IsTimer() bool { return m.BackendType == BackendPriorityQueue }

// TTL reports whether the state was written with time-to-live: its value
// serializer (for list and map states, the element or map value) is the
// TTL wrapper.
func (m *StateMetaInfo) TTL() bool {
	v := m.Serializer(ValueSerializerKey)
	if v == nil {
		return false
	}
	if v.Family == FamilyTTL {
		return true
	}
	if (v.Family == FamilyList || v.Family == FamilyMap) && len(v.Nested) > 0 {
		return v.Nested[len(v.Nested)-1].Family == FamilyTTL
	}
	return false
}

// KeyedHeader is the header of a keyed state stream
// (KeyedBackendSerializationProxy): how keys are serialized and every keyed
// state and timer queue of the backend.
type KeyedHeader struct {
	// Version is the proxy version: 1 (Flink 1.2), 3 (1.3), 4 (1.4–1.5),
	// 5 (1.6), 6 (1.7+).
	Version int32
	// Compressed says key-group data is Snappy-compressed (version 4+).
	Compressed    bool
	KeySerializer SerializerSnapshot
	States        []StateMetaInfo
}

// OperatorHeader is the header of an operator state stream
// (OperatorBackendSerializationProxy).
type OperatorHeader struct {
	// Version is the proxy version: 1 (1.2), 2 (1.3–1.4), 3 (1.5), 4 (1.6),
	// 5 (1.7–1.17), 6 (1.18+).
	Version int32
	// Compressed says the partitions are Snappy-compressed (version 6+).
	Compressed bool
	// OperatorStates are the list and union list states; BroadcastStates
	// the broadcast states (version 3+).
	OperatorStates  []StateMetaInfo
	BroadcastStates []StateMetaInfo
	// LegacyStateCount is the number of states Flink ≤1.4 wrote after the
	// header (proxy versions 1 and 2); -1 when absent.
	LegacyStateCount int32
	// SnappyFramed says the 10-byte Snappy stream identifier that follows
	// the header of compressed state (FORMAT.md §10.1) was consumed.
	SnappyFramed bool
}

// States returns the operator and broadcast states.
func (h *OperatorHeader) States() []StateMetaInfo {
	out := make([]StateMetaInfo, 0, len(h.OperatorStates)+len(h.BroadcastStates))
	return append(append(out, h.OperatorStates...), h.BroadcastStates...)
}

// HeaderOptions tune header decoding. The zero value (or nil) decodes a
// header that lies at the start of the bytes given, ignoring what follows.
type HeaderOptions struct {
	// End, when > 0, is the offset where the header ends, as the handle's
	// offsets tell (FORMAT.md §10.1: the smallest non-zero key-group
	// offset, the smallest operator-state offset, or the end of a stream
	// that holds only the header). Nothing at or after End is read,
	// decoding must stop exactly there, and the payload of an unknown
	// serializer snapshot is skipped by resynchronising up to End.
	End int
}

// snappyStreamID is the Snappy framing stream identifier that compressed
// operator state writes after the header.
var snappyStreamID = []byte{0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59}

// DecodeKeyedHeader decodes the keyed backend header at the start of b
// (FORMAT.md §10.2) and returns it with the number of bytes it took.
// Errors are *FormatError values with the offset within b.
func DecodeKeyedHeader(b []byte, opts *HeaderOptions) (*KeyedHeader, int, error) {
	return decodeHeader(b, opts, (*hdr).keyedHeader)
}

// DecodeOperatorHeader decodes the operator backend header at the start
// of b (FORMAT.md §10.3), with the trailers Flink writes between it and
// the first partition (the ≤1.4 state count, the Snappy stream
// identifier), and returns it with the number of bytes it took. Errors are
// *FormatError values with the offset within b.
func DecodeOperatorHeader(b []byte, opts *HeaderOptions) (*OperatorHeader, int, error) {
	return decodeHeader(b, opts, (*hdr).operatorHeader)
}

// hdr is the state of one decoding attempt of a header.
type hdr struct {
	r     *reader
	exact bool
	// skips holds, by offset, how many bytes of an unknown snapshot
	// payload to skip (decided by the resynchronisation search).
	skips map[int]int
	depth int
	// java caches Java objects by where they start and the bound, across
	// the attempts of one decoding: the same bytes decode the same way.
	java map[[2]int]javaResult
}

type javaResult struct {
	v   any
	n   int
	err error
}

// needSkip stops a decoding attempt at the payload of an unknown snapshot
// whose length is not yet decided.
type needSkip struct {
	off, limit int
	class      string
	path       []string
}

func (e *needSkip) Error() string {
	return fmt.Sprintf("metadata: payload of unknown serializer snapshot %s at offset %d", e.class, e.off)
}

func (h *hdr) needSkip(class string) {
	r := h.r
	if r.err != nil {
		return
	}
	path := make([]string, len(r.path))
	for i, p := range r.path {
		path[i] = p.String()
	}
	r.err = &needSkip{off: r.off, limit: len(r.b), class: class, path: path}
}

// decodeHeader runs parse, searching the lengths of unknown snapshot
// payloads when needed.
func decodeHeader[T any](b []byte, opts *HeaderOptions, parse func(*hdr) T) (T, int, error) {
	var zero T
	exact := false
	if opts != nil && opts.End > 0 {
		if opts.End > len(b) {
			return zero, 0, &FormatError{Offset: int64(len(b)), Msg: fmt.Sprintf("header end %d lies beyond the %d bytes given", opts.End, len(b)), Err: io.ErrUnexpectedEOF}
		}
		b = b[:opts.End:opts.End]
		exact = true
	}
	d := &resync[T]{b: b, exact: exact, parse: parse, budget: resyncBudget(len(b)), java: map[[2]int]javaResult{}}
	return d.solve(map[int]int{})
}

// resyncBudget bounds the decoding attempts of one header, so that hostile
// input cannot make the search expensive: at most 256 attempts and about
// 16 MB of parsing. Real payloads offer few plausible resumption points
// (plausibleResume), so the first attempts usually succeed.
func resyncBudget(n int) int {
	return max(8, min(256, (16<<20)/(n+1)))
}

type resync[T any] struct {
	b      []byte
	exact  bool
	parse  func(*hdr) T
	budget int
	java   map[[2]int]javaResult
}

func (d *resync[T]) attempt(skips map[int]int) (T, int, error) {
	h := &hdr{r: &reader{b: d.b}, exact: d.exact, skips: skips, java: d.java}
	v := d.parse(h)
	r := h.r
	if r.err == nil && d.exact && r.off != len(d.b) {
		r.fail("header ends %d bytes before the end its handle gives (%d)", len(d.b)-r.off, len(d.b))
	}
	return v, r.off, r.err
}

func (d *resync[T]) solve(skips map[int]int) (T, int, error) {
	var zero T
	v, n, err := d.attempt(skips)
	var ns *needSkip
	if !errors.As(err, &ns) {
		if err != nil {
			return zero, 0, err
		}
		return v, n, nil
	}
	for k := 0; ns.off+k <= ns.limit; k++ {
		if !plausibleResume(d.b[:ns.limit], ns.off+k) {
			continue
		}
		if d.budget <= 0 {
			return zero, 0, &FormatError{Offset: int64(ns.off), Path: ns.path,
				Msg: fmt.Sprintf("gave up resynchronising after the payload of unknown serializer snapshot %s", ns.class)}
		}
		d.budget--
		next := maps.Clone(skips)
		next[ns.off] = k
		v, n, err := d.solve(next)
		if err == nil {
			return v, n, nil
		}
		var fe *FormatError
		if errors.As(err, &fe) && d.budget <= 0 {
			return zero, 0, err
		}
	}
	return zero, 0, &FormatError{Offset: int64(ns.off), Path: ns.path,
		Msg: fmt.Sprintf("cannot skip the payload of unknown serializer snapshot %s: its length is not stored and no resynchronisation point decodes", ns.class)}
}

// plausibleResume reports whether the element after a skipped payload
// could start at p of b (FORMAT.md §10.7): the end; a string (a
// serializer key, state name or snapshot class); an i16 count followed by
// the end or a string (the broadcast states of an operator header); or
// the nested-serializers magic number.
func plausibleResume(b []byte, p int) bool {
	if p == len(b) {
		return true
	}
	if plausibleName(b, p) {
		return true
	}
	if p+2 <= len(b) && b[p] == 0 && (p+2 == len(b) || plausibleName(b, p+2)) {
		return true
	}
	return p+4 <= len(b) && binary.BigEndian.Uint32(b[p:]) == nestedMagic
}

// plausibleName reports whether a non-empty utf string of printable
// characters starts at p of b.
func plausibleName(b []byte, p int) bool {
	if p+2 > len(b) {
		return false
	}
	n := int(binary.BigEndian.Uint16(b[p:]))
	if n == 0 || p+2+n > len(b) {
		return false
	}
	s := b[p+2 : p+2+n]
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	_, err := decodeMUTF8(s)
	return err == nil
}

// i16 reads a big-endian short.
func (h *hdr) i16(what string) int16 {
	p := h.r.take(2, what)
	if p == nil {
		return 0
	}
	return int16(binary.BigEndian.Uint16(p))
}

// count16 reads an i16 count, checking it against the bytes left.
func (h *hdr) count16(what string, minSize int) int {
	r := h.r
	at := r.off
	n := h.i16(what)
	if r.err != nil {
		return 0
	}
	if n < 0 {
		r.failAt(at, nil, "negative %s %d", what, n)
		return 0
	}
	if int(n) > r.remaining()/minSize {
		r.failAt(at, io.ErrUnexpectedEOF, "%s %d too large: %d bytes remain", what, n, r.remaining())
		return 0
	}
	return int(n)
}

func (h *hdr) keyedHeader() *KeyedHeader {
	r := h.r
	k := &KeyedHeader{}
	r.push("keyed state header", -1)
	defer r.pop()
	at := r.off
	k.Version = r.i32("keyed backend proxy version")
	if r.err != nil {
		return nil
	}
	if k.Version < 1 || k.Version > 6 {
		r.failAt(at, nil, "unknown keyed backend proxy version %d (want 1 to 6)", k.Version)
		return nil
	}
	if k.Version >= 4 {
		k.Compressed = r.bool("compression flag")
	}
	r.push("key serializer", -1)
	switch {
	case k.Version >= 6:
		k.KeySerializer = h.snapshotProxy(false)
	case k.Version >= 3:
		if s := h.resilient(1); len(s) == 1 {
			k.KeySerializer = s[0]
		}
	default:
		k.KeySerializer = h.javaOnly()
	}
	r.pop()
	n := h.count16("number of states", 6)
	for i := 0; i < n && r.err == nil; i++ {
		r.push("state", i)
		var m StateMetaInfo
		switch {
		case k.Version >= 6:
			m = h.metaInfoV6(BackendKeyValue)
		case k.Version == 5:
			m = h.metaInfoV5()
		default:
			m = h.keyedLegacy(k.Version)
		}
		k.States = append(k.States, m)
		r.pop()
	}
	if r.err != nil {
		return nil
	}
	return k
}

func (h *hdr) operatorHeader() *OperatorHeader {
	r := h.r
	o := &OperatorHeader{LegacyStateCount: -1}
	r.push("operator state header", -1)
	defer r.pop()
	at := r.off
	o.Version = r.i32("operator backend proxy version")
	if r.err != nil {
		return nil
	}
	if o.Version < 1 || o.Version > 6 {
		r.failAt(at, nil, "unknown operator backend proxy version %d (want 1 to 6)", o.Version)
		return nil
	}
	if o.Version >= 6 {
		o.Compressed = r.bool("compression flag")
	}
	read := func(what string, typ BackendStateType) []StateMetaInfo {
		var out []StateMetaInfo
		n := h.count16("number of "+what, 3)
		for i := 0; i < n && r.err == nil; i++ {
			r.push(what, i)
			var m StateMetaInfo
			switch o.Version {
			case 1:
				m = h.operatorLegacyV1()
			case 2, 3:
				m = h.operatorLegacy(typ, int(o.Version))
			case 4:
				m = h.metaInfoV5()
			default:
				m = h.metaInfoV6(typ)
			}
			out = append(out, m)
			r.pop()
		}
		return out
	}
	o.OperatorStates = read("operator states", BackendOperator)
	if o.Version >= 3 {
		o.BroadcastStates = read("broadcast states", BackendBroadcast)
	}
	if r.err != nil {
		return nil
	}
	// Trailers between the header and the first partition (FORMAT.md §10.1).
	if o.Version <= 2 && r.remaining() >= 4 && (!h.exact || r.remaining() == 4) {
		o.LegacyStateCount = r.i32("number of states (Flink ≤1.4)")
	}
	if o.Compressed {
		// Flink opens the compressing stream right after the header, and
		// SnappyFramedOutputStream writes the identifier when it is made
		// (DefaultOperatorStateBackendSnapshotStrategy.java:186-189,
		// Flink 2.3.0), so it is there even when no state has a
		// partition; a restore reads it before any state
		// (OperatorStateRestoreOperation.java:187-190), and the
		// SnappyFramedInputStream constructor throws "encountered EOF
		// while reading stream header" or "invalid stream header"
		// without it (snappy-java 1.1.10).
		at := r.off
		if id := r.take(len(snappyStreamID), "Snappy stream identifier"); r.err == nil && !bytes.Equal(id, snappyStreamID) {
			r.failAt(at, nil, "state compression is on but the Snappy stream identifier does not follow the header (Flink: invalid stream header)")
			return nil
		}
		o.SnappyFramed = true
	}
	return o
}

// metaInfoV6 reads the current state meta info (CurrentReaderImpl): utf
// name, i32 type, i32 n options, options, i32 n serializers, n × (utf
// key, snapshot proxy).
func (h *hdr) metaInfoV6(typ BackendStateType) StateMetaInfo {
	r := h.r
	m := StateMetaInfo{MetaInfoVersion: 6}
	m.Name = r.utf("state name")
	h.backendType(&m)
	h.options(&m)
	n := r.count("number of serializers", 6)
	for i := 0; i < n && r.err == nil; i++ {
		key := r.utf("serializer key")
		r.push(key, -1)
		s := h.snapshotProxy(false)
		r.pop()
		m.Serializers = append(m.Serializers, NamedSerializer{Key: key, Snapshot: s})
	}
	h.finishMeta(&m, typ)
	return m
}

// metaInfoV5 reads the Flink 1.6 meta info (V5ReaderImpl): as version 6,
// but the serializer keys come first and the serializers follow in one
// resilient block.
func (h *hdr) metaInfoV5() StateMetaInfo {
	r := h.r
	m := StateMetaInfo{MetaInfoVersion: 5}
	m.Name = r.utf("state name")
	h.backendType(&m)
	h.options(&m)
	n := r.count("number of serializers", 2)
	keys := make([]string, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		keys = append(keys, r.utf("serializer key"))
	}
	for i, s := range h.resilient(n) {
		m.Serializers = append(m.Serializers, NamedSerializer{Key: keys[i], Snapshot: s})
	}
	h.finishMeta(&m, m.BackendType)
	return m
}

func (h *hdr) backendType(m *StateMetaInfo) {
	r := h.r
	at := r.off
	t := r.i32("backend state type")
	if r.err == nil && (t < 0 || t > int32(BackendKeyValueV2)) {
		r.failAt(at, nil, "unknown backend state type %d", t)
	}
	m.BackendType = BackendStateType(t)
}

func (h *hdr) options(m *StateMetaInfo) {
	r := h.r
	n := r.count("number of options", 4)
	for i := 0; i < n && r.err == nil; i++ {
		k := r.utf("option key")
		v := r.utf("option value")
		m.Options = append(m.Options, Option{k, v})
	}
}

// finishMeta derives Kind and Mode from the options. want is the type the
// surrounding list holds; a meta info of another type is an error except
// for timers among keyed states and KEY_VALUE_V2.
func (h *hdr) finishMeta(m *StateMetaInfo, want BackendStateType) {
	r := h.r
	if r.err != nil {
		return
	}
	switch m.BackendType {
	case BackendKeyValue, BackendKeyValueV2:
		if v, ok := m.Option(OptionKeyedStateType); ok {
			m.Kind = StateKind(v)
			// Flink restores the meta info with StateDescriptor.Type.valueOf
			// of this option (RegisteredKeyValueStateBackendMetaInfo.java:83,
			// in runtime/state for KEY_VALUE and runtime/state/v2 for
			// KEY_VALUE_V2, Flink 1.20 and 2.0): a name not of the enum fails
			// every restore, as an unknown distribution mode does below.
			if !knownKind(m.Kind, m.BackendType) {
				r.fail("unknown keyed state type (not one of StateDescriptor.Type)")
			}
		}
	case BackendOperator, BackendBroadcast:
		m.Mode = SplitDistribute
		if m.BackendType == BackendBroadcast {
			m.Mode = Broadcast
		}
		if v, ok := m.Option(OptionOperatorStateDistMode); ok {
			switch v {
			case "SPLIT_DISTRIBUTE":
				m.Mode = SplitDistribute
			case "UNION":
				m.Mode = Union
			case "BROADCAST":
				m.Mode = Broadcast
			default:
				r.fail("unknown distribution mode (not SPLIT_DISTRIBUTE, UNION or BROADCAST)")
			}
		}
	}
	keyed := func(t BackendStateType) bool {
		return t == BackendKeyValue || t == BackendKeyValueV2 || t == BackendPriorityQueue
	}
	if keyed(want) != keyed(m.BackendType) {
		r.fail("%s state in a %s header", m.BackendType, map[bool]string{true: "keyed", false: "operator"}[keyed(want)])
	}
}

// keyedLegacy reads the keyed meta info of Flink ≤1.5
// (LegacyStateMetaInfoReaders): i32 StateDescriptor.Type ordinal, utf name,
// then the namespace and value serializers: a resilient block (versions
// 3–4) or two Java-serialized serializers (versions 1–2).
func (h *hdr) keyedLegacy(version int32) StateMetaInfo {
	r := h.r
	m := StateMetaInfo{BackendType: BackendKeyValue, MetaInfoVersion: int(version)}
	at := r.off
	t := r.i32("state type")
	if r.err == nil && (t < 0 || int(t) >= len(stateKinds)) {
		r.failAt(at, nil, "unknown state type %d", t)
	}
	if r.err == nil {
		m.Kind = stateKinds[t]
	}
	m.Name = r.utf("state name")
	var ss []SerializerSnapshot
	if version >= 3 {
		ss = h.resilient(2)
	} else {
		ss = []SerializerSnapshot{h.javaOnly(), h.javaOnly()}
	}
	if len(ss) == 2 {
		m.Serializers = []NamedSerializer{{NamespaceSerializerKey, ss[0]}, {ValueSerializerKey, ss[1]}}
	}
	return m
}

// operatorLegacy reads the operator meta info of Flink 1.3–1.5: utf name,
// i8 mode, a resilient block with the value serializer (operator state) or
// the key and value serializers (broadcast state).
func (h *hdr) operatorLegacy(typ BackendStateType, version int) StateMetaInfo {
	r := h.r
	m := StateMetaInfo{BackendType: typ, MetaInfoVersion: version}
	m.Name = r.utf("state name")
	h.mode(&m)
	ss := h.resilient(-1)
	switch {
	case r.err != nil:
	case len(ss) == 1:
		m.Serializers = []NamedSerializer{{ValueSerializerKey, ss[0]}}
	case len(ss) == 2:
		m.Serializers = []NamedSerializer{{KeySerializerKey, ss[0]}, {ValueSerializerKey, ss[1]}}
	default:
		r.fail("%d serializers for an operator state", len(ss))
	}
	return m
}

// operatorLegacyV1 reads the operator meta info of Flink 1.2: utf name,
// i8 mode, a bare Java-serialized serializer.
func (h *hdr) operatorLegacyV1() StateMetaInfo {
	r := h.r
	m := StateMetaInfo{BackendType: BackendOperator, MetaInfoVersion: 1}
	m.Name = r.utf("state name")
	h.mode(&m)
	s := SerializerSnapshot{Family: FamilyJava, Legacy: true}
	v := h.javaObject("Java-serialized serializer")
	if o, ok := v.(*jsObject); ok {
		s.SerializerClass = o.Class.Name
	}
	s.SerializerType = javaSerializerType(v, &javaWalk{})
	m.Serializers = []NamedSerializer{{ValueSerializerKey, s}}
	return m
}

func (h *hdr) mode(m *StateMetaInfo) {
	r := h.r
	at := r.off
	mode := DistributionMode(r.u8("distribution mode"))
	if r.err == nil && (mode < SplitDistribute || mode > Broadcast) {
		r.failAt(at, nil, "unknown distribution mode %d", mode)
	}
	m.Mode = mode
	if mode == Broadcast {
		m.BackendType = BackendBroadcast
	}
}

// javaOnly reads a java_serializer that stands alone (no config snapshot):
// Flink 1.2's key, namespace and value serializers.
func (h *hdr) javaOnly() SerializerSnapshot {
	s := SerializerSnapshot{Family: FamilyJava}
	h.javaSerializer(&s)
	s.Class = s.SerializerClass
	return s
}

// changelogMetadataOp is StateChangeOperation.METADATA, the first byte of
// a metadata record of the changelog state backend.
const changelogMetadataOp = 8

// DecodeChangelogMetadata decodes a metadata record of the changelog state
// backend (flink-statebackend-changelog/.../AbstractStateChangeLogger.java,
// logMetaIfNeeded): the byte 8 (StateChangeOperation.METADATA), i32 meta
// info version (6), a state meta info. Such records are the changes of key
// group -1 of an InMemoryChangelogStateHandle; they name the states that
// changed since the last materialization. What follows the meta info
// (default value, TTL, state id: it depends on the Flink version) is not
// read; the returned length ends with the meta info.
func DecodeChangelogMetadata(b []byte) (*StateMetaInfo, int, error) {
	return decodeHeader(b, nil, func(h *hdr) *StateMetaInfo {
		r := h.r
		r.push("changelog metadata record", -1)
		defer r.pop()
		at := r.off
		if op := r.u8("change operation"); r.err == nil && op != changelogMetadataOp {
			r.failAt(at, nil, "change operation %d is not METADATA (%d)", op, changelogMetadataOp)
			return nil
		}
		at = r.off
		if v := r.i32("meta info version"); r.err == nil && v != 6 && v != 7 {
			r.failAt(at, nil, "unknown meta info version %d", v)
			return nil
		}
		m := h.metaInfoV6(BackendKeyValue)
		if r.err != nil {
			return nil
		}
		return &m
	})
}

// RawTimerService is a timer service that Flink ≤1.9 kept in raw keyed
// state (heap timers of the RocksDB backend; all timers before 1.6): its
// name, the serializers of its keys and namespaces, and how many event and
// processing time timers the key group holds.
type RawTimerService struct {
	Name                string
	KeySerializer       SerializerSnapshot
	NamespaceSerializer SerializerSnapshot
	EventTimers         int
	ProcessingTimers    int
}

// RawTimers is what the start of one key group of raw keyed state says
// about timer services.
type RawTimers struct {
	// Version is the InternalTimerServiceSerializationProxy version: 0
	// (unversioned, Flink ≤1.4.0), 1 (1.4.1–1.8) or 2 (1.9).
	Version int32
	// Count is the number of services the key group declares; Services
	// those decoded. Complete is false when the timers of a service could
	// not be skipped (their serialized size is not fixed) or the bytes
	// given ended, so that later services are missing.
	Count    int
	Services []RawTimerService
	Complete bool
}

// rawTimersMagic starts a PostVersionedIOReadableWritable
// (PostVersionedIOReadableWritable.VERSIONED_IDENTIFIER).
var rawTimersMagic = []byte{0xf1, 0xcd, 0x85, 0x9f}

// DecodeRawTimers decodes the timer services at the start of one key group
// of raw keyed state (flink-streaming-java/.../operators/
// InternalTimerServiceSerializationProxy.java and
// InternalTimersSnapshotReaderWriters.java): [magic, i32 version], i32 n
// services, then per service utf name, the key and namespace serializers
// (two Java-serialized serializers when unversioned, a resilient block in
// version 1, two versioned snapshots in version 2), i32 n event timers,
// timers, i32 n processing timers, timers; a timer is key, namespace, i64
// timestamp. The timers themselves are skipped when their size is fixed.
//
// b may hold only a prefix of the key group. An error means the bytes are
// not timers (or are corrupt); a stream without the magic number that does
// not decode may simply be raw state of the user.
func DecodeRawTimers(b []byte) (*RawTimers, error) {
	t, _, err := decodeHeader(b, nil, func(h *hdr) *RawTimers {
		r := h.r
		r.push("raw keyed timers", -1)
		defer r.pop()
		t := &RawTimers{}
		if bytes.HasPrefix(r.b, rawTimersMagic) {
			r.take(4, "magic number")
			at := r.off
			t.Version = r.i32("timer service proxy version")
			if r.err == nil && (t.Version < 1 || t.Version > 2) {
				r.failAt(at, nil, "unknown timer service proxy version %d", t.Version)
			}
		}
		// A service takes at least a name, two serializers and two counts.
		t.Count = r.count("number of timer services", 12)
		if r.err != nil {
			return nil
		}
		for i := 0; i < t.Count; i++ {
			r.push("timer service", i)
			s, ok := h.rawTimerService(t.Version)
			r.pop()
			if r.err != nil {
				if len(t.Services) == 0 {
					return nil
				}
				// Keep the services decoded before the bytes ran out.
				r.err = nil
				return t
			}
			t.Services = append(t.Services, s)
			if !ok {
				return t
			}
		}
		t.Complete = true
		return t
	})
	return t, err
}

// rawTimerService decodes one timer service; ok is false when its timers
// could not be skipped.
func (h *hdr) rawTimerService(version int32) (s RawTimerService, ok bool) {
	r := h.r
	s.Name = r.utf("timer service name")
	switch version {
	case 0:
		for _, p := range []*SerializerSnapshot{&s.KeySerializer, &s.NamespaceSerializer} {
			*p = SerializerSnapshot{Family: FamilyJava, Legacy: true}
			v := h.javaObject("Java-serialized serializer")
			if o, ok := v.(*jsObject); ok {
				p.SerializerClass, p.Class = o.Class.Name, o.Class.Name
			}
			p.SerializerType = javaSerializerType(v, &javaWalk{})
		}
	case 1:
		if ss := h.resilient(2); len(ss) == 2 {
			s.KeySerializer, s.NamespaceSerializer = ss[0], ss[1]
		}
	default:
		s.KeySerializer = h.snapshot(false)
		s.NamespaceSerializer = h.snapshot(false)
	}
	if r.err != nil {
		return s, false
	}
	size := fixedSize(s.KeySerializer.TypeString())
	if ns := fixedSize(s.NamespaceSerializer.TypeString()); size < 0 || ns < 0 {
		size = -1
	} else {
		size += ns + 8
	}
	for _, n := range []*int{&s.EventTimers, &s.ProcessingTimers} {
		*n = r.count("number of timers", 8)
		if r.err != nil {
			return s, false
		}
		if *n > 0 {
			if size < 0 {
				return s, false
			}
			r.take(*n*size, "timers")
			if r.err != nil {
				return s, false
			}
		}
	}
	return s, true
}

// fixedSizes are the serialized sizes of types whose serializers write a
// fixed number of bytes.
var fixedSizes = map[string]int{
	"Long": 8, "Integer": 4, "Short": 2, "Byte": 1, "Boolean": 1, "Double": 8, "Float": 4, "Character": 2,
	"VoidNamespace": 1, "GlobalWindow": 1, "TimeWindow": 16, "CountWindow": 8,
}

// fixedSize returns the serialized size of a type (a TypeString) when it
// is fixed, else -1. Flink tuples write their fields back to back.
func fixedSize(t string) int {
	if n, ok := fixedSizes[t]; ok {
		return n
	}
	if !strings.HasPrefix(t, "Tuple") || !strings.HasSuffix(t, ">") {
		return -1
	}
	i := strings.IndexByte(t, '<')
	if i < 0 {
		return -1
	}
	total, depth, start := 0, 0, i+1
	for j := i + 1; j < len(t); j++ {
		switch t[j] {
		case '<':
			depth++
		case '>':
			depth--
		}
		if (t[j] == ',' && depth == 0) || j == len(t)-1 {
			n := fixedSize(strings.TrimSpace(t[start:j]))
			if n < 0 {
				return -1
			}
			total += n
			start = j + 1
		}
	}
	return total
}
