package metadata

// This file encodes what stateheader.go and serializer.go decode: the
// headers of keyed and operator state streams and the serializer snapshots
// in them, as Flink writes them (KeyedBackendSerializationProxy.write,
// OperatorBackendSerializationProxy.write,
// StateMetaInfoSnapshotReadersWriters.CurrentWriterImpl,
// TypeSerializerSnapshot.writeVersionedSnapshot and the writeSnapshot of
// each snapshot class). It writes only the current layouts: keyed proxy
// version 6 and operator proxy versions 5 and 6, with meta info version 6
// and snapshot proxy version 2. The project uses it to build fixtures;
// EncodeKeyedHeader(DecodeKeyedHeader(b)) gives b back wherever the
// decoded value keeps everything Flink wrote (see ErrNotRetained).
//
// The constructors (SimpleSnapshot, TupleSnapshot, PojoSnapshot, …) build
// the snapshots Flink's serializers of each family write, so that fixtures
// need not spell out class names and versions.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// ErrNotRetained marks a value that cannot be encoded because decoding
// did not keep all of it: legacy (≤1.6) serializer snapshots, opaque
// snapshots, Java-serialized serializers and DataTypes, POJO subclass
// serializers, Kryo registrations, RAW and structured SQL types.
var ErrNotRetained = errors.New("not retained by the decoded value")

// EncodeKeyedHeader writes h as KeyedBackendSerializationProxy version 6
// (Flink 1.7+) writes it: i32 version, bool compression, the key
// serializer's snapshot proxy, i16 number of states, and each state's
// meta info (version 6). States of other backend types than KEY_VALUE,
// KEY_VALUE_V2 and PRIORITY_QUEUE are refused.
func EncodeKeyedHeader(h *KeyedHeader) ([]byte, error) {
	if h.Version != 6 {
		return nil, fmt.Errorf("metadata: encode: keyed backend proxy version %d not supported (only 6)", h.Version)
	}
	e := &headerEncoder{w: &writer{}}
	e.w.i32(h.Version)
	e.w.bool(h.Compressed)
	e.proxy("key serializer", &h.KeySerializer)
	e.states("keyed state", h.States, func(t BackendStateType) bool {
		return t == BackendKeyValue || t == BackendKeyValueV2 || t == BackendPriorityQueue
	})
	return e.result()
}

// EncodeOperatorHeader writes h as OperatorBackendSerializationProxy
// version 5 (Flink 1.7–1.17) or 6 (1.18+, with the compression flag)
// writes it, followed by the Snappy stream identifier when
// h.SnappyFramed (FORMAT.md §10.1).
func EncodeOperatorHeader(h *OperatorHeader) ([]byte, error) {
	if h.Version != 5 && h.Version != 6 {
		return nil, fmt.Errorf("metadata: encode: operator backend proxy version %d not supported (only 5 and 6)", h.Version)
	}
	if h.SnappyFramed && (h.Version < 6 || !h.Compressed) {
		return nil, errors.New("metadata: encode: a Snappy stream identifier follows only compressed version 6 headers")
	}
	if h.Compressed && h.Version < 6 {
		return nil, errors.New("metadata: encode: operator backend proxy version 5 has no compression flag")
	}
	e := &headerEncoder{w: &writer{}}
	e.w.i32(h.Version)
	if h.Version >= 6 {
		e.w.bool(h.Compressed)
	}
	e.states("operator state", h.OperatorStates, func(t BackendStateType) bool { return t == BackendOperator })
	e.states("broadcast state", h.BroadcastStates, func(t BackendStateType) bool { return t == BackendBroadcast })
	if h.SnappyFramed {
		e.w.b = append(e.w.b, snappyStreamID...)
	}
	return e.result()
}

// EncodeSerializerSnapshot writes s as a versioned snapshot
// (TypeSerializerSnapshot.writeVersionedSnapshot): utf class, i32
// version, the payload its class writes.
func EncodeSerializerSnapshot(s *SerializerSnapshot) ([]byte, error) {
	e := &headerEncoder{w: &writer{}}
	e.snapshot(s)
	return e.result()
}

// writeEnum writes an enum serializer snapshot's class and constants,
// with ids each numbered by its position.
func writeEnum(w *writer, class string, constants []string, ids bool) {
	w.utf(class)
	w.i32(int32(len(constants)))
	for i, c := range constants {
		w.utf(c)
		if ids {
			w.i32(int32(i))
		}
	}
}

// headerEncoder writes a header; the first error sticks.
type headerEncoder struct {
	w     *writer
	err   error
	path  []string
	depth int
}

func (e *headerEncoder) result() ([]byte, error) {
	if e.err == nil && e.w.err != nil {
		e.err = e.w.err
	}
	if e.err != nil {
		return nil, e.err
	}
	return e.w.b, nil
}

func (e *headerEncoder) fail(format string, args ...any) {
	if e.err == nil {
		e.err = fmt.Errorf("metadata: encode: %s: %w", e.where(), fmt.Errorf(format, args...))
	}
}

// notRetained reports a value decoding did not keep in full.
func (e *headerEncoder) notRetained(what string) {
	if e.err == nil {
		e.err = fmt.Errorf("metadata: encode: %s: %s: %w", e.where(), what, ErrNotRetained)
	}
}

func (e *headerEncoder) where() string {
	if len(e.path) == 0 {
		return "header"
	}
	return strings.Join(e.path, ", ")
}

func (e *headerEncoder) push(s string) { e.path = append(e.path, s) }
func (e *headerEncoder) pop()          { e.path = e.path[:len(e.path)-1] }

// i16 writes a big-endian short count, which must fit.
func (e *headerEncoder) i16(n int, what string) {
	if n > 1<<15-1 {
		e.fail("%d %s do not fit a short count", n, what)
		return
	}
	e.w.b = binary.BigEndian.AppendUint16(e.w.b, uint16(n))
}

// states writes an i16 count and the meta infos, each of a backend type
// ok accepts.
func (e *headerEncoder) states(what string, states []StateMetaInfo, ok func(BackendStateType) bool) {
	e.i16(len(states), what+"s")
	for i := range states {
		m := &states[i]
		e.push(fmt.Sprintf("%s %q", what, m.Name))
		if !ok(m.BackendType) {
			e.fail("backend state type %s does not belong here", m.BackendType)
		}
		e.metaInfoV6(m)
		e.pop()
	}
}

// metaInfoV6 writes a state meta info as CurrentWriterImpl does: utf
// name, i32 backend type, i32 n options, options, i32 n serializers, n ×
// (utf key, snapshot proxy). Options and serializers are written in the
// order given (Flink's maps; decoding keeps the file order).
func (e *headerEncoder) metaInfoV6(m *StateMetaInfo) {
	w := e.w
	w.utf(m.Name)
	w.i32(int32(m.BackendType))
	w.i32(int32(len(m.Options)))
	for _, o := range m.Options {
		w.utf(o.Key)
		w.utf(o.Value)
	}
	w.i32(int32(len(m.Serializers)))
	for i := range m.Serializers {
		s := &m.Serializers[i]
		w.utf(s.Key)
		e.proxy(s.Key, &s.Snapshot)
	}
}

// proxy writes TypeSerializerSnapshotSerializationUtil's proxy version 2
// and the versioned snapshot.
func (e *headerEncoder) proxy(what string, s *SerializerSnapshot) {
	e.push(what)
	defer e.pop()
	e.w.i32(2)
	e.snapshot(s)
}

