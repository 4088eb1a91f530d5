package metadata

// This file decodes TypeSerializerSnapshots, the descriptions of the
// serializers a state was written with that Flink stores in the headers of
// state files (FORMAT.md §10.5–10.7). The framing is defined by
// flink-core/.../api/common/typeutils/TypeSerializerSnapshot.java
// (writeVersionedSnapshot), TypeSerializerSnapshotSerializationUtil.java
// (the proxy with its version), CompositeTypeSerializerSnapshot.java and
// NestedSerializersSnapshotDelegate.java (nested snapshots), and
// TypeSerializerSerializationUtil.java (the ≤1.6 "resilient" blocks). The
// payload of a snapshot is written by its class and carries no length, so
// only classes this file knows are decoded; the payload of any other class
// is skipped by resynchronising on what must follow it (stateheader.go) and
// the snapshot is marked Opaque.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// SnapshotFamily names what a serializer snapshot was recognised as.
type SnapshotFamily string

// Serializer snapshot families.
const (
	// FamilySimple: a serializer without parameters (Long, String,
	// VoidNamespace, …): SimpleTypeSerializerSnapshot subclasses and their
	// legacy ParameterlessTypeSerializerConfig.
	FamilySimple SnapshotFamily = "simple"
	// FamilyTuple: a Flink Java tuple (TupleSerializerSnapshot); TypeClass
	// is the tuple class, Nested the field serializers.
	FamilyTuple SnapshotFamily = "tuple"
	// FamilyPojo: PojoSerializerSnapshot; TypeClass is the POJO class,
	// FieldNames and Nested its fields, Subclasses the registered and
	// non-registered subclasses.
	FamilyPojo SnapshotFamily = "pojo"
	// FamilyKryo: KryoSerializerSnapshot (generic types); TypeClass is the
	// type, Registrations the registered classes.
	FamilyKryo SnapshotFamily = "kryo"
	// FamilyAvro: AvroSerializerSnapshot; TypeClass is the runtime class
	// and AvroSchema the writer schema.
	FamilyAvro SnapshotFamily = "avro"
	// FamilyRowData: the SQL runtime's RowDataSerializer; LogicalTypes are
	// the field types, Nested the field serializers.
	FamilyRowData SnapshotFamily = "rowdata"
	// FamilyRow: flink-core's RowSerializer (org.apache.flink.types.Row).
	FamilyRow SnapshotFamily = "row"
	// FamilyExternal: the SQL runtime's ExternalSerializer; DataType is
	// the external data type, Nested the internal serializer.
	FamilyExternal SnapshotFamily = "external"
	// FamilyTable: other SQL runtime serializers with parameters
	// (DecimalData, TimestampData, ArrayData, MapData, BinaryRowData, …).
	FamilyTable SnapshotFamily = "table"
	// FamilyList, FamilyMap, FamilyArray: List<E>, Map<K, V> and E[]
	// (ListSerializer, MapSerializer, GenericArraySerializer and relatives).
	FamilyList  SnapshotFamily = "list"
	FamilyMap   SnapshotFamily = "map"
	FamilyArray SnapshotFamily = "array"
	// FamilyEnum: EnumSerializer; TypeClass is the enum, EnumConstants its
	// constants in ordinal order.
	FamilyEnum SnapshotFamily = "enum"
	// FamilyTTL: the wrapper Flink puts around the value serializer of a
	// state with time-to-live (TtlStateFactory$TtlSerializerSnapshot):
	// Nested are the timestamp (Long) and the user value serializer.
	FamilyTTL SnapshotFamily = "ttl"
	// FamilyTimer: TimerSerializer of timer (priority queue) states:
	// Nested are the key and the namespace serializer.
	FamilyTimer SnapshotFamily = "timer"
	// FamilyScala: Scala case classes, tuples, Option, Either, Try and
	// collections.
	FamilyScala SnapshotFamily = "scala"
	// FamilyComposite: another known composite serializer (Either,
	// Nullable, StreamElement, …); Nested are its components.
	FamilyComposite SnapshotFamily = "composite"
	// FamilyGeneric: a serializer of one class (Value, CopyableValue,
	// Writable, Protobuf); TypeClass is the class.
	FamilyGeneric SnapshotFamily = "generic"
	// FamilyJava: only the Java-serialized serializer is stored (Flink 1.2
	// and the key and namespace serializers of ≤1.4 raw timers);
	// SerializerClass and SerializerType describe it.
	FamilyJava SnapshotFamily = "java-serializer"
	// FamilyOpaque: a class this package does not know. Its payload was
	// skipped; Opaque is set.
	FamilyOpaque SnapshotFamily = "opaque"
)

// A SerializerSnapshot is a decoded TypeSerializerSnapshot: the serializer a
// state (or its key, namespace, …) was written with.
//
// Class is the snapshot class as stored (for ≤1.6 state, the legacy
// TypeSerializerConfigSnapshot class). The fields after Nested are set for
// the families that record them (see the Family constants).
type SerializerSnapshot struct {
	Class   string
	Version int32
	Family  SnapshotFamily
	// Nested are the snapshots of the component serializers, in the order
	// the serializer lists them (NestedSerializersSnapshotDelegate).
	Nested []SerializerSnapshot

	// TypeClass is the Java class the serializer handles, where the
	// snapshot names it; for a legacy ParameterlessTypeSerializerConfig it
	// is the serializer's identifier, for a Scala collection
	// (TraversableSerializerSnapshot) the source code of its CanBuildFrom.
	TypeClass string
	// FieldNames are the POJO field names, one per Nested entry.
	FieldNames []string
	// Subclasses are the POJO subclasses known to the serializer.
	Subclasses []string
	// Registrations are the classes registered with Kryo, in order.
	Registrations []string
	// AvroSchema is the Avro writer schema (JSON).
	AvroSchema string
	// EnumConstants are the constants of an enum, in ordinal order.
	EnumConstants []string
	// LogicalTypes are the SQL types of the fields of a RowData, one per
	// Nested entry; ElementType is the element type of an ArrayData and
	// KeyType/ValueType those of a MapData.
	LogicalTypes []*LogicalType
	// DataType is the SQL logical type of an ExternalSerializer.
	DataType *LogicalType
	// Precision and Scale of DecimalData, TimestampData (precision only);
	// Arity is the field count of a BinaryRowData.
	Precision, Scale, Arity int32

	// Legacy marks a ≤1.6 TypeSerializerConfigSnapshot, stored either in
	// a ≤1.6 header or, in 1.7–1.16, through the adapter version
	// 0x7A53C4F0.
	Legacy bool
	// SerializerClass is the class of the Java-serialized serializer that
	// legacy snapshots carry; SerializerType is what that object tells of
	// the type (e.g. "Tuple2<Long, String>"), empty when nothing.
	SerializerClass string
	SerializerType  string

	// Opaque is set when the class (or a part of its payload) is not
	// known and its bytes were skipped rather than decoded; Skipped is how
	// many bytes. Resynced says the skipped length was found by
	// resynchronising on what follows (FORMAT.md §10.7), not read from the
	// file. Note explains anything unusual.
	Opaque   bool
	Resynced bool
	Skipped  int
	Note     string

	// TTLAware is set when the snapshot was stored inside Flink 2.x's
	// TtlAwareSerializerSnapshot (flink-runtime/.../state/ttl/TtlAwareSerializerSnapshot.java:70-73,
	// Flink 2.0: bool isTtlEnabled, then the versioned snapshot it wraps),
	// which the ForSt backend writes around the value serializer of every
	// keyed state (the list element, the map value). The wrapper adds
	// nothing to the type, so this snapshot is the wrapped one and the
	// wrapper is only marked here; TTLAwareEnabled is its isTtlEnabled
	// flag (set exactly when the wrapped snapshot is the TTL wrapper).
	TTLAware, TTLAwareEnabled bool
}

// Magic numbers and versions of the snapshot framing.
const (
	compositeMagic = 911108  // CompositeTypeSerializerSnapshot.MAGIC_NUMBER
	nestedMagic    = 1333245 // NestedSerializersSnapshotDelegate.MAGIC_NUMBER
	nestedVersion  = 1
	// adapterVersion marks a legacy TypeSerializerConfigSnapshot written
	// through TypeSerializerSnapshot.writeVersionedSnapshot
	// (TypeSerializerConfigSnapshot.ADAPTER_VERSION).
	adapterVersion int32 = 0x7A53C4F0
	// optionalMapHeader starts a LinkedOptionalMapSerializer map.
	optionalMapHeader int64 = 0x4F2C69A3D70
	// maxSnapshotDepth bounds the nesting of snapshots.
	maxSnapshotDepth = 64
)

// Well-known Flink class-name prefixes, to keep the tables short.
const (
	pkgBase  = "org.apache.flink.api.common.typeutils.base."
	pkgRt    = "org.apache.flink.api.java.typeutils.runtime."
	pkgTable = "org.apache.flink.table.runtime.typeutils."
	pkgScala = "org.apache.flink.api.scala.typeutils."
	pkgCEP   = "org.apache.flink.cep.nfa."
	// pkgSqnLinked holds the serializers of the SQL sink's
	// SinkUpsertMaterializerV2 MAP state (Flink 2.2+,
	// flink-table-runtime/.../sequencedmultisetstate/linked/).
	pkgSqnLinked = "org.apache.flink.table.runtime.sequencedmultisetstate.linked."
	// pkgTableScala is where Flink 2.0 moved the Scala serializers
	// (flink-table/flink-table-api-scala/.../table/api/typeutils/).
	pkgTableScala = "org.apache.flink.table.api.typeutils."
	pkgGelly      = "org.apache.flink.graph.types.valuearray."
)

// simpleSerializers lists serializers without parameters: the serializer
// class, its snapshot class (a SimpleTypeSerializerSnapshot or another
// snapshot with an empty payload in version ≥ 3) and the type printed.
// Sources: flink-core/.../typeutils/base/*Serializer.java,
// base/array/*.java, flink-runtime/.../state/VoidNamespaceSerializer.java,
// JavaSerializer.java, flink-streaming-java/.../windowing/windows/*.java,
// flink-table-runtime typeutils and window serializers.
var simpleSerializers = []struct{ serializer, snapshot, typ string }{
	{pkgBase + "BooleanSerializer", pkgBase + "BooleanSerializer$BooleanSerializerSnapshot", "Boolean"},
	{pkgBase + "ByteSerializer", pkgBase + "ByteSerializer$ByteSerializerSnapshot", "Byte"},
	{pkgBase + "CharSerializer", pkgBase + "CharSerializer$CharSerializerSnapshot", "Character"},
	{pkgBase + "DoubleSerializer", pkgBase + "DoubleSerializer$DoubleSerializerSnapshot", "Double"},
	{pkgBase + "FloatSerializer", pkgBase + "FloatSerializer$FloatSerializerSnapshot", "Float"},
	{pkgBase + "IntSerializer", pkgBase + "IntSerializer$IntSerializerSnapshot", "Integer"},
	{pkgBase + "LongSerializer", pkgBase + "LongSerializer$LongSerializerSnapshot", "Long"},
	{pkgBase + "ShortSerializer", pkgBase + "ShortSerializer$ShortSerializerSnapshot", "Short"},
	{pkgBase + "StringSerializer", pkgBase + "StringSerializer$StringSerializerSnapshot", "String"},
	{pkgBase + "VoidSerializer", pkgBase + "VoidSerializer$VoidSerializerSnapshot", "Void"},
	{pkgBase + "BigIntSerializer", pkgBase + "BigIntSerializer$BigIntSerializerSnapshot", "BigInteger"},
	{pkgBase + "BigDecSerializer", pkgBase + "BigDecSerializer$BigDecSerializerSnapshot", "BigDecimal"},
	{pkgBase + "DateSerializer", pkgBase + "DateSerializer$DateSerializerSnapshot", "Date"},
	{pkgBase + "SqlDateSerializer", pkgBase + "SqlDateSerializer$SqlDateSerializerSnapshot", "java.sql.Date"},
	{pkgBase + "SqlTimeSerializer", pkgBase + "SqlTimeSerializer$SqlTimeSerializerSnapshot", "java.sql.Time"},
	{pkgBase + "SqlTimestampSerializer", pkgBase + "SqlTimestampSerializer$SqlTimestampSerializerSnapshot", "java.sql.Timestamp"},
	{pkgBase + "InstantSerializer", pkgBase + "InstantSerializer$InstantSerializerSnapshot", "Instant"},
	{pkgBase + "LocalDateSerializer", pkgBase + "LocalDateSerializer$LocalDateSerializerSnapshot", "LocalDate"},
	{pkgBase + "LocalTimeSerializer", pkgBase + "LocalTimeSerializer$LocalTimeSerializerSnapshot", "LocalTime"},
	{pkgBase + "LocalDateTimeSerializer", pkgBase + "LocalDateTimeSerializer$LocalDateTimeSerializerSnapshot", "LocalDateTime"},
	{pkgBase + "BooleanValueSerializer", pkgBase + "BooleanValueSerializer$BooleanValueSerializerSnapshot", "BooleanValue"},
	{pkgBase + "ByteValueSerializer", pkgBase + "ByteValueSerializer$ByteValueSerializerSnapshot", "ByteValue"},
	{pkgBase + "CharValueSerializer", pkgBase + "CharValueSerializer$CharValueSerializerSnapshot", "CharValue"},
	{pkgBase + "DoubleValueSerializer", pkgBase + "DoubleValueSerializer$DoubleValueSerializerSnapshot", "DoubleValue"},
	{pkgBase + "FloatValueSerializer", pkgBase + "FloatValueSerializer$FloatValueSerializerSnapshot", "FloatValue"},
	{pkgBase + "IntValueSerializer", pkgBase + "IntValueSerializer$IntValueSerializerSnapshot", "IntValue"},
	{pkgBase + "LongValueSerializer", pkgBase + "LongValueSerializer$LongValueSerializerSnapshot", "LongValue"},
	{pkgBase + "NullValueSerializer", pkgBase + "NullValueSerializer$NullValueSerializerSnapshot", "NullValue"},
	{pkgBase + "ShortValueSerializer", pkgBase + "ShortValueSerializer$ShortValueSerializerSnapshot", "ShortValue"},
	{pkgBase + "StringValueSerializer", pkgBase + "StringValueSerializer$StringValueSerializerSnapshot", "StringValue"},
	{pkgBase + "array.BooleanPrimitiveArraySerializer", pkgBase + "array.BooleanPrimitiveArraySerializer$BooleanPrimitiveArraySerializerSnapshot", "boolean[]"},
	{pkgBase + "array.BytePrimitiveArraySerializer", pkgBase + "array.BytePrimitiveArraySerializer$BytePrimitiveArraySerializerSnapshot", "byte[]"},
	{pkgBase + "array.CharPrimitiveArraySerializer", pkgBase + "array.CharPrimitiveArraySerializer$CharPrimitiveArraySerializerSnapshot", "char[]"},
	{pkgBase + "array.DoublePrimitiveArraySerializer", pkgBase + "array.DoublePrimitiveArraySerializer$DoublePrimitiveArraySerializerSnapshot", "double[]"},
	{pkgBase + "array.FloatPrimitiveArraySerializer", pkgBase + "array.FloatPrimitiveArraySerializer$FloatPrimitiveArraySerializerSnapshot", "float[]"},
	{pkgBase + "array.IntPrimitiveArraySerializer", pkgBase + "array.IntPrimitiveArraySerializer$IntPrimitiveArraySerializerSnapshot", "int[]"},
	{pkgBase + "array.LongPrimitiveArraySerializer", pkgBase + "array.LongPrimitiveArraySerializer$LongPrimitiveArraySerializerSnapshot", "long[]"},
	{pkgBase + "array.ShortPrimitiveArraySerializer", pkgBase + "array.ShortPrimitiveArraySerializer$ShortPrimitiveArraySerializerSnapshot", "short[]"},
	{pkgBase + "array.StringArraySerializer", pkgBase + "array.StringArraySerializer$StringArraySerializerSnapshot", "String[]"},
	{"org.apache.flink.runtime.state.VoidNamespaceSerializer", "org.apache.flink.runtime.state.VoidNamespaceSerializer$VoidNamespaceSerializerSnapshot", "VoidNamespace"},
	{"org.apache.flink.runtime.state.JavaSerializer", "org.apache.flink.runtime.state.JavaSerializer$JavaSerializerSnapshot", "Java serialization"},
	{"org.apache.flink.api.java.typeutils.runtime.Tuple0Serializer", pkgRt + "Tuple0SerializerSnapshot", "Tuple0"},
	{"org.apache.flink.streaming.api.windowing.windows.GlobalWindow$Serializer", "org.apache.flink.streaming.api.windowing.windows.GlobalWindow$Serializer$GlobalWindowSerializerSnapshot", "GlobalWindow"},
	{"org.apache.flink.streaming.api.windowing.windows.TimeWindow$Serializer", "org.apache.flink.streaming.api.windowing.windows.TimeWindow$Serializer$TimeWindowSerializerSnapshot", "TimeWindow"},
	{"org.apache.flink.table.runtime.operators.window.TimeWindow$Serializer", "org.apache.flink.table.runtime.operators.window.TimeWindow$Serializer$TimeWindowSerializerSnapshot", "TimeWindow"},
	{"org.apache.flink.table.runtime.operators.window.CountWindow$Serializer", "org.apache.flink.table.runtime.operators.window.CountWindow$Serializer$CountWindowSerializerSnapshot", "CountWindow"},
	{pkgTable + "StringDataSerializer", pkgTable + "StringDataSerializer$StringDataSerializerSnapshot", "StringData"},
	{"org.apache.flink.table.dataview.NullSerializer", "org.apache.flink.table.dataview.NullSerializer$NullSerializerSnapshot", "Null"},
	{pkgScala + "UnitSerializer", pkgScala + "UnitSerializer$UnitSerializerSnapshot", "Unit"},
	{pkgCEP + "DeweyNumber$DeweyNumberSerializer", pkgCEP + "DeweyNumber$DeweyNumberSerializer$DeweyNumberSerializerSnapshot", "DeweyNumber"},
	{pkgCEP + "sharedbuffer.EventId$EventIdSerializer", pkgCEP + "sharedbuffer.EventId$EventIdSerializer$EventIdSerializerSnapshot", "EventId"},
	{pkgScala + "NothingSerializer", pkgScala + "NothingSerializerSnapshot", "Nothing"},
	// Flink 2.0 moved the Scala serializers to flink-table-api-scala
	// (table/api/typeutils/UnitSerializer.scala:72-75, NothingSerializer.scala:76, Flink 2.0).
	{pkgTableScala + "UnitSerializer", pkgTableScala + "UnitSerializer$UnitSerializerSnapshot", "Unit"},
	{pkgTableScala + "NothingSerializer", pkgTableScala + "NothingSerializerSnapshot", "Nothing"},
	// VARIANT (Flink 2.1) and BITMAP, both SimpleTypeSerializerSnapshots
	// (flink-core/.../typeutils/base/VariantSerializer.java,
	// BitmapSerializer.java, newest apache/flink source).
	{pkgBase + "VariantSerializer", pkgBase + "VariantSerializer$VariantSerializerSnapshot", "Variant"},
	{pkgBase + "BitmapSerializer", pkgBase + "BitmapSerializer$BitmapSerializerSnapshot", "Bitmap"},
	// The sort key of a process table function's input sort buffer (Flink
	// 2.3: flink-table-runtime/.../operators/sink/SortedLongSerializer.java,
	// a SimpleTypeSerializerSnapshot; a Long with its sign bit flipped, so
	// not LongSerializer's format): "SortedLong", not "Long".
	{"org.apache.flink.table.runtime.operators.sink.SortedLongSerializer", "org.apache.flink.table.runtime.operators.sink.SortedLongSerializer$SortedLongSerializerSnapshot", "SortedLong"},
	// The queryable-state client's copy of VoidNamespaceSerializer
	// (flink-queryable-state-client-java/.../client/VoidNamespaceSerializer.java, Flink 1.x–2.0).
	// Gelly's value arrays (flink-libraries/flink-gelly/.../types/valuearray/*ValueArraySerializer.java:90-92,
	// Flink 1.16; Gelly was removed in 1.17): SimpleTypeSerializerSnapshots.
	{pkgGelly + "ByteValueArraySerializer", pkgGelly + "ByteValueArraySerializer$ByteValueArraySerializerSnapshot", "ByteValueArray"},
	{pkgGelly + "CharValueArraySerializer", pkgGelly + "CharValueArraySerializer$CharValueArraySerializerSnapshot", "CharValueArray"},
	{pkgGelly + "DoubleValueArraySerializer", pkgGelly + "DoubleValueArraySerializer$DoubleValueArraySerializerSnapshot", "DoubleValueArray"},
	{pkgGelly + "FloatValueArraySerializer", pkgGelly + "FloatValueArraySerializer$FloatValueArraySerializerSnapshot", "FloatValueArray"},
	{pkgGelly + "IntValueArraySerializer", pkgGelly + "IntValueArraySerializer$IntValueArraySerializerSnapshot", "IntValueArray"},
	{pkgGelly + "LongValueArraySerializer", pkgGelly + "LongValueArraySerializer$LongValueArraySerializerSnapshot", "LongValueArray"},
	{pkgGelly + "NullValueArraySerializer", pkgGelly + "NullValueArraySerializer$NullValueArraySerializerSnapshot", "NullValueArray"},
	{pkgGelly + "ShortValueArraySerializer", pkgGelly + "ShortValueArraySerializer$ShortValueArraySerializerSnapshot", "ShortValueArray"},
	{pkgGelly + "StringValueArraySerializer", pkgGelly + "StringValueArraySerializer$StringValueArraySerializerSnapshot", "StringValueArray"},
	{"org.apache.flink.queryablestate.client.VoidNamespaceSerializer", "org.apache.flink.queryablestate.client.VoidNamespaceSerializer$VoidNamespaceSerializerSnapshot", "VoidNamespace"},
}