// compositeOuterVersions are the outer snapshot versions the current
// CompositeTypeSerializerSnapshot subclasses write
// (getCurrentOuterSnapshotVersion); decoding does not keep them. Classes
// not listed write 1. The values were read from the corpus (Tuple, List,
// Map, TTL, Timer, StreamElement, External, RawValueData) and from the
// Flink sources (ScalaCaseClassSerializerSnapshot: 2, RowSerializerSnapshot:
// 4 since Flink 1.11).
var compositeOuterVersions = map[string]int32{
	pkgRt + "TupleSerializerSnapshot":                                                                         2,
	"org.apache.flink.runtime.state.ttl.TtlStateFactory$TtlSerializerSnapshot":                                2,
	"org.apache.flink.streaming.api.operators.TimerSerializerSnapshot":                                        2,
	"org.apache.flink.streaming.runtime.streamrecord.StreamElementSerializer$StreamElementSerializerSnapshot": 2,
	pkgTable + "RawValueDataSerializer$RawValueDataSerializerSnapshot":                                        0,
	pkgScala + "ScalaCaseClassSerializerSnapshot":                                                             2,
	pkgScala + "Tuple2CaseClassSerializerSnapshot":                                                            2,
	pkgRt + "RowSerializer$RowSerializerSnapshot":                                                             4,
	pkgTable + "LinkedListSerializer$LinkedListSerializerSnapshot":                                            3,
	pkgCEP + "NFAStateSerializerSnapshot":                                                                     2,
	pkgSqnLinked + "MetaSqnInfoSerializer$MetaSqnInfoSerializerSnapshot":                                      0,
	pkgSqnLinked + "RowSqnInfoSerializer$RowSqnInfoSerializerSnapshot":                                        0,
	pkgSqnLinked + "NodeSerializer$NodeSerializerSnapshot":                                                    0,
}

// snapshotToSerializer maps the snapshot class of a simple serializer to
// the serializer class its version 2 payload names.
var snapshotToSerializer = func() map[string]string {
	m := map[string]string{}
	for _, s := range simpleSerializers {
		if _, dup := m[s.snapshot]; !dup {
			m[s.snapshot] = s.serializer
		}
	}
	return m
}()

// snapshot writes a versioned snapshot: utf class, i32 version, payload.
func (e *headerEncoder) snapshot(s *SerializerSnapshot) {
	if e.err != nil {
		return
	}
	if e.depth >= maxSnapshotDepth {
		e.fail("serializer snapshots nested deeper than %d levels", maxSnapshotDepth)
		return
	}
	e.depth++
	defer func() { e.depth-- }()
	e.push("serializer snapshot " + shortClass(s.Class))
	defer e.pop()
	switch {
	case s.Legacy || s.Version == adapterVersion:
		e.notRetained("legacy (Flink ≤1.6) serializer snapshot")
		return
	case s.Opaque:
		e.notRetained("opaque serializer snapshot")
		return
	case s.Class == "":
		e.fail("serializer snapshot without a class")
		return
	}
	w := e.w
	if s.TTLAware {
		// TtlAwareSerializerSnapshot version 1 around the snapshot.
		w.utf(ttlAwareSnapshotClass)
		w.i32(1)
		w.bool(s.TTLAwareEnabled)
		inner := *s
		inner.TTLAware, inner.TTLAwareEnabled = false, false
		e.snapshot(&inner)
		return
	}
	w.utf(s.Class)
	w.i32(s.Version)
	if _, ok := simpleBySnapshot[s.Class]; ok {
		switch {
		case s.Version >= 3:
		case s.Version == 2:
			w.utf(snapshotToSerializer[s.Class])
		default:
			e.fail("simple serializer snapshot version %d not supported", s.Version)
		}
		return
	}
	if ck, ok := compositeSnapshots[s.Class]; ok {
		e.composite(s, ck)
		return
	}
	if _, ok := genericSnapshots[s.Class]; ok {
		w.utf(s.TypeClass)
		return
	}
	switch s.Class {
	case pkgRt + "PojoSerializerSnapshot":
		e.pojo(s)
	case pkgRt + "kryo.KryoSerializerSnapshot", pkgRt + "kryo5.KryoSerializerSnapshot":
		e.kryo(s)
	case "org.apache.flink.formats.avro.typeutils.AvroSerializerSnapshot":
		switch s.Version {
		case 1:
			w.utf(s.AvroSchema)
		case 2:
			w.utf(s.TypeClass)
			w.utf(s.AvroSchema)
		case 3:
			w.stringValue(s.TypeClass)
			w.stringValue(s.AvroSchema)
		default:
			e.fail("AvroSerializerSnapshot version %d not supported", s.Version)
		}
	case pkgScala + "ScalaEnumSerializerSnapshot", pkgTableScala + "ScalaEnumSerializerSnapshot":
		if s.Version != 3 {
			e.fail("ScalaEnumSerializerSnapshot version %d not supported", s.Version)
			return
		}
		// The ids are not kept: written as the positions, as a Scala
		// Enumeration numbers its values by default.
		writeEnum(w, s.TypeClass, s.EnumConstants, true)
	case pkgBase + "EnumSerializer$EnumSerializerSnapshot":
		if s.Version != 2 && s.Version != 3 {
			e.fail("EnumSerializerSnapshot version %d not supported", s.Version)
			return
		}
		writeEnum(w, s.TypeClass, s.EnumConstants, false)
	case pkgTable + "RowDataSerializer$RowDataSerializerSnapshot",
		"org.apache.flink.table.runtime.typeutils.BaseRowSerializer$BaseRowSerializerSnapshot",
		"org.apache.flink.table.runtime.typeutils.serializers.python.RowDataSerializer$RowDataSerializerSnapshot":
		e.rowData(s)
	case pkgTable + "DecimalDataSerializer$DecimalSerializerSnapshot",
		"org.apache.flink.table.runtime.typeutils.DecimalSerializer$DecimalSerializerSnapshot":
		w.i32(s.Precision)
		w.i32(s.Scale)
	case pkgTable + "TimestampDataSerializer$TimestampDataSerializerSnapshot":
		w.i32(s.Precision)
	case pkgTable + "BinaryRowDataSerializer$BinaryRowDataSerializerSnapshot":
		w.i32(s.Arity)
	case pkgTable + "ArrayDataSerializer$ArrayDataSerializerSnapshot",
		pkgTable + "MapDataSerializer$MapDataSerializerSnapshot":
		e.notRetained("Java-serialized element serializers")
	case pkgTable + "SortedMapSerializerSnapshot":
		e.notRetained("Java-serialized comparator")
	case pkgSqnLinked + "RowDataKeySerializerSnapshot":
		e.notRetained("Java-serialized equaliser and hash function")
	default:
		e.notRetained("payload of an unknown snapshot class")
	}
}