var (
	simpleBySnapshot   = map[string]string{}
	simpleBySerializer = map[string]string{}
)

func init() {
	for _, s := range simpleSerializers {
		simpleBySnapshot[s.snapshot] = s.typ
		simpleBySerializer[s.serializer] = s.typ
		// ParameterlessTypeSerializerConfig identifiers are the class name
		// or, for some serializers, the canonical name (with '.' for '$').
		simpleBySerializer[strings.ReplaceAll(s.serializer, "$", ".")] = s.typ
	}
}

// compositeKind describes a CompositeTypeSerializerSnapshot subclass: its
// family and the outer snapshot it writes before the nested block.
type compositeKind struct {
	family SnapshotFamily
	outer  outerKind
	label  string // how TypeString names it
}

type outerKind int

const (
	outerNone      outerKind = iota // nothing
	outerClassName                  // utf class name (Tuple, case class, GenericArray)
	outerInt                        // i32 (NullableSerializer: null padding length)
	outerRowKind                    // RowSerializer: bool since outer version 4
	outerExternal                   // ExternalSerializer: Java-serialized DataType, bool
	outerFlag                       // a bool from the outer version in flagSince on
	outerUTF                        // one utf string that is not a class (Scala Traversable: the CanBuildFrom code)
)

// flagSince is, for outerFlag snapshots, the first outer snapshot version
// that writes the bool (readOuterSnapshot of each; lines at Flink 2.0):
// LinkedListSerializerSnapshot writes hasNullMask from version 3 (version
// 2 implies true, flink-table-runtime/.../typeutils/LinkedListSerializer.java),
// NFAStateSerializerSnapshot supportsPreviousTimestamp from version 2
// (flink-cep/.../nfa/NFAStateSerializerSnapshot.java:57-64).
var flagSince = map[string]int32{
	pkgTable + "LinkedListSerializer$LinkedListSerializerSnapshot": 3,
	pkgCEP + "NFAStateSerializerSnapshot":                          2,
}

// compositeSnapshots lists the composite snapshot classes this package
// knows, by class (CompositeTypeSerializerSnapshot subclasses: readOuterSnapshot
// of each).
var compositeSnapshots = map[string]compositeKind{
	pkgRt + "TupleSerializerSnapshot":                                                                         {FamilyTuple, outerClassName, ""},
	pkgBase + "ListSerializerSnapshot":                                                                        {FamilyList, outerNone, "List"},
	pkgBase + "MapSerializerSnapshot":                                                                         {FamilyMap, outerNone, "Map"},
	pkgBase + "GenericArraySerializerSnapshot":                                                                {FamilyArray, outerClassName, ""},
	"org.apache.flink.runtime.state.ArrayListSerializerSnapshot":                                              {FamilyList, outerNone, "ArrayList"},
	pkgRt + "EitherSerializerSnapshot":                                                                        {FamilyComposite, outerNone, "Either"},
	pkgRt + "JavaEitherSerializerSnapshot":                                                                    {FamilyComposite, outerNone, "Either"},
	pkgRt + "NullableSerializer$NullableSerializerSnapshot":                                                   {FamilyComposite, outerInt, "Nullable"},
	pkgRt + "RowSerializer$RowSerializerSnapshot":                                                             {FamilyRow, outerRowKind, "Row"},
	"org.apache.flink.runtime.state.ttl.TtlStateFactory$TtlSerializerSnapshot":                                {FamilyTTL, outerNone, "TTL"},
	"org.apache.flink.streaming.api.operators.TimerSerializerSnapshot":                                        {FamilyTimer, outerNone, "Timer"},
	"org.apache.flink.streaming.runtime.streamrecord.StreamElementSerializer$StreamElementSerializerSnapshot": {FamilyComposite, outerNone, "StreamElement"},
	"org.apache.flink.streaming.api.functions.sink.TwoPhaseCommitSinkFunction$StateSerializerSnapshot":        {FamilyComposite, outerNone, "TwoPhaseCommitState"},
	"org.apache.flink.streaming.api.operators.co.IntervalJoinOperator$BufferEntrySerializerSnapshot":          {FamilyComposite, outerNone, "BufferEntry"},
	pkgTable + "ExternalSerializer$ExternalSerializerSnapshot":                                                {FamilyExternal, outerExternal, ""},
	pkgTable + "RawValueDataSerializer$RawValueDataSerializerSnapshot":                                        {FamilyTable, outerNone, "RAW"},
	pkgTable + "LinkedListSerializer$LinkedListSerializerSnapshot":                                            {FamilyList, outerFlag, "LinkedList"},
	// Flink 2.x: the TTL serializer of the async state API (flink-runtime/.../state/v2/ttl/TtlStateFactory.java:400)
	// and TwoPhaseCommitSinkFunction moved to sink.legacy.
	"org.apache.flink.runtime.state.v2.ttl.TtlStateFactory$TtlSerializerSnapshot":                                                     {FamilyTTL, outerNone, "TTL"},
	"org.apache.flink.streaming.api.functions.sink.legacy.TwoPhaseCommitSinkFunction$StateSerializerSnapshot":                         {FamilyComposite, outerNone, "TwoPhaseCommitState"},
	"org.apache.flink.streaming.api.datastream.CoGroupedStreams$UnionSerializerSnapshot":                                              {FamilyComposite, outerNone, "TaggedUnion"},
	"org.apache.flink.api.common.typeutils.SingleThreadAccessCheckingTypeSerializer$SingleThreadAccessCheckingTypeSerializerSnapshot": {FamilyComposite, outerNone, "SingleThreadAccessChecking"},
	// CEP, also behind SQL MATCH_RECOGNIZE (StreamExecMatch): flink-cep/.../nfa/.
	pkgCEP + "NFAStateSerializerSnapshot":                                                                  {FamilyComposite, outerFlag, "NFAState"},
	pkgCEP + "sharedbuffer.LockableTypeSerializerSnapshot":                                                 {FamilyComposite, outerNone, "Lockable"},
	pkgCEP + "sharedbuffer.NodeId$NodeIdSerializer$NodeIdSerializerSnapshot":                               {FamilyComposite, outerNone, "NodeId"},
	pkgCEP + "sharedbuffer.SharedBufferEdge$SharedBufferEdgeSerializer$SharedBufferEdgeSerializerSnapshot": {FamilyComposite, outerNone, "SharedBufferEdge"},
	pkgCEP + "sharedbuffer.SharedBufferNodeSerializerSnapshotV2":                                           {FamilyComposite, outerNone, "SharedBufferNode"},
	pkgTable + "WindowKeySerializer$WindowKeySerializerSnapshot":                                           {FamilyComposite, outerNone, "WindowKey"},
	// The SQL sink's SinkUpsertMaterializerV2 (Flink 2.2+): outer version 0,
	// no outer snapshot (MetaSqnInfoSerializer.java:75-100,
	// RowSqnInfoSerializer.java:75-100, NodeSerializer.java:185-210, 2.3.0).
	pkgSqnLinked + "MetaSqnInfoSerializer$MetaSqnInfoSerializerSnapshot":                     {FamilyComposite, outerNone, "MetaSqnInfo"},
	pkgSqnLinked + "RowSqnInfoSerializer$RowSqnInfoSerializerSnapshot":                       {FamilyComposite, outerNone, "RowSqnInfo"},
	pkgSqnLinked + "NodeSerializer$NodeSerializerSnapshot":                                   {FamilyComposite, outerNone, "Node"},
	"org.apache.flink.table.runtime.typeutils.ListViewSerializer$ListViewSerializerSnapshot": {FamilyList, outerNone, "ListView"},
	"org.apache.flink.table.dataview.ListViewSerializerSnapshot":                             {FamilyList, outerNone, "ListView"},
	"org.apache.flink.table.dataview.MapViewSerializerSnapshot":                              {FamilyMap, outerNone, "MapView"},
	"org.apache.flink.table.dataview.NullAwareMapSerializerSnapshot":                         {FamilyMap, outerNone, "Map"},
	pkgScala + "ScalaCaseClassSerializerSnapshot":                                            {FamilyScala, outerClassName, ""},
	pkgScala + "Tuple2CaseClassSerializerSnapshot":                                           {FamilyScala, outerClassName, ""},
	pkgScala + "ScalaOptionSerializerSnapshot":                                               {FamilyScala, outerNone, "Option"},
	pkgScala + "ScalaEitherSerializerSnapshot":                                               {FamilyScala, outerNone, "Either"},
	pkgScala + "ScalaTrySerializerSnapshot":                                                  {FamilyScala, outerNone, "Try"},
	// Scala collections: the outer snapshot is the utf source code of the
	// CanBuildFrom (TraversableSerializerSnapshot.java:85-87, Flink 1.20
	// flink-scala; :86, Flink 2.0 flink-table-api-scala).
	pkgScala + "TraversableSerializerSnapshot": {FamilyScala, outerUTF, "Traversable"},
	// Flink 2.0 moved the Scala serializers to flink-table-api-scala
	// (flink-table/flink-table-api-scala/src/main/java/org/apache/flink/table/api/typeutils/, Flink 2.0),
	// unchanged in layout.
	pkgTableScala + "ScalaCaseClassSerializerSnapshot":  {FamilyScala, outerClassName, ""},
	pkgTableScala + "Tuple2CaseClassSerializerSnapshot": {FamilyScala, outerClassName, ""},
	pkgTableScala + "ScalaOptionSerializerSnapshot":     {FamilyScala, outerNone, "Option"},
	pkgTableScala + "ScalaEitherSerializerSnapshot":     {FamilyScala, outerNone, "Either"},
	pkgTableScala + "ScalaTrySerializerSnapshot":        {FamilyScala, outerNone, "Try"},
	pkgTableScala + "TraversableSerializerSnapshot":     {FamilyScala, outerUTF, "Traversable"},
	// The legacy planner's CRow (flink-table-planner/.../table/runtime/types/CRowSerializerSnapshot.java,
	// Flink ≤1.13): no outer snapshot, the Row serializer.
	"org.apache.flink.table.runtime.types.CRowSerializerSnapshot": {FamilyComposite, outerNone, "CRow"},
	// SetSerializer (flink-core/.../typeutils/base/SetSerializerSnapshot.java,
	// newest apache/flink source): no outer snapshot, the element serializer.
	pkgBase + "SetSerializerSnapshot": {FamilyComposite, outerNone, "Set"},
	// The 1.7–1.20 snapshot of GenericArraySerializer written before
	// GenericArraySerializerSnapshot: version 2 is the utf component class
	// and a nested block, as a composite of version ≤ 2 reads it
	// (flink-core/.../base/GenericArraySerializerConfigSnapshot.java:72-76, Flink 1.20; removed in 2.0).
	pkgBase + "GenericArraySerializerConfigSnapshot": {FamilyArray, outerClassName, ""},
	// CEP's pre-1.6 NFA and shared buffer, kept for migration: composites
	// without an outer snapshot (flink-cep/.../nfa/NFA.java:982,
	// SharedBuffer.java:157, sharedbuffer/SharedBufferNode.java:168, Flink 1.20).
	pkgCEP + "NFA$MigratedNFASerializerSnapshot":                                                           {FamilyComposite, outerNone, "MigratedNFA"},
	pkgCEP + "SharedBuffer$SharedBufferSerializerSnapshot":                                                 {FamilyComposite, outerNone, "SharedBuffer"},
	pkgCEP + "sharedbuffer.SharedBufferNode$SharedBufferNodeSerializer$SharedBufferNodeSerializerSnapshot": {FamilyComposite, outerNone, "SharedBufferNode"},
}