// composite writes a CompositeTypeSerializerSnapshot payload: for
// versions > 2 the magic number, the outer version and the outer
// snapshot; for the legacy versions ≤ 2 the outer snapshot alone; then
// the nested block (CompositeTypeSerializerSnapshot.writeSnapshot).
func (e *headerEncoder) composite(s *SerializerSnapshot, ck compositeKind) {
	w := e.w
	outerVersion := s.Version
	if s.Version > 2 {
		outerVersion = 1
		if v, ok := compositeOuterVersions[s.Class]; ok {
			outerVersion = v
		}
		w.i32(compositeMagic)
		w.i32(outerVersion)
	}
	switch ck.outer {
	case outerNone:
	case outerClassName, outerUTF:
		w.utf(s.TypeClass)
	case outerInt:
		e.notRetained("NullableSerializer padding length")
		return
	case outerRowKind:
		if outerVersion >= 4 {
			// RowSerializerSnapshot's legacy-mode flag, which decoding
			// does not keep: Flink's default, false.
			w.bool(false)
		}
	case outerFlag:
		if outerVersion >= flagSince[s.Class] {
			// LinkedListSerializer's hasNullMask, NFAStateSerializer's
			// supportsPreviousTimestamp: true for every serializer
			// current Flink creates.
			w.bool(true)
		}
	case outerExternal:
		e.notRetained("Java-serialized DataType of an ExternalSerializer")
		return
	}
	e.nested(s.Nested)
}

// nested writes a NestedSerializersSnapshotDelegate block.
func (e *headerEncoder) nested(ns []SerializerSnapshot) {
	w := e.w
	w.i32(nestedMagic)
	w.i32(nestedVersion)
	w.i32(int32(len(ns)))
	for i := range ns {
		e.snapshot(&ns[i])
	}
}

// frame writes what fn writes with an i32 length prefix (the framing of
// LinkedOptionalMapSerializer.writeFramed).
func (e *headerEncoder) frame(fn func()) {
	outer := e.w
	e.w = &writer{}
	fn()
	inner := e.w
	e.w = outer
	if inner.err != nil && outer.err == nil {
		outer.err = inner.err
	}
	outer.bytes(inner.b)
}

// pojo writes PojoSerializerSnapshotData (version 2): utf class, then
// three LinkedOptionalMaps: fields (key: the field as PojoFieldUtils.writeField
// writes it, declaring class and name; value: the field's snapshot),
// registered and non-registered subclasses. Decoding keeps neither the
// declaring class of a field (the POJO class is written) nor the subclass
// serializers, so snapshots with subclasses are refused.
func (e *headerEncoder) pojo(s *SerializerSnapshot) {
	if s.Version != 2 {
		e.fail("PojoSerializerSnapshot version %d not supported", s.Version)
		return
	}
	if len(s.FieldNames) != len(s.Nested) {
		e.fail("%d POJO field names for %d field serializers", len(s.FieldNames), len(s.Nested))
		return
	}
	if len(s.Subclasses) > 0 {
		e.notRetained("POJO subclass serializers")
		return
	}
	w := e.w
	w.utf(s.TypeClass)
	w.i64(optionalMapHeader)
	w.i32(int32(len(s.Nested)))
	for i := range s.Nested {
		name := s.FieldNames[i]
		w.utf(name)
		w.bool(true)
		e.frame(func() {
			e.w.utf(s.TypeClass)
			e.w.utf(name)
		})
		f := &s.Nested[i]
		if f.Opaque && f.Class == "" {
			// The field's snapshot was absent (LinkedOptionalMap).
			w.bool(false)
			continue
		}
		w.bool(true)
		e.push("field " + name)
		e.frame(func() { e.snapshot(f) })
		e.pop()
	}
	for range 2 {
		w.i64(optionalMapHeader)
		w.i32(0)
	}
}

// kryo writes KryoSerializerSnapshotData: utf type class and three
// LinkedOptionalMaps (registrations, default serializers, default
// serializer classes). Decoding keeps the registered class names only,
// so snapshots with registrations are refused; the two maps of default
// serializers are written empty (decoding does not keep them either).
func (e *headerEncoder) kryo(s *SerializerSnapshot) {
	if len(s.Registrations) > 0 {
		e.notRetained("Kryo registrations")
		return
	}
	w := e.w
	w.utf(s.TypeClass)
	for range 3 {
		w.i64(optionalMapHeader)
		w.i32(0)
	}
}

// rowData writes RowDataSerializerSnapshot: i32 n, n LogicalTypes each
// Java-serialized in a stream of its own (InstantiationUtil.serializeObject),
// then the nested block of the field serializers.
func (e *headerEncoder) rowData(s *SerializerSnapshot) {
	w := e.w
	w.i32(int32(len(s.LogicalTypes)))
	for i, t := range s.LogicalTypes {
		b, err := encodeLogicalType(t)
		if err != nil {
			e.push(fmt.Sprintf("row field type %d", i))
			if e.err == nil {
				e.err = fmt.Errorf("metadata: encode: %s: %w", e.where(), err)
			}
			e.pop()
			return
		}
		w.b = append(w.b, b...)
	}
	e.nested(s.Nested)
}

// Java serialization of LogicalTypes (flink-table-common/.../types/logical).

const (
	ltPkg      = "org.apache.flink.table.types.logical."
	ltTypeSig  = "Lorg/apache/flink/table/types/logical/LogicalType;"
	ltKindSig  = "Lorg/apache/flink/table/types/logical/TimestampKind;"
	ltRootSig  = "Lorg/apache/flink/table/types/logical/LogicalTypeRoot;"
	ltListSig  = "Ljava/util/List;"
	ltStrSig   = "Ljava/lang/String;"
	ltCollSig  = "Ljava/util/Collection;"
	ltRowField = ltPkg + "RowType$RowField"
)

// logicalTypeClasses are the LogicalType classes the encoder writes: their
// root and own serializable fields in descriptor order (primitives first,
// then by name, as ObjectStreamClass orders them). Every one has
// serialVersionUID 1, as has LogicalType itself.
var logicalTypeClasses = map[string]struct {
	root   string
	fields []jsField
}{
	ltPkg + "BooleanType":             {"BOOLEAN", nil},
	ltPkg + "TinyIntType":             {"TINYINT", nil},
	ltPkg + "SmallIntType":            {"SMALLINT", nil},
	ltPkg + "IntType":                 {"INTEGER", nil},
	ltPkg + "BigIntType":              {"BIGINT", nil},
	ltPkg + "FloatType":               {"FLOAT", nil},
	ltPkg + "DoubleType":              {"DOUBLE", nil},
	ltPkg + "DateType":                {"DATE", nil},
	ltPkg + "NullType":                {"NULL", nil},
	ltPkg + "CharType":                {"CHAR", []jsField{{Type: 'I', Name: "length"}}},
	ltPkg + "VarCharType":             {"VARCHAR", []jsField{{Type: 'I', Name: "length"}}},
	ltPkg + "BinaryType":              {"BINARY", []jsField{{Type: 'I', Name: "length"}}},
	ltPkg + "VarBinaryType":           {"VARBINARY", []jsField{{Type: 'I', Name: "length"}}},
	ltPkg + "DecimalType":             {"DECIMAL", []jsField{{Type: 'I', Name: "precision"}, {Type: 'I', Name: "scale"}}},
	ltPkg + "TimeType":                {"TIME_WITHOUT_TIME_ZONE", []jsField{{Type: 'I', Name: "precision"}}},
	ltPkg + "TimestampType":           {"TIMESTAMP_WITHOUT_TIME_ZONE", []jsField{{Type: 'I', Name: "precision"}, {'L', "kind", ltKindSig}}},
	ltPkg + "LocalZonedTimestampType": {"TIMESTAMP_WITH_LOCAL_TIME_ZONE", []jsField{{Type: 'I', Name: "precision"}, {'L', "kind", ltKindSig}}},
	ltPkg + "ZonedTimestampType":      {"TIMESTAMP_WITH_TIME_ZONE", []jsField{{Type: 'I', Name: "precision"}, {'L', "kind", ltKindSig}}},
	ltPkg + "ArrayType":               {"ARRAY", []jsField{{'L', "elementType", ltTypeSig}}},
	ltPkg + "MultisetType":            {"MULTISET", []jsField{{'L', "elementType", ltTypeSig}}},
	ltPkg + "MapType":                 {"MAP", []jsField{{'L', "keyType", ltTypeSig}, {'L', "valueType", ltTypeSig}}},
	ltPkg + "RowType":                 {"ROW", []jsField{{'L', "fields", ltListSig}}},
}