// legacyComposites are ≤1.6 CompositeTypeSerializerConfigSnapshot
// subclasses whose payload is only the resilient block of their nested
// serializers (CompositeTypeSerializerConfigSnapshot.write).
var legacyComposites = map[string]compositeKind{
	pkgBase + "CollectionSerializerConfigSnapshot":                                                                  {FamilyList, outerNone, "List"},
	pkgBase + "MapSerializerConfigSnapshot":                                                                         {FamilyMap, outerNone, "Map"},
	pkgBase + "ListSerializerConfigSnapshot":                                                                        {FamilyList, outerNone, "List"},
	pkgRt + "EitherSerializerConfigSnapshot":                                                                        {FamilyComposite, outerNone, "Either"},
	pkgRt + "RowSerializer$RowSerializerConfigSnapshot":                                                             {FamilyRow, outerNone, "Row"},
	"org.apache.flink.streaming.api.operators.TimerSerializer$TimerSerializerConfigSnapshot":                        {FamilyTimer, outerNone, "Timer"},
	"org.apache.flink.runtime.state.heap.TimerSerializer$TimerSerializerConfigSnapshot":                             {FamilyTimer, outerNone, "Timer"},
	"org.apache.flink.streaming.runtime.streamrecord.StreamElementSerializer$StreamElementSerializerConfigSnapshot": {FamilyComposite, outerNone, "StreamElement"},
	"org.apache.flink.api.common.typeutils.CompositeSerializer$ConfigSnapshot":                                      {FamilyComposite, outerNone, "Composite"},
	pkgScala + "OptionSerializer$OptionSerializerConfigSnapshot":                                                    {FamilyScala, outerNone, "Option"},
	pkgScala + "EitherSerializer$EitherSerializerConfigSnapshot":                                                    {FamilyScala, outerNone, "Either"},
	pkgScala + "TrySerializer$TrySerializerConfigSnapshot":                                                          {FamilyScala, outerNone, "Try"},
	pkgScala + "TraversableSerializerConfigSnapshot":                                                                {FamilyScala, outerNone, "Traversable"},
	// More CompositeTypeSerializerConfigSnapshot subclasses that do not
	// override write (Flink 1.16: NullableSerializer.java:275,
	// cep/nfa/NFA.java:985, SharedBuffer.java:164, CoGroupedStreams.java:708,
	// TwoPhaseCommitSinkFunction.java:893, IntervalJoinOperator.java:500,
	// ScalaOptionSerializerConfigSnapshot.java:40, ScalaTrySerializerConfigSnapshot.java:37).
	pkgRt + "NullableSerializer$NullableSerializerConfigSnapshot":                                            {FamilyComposite, outerNone, "Nullable"},
	pkgCEP + "NFA$NFASerializerConfigSnapshot":                                                               {FamilyComposite, outerNone, "MigratedNFA"},
	pkgCEP + "SharedBuffer$SharedBufferSerializerConfigSnapshot":                                             {FamilyComposite, outerNone, "SharedBuffer"},
	"org.apache.flink.streaming.api.datastream.CoGroupedStreams$UnionSerializerConfigSnapshot":               {FamilyComposite, outerNone, "TaggedUnion"},
	"org.apache.flink.streaming.api.functions.sink.TwoPhaseCommitSinkFunction$StateSerializerConfigSnapshot": {FamilyComposite, outerNone, "TwoPhaseCommitState"},
	"org.apache.flink.streaming.api.operators.co.IntervalJoinOperator$BufferSerializerConfigSnapshot":        {FamilyComposite, outerNone, "BufferEntry"},
	pkgScala + "ScalaOptionSerializerConfigSnapshot":                                                         {FamilyScala, outerNone, "Option"},
	pkgScala + "ScalaTrySerializerConfigSnapshot":                                                            {FamilyScala, outerNone, "Try"},
}

// genericSnapshots are snapshots whose payload is one utf class name
// (GenericTypeSerializerSnapshot subclasses and relatives).
var genericSnapshots = map[string]string{
	pkgRt + "ValueSerializer$ValueSerializerSnapshot":                                 "Value",
	pkgRt + "CopyableValueSerializer$CopyableValueSerializerSnapshot":                 "CopyableValue",
	"org.apache.flink.api.java.typeutils.WritableTypeInfo$WritableSerializerSnapshot": "Writable",
	pkgRt + "WritableSerializer$WritableSerializerSnapshot":                           "Writable",
	"org.apache.flink.formats.protobuf.ProtobufSerializerSnapshot":                    "Protobuf",
}

// legacyGeneric are ≤1.6 config snapshots whose payload is one utf class
// name (GenericTypeSerializerConfigSnapshot subclasses).
var legacyGeneric = map[string]string{
	pkgRt + "ValueSerializer$ValueSerializerConfigSnapshot":                 "Value",
	pkgRt + "CopyableValueSerializer$CopyableValueSerializerConfigSnapshot": "CopyableValue",
	pkgRt + "WritableSerializer$WritableSerializerConfigSnapshot":           "Writable",
	pkgRt + "AvroSerializer$AvroSerializerConfigSnapshot":                   "Avro",
}

// snapshot decodes a versioned_snapshot (TypeSerializerSnapshot.readVersionedSnapshot):
// utf class, i32 version, payload. bounded says the snapshot is the last
// thing before the end of the reader's current bound, so that an unknown
// payload can be skipped to that bound.
func (h *hdr) snapshot(bounded bool) SerializerSnapshot {
	r := h.r
	var s SerializerSnapshot
	if h.depth >= maxSnapshotDepth {
		r.fail("serializer snapshots nested deeper than %d levels", maxSnapshotDepth)
		return s
	}
	h.depth++
	defer func() { h.depth-- }()
	s.Class = r.className("serializer snapshot class")
	s.Version = r.i32("serializer snapshot version")
	if r.err != nil {
		return s
	}
	r.push("serializer snapshot "+shortClass(s.Class), -1)
	defer r.pop()
	if s.Version == adapterVersion {
		h.adapter(&s, bounded)
		return s
	}
	h.payload(&s, bounded)
	return s
}

// snapshotProxy decodes what TypeSerializerSnapshotSerializationUtil
// writes: i32 proxy version, then a versioned snapshot (version 2, Flink
// 1.7+) or a legacy config snapshot (version 1, ≤1.6).
func (h *hdr) snapshotProxy(bounded bool) SerializerSnapshot {
	r := h.r
	at := r.off
	v := r.i32("serializer snapshot proxy version")
	switch {
	case r.err != nil:
		return SerializerSnapshot{}
	case v == 2:
		return h.snapshot(bounded)
	case v == 1:
		var s SerializerSnapshot
		s.Class = r.className("legacy serializer config snapshot class")
		s.Version = r.i32("legacy serializer config snapshot version")
		if r.err != nil {
			return s
		}
		r.push("serializer config snapshot "+shortClass(s.Class), -1)
		defer r.pop()
		h.legacyConfig(&s, bounded)
		return s
	}
	r.failAt(at, nil, "unknown serializer snapshot proxy version %d (want 1 or 2)", v)
	return SerializerSnapshot{}
}

// adapter decodes a legacy config snapshot written in 1.7–1.16 through
// the adapter: java_serializer, i32 version, config payload.
func (h *hdr) adapter(s *SerializerSnapshot, bounded bool) {
	r := h.r
	h.javaSerializer(s)
	s.Version = r.i32("legacy serializer config snapshot version")
	if r.err != nil {
		return
	}
	h.legacyConfig(s, bounded)
}

// payload decodes the payload of a (non-legacy) snapshot of class s.Class.
func (h *hdr) payload(s *SerializerSnapshot, bounded bool) {
	r := h.r
	if typ, ok := simpleBySnapshot[s.Class]; ok {
		s.Family = FamilySimple
		s.TypeClass = typ
		switch {
		case s.Version >= 3:
		case s.Version == 2:
			// SimpleTypeSerializerSnapshot version 2 wrote the serializer
			// class name.
			r.utf("serializer class name")
		default:
			h.unknown(s, bounded, fmt.Sprintf("version %d of a simple serializer snapshot", s.Version))
		}
		return
	}
	if ck, ok := compositeSnapshots[s.Class]; ok {
		h.composite(s, ck, bounded)
		return
	}
	if label, ok := genericSnapshots[s.Class]; ok {
		s.Family = FamilyGeneric
		s.TypeClass = r.className(label + " class")
		return
	}
	switch s.Class {
	case pkgRt + "PojoSerializerSnapshot":
		h.pojo(s, bounded)
	case pkgRt + "kryo.KryoSerializerSnapshot", pkgRt + "kryo5.KryoSerializerSnapshot":
		h.kryo(s)
	case "org.apache.flink.formats.avro.typeutils.AvroSerializerSnapshot":
		h.avro(s, bounded)
	case ttlAwareSnapshotClass:
		h.ttlAware(s, bounded)
	case pkgScala + "ScalaEnumSerializerSnapshot", pkgTableScala + "ScalaEnumSerializerSnapshot":
		// Scala Enumeration: utf class, i32 n, n × (utf name, i32 id)
		// (flink-scala/.../typeutils/ScalaEnumSerializerSnapshot.scala:45-56, Flink 1.20;
		// flink-table-api-scala/.../ScalaEnumSerializerSnapshot.scala:47-58, Flink 2.0).
		if s.Version != 3 {
			h.unknown(s, bounded, fmt.Sprintf("ScalaEnumSerializerSnapshot version %d", s.Version))
			return
		}
		s.Family = FamilyScala
		s.TypeClass = r.className("Scala enumeration class")
		n := r.count("number of enumeration values", 6)
		for i := 0; i < n && r.err == nil; i++ {
			s.EnumConstants = append(s.EnumConstants, r.utf("enumeration value name"))
			r.i32("enumeration value id")
		}
	case pkgBase + "EnumSerializer$EnumSerializerSnapshot":
		if s.Version != 3 && s.Version != 2 {
			h.unknown(s, bounded, fmt.Sprintf("EnumSerializerSnapshot version %d", s.Version))
			return
		}
		s.Family = FamilyEnum
		s.TypeClass = r.className("enum class")
		n := r.count("number of enum constants", 2)
		for i := 0; i < n && r.err == nil; i++ {
			s.EnumConstants = append(s.EnumConstants, r.utf("enum constant"))
		}
	case pkgTable + "RowDataSerializer$RowDataSerializerSnapshot",
		"org.apache.flink.table.runtime.typeutils.BaseRowSerializer$BaseRowSerializerSnapshot",
		"org.apache.flink.table.runtime.typeutils.serializers.python.RowDataSerializer$RowDataSerializerSnapshot":
		h.rowData(s)
	case pkgTable + "DecimalDataSerializer$DecimalSerializerSnapshot",
		"org.apache.flink.table.runtime.typeutils.DecimalSerializer$DecimalSerializerSnapshot":
		s.Family = FamilyTable
		s.Precision = r.i32("decimal precision")
		s.Scale = r.i32("decimal scale")
	case pkgTable + "TimestampDataSerializer$TimestampDataSerializerSnapshot":
		s.Family = FamilyTable
		s.Precision = r.i32("timestamp precision")
	case pkgTable + "BinaryRowDataSerializer$BinaryRowDataSerializerSnapshot":
		s.Family = FamilyTable
		s.Arity = r.i32("number of fields")
	case pkgTable + "ArrayDataSerializer$ArrayDataSerializerSnapshot":
		// Java-serialized element LogicalType and element serializer.
		s.Family = FamilyTable
		s.LogicalTypes = []*LogicalType{h.javaLogicalType("array element type")}
		h.javaObject("array element serializer")
	case pkgTable + "MapDataSerializer$MapDataSerializerSnapshot":
		// Java-serialized key and value LogicalTypes and serializers.
		s.Family = FamilyTable
		k := h.javaLogicalType("map key type")
		v := h.javaLogicalType("map value type")
		s.LogicalTypes = []*LogicalType{k, v}
		h.javaObject("map key serializer")
		h.javaObject("map value serializer")
	case pkgTable + "SortedMapSerializerSnapshot":
		// A Java-serialized comparator, then the key and value serializers.
		s.Family = FamilyMap
		h.javaObject("sorted map comparator")
		s.Nested = h.nested(bounded)
	case pkgSqnLinked + "RowDataKeySerializerSnapshot":
		// Version 0 (RowDataKeySerializerSnapshot.java:54-64, Flink 2.2.0
		// and 2.3.0): the Java-serialized GeneratedRecordEqualiser and
		// GeneratedHashFunction, each after its i32 length
		// (InstantiationUtil.serializeObject), then the versioned snapshot
		// of the row serializer.
		if s.Version != 0 {
			h.unknown(s, bounded, fmt.Sprintf("RowDataKeySerializerSnapshot version %d", s.Version))
			return
		}
		s.Family = FamilyComposite
		h.javaBlock("row key equaliser")
		h.javaBlock("row key hash function")
		if r.err != nil {
			return
		}
		inner := h.snapshot(bounded)
		if r.err != nil {
			return
		}
		s.Nested = []SerializerSnapshot{inner}
	default:
		if p := r.off; p+4 <= len(r.b) && int32(binary.BigEndian.Uint32(r.b[p:])) == compositeMagic {
			// An unknown CompositeTypeSerializerSnapshot: its outer payload
			// is unknown, but the nested serializers can be read after it.
			h.composite(s, compositeKind{family: FamilyOpaque, outer: -1}, bounded)
			s.Opaque = true
			return
		}
		h.unknown(s, bounded, "")
	}
}