// logicalTypeByRoot is the class of each root the encoder writes.
var logicalTypeByRoot = func() map[string]string {
	m := map[string]string{}
	for class, c := range logicalTypeClasses {
		m[c.root] = class
	}
	return m
}()

// ltEncoder builds the object tree of one Java stream, sharing class
// descriptors and enum constants by identity as the JVM does.
type ltEncoder struct {
	descs map[string]*jsClassDesc
	enums map[string]*jsEnum
}

func (e *ltEncoder) desc(name string, suid int64, flags byte, fields []jsField, super *jsClassDesc) *jsClassDesc {
	if d, ok := e.descs[name]; ok {
		return d
	}
	d := &jsClassDesc{Name: name, SUID: suid, Flags: flags, Fields: fields, Super: super}
	e.descs[name] = d
	return d
}

// copyDesc returns the encoder's descriptor of the decoded class
// descriptor c, with its superclasses: the same name, serialVersionUID,
// flags and fields. A descriptor with a class annotation or of a proxy
// class (which ObjectOutputStream writes only when subclassed) is not
// retained.
func (e *ltEncoder) copyDesc(c *jsClassDesc, depth int) (*jsClassDesc, error) {
	if depth > jsMaxDepth {
		return nil, errors.New("class descriptor nested too deep")
	}
	if c.Proxy || len(c.Annotation) > 0 {
		return nil, fmt.Errorf("class descriptor of %q with an annotation or of a proxy class: %w", c.Name, ErrNotRetained)
	}
	var super *jsClassDesc
	if c.Super != nil {
		var err error
		if super, err = e.copyDesc(c.Super, depth+1); err != nil {
			return nil, err
		}
	}
	return e.desc(c.Name, c.SUID, c.Flags, slices.Clone(c.Fields), super), nil
}

func (e *ltEncoder) enum(class, name string) *jsEnum {
	key := class + "." + name
	if v, ok := e.enums[key]; ok {
		return v
	}
	base := e.desc(jsClassEnum, 0, jsSCSerializable|jsSCEnum, nil, nil)
	v := &jsEnum{Class: e.desc(class, 0, jsSCSerializable|jsSCEnum, nil, base), Name: name}
	e.enums[key] = v
	return v
}

// encodeLogicalType writes t as InstantiationUtil.serializeObject writes
// the LogicalType object.
func encodeLogicalType(t *LogicalType) ([]byte, error) {
	e := &ltEncoder{descs: map[string]*jsClassDesc{}, enums: map[string]*jsEnum{}}
	o, err := e.object(t, 0)
	if err != nil {
		return nil, err
	}
	return encodeJavaStream(o), nil
}

func (e *ltEncoder) object(t *LogicalType, depth int) (*jsObject, error) {
	if t == nil {
		return nil, errors.New("missing logical type")
	}
	if depth > jsMaxDepth {
		return nil, errors.New("logical type nested too deep")
	}
	switch t.Root {
	case "STRUCTURED_TYPE":
		return e.structured(t, depth)
	case "RAW":
		return e.raw(t)
	}
	c, ok := logicalTypeClasses[t.Class]
	if !ok {
		return nil, fmt.Errorf("logical type %s: %w", shortClass(t.Class), ErrNotRetained)
	}
	if t.Root != c.root {
		return nil, fmt.Errorf("logical type %s with root %s", shortClass(t.Class), t.Root)
	}
	base := e.desc(ltPkg+"LogicalType", 1, jsSCSerializable,
		[]jsField{{Type: 'Z', Name: "isNullable"}, {'L', "typeRoot", ltRootSig}}, nil)
	d := e.desc(t.Class, 1, jsSCSerializable, c.fields, base)
	o := &jsObject{Class: d, Data: []jsClassData{
		{Class: base, Values: []any{t.Nullable, e.enum(ltPkg+"LogicalTypeRoot", t.Root)}},
		{Class: d},
	}}
	own := &o.Data[1]
	child := func(i int) (*jsObject, error) {
		if i >= len(t.Children) {
			return nil, fmt.Errorf("logical type %s lacks its component types", t.Root)
		}
		return e.object(t.Children[i], depth+1)
	}
	for _, f := range c.fields {
		switch f.Name {
		case "length":
			own.Values = append(own.Values, t.Length)
		case "precision":
			own.Values = append(own.Values, t.Precision)
		case "scale":
			own.Values = append(own.Values, t.Scale)
		case "kind":
			kind := t.Kind
			if kind == "" {
				kind = "REGULAR"
			}
			own.Values = append(own.Values, e.enum(ltPkg+"TimestampKind", kind))
		case "elementType", "keyType", "valueType":
			i := 0
			if f.Name == "valueType" {
				i = 1
			}
			x, err := child(i)
			if err != nil {
				return nil, err
			}
			own.Values = append(own.Values, x)
		case "fields":
			l, err := e.rowFields(t.Fields, depth)
			if err != nil {
				return nil, err
			}
			own.Values = append(own.Values, l)
		}
	}
	return o, nil
}

// lagAccClass is the accumulator of LAG (and LEAD) in over aggregates
// (flink-table-runtime/.../functions/aggregate/LagAggFunction.java:147,
// Flink 1.20): not Serializable, so its Class object has an empty
// descriptor.
const lagAccClass = "org.apache.flink.table.runtime.functions.aggregate.LagAggFunction$LagAcc"

// LagAccumulatorType returns the accumulator type of LAG over values of
// type value, as LagAggFunction.getAccumulatorDataType declares it
// (LagAggFunction.java:77-91, Flink 1.20 and 2.0): STRUCTURED LagAcc with
// offset INT, defaultValue (value, nullable) and buffer RAW(LinkedList)
// whose serializer is LinkedListSerializer over the internal serializer
// of value. The encoder writes it for value INT, BIGINT and STRING.
func LagAccumulatorType(value *LogicalType) *LogicalType {
	def := *value
	def.Nullable = true
	return &LogicalType{Class: ltPkg + "StructuredType", Root: "STRUCTURED_TYPE", Nullable: true,
		Length: -1, Precision: -1, Scale: -1, TypeClass: lagAccClass,
		Fields: []RowField{
			{Name: "offset", Type: &LogicalType{Class: ltPkg + "IntType", Root: "INTEGER", Nullable: true, Length: -1, Precision: -1, Scale: -1}},
			{Name: "defaultValue", Type: &def},
			{Name: "buffer", Type: &LogicalType{Class: ltPkg + "RawType", Root: "RAW", Nullable: true, Length: -1, Precision: -1, Scale: -1,
				TypeClass: "java.util.LinkedList", rawLinkedListOf: value}},
		}}
}

// structured writes a StructuredType (flink-table-common/.../logical/StructuredType.java
// and UserDefinedType.java, Flink 1.20) as DataTypes.STRUCTURED(Class, …)
// builds it: no object identifier or description, final, instantiable,
// comparison NONE, no supertype, the attributes in an unmodifiable list.
func (e *ltEncoder) structured(t *LogicalType, depth int) (*jsObject, error) {
	if t.TypeClass == "" {
		return nil, errors.New("structured type without an implementation class")
	}
	base := e.desc(ltPkg+"LogicalType", 1, jsSCSerializable,
		[]jsField{{Type: 'Z', Name: "isNullable"}, {'L', "typeRoot", ltRootSig}}, nil)
	udt := e.desc(ltPkg+"UserDefinedType", 1, jsSCSerializable,
		[]jsField{{Type: 'Z', Name: "isFinal"}, {'L', "description", ltStrSig},
			{'L', "objectIdentifier", "Lorg/apache/flink/table/catalog/ObjectIdentifier;"}}, base)
	st := e.desc(ltPkg+"StructuredType", 1, jsSCSerializable,
		[]jsField{{Type: 'Z', Name: "isInstantiable"}, {'L', "attributes", ltListSig},
			{'L', "comparison", "Lorg/apache/flink/table/types/logical/StructuredType$StructuredComparison;"},
			{'L', "implementationClass", "Ljava/lang/Class;"},
			{'L', "superType", "Lorg/apache/flink/table/types/logical/StructuredType;"}}, udt)
	attr := e.desc(ltPkg+"StructuredType$StructuredAttribute", 1, jsSCSerializable,
		[]jsField{{'L', "description", ltStrSig}, {'L', "name", ltStrSig}, {'L', "type", ltTypeSig}}, nil)
	o := &jsObject{Class: st, Data: []jsClassData{
		{Class: base, Values: []any{t.Nullable, e.enum(ltPkg+"LogicalTypeRoot", t.Root)}},
		{Class: udt, Values: []any{true, nil, nil}},
		{Class: st},
	}}
	var attrs []any
	for _, f := range t.Fields {
		ft, err := e.object(f.Type, depth+1)
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, &jsObject{Class: attr, Data: []jsClassData{{Class: attr, Values: []any{nil, f.Name, ft}}}})
	}
	var implDesc *jsClassDesc
	if t.implClass != nil {
		var err error
		if implDesc, err = e.copyDesc(t.implClass, depth); err != nil {
			return nil, err
		}
	} else {
		implDesc = e.desc(t.TypeClass, 0, 0, nil, nil)
	}
	impl := &jsClass{Class: implDesc}
	o.Data[2].Values = []any{true, e.unmodifiableList(attrs),
		e.enum(ltPkg+"StructuredType$StructuredComparison", "NONE"), impl, nil}
	return o, nil
}

// singletonSerializers are the serializers without fields the encoder
// writes inside a RAW type, by the logical type root of their values
// (InternalSerializers.create); all have serialVersionUID 1
// (IntSerializer.java:33, LongSerializer.java:33, StringDataSerializer.java:37, Flink 1.20).
var singletonSerializers = map[string]string{
	"INTEGER": pkgBase + "IntSerializer",
	"BIGINT":  pkgBase + "LongSerializer",
	"VARCHAR": pkgTable + "StringDataSerializer",
	"CHAR":    pkgTable + "StringDataSerializer",
}

// raw writes the RawType of a LinkedList built by LagAccumulatorType
// (RawType.java:56-58, Flink 1.20: the class and the Java-serialized
// serializer, here LinkedListSerializer with hasNullMask true over a
// singleton element serializer).
func (e *ltEncoder) raw(t *LogicalType) (*jsObject, error) {
	if t.rawLinkedListOf == nil {
		return nil, fmt.Errorf("logical type RawType of %s: %w", t.TypeClass, ErrNotRetained)
	}
	elemClass, ok := singletonSerializers[t.rawLinkedListOf.Root]
	if !ok {
		return nil, fmt.Errorf("logical type RawType (LinkedList of %s): %w", t.rawLinkedListOf, ErrNotRetained)
	}
	const serSig = "Lorg/apache/flink/api/common/typeutils/TypeSerializer;"
	base := e.desc(ltPkg+"LogicalType", 1, jsSCSerializable,
		[]jsField{{Type: 'Z', Name: "isNullable"}, {'L', "typeRoot", ltRootSig}}, nil)
	rt := e.desc(ltPkg+"RawType", 1, jsSCSerializable,
		[]jsField{{'L', "clazz", "Ljava/lang/Class;"}, {'L', "serializer", serSig}}, base)
	ts := e.desc("org.apache.flink.api.common.typeutils.TypeSerializer", 1, jsSCSerializable, nil, nil)
	single := e.desc(pkgBase+"TypeSerializerSingleton", 8766687317209282373, jsSCSerializable, nil, ts)
	elem := &jsObject{Class: e.desc(elemClass, 1, jsSCSerializable, nil, single)}
	ll := e.desc(pkgTable+"LinkedListSerializer", 1, jsSCSerializable,
		[]jsField{{Type: 'Z', Name: "hasNullMask"}, {'L', "elementSerializer", serSig}}, ts)
	ser := &jsObject{Class: ll, Data: []jsClassData{{Class: ll, Values: []any{true, elem}}}}
	// java.util.LinkedList: serialVersionUID 876323262645176354, a
	// writeObject method, no serializable fields.
	clazz := &jsClass{Class: e.desc("java.util.LinkedList", 876323262645176354, jsSCSerializable|jsSCWriteMethod, nil, nil)}
	return &jsObject{Class: rt, Data: []jsClassData{
		{Class: base, Values: []any{t.Nullable, e.enum(ltPkg+"LogicalTypeRoot", t.Root)}},
		{Class: rt, Values: []any{clazz, ser}},
	}}, nil
}

// unmodifiableList builds Collections.unmodifiableList(new ArrayList<>(items))
// as Java serializes it.
func (e *ltEncoder) unmodifiableList(items []any) *jsObject {
	al := e.desc("java.util.ArrayList", 8683452581122892189, jsSCSerializable|jsSCWriteMethod,
		[]jsField{{Type: 'I', Name: "size"}}, nil)
	uc := e.desc("java.util.Collections$UnmodifiableCollection", 1820017752578914078, jsSCSerializable,
		[]jsField{{'L', "c", ltCollSig}}, nil)
	ul := e.desc("java.util.Collections$UnmodifiableList", -283967356065247728, jsSCSerializable,
		[]jsField{{'L', "list", ltListSig}}, uc)
	n := int32(len(items))
	list := &jsObject{Class: al, Data: []jsClassData{{Class: al, Values: []any{n},
		Annotation: append([]any{jsBlock(binary.BigEndian.AppendUint32(nil, uint32(n)))}, items...)}}}
	return &jsObject{Class: ul, Data: []jsClassData{{Class: uc, Values: []any{list}}, {Class: ul, Values: []any{list}}}}
}