// ttlAwareSnapshotClass is Flink 2.x's TtlAwareSerializerSnapshot.
const ttlAwareSnapshotClass = "org.apache.flink.runtime.state.ttl.TtlAwareSerializerSnapshot"

// ttlAware decodes TtlAwareSerializerSnapshot version 1: bool isTtlEnabled,
// then the wrapped versioned snapshot, which replaces s (marked TTLAware).
func (h *hdr) ttlAware(s *SerializerSnapshot, bounded bool) {
	r := h.r
	if s.Version != 1 {
		h.unknown(s, bounded, fmt.Sprintf("TtlAwareSerializerSnapshot version %d", s.Version))
		return
	}
	enabled := r.bool("TTL enabled flag")
	inner := h.snapshot(bounded)
	if r.err != nil {
		return
	}
	*s = inner
	s.TTLAware, s.TTLAwareEnabled = true, enabled
}

// unknown skips the payload of a snapshot whose class (or version) is not
// known: to the bound when the snapshot is the last thing before it, by
// the length resynchronisation decided for this offset otherwise, or it
// stops the parse so that the driver can search for that length.
func (h *hdr) unknown(s *SerializerSnapshot, bounded bool, why string) {
	r := h.r
	if r.err != nil {
		return
	}
	if s.Family == "" {
		s.Family = FamilyOpaque
	}
	s.Opaque = true
	if why != "" {
		s.Note = "unknown " + why
	}
	if bounded {
		s.Skipped = len(r.b) - r.off
		r.off = len(r.b)
		return
	}
	if k, ok := h.skips[r.off]; ok {
		s.Skipped = k
		s.Resynced = true
		r.take(k, "skipped payload")
		return
	}
	h.needSkip(s.Class)
}

// composite decodes a CompositeTypeSerializerSnapshot payload: for
// versions > 2 i32 magic, i32 outer version, outer snapshot; for legacy
// versions ≤ 2 the outer snapshot alone; then the nested block.
func (h *hdr) composite(s *SerializerSnapshot, ck compositeKind, bounded bool) {
	r := h.r
	s.Family = ck.family
	outerVersion := s.Version
	if s.Version > 2 || ck.outer < 0 {
		at := r.off
		if m := r.i32("composite snapshot magic number"); r.err == nil && m != compositeMagic {
			r.failAt(at, nil, "bad composite serializer snapshot magic number %#x (want %#x)", m, compositeMagic)
			return
		}
		outerVersion = r.i32("outer snapshot version")
	} else if p := r.off; p+4 <= len(r.b) && int32(binary.BigEndian.Uint32(r.b[p:])) == nestedMagic {
		// 1.7-era snapshots of version ≤ 2 wrote only the nested block.
		ck.outer = outerNone
	}
	switch ck.outer {
	case outerNone:
	case outerClassName:
		s.TypeClass = r.className("outer snapshot class name")
	case outerUTF:
		// Kept in TypeClass (the code that builds the collection).
		s.TypeClass = r.utf("outer snapshot string")
	case outerInt:
		r.i32("outer snapshot value")
	case outerRowKind:
		if outerVersion >= 4 {
			r.bool("row kind flag")
		}
	case outerFlag:
		if outerVersion >= flagSince[s.Class] {
			r.bool("outer snapshot flag")
		}
	case outerExternal:
		s.DataType = h.javaDataType("external data type")
		r.bool("internal input flag")
	default:
		// Unknown outer snapshot: resynchronise on the nested block.
		if k, ok := h.skips[r.off]; ok {
			s.Skipped = k
			s.Resynced = true
			s.Note = "unknown outer snapshot skipped"
			r.take(k, "skipped outer snapshot")
		} else if r.err == nil {
			h.needSkip(s.Class)
			return
		}
	}
	s.Nested = h.nested(bounded)
}

// nested decodes a NestedSerializersSnapshotDelegate block.
func (h *hdr) nested(bounded bool) []SerializerSnapshot {
	r := h.r
	at := r.off
	if m := r.i32("nested serializers magic number"); r.err == nil && m != nestedMagic {
		r.failAt(at, nil, "bad nested serializers magic number %#x (want %#x)", m, nestedMagic)
		return nil
	}
	at = r.off
	if v := r.i32("nested serializers version"); r.err == nil && v != nestedVersion {
		r.failAt(at, nil, "unknown nested serializers version %d", v)
		return nil
	}
	// Each nested snapshot takes at least 6 bytes (empty class name, version).
	n := r.count("number of nested serializers", 6)
	var out []SerializerSnapshot
	for i := 0; i < n && r.err == nil; i++ {
		r.push("nested serializer", i)
		out = append(out, h.snapshot(bounded && i == n-1))
		r.pop()
	}
	return out
}

// pojo decodes PojoSerializerSnapshotData (version 2): utf class, then
// three LinkedOptionalMaps whose values are framed versioned snapshots:
// fields, registered subclasses, non-registered subclasses.
func (h *hdr) pojo(s *SerializerSnapshot, bounded bool) {
	r := h.r
	if s.Version != 2 {
		h.unknown(s, bounded, fmt.Sprintf("PojoSerializerSnapshot version %d", s.Version))
		return
	}
	s.Family = FamilyPojo
	s.TypeClass = r.className("POJO class")
	h.optionalMap("POJO fields", func(name string, v *SerializerSnapshot) {
		s.FieldNames = append(s.FieldNames, name)
		if v == nil {
			v = &SerializerSnapshot{Family: FamilyOpaque, Opaque: true, Note: "field serializer snapshot absent"}
		}
		s.Nested = append(s.Nested, *v)
	}, true)
	for _, what := range []string{"POJO registered subclasses", "POJO non-registered subclasses"} {
		h.optionalMap(what, func(name string, _ *SerializerSnapshot) {
			s.Subclasses = append(s.Subclasses, name)
		}, true)
	}
}

// optionalMap decodes a LinkedOptionalMapSerializer map: i64 header, i32
// n, n × (utf name, bool [i32 len, key bytes], bool [i32 len, value bytes]).
// When snapshots is set the value frames hold versioned snapshots, which
// are decoded; otherwise values are skipped.
func (h *hdr) optionalMap(what string, fn func(name string, v *SerializerSnapshot), snapshots bool) {
	r := h.r
	r.push(what, -1)
	defer r.pop()
	at := r.off
	if m := r.i64("optional map header"); r.err == nil && m != optionalMapHeader {
		r.failAt(at, nil, "bad optional map header %#x (want %#x)", m, optionalMapHeader)
		return
	}
	// Each entry takes at least 4 bytes (empty name, two false flags).
	n := r.count("number of entries", 4)
	for i := 0; i < n && r.err == nil; i++ {
		name := r.utf("entry name")
		if r.bool("key present") {
			h.frame("key", func() { r.off = len(r.b) })
		}
		var v *SerializerSnapshot
		if r.bool("value present") {
			h.frame("value", func() {
				if !snapshots {
					r.off = len(r.b)
					return
				}
				ss := h.snapshot(true)
				v = &ss
			})
		}
		if r.err == nil {
			fn(name, v)
		}
	}
}

// frame runs fn over an i32-length-prefixed frame, which it must consume
// exactly.
func (h *hdr) frame(what string, fn func()) {
	r := h.r
	at := r.off
	n := r.count(what+" frame length", 1)
	if r.err != nil {
		return
	}
	end := r.off + n
	h.within(end, fn)
	if r.err == nil && r.off != end {
		r.failAt(at, nil, "%s frame of %d bytes holds %d bytes more than its content", what, n, end-r.off)
	}
	if r.err == nil {
		r.off = end
	}
}

// within runs fn with the reader bounded to end (an absolute offset ≤ the
// current bound), restoring the bound afterwards. Offsets stay absolute.
// javaBlock reads one Java-serialized object after its i32 length, which
// it must fill exactly.
func (h *hdr) javaBlock(what string) {
	r := h.r
	at := r.off
	n := r.i32(what + " length")
	if r.err != nil {
		return
	}
	if n < 0 || int64(n) > int64(len(r.b)-r.off) {
		r.failAt(at, nil, "%s length %d, but %d bytes are left", what, n, len(r.b)-r.off)
		return
	}
	end := r.off + int(n)
	h.within(end, func() {
		h.javaObject(what)
		if r.err == nil && r.off != end {
			r.fail("%d bytes after the %s", end-r.off, what)
		}
	})
}