// rowFields builds what RowType keeps in its fields: an unmodifiable
// list (serialized as Collections$UnmodifiableList, the writeReplace of
// UnmodifiableRandomAccessList) around an ArrayList of RowFields.
func (e *ltEncoder) rowFields(fields []RowField, depth int) (*jsObject, error) {
	rf := e.desc(ltRowField, 1, jsSCSerializable,
		[]jsField{{'L', "description", ltStrSig}, {'L', "name", ltStrSig}, {'L', "type", ltTypeSig}}, nil)
	al := e.desc("java.util.ArrayList", 8683452581122892189, jsSCSerializable|jsSCWriteMethod,
		[]jsField{{Type: 'I', Name: "size"}}, nil)
	uc := e.desc("java.util.Collections$UnmodifiableCollection", 1820017752578914078, jsSCSerializable,
		[]jsField{{'L', "c", ltCollSig}}, nil)
	ul := e.desc("java.util.Collections$UnmodifiableList", -283967356065247728, jsSCSerializable,
		[]jsField{{'L', "list", ltListSig}}, uc)
	n := int32(len(fields))
	list := &jsObject{Class: al, Data: []jsClassData{{Class: al, Values: []any{n},
		Annotation: []any{jsBlock(binary.BigEndian.AppendUint32(nil, uint32(n)))}}}}
	for _, f := range fields {
		t, err := e.object(f.Type, depth+1)
		if err != nil {
			return nil, err
		}
		var desc any
		if f.Description != "" {
			desc = f.Description
		}
		list.Data[0].Annotation = append(list.Data[0].Annotation,
			&jsObject{Class: rf, Data: []jsClassData{{Class: rf, Values: []any{desc, f.Name, t}}}})
	}
	return &jsObject{Class: ul, Data: []jsClassData{{Class: uc, Values: []any{list}}, {Class: ul, Values: []any{list}}}}, nil
}

// Constructors of the snapshots Flink's serializers write.

// Snapshot classes of the constructors.
const (
	tupleSnapshotClass     = pkgRt + "TupleSerializerSnapshot"
	listSnapshotClass      = pkgBase + "ListSerializerSnapshot"
	mapSnapshotClass       = pkgBase + "MapSerializerSnapshot"
	ttlSnapshotClass       = "org.apache.flink.runtime.state.ttl.TtlStateFactory$TtlSerializerSnapshot"
	timerSnapshotClass     = "org.apache.flink.streaming.api.operators.TimerSerializerSnapshot"
	pojoSnapshotClass      = pkgRt + "PojoSerializerSnapshot"
	kryoSnapshotClass      = pkgRt + "kryo.KryoSerializerSnapshot"
	avroSnapshotClass      = "org.apache.flink.formats.avro.typeutils.AvroSerializerSnapshot"
	enumSnapshotClass      = pkgBase + "EnumSerializer$EnumSerializerSnapshot"
	rowDataSnapshotClass   = pkgTable + "RowDataSerializer$RowDataSerializerSnapshot"
	decimalSnapshotClass   = pkgTable + "DecimalDataSerializer$DecimalSerializerSnapshot"
	timestampSnapshotClass = pkgTable + "TimestampDataSerializer$TimestampDataSerializerSnapshot"
	caseClassSnapshotClass = pkgScala + "ScalaCaseClassSerializerSnapshot"
	optionSnapshotClass    = pkgScala + "ScalaOptionSerializerSnapshot"
)

// simpleByType maps a simple serializer's type name (its TypeString, e.g.
// "Long", "String", "VoidNamespace") to its snapshot class.
var simpleByType = func() map[string]string {
	m := map[string]string{}
	for _, s := range simpleSerializers {
		if _, dup := m[s.typ]; !dup {
			m[s.typ] = s.snapshot
		}
	}
	return m
}()

// SimpleSnapshot returns the snapshot of the serializer without
// parameters whose TypeString is typ ("Long", "String", "Integer",
// "VoidNamespace", "TimeWindow", "byte[]", …), version 3. For a name it
// does not know it returns an opaque snapshot, which does not encode;
// IsSimpleType tells.
func SimpleSnapshot(typ string) SerializerSnapshot {
	class, ok := simpleByType[typ]
	if !ok {
		return SerializerSnapshot{Family: FamilyOpaque, Opaque: true, Note: "unknown simple type " + strconv.Quote(typ)}
	}
	return SerializerSnapshot{Class: class, Version: 3, Family: FamilySimple, TypeClass: typ}
}

// IsSimpleType reports whether typ names a serializer without parameters
// (the TypeString of a FamilySimple snapshot).
func IsSimpleType(typ string) bool {
	_, ok := simpleByType[typ]
	return ok
}

func newComposite(class string, family SnapshotFamily, typeClass string, nested ...SerializerSnapshot) SerializerSnapshot {
	return SerializerSnapshot{Class: class, Version: 3, Family: family, TypeClass: typeClass, Nested: nested}
}

// TupleSnapshot returns the snapshot of a TupleSerializer of a Flink Java
// tuple (Tuple1 … Tuple25) with the given field serializers.
func TupleSnapshot(fields ...SerializerSnapshot) SerializerSnapshot {
	return newComposite(tupleSnapshotClass, FamilyTuple, fmt.Sprintf("org.apache.flink.api.java.tuple.Tuple%d", len(fields)), fields...)
}

// ListSnapshot returns the snapshot of a ListSerializer (the value
// serializer of a keyed list state).
func ListSnapshot(elem SerializerSnapshot) SerializerSnapshot {
	return newComposite(listSnapshotClass, FamilyList, "", elem)
}

// LinkedListSnapshot returns the snapshot of the SQL runtime's
// LinkedListSerializer (LAG's accumulator in over aggregates), written with
// outer version 3 and hasNullMask true, as Flink 1.15+ writes it.
func LinkedListSnapshot(elem SerializerSnapshot) SerializerSnapshot {
	return newComposite(pkgTable+"LinkedListSerializer$LinkedListSerializerSnapshot", FamilyList, "", elem)
}

// MapSnapshot returns the snapshot of a MapSerializer (the value
// serializer of a keyed map state).
func MapSnapshot(key, value SerializerSnapshot) SerializerSnapshot {
	return newComposite(mapSnapshotClass, FamilyMap, "", key, value)
}

// TTLSnapshot returns the snapshot of the TTL wrapper
// (TtlStateFactory.TtlSerializer) around the serializer of a state's
// values: a Long timestamp and the value.
func TTLSnapshot(value SerializerSnapshot) SerializerSnapshot {
	return newComposite(ttlSnapshotClass, FamilyTTL, "", SimpleSnapshot("Long"), value)
}

// TimerSnapshot returns the snapshot of a TimerSerializer (the element
// serializer of a timer queue).
func TimerSnapshot(key, namespace SerializerSnapshot) SerializerSnapshot {
	return newComposite(timerSnapshotClass, FamilyTimer, "", key, namespace)
}

// ScalaCaseClassSnapshot returns the snapshot of a Scala case class (or
// Scala tuple, class scala.TupleN) serializer.
func ScalaCaseClassSnapshot(class string, fields ...SerializerSnapshot) SerializerSnapshot {
	return newComposite(caseClassSnapshotClass, FamilyScala, class, fields...)
}

// ScalaOptionSnapshot returns the snapshot of a Scala Option serializer.
func ScalaOptionSnapshot(elem SerializerSnapshot) SerializerSnapshot {
	return newComposite(optionSnapshotClass, FamilyScala, "", elem)
}

// PojoSnapshot returns the snapshot of a PojoSerializer of class with the
// given fields (Key: the field name), without subclasses.
func PojoSnapshot(class string, fields ...NamedSerializer) SerializerSnapshot {
	s := SerializerSnapshot{Class: pojoSnapshotClass, Version: 2, Family: FamilyPojo, TypeClass: class}
	for _, f := range fields {
		s.FieldNames = append(s.FieldNames, f.Key)
		s.Nested = append(s.Nested, f.Snapshot)
	}
	return s
}

// KryoSnapshot returns the snapshot of a KryoSerializer (Flink's generic
// type serializer) of class, without registrations.
func KryoSnapshot(class string) SerializerSnapshot {
	return SerializerSnapshot{Class: kryoSnapshotClass, Version: 2, Family: FamilyKryo, TypeClass: class}
}

// AvroSnapshot returns the snapshot of an AvroSerializer (version 2): the
// runtime class (a SpecificRecord class, or
// org.apache.avro.generic.GenericRecord) and the writer schema (JSON).
func AvroSnapshot(runtimeClass, schema string) SerializerSnapshot {
	return SerializerSnapshot{Class: avroSnapshotClass, Version: 2, Family: FamilyAvro, TypeClass: runtimeClass, AvroSchema: schema}
}

// EnumSnapshot returns the snapshot of an EnumSerializer (version 3) of
// class with its constants in ordinal order.
func EnumSnapshot(class string, constants ...string) SerializerSnapshot {
	return SerializerSnapshot{Class: enumSnapshotClass, Version: 3, Family: FamilyEnum, TypeClass: class, EnumConstants: constants}
}

// RowDataSnapshot returns the snapshot of the SQL runtime's
// RowDataSerializer of a row with the given field types, with the field
// serializers InternalSerializers.create gives them. Types whose internal
// serializer this package does not build give an opaque field, which does
// not encode.
func RowDataSnapshot(types ...*LogicalType) SerializerSnapshot {
	s := SerializerSnapshot{Class: rowDataSnapshotClass, Version: 3, Family: FamilyRowData, LogicalTypes: types}
	for _, t := range types {
		s.Nested = append(s.Nested, InternalSerializer(t))
	}
	return s
}

// InternalSerializer returns the snapshot of the serializer the SQL
// runtime uses for values of t (InternalSerializers.create): Long for
// BIGINT, StringData for CHAR and VARCHAR, TimestampData(p) for
// TIMESTAMP(p), RowData for ROW, …; an opaque snapshot for types it does
// not cover (ARRAY, MAP, MULTISET, RAW, structured types).
func InternalSerializer(t *LogicalType) SerializerSnapshot {
	if t == nil {
		return SerializerSnapshot{Family: FamilyOpaque, Opaque: true, Note: "no logical type"}
	}
	simple := map[string]string{
		"BOOLEAN": "Boolean", "TINYINT": "Byte", "SMALLINT": "Short", "INTEGER": "Integer", "DATE": "Integer",
		"TIME_WITHOUT_TIME_ZONE": "Integer", "BIGINT": "Long", "FLOAT": "Float", "DOUBLE": "Double",
		"CHAR": "StringData", "VARCHAR": "StringData", "BINARY": "byte[]", "VARBINARY": "byte[]",
	}
	switch t.Root {
	case "TIMESTAMP_WITHOUT_TIME_ZONE", "TIMESTAMP_WITH_LOCAL_TIME_ZONE":
		return SerializerSnapshot{Class: timestampSnapshotClass, Version: 1, Family: FamilyTable, Precision: t.Precision}
	case "DECIMAL":
		return SerializerSnapshot{Class: decimalSnapshotClass, Version: 3, Family: FamilyTable, Precision: t.Precision, Scale: t.Scale}
	case "ROW", "STRUCTURED_TYPE":
		types := make([]*LogicalType, len(t.Fields))
		for i, f := range t.Fields {
			types[i] = f.Type
		}
		return RowDataSnapshot(types...)
	case "RAW":
		if t.rawLinkedListOf != nil {
			// RawValueDataSerializer over the RAW type's serializer
			// (InternalSerializers.java, case RAW).
			return newComposite(pkgTable+"RawValueDataSerializer$RawValueDataSerializerSnapshot", FamilyTable, "",
				LinkedListSnapshot(InternalSerializer(t.rawLinkedListOf)))
		}
	}
	if typ, ok := simple[t.Root]; ok {
		return SimpleSnapshot(typ)
	}
	return SerializerSnapshot{Family: FamilyOpaque, Opaque: true, Note: "no internal serializer for " + t.String()}
}

// KeyedStateMetaInfo returns the meta info of a keyed state of the given
// kind (VALUE, LIST, MAP, REDUCING, AGGREGATING) as Flink 1.7+ writes it:
// option KEYED_STATE_TYPE, then the value and namespace serializers.
func KeyedStateMetaInfo(name string, kind StateKind, namespace, value SerializerSnapshot) StateMetaInfo {
	return StateMetaInfo{Name: name, BackendType: BackendKeyValue, Kind: kind, MetaInfoVersion: 6,
		Options:     []Option{{OptionKeyedStateType, string(kind)}},
		Serializers: []NamedSerializer{{ValueSerializerKey, value}, {NamespaceSerializerKey, namespace}}}
}

// TimerStateMetaInfo returns the meta info of a timer queue (priority
// queue state) named "_timer_state/" + domain + "_" + service, whose
// elements are TimerSerializer(key, namespace).
func TimerStateMetaInfo(domain, service string, key, namespace SerializerSnapshot) StateMetaInfo {
	return StateMetaInfo{Name: "_timer_state/" + domain + "_" + service, BackendType: BackendPriorityQueue, MetaInfoVersion: 6,
		Serializers: []NamedSerializer{{ValueSerializerKey, TimerSnapshot(key, namespace)}}}
}

// OperatorStateMetaInfo returns the meta info of an operator list state
// (mode SplitDistribute) or union list state (Union) with the element
// serializer.
func OperatorStateMetaInfo(name string, mode DistributionMode, elem SerializerSnapshot) StateMetaInfo {
	return StateMetaInfo{Name: name, BackendType: BackendOperator, Mode: mode, MetaInfoVersion: 6,
		Options:     []Option{{OptionOperatorStateDistMode, mode.String()}},
		Serializers: []NamedSerializer{{ValueSerializerKey, elem}}}
}

// BroadcastStateMetaInfo returns the meta info of a broadcast state with
// its map key and value serializers.
func BroadcastStateMetaInfo(name string, key, value SerializerSnapshot) StateMetaInfo {
	return StateMetaInfo{Name: name, BackendType: BackendBroadcast, Mode: Broadcast, MetaInfoVersion: 6,
		Options:     []Option{{OptionOperatorStateDistMode, Broadcast.String()}},
		Serializers: []NamedSerializer{{ValueSerializerKey, value}, {KeySerializerKey, key}}}
}

// ParseLogicalType reads a SQL type as LogicalType.String renders it
// ("BIGINT", "STRING", "VARCHAR(10)", "DECIMAL(10, 2)", "TIMESTAMP(3)
// *ROWTIME*", "ROW<id BIGINT, name STRING> NOT NULL", "ARRAY<INT>",
// "MAP<STRING, BIGINT>"), also accepting the SQL spellings INT, BYTES,
// TIMESTAMP_LTZ(p), TIMESTAMP(p) WITH LOCAL TIME ZONE and the defaults of
// types written without parameters, structured types as printed
// ("com.x.Acc{count BIGINT, buffer RAW('java.util.LinkedList')}") and
// RAW('class') (whose serializer a string cannot give). Types are nullable
// unless NOT NULL. Distinct and interval types are not supported.
func ParseLogicalType(s string) (*LogicalType, error) {
	p := &sqlParser{s: s}
	t := p.typ(0)
	p.space()
	if p.err == nil && p.i < len(p.s) {
		p.fail("unexpected %q", p.s[p.i:])
	}
	if p.err != nil {
		return nil, p.err
	}
	return t, nil
}

type sqlParser struct {
	s   string
	i   int
	err error
}