func (h *hdr) within(end int, fn func()) {
	r := h.r
	full := r.b
	r.b = r.b[:end]
	defer func() { r.b = full }()
	fn()
}

// kryo decodes KryoSerializerSnapshotData: utf type class, then three
// optional maps: registrations, default serializers, default serializer
// classes.
func (h *hdr) kryo(s *SerializerSnapshot) {
	r := h.r
	s.Family = FamilyKryo
	s.TypeClass = r.className("Kryo type class")
	h.optionalMap("Kryo registrations", func(name string, _ *SerializerSnapshot) {
		s.Registrations = append(s.Registrations, name)
	}, false)
	h.optionalMap("Kryo default serializers", func(string, *SerializerSnapshot) {}, false)
	h.optionalMap("Kryo default serializer classes", func(string, *SerializerSnapshot) {}, false)
}

// avro decodes AvroSerializerSnapshot: version 1 the schema, version 2
// the runtime class and the schema, both utf; version 3 (Flink 1.17 on, so
// every savepoint of 1.18 to 2.2: AvroSerializerSnapshot.writeSnapshot) the
// same two as StringUtils.writeString strings, which take schemas over 64 KB.
func (h *hdr) avro(s *SerializerSnapshot, bounded bool) {
	r := h.r
	switch s.Version {
	case 1:
		s.AvroSchema = r.utf("Avro schema")
	case 2:
		s.TypeClass = r.className("Avro runtime class")
		s.AvroSchema = r.utf("Avro schema")
	case 3:
		s.TypeClass = javaName(r.stringValue("Avro runtime class"))
		s.AvroSchema = r.stringValue("Avro schema")
	default:
		h.unknown(s, bounded, fmt.Sprintf("AvroSerializerSnapshot version %d", s.Version))
		return
	}
	s.Family = FamilyAvro
}

// rowData decodes RowDataSerializerSnapshot: i32 n, n Java-serialized
// LogicalTypes (each a stream of its own), the nested block.
func (h *hdr) rowData(s *SerializerSnapshot) {
	r := h.r
	s.Family = FamilyRowData
	// A Java stream takes at least 5 bytes (header and one type code).
	n := r.count("number of row fields", 5)
	for i := 0; i < n && r.err == nil; i++ {
		r.push("row field type", i)
		s.LogicalTypes = append(s.LogicalTypes, h.javaLogicalType("logical type"))
		r.pop()
	}
	s.Nested = h.nested(false)
}

// javaSerializer reads a ≤1.6 java_serializer (TypeSerializerSerializationProxy):
// i32 version 1, i32 length, a Java-serialized TypeSerializer. It notes the
// serializer class and what it tells of the type in s.
func (h *hdr) javaSerializer(s *SerializerSnapshot) {
	r := h.r
	at := r.off
	if v := r.i32("serializer proxy version"); r.err == nil && v != 1 {
		r.failAt(at, nil, "unknown serializer proxy version %d (want 1)", v)
		return
	}
	n := r.count("Java-serialized serializer length", 1)
	p := r.take(n, "Java-serialized serializer")
	if r.err != nil {
		return
	}
	s.Legacy = true
	v, err := decodeJavaStream(p)
	if err != nil {
		s.SerializerClass = firstJavaClass(p)
		return
	}
	if o, ok := v.(*jsObject); ok {
		s.SerializerClass = o.Class.Name
	}
	s.SerializerType = javaSerializerType(v, &javaWalk{})
}

// legacyConfig decodes the payload of a ≤1.6 TypeSerializerConfigSnapshot
// of class s.Class (its VersionedIOReadableWritable version already read).
func (h *hdr) legacyConfig(s *SerializerSnapshot, bounded bool) {
	r := h.r
	s.Legacy = true
	if ck, ok := legacyComposites[s.Class]; ok {
		s.Family = ck.family
		s.Nested = h.resilient(-1)
		return
	}
	if label, ok := legacyGeneric[s.Class]; ok {
		s.Family = FamilyGeneric
		if label == "Avro" {
			s.Family = FamilyAvro
		}
		s.TypeClass = r.className(label + " class")
		return
	}
	switch s.Class {
	case "org.apache.flink.api.common.typeutils.ParameterlessTypeSerializerConfig":
		s.Family = FamilySimple
		s.TypeClass = r.utf("serializer identifier")
	case pkgRt + "TupleSerializerConfigSnapshot":
		s.Family = FamilyTuple
		s.Nested = h.resilient(-1)
		if c, ok := h.javaObject("tuple class").(*jsClass); ok && c.Class != nil {
			s.TypeClass = c.Class.Name
		}
	case pkgBase + "EnumSerializer$EnumSerializerConfigSnapshot":
		s.Family = FamilyEnum
		s.TypeClass = r.className("enum class")
		n := r.count("number of enum constants", 2)
		for i := 0; i < n && r.err == nil; i++ {
			s.EnumConstants = append(s.EnumConstants, r.utf("enum constant"))
		}
	default:
		h.unknown(s, bounded, "")
	}
}

// resilient decodes a ≤1.6 resilient block
// (TypeSerializerSerializationUtil.writeSerializersAndConfigsWithResilience):
// i32 n, n × (i32 serializer offset, i32 config offset), i32 length, then
// a blob holding each java_serializer and its config snapshot proxy at
// those offsets. want, when ≥ 0, is the number of entries required.
func (h *hdr) resilient(want int) []SerializerSnapshot {
	r := h.r
	r.push("legacy serializers", -1)
	defer r.pop()
	at := r.off
	n := r.count("number of serializers", 8)
	if r.err == nil && want >= 0 && n != want {
		r.failAt(at, nil, "%d serializers where %d belong", n, want)
		return nil
	}
	type pair struct{ ser, cfg int }
	offs := make([]pair, n)
	for i := range offs {
		offs[i].ser = int(r.i32("serializer offset"))
		offs[i].cfg = int(r.i32("config snapshot offset"))
	}
	total := r.count("serializers length", 1)
	if r.err != nil {
		return nil
	}
	base := r.off
	end := base + total
	if end > len(r.b) {
		r.failAt(at, nil, "serializers length %d exceeds the %d bytes left", total, len(r.b)-base)
		return nil
	}
	out := make([]SerializerSnapshot, n)
	for i, p := range offs {
		next := total
		if i+1 < n {
			next = offs[i+1].ser
		}
		if p.ser < 0 || p.ser > p.cfg || p.cfg > next || next > total {
			r.failAt(at, nil, "serializer %d: offsets %d, %d out of order or outside the %d bytes", i, p.ser, p.cfg, total)
			return nil
		}
		r.push("legacy serializer", i)
		s := &out[i]
		r.off = base + p.ser
		h.within(base+p.cfg, func() {
			h.javaSerializer(s)
			if r.err == nil && r.off != base+p.cfg {
				r.fail("%d bytes after the Java-serialized serializer", base+p.cfg-r.off)
			}
		})
		serClass, serType := s.SerializerClass, s.SerializerType
		r.off = base + p.cfg
		if r.err == nil {
			if p.cfg == next {
				s.Family, s.Opaque, s.Note = FamilyOpaque, true, "no config snapshot"
			} else {
				h.boundedSnapshot(s, base+next)
			}
		}
		s.SerializerClass, s.SerializerType, s.Legacy = serClass, serType, true
		r.off = base + next
		r.pop()
	}
	if r.err == nil {
		r.off = end
	}
	return out
}

// boundedSnapshot decodes the snapshot proxy that fills [r.off, end). A
// snapshot that does not decode within its bounds is kept as an opaque
// one: its length is known, so the rest of the header is unaffected.
func (h *hdr) boundedSnapshot(s *SerializerSnapshot, end int) {
	r := h.r
	start := r.off
	savedPath := len(r.path)
	h.within(end, func() {
		*s = h.snapshotProxy(true)
		if r.err == nil && r.off != end {
			r.fail("%d bytes after the serializer config snapshot", end-r.off)
		}
	})
	if r.err != nil {
		var ns *needSkip
		if errors.As(r.err, &ns) || isFormatError(r.err) {
			note := r.err.Error()
			r.err = nil
			r.path = r.path[:savedPath]
			class := s.Class
			*s = SerializerSnapshot{Class: class, Family: FamilyOpaque, Opaque: true, Skipped: end - start,
				Note: "not decoded: " + note}
		}
	}
	r.off = end
}

func isFormatError(err error) bool {
	var fe *FormatError
	return errors.As(err, &fe)
}

// javaObject reads one Java serialization stream (stream header and one
// object, as InstantiationUtil.serializeObject writes) and returns its
// tree.
func (h *hdr) javaObject(what string) any {
	r := h.r
	if r.err != nil {
		return nil
	}
	key := [2]int{r.off, len(r.b)}
	res, ok := h.java[key]
	if !ok {
		res.v, res.n, res.err = decodeJavaPrefix(r.b[r.off:])
		if h.java != nil {
			h.java[key] = res
		}
	}
	v, n, err := res.v, res.n, res.err
	if err != nil {
		var pe *propsError
		if errors.As(err, &pe) {
			r.failAt(r.off+int(pe.Offset), nil, "%s: %s", what, pe.Msg)
		} else {
			r.failAt(r.off, nil, "%s: %v", what, err)
		}
		return nil
	}
	r.off += n
	return v
}

// javaLogicalType reads a Java-serialized LogicalType.
func (h *hdr) javaLogicalType(what string) *LogicalType {
	v := h.javaObject(what)
	if h.r.err != nil {
		return nil
	}
	return logicalTypeFromJava(v, &javaWalk{})
}

// javaDataType reads a Java-serialized DataType and returns its logical
// type.
func (h *hdr) javaDataType(what string) *LogicalType {
	v := h.javaObject(what)
	if h.r.err != nil {
		return nil
	}
	o, ok := v.(*jsObject)
	if !ok {
		return &LogicalType{Class: jsKind(v)}
	}
	if lt, ok := o.field("logicalType"); ok {
		return logicalTypeFromJava(lt, &javaWalk{})
	}
	return &LogicalType{Class: o.Class.Name}
}

// decodeJavaPrefix parses one Java serialization stream holding one object
// at the start of b and returns its tree and length.
func decodeJavaPrefix(b []byte) (any, int, error) {
	d := &jsDecoder{b: b}
	magic, err := d.u16("stream magic")
	if err != nil {
		return nil, 0, err
	}
	if magic != jsMagic {
		return nil, 0, d.fail(0, "bad stream magic %#04x", magic)
	}
	version, err := d.u16("stream version")
	if err != nil {
		return nil, 0, err
	}
	if version != jsVersion {
		return nil, 0, d.fail(2, "unsupported stream version %d", version)
	}
	v, err := d.object("top-level object")
	if err != nil {
		return nil, 0, err
	}
	return v, d.off, nil
}