func (p *sqlParser) fail(format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("metadata: SQL type %q: %s", p.s, fmt.Sprintf(format, args...))
	}
}

func (p *sqlParser) space() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

// word reads an identifier ([A-Za-z0-9_$]+), or "".
func (p *sqlParser) word() string {
	p.space()
	j := p.i
	for j < len(p.s) && (p.s[j] == '_' || p.s[j] == '$' || unicode.IsLetter(rune(p.s[j])) || unicode.IsDigit(rune(p.s[j]))) {
		j++
	}
	w := p.s[p.i:j]
	p.i = j
	return w
}

func (p *sqlParser) peek(c byte) bool {
	p.space()
	return p.i < len(p.s) && p.s[p.i] == c
}

func (p *sqlParser) expect(c byte) {
	if !p.peek(c) {
		p.fail("want %q at offset %d", c, p.i)
		return
	}
	p.i++
}

// params reads "(n)" or "(n, m)"; ok is false when there is none.
func (p *sqlParser) params() (ps []int32, ok bool) {
	if !p.peek('(') {
		return nil, false
	}
	p.i++
	for p.err == nil {
		w := p.word()
		n, err := strconv.ParseInt(w, 10, 32)
		if err != nil {
			p.fail("bad parameter %q", w)
			return nil, true
		}
		ps = append(ps, int32(n))
		if p.peek(',') {
			p.i++
			continue
		}
		p.expect(')')
		break
	}
	return ps, true
}

// keywords reads the following words if they are exactly ws.
func (p *sqlParser) keywords(ws ...string) bool {
	save := p.i
	for _, w := range ws {
		if !strings.EqualFold(p.word(), w) {
			p.i = save
			return false
		}
	}
	return true
}

func (p *sqlParser) typ(depth int) *LogicalType {
	if depth > 32 {
		p.fail("nested too deep")
		return nil
	}
	raw := p.word()
	name := strings.ToUpper(raw)
	if name == "" {
		p.fail("want a type at offset %d", p.i)
		return nil
	}
	t := &LogicalType{Nullable: true, Length: -1, Precision: -1, Scale: -1}
	if p.i < len(p.s) && (p.s[p.i] == '.' || p.s[p.i] == '{') {
		// A STRUCTURED type as LogicalType.String prints it:
		// implementation class{name TYPE, …}.
		class := raw
		for p.i < len(p.s) && p.s[p.i] == '.' {
			p.i++
			w := p.word()
			if w == "" {
				p.fail("bad class name at offset %d", p.i)
				return nil
			}
			class += "." + w
		}
		t.Root, t.Class, t.TypeClass = "STRUCTURED_TYPE", ltPkg+"StructuredType", class
		p.expect('{')
		for p.err == nil && !p.peek('}') {
			f := p.rowField(depth, len(t.Fields))
			t.Fields = append(t.Fields, f)
			if !p.peek(',') {
				break
			}
			p.i++
		}
		p.expect('}')
		if p.keywords("NOT", "NULL") {
			t.Nullable = false
		}
		return t
	}
	param := func(def ...int32) []int32 {
		ps, ok := p.params()
		if !ok {
			return def
		}
		if len(ps) > len(def) {
			if len(def) == 1 {
				p.fail("%s takes one parameter at most", name)
			} else {
				p.fail("%s takes %d parameters at most", name, len(def))
			}
			return def
		}
		return append(ps, def[len(ps):]...)
	}
	const maxLen = 1<<31 - 1
	switch name {
	case "BOOLEAN", "TINYINT", "SMALLINT", "BIGINT", "FLOAT", "DOUBLE", "DATE", "NULL":
		t.Root = name
	case "INT", "INTEGER":
		t.Root = "INTEGER"
	case "STRING":
		t.Root, t.Length = "VARCHAR", maxLen
	case "BYTES":
		t.Root, t.Length = "VARBINARY", maxLen
	case "CHAR", "VARCHAR", "BINARY", "VARBINARY":
		t.Root, t.Length = name, param(1)[0]
	case "DECIMAL", "DEC", "NUMERIC":
		ps := param(10, 0)
		t.Root, t.Precision, t.Scale = "DECIMAL", ps[0], ps[1]
	case "TIME":
		t.Root, t.Precision = "TIME_WITHOUT_TIME_ZONE", param(0)[0]
	case "TIMESTAMP":
		t.Root, t.Precision = "TIMESTAMP_WITHOUT_TIME_ZONE", param(6)[0]
		switch {
		case p.keywords("WITH", "LOCAL", "TIME", "ZONE"):
			t.Root = "TIMESTAMP_WITH_LOCAL_TIME_ZONE"
		case p.keywords("WITH", "TIME", "ZONE"):
			t.Root = "TIMESTAMP_WITH_TIME_ZONE"
		case p.keywords("WITHOUT", "TIME", "ZONE"):
		}
	case "TIMESTAMP_LTZ":
		t.Root, t.Precision = "TIMESTAMP_WITH_LOCAL_TIME_ZONE", param(6)[0]
	case "ARRAY", "MULTISET":
		t.Root = name
		p.expect('<')
		t.Children = []*LogicalType{p.typ(depth + 1)}
		p.expect('>')
	case "MAP":
		t.Root = name
		p.expect('<')
		k := p.typ(depth + 1)
		p.expect(',')
		v := p.typ(depth + 1)
		p.expect('>')
		t.Children = []*LogicalType{k, v}
	case "RAW":
		// RAW('class') as LogicalType.String prints it; the serializer
		// is not written.
		t.Root, t.Class = name, ltPkg+"RawType"
		p.expect('(')
		p.expect('\'')
		j := strings.IndexByte(p.s[p.i:], '\'')
		if j < 0 {
			p.fail("unterminated RAW class")
			return nil
		}
		t.TypeClass = p.s[p.i : p.i+j]
		p.i += j + 1
		p.expect(')')
		if p.keywords("NOT", "NULL") {
			t.Nullable = false
		}
		return t
	case "ROW":
		t.Root = name
		p.expect('<')
		for p.err == nil && !p.peek('>') {
			t.Fields = append(t.Fields, p.rowField(depth, len(t.Fields)))
			if !p.peek(',') {
				break
			}
			p.i++
		}
		p.expect('>')
	default:
		p.fail("unsupported type %s", name)
		return nil
	}
	if p.peek('*') {
		p.i++
		t.Kind = strings.ToUpper(p.word())
		p.expect('*')
		if t.Kind != "ROWTIME" && t.Kind != "PROCTIME" {
			p.fail("unknown time attribute *%s*", t.Kind)
		}
	}
	if p.keywords("NOT", "NULL") {
		t.Nullable = false
	}
	t.Class = logicalTypeByRoot[t.Root]
	return t
}

// rowField reads "name TYPE" or a bare TYPE (named f0, f1, … as Flink
// names unnamed fields).
func (p *sqlParser) rowField(depth, idx int) RowField {
	save := p.i
	name := p.word()
	p.space()
	if name != "" && p.i < len(p.s) && p.s[p.i] != ',' && p.s[p.i] != '>' && p.s[p.i] != '(' && p.s[p.i] != '<' && p.s[p.i] != '*' {
		after := p.i
		if t := p.typ(depth + 1); p.err == nil {
			return RowField{Name: name, Type: t}
		}
		p.err, p.i = nil, after
		_ = after
	}
	p.i = save
	return RowField{Name: "f" + strconv.Itoa(idx), Type: p.typ(depth + 1)}
}