// firstJavaClass returns the first class name of a Java serialization
// stream that could not be parsed in full, or "".
func firstJavaClass(b []byte) string {
	for i := 0; i+3 < len(b); i++ {
		if b[i] == jsTCClassDesc {
			n := int(binary.BigEndian.Uint16(b[i+1:]))
			if i+3+n <= len(b) {
				if s, bad := javaUTF(b[i+3 : i+3+n]); bad < 0 {
					return s
				}
			}
			return ""
		}
	}
	return ""
}

// shortClass drops the package of a class name.
func shortClass(c string) string {
	if i := strings.LastIndexByte(c, '.'); i >= 0 {
		return c[i+1:]
	}
	return c
}

// TypeString renders the type the snapshot describes, e.g. "Long",
// "Tuple2<String, Long>", "POJO com.x.Order{id: Long, items: List<String>}",
// "Avro record com.x.Event", "ROW<BIGINT, STRING>", "Kryo com.x.Foo" or
// "TTL(Long)". A class this package does not know prints as
// "opaque(<class>)".
func (s *SerializerSnapshot) TypeString() string {
	return s.typeString(0)
}

func (s *SerializerSnapshot) typeString(depth int) string {
	if depth > maxSnapshotDepth {
		return "…"
	}
	nested := func(sep string) string {
		parts := make([]string, len(s.Nested))
		for i := range s.Nested {
			parts[i] = s.Nested[i].typeString(depth + 1)
		}
		return strings.Join(parts, sep)
	}
	generic := func(name string) string {
		if len(s.Nested) == 0 {
			return name
		}
		return name + "<" + nested(", ") + ">"
	}
	switch s.Family {
	case FamilySimple:
		if t, ok := simpleBySerializer[s.TypeClass]; ok {
			return t
		}
		if s.TypeClass != "" {
			return shortClass(s.TypeClass)
		}
		return shortClass(s.Class)
	case FamilyTuple:
		name := "Tuple"
		if s.TypeClass != "" {
			name = shortClass(s.TypeClass)
		} else if s.SerializerType != "" && len(s.Nested) == 0 {
			return s.SerializerType
		}
		return generic(name)
	case FamilyPojo:
		var b strings.Builder
		b.WriteString("POJO ")
		b.WriteString(s.TypeClass)
		b.WriteString("{")
		for i := range s.Nested {
			if i > 0 {
				b.WriteString(", ")
			}
			if i < len(s.FieldNames) {
				b.WriteString(s.FieldNames[i])
				b.WriteString(": ")
			}
			b.WriteString(s.Nested[i].typeString(depth + 1))
		}
		b.WriteString("}")
		return b.String()
	case FamilyKryo:
		return "Kryo " + s.TypeClass
	case FamilyAvro:
		name := avroRecordName(s.AvroSchema)
		switch {
		case name == "" && s.TypeClass != "":
			return "Avro " + s.TypeClass
		case name == "":
			return "Avro"
		case s.TypeClass != "" && s.TypeClass != name:
			return "Avro record " + name + " (" + shortClass(s.TypeClass) + ")"
		}
		return "Avro record " + name
	case FamilyRowData:
		parts := make([]string, len(s.LogicalTypes))
		for i, t := range s.LogicalTypes {
			parts[i] = t.String()
		}
		return "ROW<" + strings.Join(parts, ", ") + ">"
	case FamilyExternal:
		if s.DataType != nil {
			return s.DataType.String()
		}
		return generic("External")
	case FamilyRow:
		return generic("Row")
	case FamilyList, FamilyMap:
		label := compositeLabel(s.Class)
		if label == "" {
			label = map[SnapshotFamily]string{FamilyList: "List", FamilyMap: "Map"}[s.Family]
		}
		if len(s.Nested) == 0 && s.SerializerType != "" {
			return s.SerializerType
		}
		return generic(label)
	case FamilyArray:
		if len(s.Nested) == 1 {
			return s.Nested[0].typeString(depth+1) + "[]"
		}
		return shortClass(s.TypeClass) + "[]"
	case FamilyEnum:
		return "Enum " + s.TypeClass
	case FamilyTTL:
		if len(s.Nested) == 2 {
			return "TTL(" + s.Nested[1].typeString(depth+1) + ")"
		}
		return "TTL(" + nested(", ") + ")"
	case FamilyTimer:
		return generic("Timer")
	case FamilyScala:
		if strings.HasSuffix(s.Class, "ScalaEnumSerializerSnapshot") {
			return "Enumeration " + s.TypeClass
		}
		label := compositeLabel(s.Class)
		if label != "" {
			return generic(label)
		}
		if strings.HasPrefix(s.TypeClass, "scala.Tuple") {
			return "(" + nested(", ") + ")"
		}
		if s.TypeClass != "" {
			return s.TypeClass + "(" + nested(", ") + ")"
		}
		return generic("CaseClass")
	case FamilyTable:
		switch {
		case strings.Contains(s.Class, "DecimalData") || strings.Contains(s.Class, "DecimalSerializer"):
			return fmt.Sprintf("DECIMAL(%d, %d)", s.Precision, s.Scale)
		case strings.Contains(s.Class, "TimestampData"):
			return fmt.Sprintf("TIMESTAMP(%d)", s.Precision)
		case strings.Contains(s.Class, "BinaryRowData"):
			return fmt.Sprintf("BinaryRowData(%d fields)", s.Arity)
		case strings.Contains(s.Class, "ArrayData") && len(s.LogicalTypes) == 1:
			return "ARRAY<" + s.LogicalTypes[0].String() + ">"
		case strings.Contains(s.Class, "MapData") && len(s.LogicalTypes) == 2:
			return "MAP<" + s.LogicalTypes[0].String() + ", " + s.LogicalTypes[1].String() + ">"
		}
		return generic(compositeLabelOr(s.Class))
	case FamilyComposite:
		return generic(compositeLabelOr(s.Class))
	case FamilyGeneric:
		return s.TypeClass
	case FamilyJava:
		if s.SerializerType != "" {
			return s.SerializerType
		}
		return shortClass(s.SerializerClass)
	}
	if s.SerializerType != "" {
		return s.SerializerType
	}
	if len(s.Nested) > 0 {
		return "opaque(" + s.Class + ")<" + nested(", ") + ">"
	}
	return "opaque(" + s.Class + ")"
}

func compositeLabel(class string) string {
	switch class {
	case pkgTable + "SortedMapSerializerSnapshot":
		return "SortedMap"
	case pkgSqnLinked + "RowDataKeySerializerSnapshot":
		return "RowDataKey"
	}
	if ck, ok := compositeSnapshots[class]; ok && ck.label != "" {
		return ck.label
	}
	if ck, ok := legacyComposites[class]; ok && ck.label != "" {
		return ck.label
	}
	return ""
}

func compositeLabelOr(class string) string {
	if l := compositeLabel(class); l != "" {
		return l
	}
	return shortClass(class)
}

// avroRecordName returns the full name of the top-level named type of an
// Avro schema (JSON), without a JSON parser: "namespace" and "name" of the
// outermost object. It returns "" when the schema is not a named type.
func avroRecordName(schema string) string {
	depth := 0
	var name, ns string
	for i := 0; i < len(schema); i++ {
		switch c := schema[i]; c {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case '"':
			j := i + 1
			for j < len(schema) && schema[j] != '"' {
				if schema[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(schema) {
				return ""
			}
			key := schema[i+1 : j]
			i = j
			if depth != 1 {
				continue
			}
			k := i + 1
			for k < len(schema) && (schema[k] == ' ' || schema[k] == ':') {
				k++
			}
			if k >= len(schema) || schema[k] != '"' || (key != "name" && key != "namespace") {
				continue
			}
			e := k + 1
			for e < len(schema) && schema[e] != '"' {
				e++
			}
			if e >= len(schema) {
				return ""
			}
			if key == "name" {
				name = schema[k+1 : e]
			} else {
				ns = schema[k+1 : e]
			}
			i = e
		}
	}
	if name == "" || strings.Contains(name, ".") || ns == "" {
		return name
	}
	return ns + "." + name
}

// javaSerializerType derives a type from a Java-serialized TypeSerializer
// object tree (≤1.6 state), e.g. TupleSerializer{tupleClass Tuple2,
// fieldSerializers [LongSerializer, StringSerializer]} gives
// "Tuple2<Long, String>". It returns "" when the object says nothing known.
func javaSerializerType(v any, w *javaWalk) string {
	o, ok := v.(*jsObject)
	if !ok || !w.enter() {
		return ""
	}
	defer w.leave()
	class := o.Class.Name
	if t, ok := simpleBySerializer[class]; ok {
		return t
	}
	list := func(field string) []string {
		a, ok := fieldValue(o, field).(*jsArray)
		if !ok {
			return nil
		}
		var out []string
		for _, e := range a.Elems {
			t := javaSerializerType(e, w)
			if t == "" {
				t = "?"
			}
			out = append(out, t)
		}
		return out
	}
	one := func(field string) string {
		t := javaSerializerType(fieldValue(o, field), w)
		if t == "" {
			return "?"
		}
		return t
	}
	switch class {
	case pkgRt + "TupleSerializer", pkgScala + "CaseClassSerializer":
		name := "Tuple"
		if c := javaClassName(fieldValue(o, "tupleClass")); c != "" {
			name = shortClass(c)
		} else if c := javaClassName(fieldValue(o, "clazz")); c != "" {
			name = c
		}
		return name + "<" + strings.Join(list("fieldSerializers"), ", ") + ">"
	case pkgRt + "PojoSerializer":
		return "POJO " + javaClassName(fieldValue(o, "clazz"))
	case pkgRt + "kryo.KryoSerializer":
		return "Kryo " + javaClassName(fieldValue(o, "type"))
	case pkgRt + "AvroSerializer", "org.apache.flink.formats.avro.typeutils.AvroSerializer":
		return "Avro " + javaClassName(fieldValue(o, "type"))
	case pkgBase + "ListSerializer":
		return "List<" + one("elementSerializer") + ">"
	case "org.apache.flink.runtime.state.ArrayListSerializer":
		return "ArrayList<" + one("elementSerializer") + ">"
	case pkgBase + "MapSerializer", "org.apache.flink.runtime.state.HashMapSerializer":
		return "Map<" + one("keySerializer") + ", " + one("valueSerializer") + ">"
	case pkgBase + "EnumSerializer":
		return "Enum " + javaClassName(fieldValue(o, "enumClass"))
	case pkgBase + "GenericArraySerializer":
		return one("componentSerializer") + "[]"
	case pkgRt + "RowSerializer":
		return "Row<" + strings.Join(list("fieldSerializers"), ", ") + ">"
	case pkgRt + "ValueSerializer", pkgRt + "CopyableValueSerializer", pkgRt + "WritableSerializer":
		return javaClassName(fieldValue(o, "type"))
	case "org.apache.flink.streaming.api.operators.TimerSerializer",
		"org.apache.flink.runtime.state.heap.TimerSerializer":
		return "Timer<" + one("keySerializer") + ", " + one("namespaceSerializer") + ">"
	case pkgScala + "OptionSerializer":
		return "Option<" + one("elemSerializer") + ">"
	}
	return ""
}

// javaWalk bounds the work of mapping a Java object tree: back references
// let a small stream describe a tree of exponential size.
type javaWalk struct{ depth, nodes int }

const (
	maxJavaWalkDepth = 32
	maxJavaWalkNodes = 4096
)

func (w *javaWalk) enter() bool {
	if w.depth >= maxJavaWalkDepth || w.nodes >= maxJavaWalkNodes {
		return false
	}
	w.depth++
	w.nodes++
	return true
}

func (w *javaWalk) leave() { w.depth-- }

// fieldValue returns the value of a field of o, or nil.
func fieldValue(o *jsObject, name string) any {
	v, _ := o.field(name)
	return v
}

// emptyClassDesc reports the descriptor Java writes for a class that is
// not Serializable: no serialVersionUID, flags, fields, annotation or
// superclass.
func emptyClassDesc(c *jsClassDesc) bool {
	return c.SUID == 0 && c.Flags == 0 && len(c.Fields) == 0 && len(c.Annotation) == 0 && c.Super == nil && !c.Proxy
}

// javaClassName returns the class name of a java.lang.Class object.
func javaClassName(v any) string {
	if c, ok := v.(*jsClass); ok && c.Class != nil {
		return c.Class.Name
	}
	return ""
}

// A LogicalType is a SQL type of Flink's Table API, decoded from its
// Java-serialized form (flink-table-common/.../types/logical/*Type.java).
type LogicalType struct {
	// Class is the Java class, e.g.
	// org.apache.flink.table.types.logical.BigIntType.
	Class string
	// Root is the LogicalTypeRoot, e.g. BIGINT, VARCHAR, ROW.
	Root     string
	Nullable bool
	// Length (CHAR, VARCHAR, BINARY, VARBINARY), Precision and Scale
	// (DECIMAL; Precision also for TIME and TIMESTAMP types), where the
	// type has them; -1 otherwise.
	Length, Precision, Scale int32
	// Kind is a TimestampKind other than REGULAR (ROWTIME, PROCTIME).
	Kind string
	// Fields of a ROW (or attributes of a STRUCTURED type).
	Fields []RowField
	// Children: the element of ARRAY and MULTISET, key and value of MAP,
	// the source type of DISTINCT.
	Children []*LogicalType
	// TypeClass names the class of RAW and STRUCTURED types and the
	// identifier of DISTINCT types.
	TypeClass string

	// rawLinkedListOf is, for a RAW type built by LagAccumulatorType, the
	// element type of its LinkedListSerializer; it lets the encoder write
	// the RAW type's Java-serialized serializer. Decoding does not set it.
	rawLinkedListOf *LogicalType
	// implClass is, for a decoded STRUCTURED type, the class descriptor
	// of its implementation class when that class is Serializable (a
	// tuple, a POJO): Java writes it in full (serialVersionUID, fields,
	// superclass), and the encoder writes it back. Nil for a class that
	// is not Serializable, whose descriptor is empty (LagAcc).
	implClass *jsClassDesc
}

// RowField is a named field of a ROW type.
type RowField struct {
	Name        string
	Description string
	Type        *LogicalType
}

// logicalTypeFromJava maps a Java-serialized LogicalType onto LogicalType.
func logicalTypeFromJava(v any, w *javaWalk) *LogicalType {
	o, ok := v.(*jsObject)
	if !ok {
		if v == nil {
			return &LogicalType{Class: "null", Length: -1, Precision: -1, Scale: -1}
		}
		return &LogicalType{Class: jsKind(v), Length: -1, Precision: -1, Scale: -1}
	}
	t := &LogicalType{Class: o.Class.Name, Length: -1, Precision: -1, Scale: -1, Nullable: true}
	if !w.enter() {
		return t
	}
	defer w.leave()
	if b, ok := fieldValue(o, "isNullable").(bool); ok {
		t.Nullable = b
	}
	if e, ok := fieldValue(o, "typeRoot").(*jsEnum); ok {
		t.Root = e.Name
	}
	if n, ok := fieldValue(o, "length").(int32); ok {
		t.Length = n
	}
	if n, ok := fieldValue(o, "precision").(int32); ok {
		t.Precision = n
	}
	if n, ok := fieldValue(o, "scale").(int32); ok {
		t.Scale = n
	}
	if e, ok := fieldValue(o, "kind").(*jsEnum); ok && e.Name != "REGULAR" {
		t.Kind = e.Name
	}
	child := func(field string) {
		if c, ok := o.field(field); ok {
			t.Children = append(t.Children, logicalTypeFromJava(c, w))
		}
	}
	switch t.Root {
	case "ROW":
		for _, f := range javaList(fieldValue(o, "fields")) {
			fo, ok := f.(*jsObject)
			if !ok {
				continue
			}
			name, _ := fieldValue(fo, "name").(string)
			desc, _ := fieldValue(fo, "description").(string)
			t.Fields = append(t.Fields, RowField{Name: name, Description: desc, Type: logicalTypeFromJava(fieldValue(fo, "type"), w)})
		}
	case "ARRAY", "MULTISET":
		child("elementType")
	case "MAP":
		child("keyType")
		child("valueType")
	case "RAW":
		t.TypeClass = javaClassName(fieldValue(o, "clazz"))
	case "STRUCTURED_TYPE":
		t.TypeClass = javaClassName(fieldValue(o, "implementationClass"))
		if c, ok := fieldValue(o, "implementationClass").(*jsClass); ok && c.Class != nil && !emptyClassDesc(c.Class) {
			t.implClass = c.Class
		}
		for _, f := range javaList(fieldValue(o, "attributes")) {
			if fo, ok := f.(*jsObject); ok {
				name, _ := fieldValue(fo, "name").(string)
				t.Fields = append(t.Fields, RowField{Name: name, Type: logicalTypeFromJava(fieldValue(fo, "type"), w)})
			}
		}
	case "DISTINCT_TYPE":
		child("sourceType")
	}
	return t
}

// javaList returns the elements of a Java-serialized java.util.List: an
// ArrayList, LinkedList or an unmodifiable, singleton or Arrays wrapper.
func javaList(v any) []any {
	for range 8 {
		o, ok := v.(*jsObject)
		if !ok {
			if a, ok := v.(*jsArray); ok {
				return a.Elems
			}
			return nil
		}
		switch o.Class.Name {
		case "java.util.Collections$UnmodifiableList", "java.util.Collections$UnmodifiableRandomAccessList",
			"java.util.Collections$UnmodifiableCollection":
			if l, ok := o.field("list"); ok {
				v = l
			} else {
				v = fieldValue(o, "c")
			}
			continue
		case "java.util.Arrays$ArrayList":
			v = fieldValue(o, "a")
			continue
		case "java.util.Collections$SingletonList":
			return []any{fieldValue(o, "element")}
		case "java.util.Collections$EmptyList":
			return nil
		}
		// ArrayList, LinkedList, CollSer (List.of): the elements follow
		// a block with the size in the custom data.
		for _, cd := range o.Data {
			var out []any
			for _, a := range cd.Annotation {
				if _, isBlock := a.(jsBlock); !isBlock {
					out = append(out, a)
				}
			}
			if len(out) > 0 {
				return out
			}
		}
		return nil
	}
	return nil
}

// String renders the type as Flink's summary strings do, e.g. "BIGINT",
// "STRING", "DECIMAL(10, 2)", "TIMESTAMP(3) *ROWTIME*",
// "ROW<id BIGINT, name STRING>", "MAP<STRING, INT> NOT NULL".
func (t *LogicalType) String() string {
	if t == nil {
		return "?"
	}
	var s string
	p := func(name string, n int32) string { return fmt.Sprintf("%s(%d)", name, n) }
	switch t.Root {
	case "":
		return shortClass(t.Class)
	case "CHAR":
		s = p("CHAR", t.Length)
	case "VARCHAR":
		if t.Length == 1<<31-1 {
			s = "STRING"
		} else {
			s = p("VARCHAR", t.Length)
		}
	case "BINARY":
		s = p("BINARY", t.Length)
	case "VARBINARY":
		if t.Length == 1<<31-1 {
			s = "BYTES"
		} else {
			s = p("VARBINARY", t.Length)
		}
	case "DECIMAL":
		s = fmt.Sprintf("DECIMAL(%d, %d)", t.Precision, t.Scale)
	case "TIME_WITHOUT_TIME_ZONE":
		s = p("TIME", t.Precision)
	case "TIMESTAMP_WITHOUT_TIME_ZONE":
		s = p("TIMESTAMP", t.Precision)
	case "TIMESTAMP_WITH_TIME_ZONE":
		s = p("TIMESTAMP", t.Precision) + " WITH TIME ZONE"
	case "TIMESTAMP_WITH_LOCAL_TIME_ZONE":
		s = p("TIMESTAMP_LTZ", t.Precision)
	case "ROW", "STRUCTURED_TYPE":
		parts := make([]string, len(t.Fields))
		for i, f := range t.Fields {
			parts[i] = f.Name + " " + f.Type.String()
		}
		if t.Root == "ROW" {
			s = "ROW<" + strings.Join(parts, ", ") + ">"
		} else {
			s = t.TypeClass + "{" + strings.Join(parts, ", ") + "}"
		}
	case "ARRAY", "MULTISET":
		s = t.Root + "<" + t.child(0).String() + ">"
	case "MAP":
		s = "MAP<" + t.child(0).String() + ", " + t.child(1).String() + ">"
	case "RAW":
		s = "RAW('" + t.TypeClass + "')"
	case "DISTINCT_TYPE":
		s = "DISTINCT(" + t.child(0).String() + ")"
	case "INTEGER":
		s = "INT"
	case "INTERVAL_YEAR_MONTH", "INTERVAL_DAY_TIME":
		s = "INTERVAL"
	default:
		s = t.Root
	}
	if t.Kind != "" {
		s += " *" + t.Kind + "*"
	}
	if !t.Nullable {
		s += " NOT NULL"
	}
	return s
}

func (t *LogicalType) child(i int) *LogicalType {
	if i < len(t.Children) {
		return t.Children[i]
	}
	return nil
}

// Walk calls fn for s and every snapshot nested in it, depth first.
func (s *SerializerSnapshot) Walk(fn func(*SerializerSnapshot)) {
	fn(s)
	for i := range s.Nested {
		s.Nested[i].Walk(fn)
	}
}

// HasOpaque reports whether s or a snapshot nested in it is opaque.
func (s *SerializerSnapshot) HasOpaque() bool {
	opaque := false
	s.Walk(func(n *SerializerSnapshot) { opaque = opaque || n.Opaque })
	return opaque
}

// Classes returns the sorted distinct snapshot classes in s.
func (s *SerializerSnapshot) Classes() []string {
	seen := map[string]bool{}
	s.Walk(func(n *SerializerSnapshot) {
		seen[n.Class] = true
		if n.TTLAware {
			seen[ttlAwareSnapshotClass] = true
		}
	})
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
