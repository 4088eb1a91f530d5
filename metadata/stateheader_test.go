package metadata

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// corpusHeader is a state-file header of the corpus: the stream's bytes
// and where the handle says the header ends.
type corpusHeader struct {
	name  string // file and operator, for messages
	data  []byte // the stream (or a prefix of it)
	end   int
	keyed bool
}

// corpusHeaders returns the distinct managed state headers the corpus
// references (FORMAT.md §10.1), read from inline handles and from the
// files next to each _metadata.
func corpusHeaders(t testing.TB) []corpusHeader {
	t.Helper()
	return headersOf(t, corpusFiles(t))
}

// headersOf returns the distinct managed state headers the _metadata files
// reference.
func headersOf(t testing.TB, files []string) []corpusHeader {
	t.Helper()
	var out []corpusHeader
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		dir := filepath.Dir(f)
		data := func(h StreamHandle) []byte {
			switch h := h.(type) {
			case *ByteStreamHandle:
				return h.Data
			case *RelativeFileHandle:
				d, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(h.RelativePath)))
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				return d
			}
			return nil
		}
		add := func(op OperatorID, d []byte, end int, keyed bool) {
			if d == nil || seen[string(d[:end])] {
				return
			}
			seen[string(d[:end])] = true
			out = append(out, corpusHeader{name: f + " " + op.String(), data: d, end: end, keyed: keyed})
		}
		var keyed func(op OperatorID, h KeyedStateHandle)
		keyed = func(op OperatorID, h KeyedStateHandle) {
			switch h := h.(type) {
			case *KeyGroupsHandle:
				d := data(h.Delegate)
				end := len(d)
				for _, o := range h.Offsets {
					if o > 0 && int(o) < end {
						end = int(o)
					}
				}
				add(op, d, end, true)
			case *IncrementalKeyedHandle:
				d := data(h.MetaData)
				add(op, d, len(d), true)
			case *ChangelogBackendHandle:
				for _, k := range h.Materialized {
					keyed(op, k)
				}
			}
		}
		for i := range m.Operators {
			op := &m.Operators[i]
			for j := range op.Subtasks {
				st := &op.Subtasks[j]
				keyed(op.ID, st.ManagedKeyedState)
				for _, h := range st.ManagedOperatorState {
					if h == nil {
						continue
					}
					d := data(h.Delegate)
					end := len(d)
					for _, e := range h.States {
						for _, o := range e.Offsets {
							if int(o) < end {
								end = int(o)
							}
						}
					}
					add(op.ID, d, end, false)
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no state headers in the corpus")
	}
	return out
}

func decodeAny(c corpusHeader, opts *HeaderOptions) (states []StateMetaInfo, n int, err error) {
	if c.keyed {
		h, n, err := DecodeKeyedHeader(c.data, opts)
		if err != nil {
			return nil, n, err
		}
		return h.States, n, nil
	}
	h, n, err := DecodeOperatorHeader(c.data, opts)
	if err != nil {
		return nil, n, err
	}
	return h.States(), n, nil
}

// TestCorpusStateHeaders decodes every distinct header of the corpus: with
// the end its handle gives, every header must decode to exactly that end
// with every serializer snapshot known; without it, decoding must stop at
// the same place.
func TestCorpusStateHeaders(t *testing.T) {
	var keyed, operator, states, snapshots, ownOpaque int
	versions := map[string]int{}
	for _, c := range corpusHeaders(t) {
		got, n, err := decodeAny(c, &HeaderOptions{End: c.end})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if n != c.end {
			t.Errorf("%s: took %d bytes, want %d", c.name, n, c.end)
		}
		if _, n2, err := decodeAny(c, nil); err != nil || n2 != c.end {
			t.Errorf("%s: without the end: %d bytes, %v; want %d", c.name, n2, err, c.end)
		}
		if c.keyed {
			keyed++
		} else {
			operator++
		}
		for _, m := range got {
			states++
			versions[map[bool]string{true: "keyed", false: "operator"}[c.keyed]+" meta info v"+strconv.Itoa(m.MetaInfoVersion)]++
			for _, s := range m.Serializers {
				s.Snapshot.Walk(func(x *SerializerSnapshot) {
					snapshots++
					if x.Opaque && testOwnSnapshot(x.Class) {
						ownOpaque++
					} else if x.Opaque {
						t.Errorf("%s: state %q: opaque snapshot %s (%s)", c.name, m.Name, x.Class, x.Note)
					}
				})
				if ts := s.Snapshot.TypeString(); strings.Contains(ts, "opaque") && !(s.Snapshot.Opaque && testOwnSnapshot(s.Snapshot.Class)) {
					t.Errorf("%s: state %q: type %s", c.name, m.Name, ts)
				}
			}
		}
	}
	t.Logf("%d keyed and %d operator headers, %d states, %d serializer snapshots; %v", keyed, operator, states, snapshots, versions)
	// TypeSerializerSnapshotMigrationITCase's own serializer: one distinct
	// header, which its six snapshots of flink-tests-2.3 share.
	if ownOpaque != 1 {
		t.Errorf("%d opaque snapshots of a test's own serializer, want 1", ownOpaque)
	}
}

// testOwnSnapshot reports the snapshot class of a serializer that a Flink
// test defines itself (TypeSerializerSnapshotMigrationITCase$TestSerializerSnapshot):
// like a user's custom serializer, its format is its own, and spcheck
// keeps it opaque by design.
func testOwnSnapshot(class string) bool {
	return strings.HasPrefix(class, "org.apache.flink.test.")
}

// TestCorpusStateHeadersTruncated cuts corpus headers short: every prefix
// must fail with a *FormatError at or before the cut, never panic.
func TestCorpusStateHeadersTruncated(t *testing.T) {
	hs := corpusHeaders(t)
	for i, c := range hs {
		if i%7 != 0 { // a sample keeps the test fast
			continue
		}
		for cut := 0; cut < c.end; cut += max(1, c.end/97) {
			_, _, err := decodeAny(corpusHeader{data: c.data[:cut], keyed: c.keyed}, &HeaderOptions{End: cut})
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("%s cut at %d: error %v, want a *FormatError", c.name, cut, err)
			}
			if fe.Offset > int64(cut) {
				t.Fatalf("%s cut at %d: error offset %d beyond the cut", c.name, cut, fe.Offset)
			}
		}
	}
}

// hb builds header bytes with the encoder's primitives.
func hb(f func(w *writer)) []byte {
	w := &writer{}
	f(w)
	return w.b
}

const (
	longSnap   = pkgBase + "LongSerializer$LongSerializerSnapshot"
	stringSnap = pkgBase + "StringSerializer$StringSerializerSnapshot"
	voidNSSnap = "org.apache.flink.runtime.state.VoidNamespaceSerializer$VoidNamespaceSerializerSnapshot"
)

// snap writes a versioned snapshot.
func snap(w *writer, class string, version int32, payload func(w *writer)) {
	w.utf(class)
	w.i32(version)
	if payload != nil {
		payload(w)
	}
}

func simple(class string) func(w *writer) {
	return func(w *writer) { snap(w, class, 3, nil) }
}

// composite writes a CompositeTypeSerializerSnapshot payload.
func composite(outerVersion int32, outer func(w *writer), nested ...func(w *writer)) func(w *writer) {
	return func(w *writer) {
		w.i32(compositeMagic)
		w.i32(outerVersion)
		if outer != nil {
			outer(w)
		}
		nestedBlock(w, nested...)
	}
}

func nestedBlock(w *writer, nested ...func(w *writer)) {
	w.i32(nestedMagic)
	w.i32(nestedVersion)
	w.i32(int32(len(nested)))
	for _, n := range nested {
		n(w)
	}
}

// keyedV6 writes a version 6 keyed header with a Long key and the given
// states.
func keyedV6(w *writer, states ...func(w *writer)) {
	w.i32(6)
	w.bool(false)
	w.i32(2)
	snap(w, longSnap, 3, nil)
	w.b = append(w.b, 0, byte(len(states)))
	for _, s := range states {
		s(w)
	}
}

// stateV6 writes a version 6 meta info of a keyed VALUE state.
func stateV6(name string, value func(w *writer)) func(w *writer) {
	return stateMeta(name, BackendKeyValue, "VALUE", value)
}

// stateMeta writes a version 6 meta info of a keyed state of backend type
// t and kind k, in a VoidNamespace.
func stateMeta(name string, t BackendStateType, k string, value func(w *writer)) func(w *writer) {
	return func(w *writer) {
		w.utf(name)
		w.i32(int32(t))
		w.i32(1)
		w.utf(OptionKeyedStateType)
		w.utf(k)
		w.i32(2)
		w.utf(ValueSerializerKey)
		w.i32(2)
		value(w)
		w.utf(NamespaceSerializerKey)
		w.i32(2)
		snap(w, voidNSSnap, 3, nil)
	}
}

func TestSerializerFamilies(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value func(w *writer)
		want  string
		check func(t *testing.T, s *SerializerSnapshot)
	}{
		{"tuple", func(w *writer) {
			snap(w, pkgRt+"TupleSerializerSnapshot", 3, composite(2, func(w *writer) { w.utf("org.apache.flink.api.java.tuple.Tuple2") },
				simple(stringSnap), simple(longSnap)))
		}, "Tuple2<String, Long>", nil},
		{"pojo", func(w *writer) {
			snap(w, pkgRt+"PojoSerializerSnapshot", 2, func(w *writer) {
				w.utf("com.x.Order")
				field := func(name string, s func(w *writer)) {
					w.utf(name)
					w.bool(true)
					key := hb(func(k *writer) { k.utf(name); k.utf("com.x.Order") })
					w.i32(int32(len(key)))
					w.b = append(w.b, key...)
					w.bool(true)
					v := hb(s)
					w.i32(int32(len(v)))
					w.b = append(w.b, v...)
				}
				w.i64(optionalMapHeader)
				w.i32(2)
				field("id", simple(longSnap))
				field("items", func(w *writer) {
					snap(w, pkgBase+"ListSerializerSnapshot", 3, composite(1, nil, simple(stringSnap)))
				})
				w.i64(optionalMapHeader)
				w.i32(0)
				w.i64(optionalMapHeader)
				w.i32(1)
				w.utf("com.x.SpecialOrder")
				w.bool(false)
				w.bool(false)
			})
		}, "POJO com.x.Order{id: Long, items: List<String>}", func(t *testing.T, s *SerializerSnapshot) {
			if len(s.Subclasses) != 1 || s.Subclasses[0] != "com.x.SpecialOrder" {
				t.Errorf("subclasses %q", s.Subclasses)
			}
		}},
		{"kryo", func(w *writer) {
			snap(w, pkgRt+"kryo.KryoSerializerSnapshot", 2, func(w *writer) {
				w.utf("com.x.Foo")
				w.i64(optionalMapHeader)
				w.i32(1)
				w.utf("com.x.Bar")
				w.bool(false)
				w.bool(true)
				w.i32(3)
				w.b = append(w.b, 1, 2, 3)
				for range 2 {
					w.i64(optionalMapHeader)
					w.i32(0)
				}
			})
		}, "Kryo com.x.Foo", func(t *testing.T, s *SerializerSnapshot) {
			if len(s.Registrations) != 1 || s.Registrations[0] != "com.x.Bar" {
				t.Errorf("registrations %q", s.Registrations)
			}
		}},
		{"avro", func(w *writer) {
			snap(w, "org.apache.flink.formats.avro.typeutils.AvroSerializerSnapshot", 2, func(w *writer) {
				w.utf("org.apache.avro.generic.GenericRecord")
				w.utf(`{"type":"record","name":"Event","namespace":"com.x","fields":[{"name":"id","type":{"type":"record","name":"Inner","fields":[]}}]}`)
			})
		}, "Avro record com.x.Event (GenericRecord)", nil},
		{"enum", func(w *writer) {
			snap(w, pkgBase+"EnumSerializer$EnumSerializerSnapshot", 3, func(w *writer) {
				w.utf("com.x.Color")
				w.i32(2)
				w.utf("RED")
				w.utf("GREEN")
			})
		}, "Enum com.x.Color", func(t *testing.T, s *SerializerSnapshot) {
			if strings.Join(s.EnumConstants, ",") != "RED,GREEN" {
				t.Errorf("constants %q", s.EnumConstants)
			}
		}},
		{"ttl map", func(w *writer) {
			snap(w, pkgBase+"MapSerializerSnapshot", 3, composite(1, nil, simple(stringSnap), func(w *writer) {
				snap(w, "org.apache.flink.runtime.state.ttl.TtlStateFactory$TtlSerializerSnapshot", 3,
					composite(2, nil, simple(longSnap), simple(longSnap)))
			}))
		}, "Map<String, TTL(Long)>", nil},
		{"generic array", func(w *writer) {
			snap(w, pkgBase+"GenericArraySerializerSnapshot", 3, composite(1, func(w *writer) { w.utf("java.lang.String") }, simple(stringSnap)))
		}, "String[]", nil},
		{"scala case class", func(w *writer) {
			snap(w, pkgScala+"ScalaCaseClassSerializerSnapshot", 3, composite(2, func(w *writer) { w.utf("com.x.Person") },
				simple(stringSnap), simple(pkgBase+"IntSerializer$IntSerializerSnapshot")))
		}, "com.x.Person(String, Integer)", nil},
		{"row", func(w *writer) {
			snap(w, pkgRt+"RowSerializer$RowSerializerSnapshot", 3, composite(4, func(w *writer) { w.bool(true) }, simple(longSnap)))
		}, "Row<Long>", nil},
		// LinkedListSerializerSnapshot (LAG over aggregates): outer
		// version 3 writes hasNullMask, version 2 nothing
		// (LinkedListSerializer.java, readOuterSnapshot).
		{"linked list v3", func(w *writer) {
			snap(w, pkgTable+"LinkedListSerializer$LinkedListSerializerSnapshot", 3, composite(3, func(w *writer) { w.bool(true) }, simple(longSnap)))
		}, "LinkedList<Long>", nil},
		{"linked list v2", func(w *writer) {
			snap(w, pkgTable+"LinkedListSerializer$LinkedListSerializerSnapshot", 3, composite(2, nil, simple(longSnap)))
		}, "LinkedList<Long>", nil},
		// CEP's NFA state (MATCH_RECOGNIZE): NFAStateSerializerSnapshot
		// writes supportsPreviousTimestamp from outer version 2.
		{"nfa state", func(w *writer) {
			snap(w, pkgCEP+"NFAStateSerializerSnapshot", 3, composite(2, func(w *writer) { w.bool(true) },
				simple(pkgCEP+"DeweyNumber$DeweyNumberSerializer$DeweyNumberSerializerSnapshot"),
				func(w *writer) {
					snap(w, pkgCEP+"sharedbuffer.NodeId$NodeIdSerializer$NodeIdSerializerSnapshot", 3,
						composite(1, nil, simple(pkgCEP+"sharedbuffer.EventId$EventIdSerializer$EventIdSerializerSnapshot")))
				}))
		}, "NFAState<DeweyNumber, NodeId<EventId>>", nil},
		{"async state TTL", func(w *writer) {
			snap(w, "org.apache.flink.runtime.state.v2.ttl.TtlStateFactory$TtlSerializerSnapshot", 3,
				composite(2, nil, simple(longSnap), simple(stringSnap)))
		}, "TTL(String)", nil},
		{"legacy composite version 2", func(w *writer) {
			snap(w, pkgBase+"ListSerializerSnapshot", 2, func(w *writer) { nestedBlock(w, simple(longSnap)) })
		}, "List<Long>", nil},
		{"simple version 2", func(w *writer) {
			snap(w, longSnap, 2, func(w *writer) { w.utf(pkgBase + "LongSerializer") })
		}, "Long", nil},
		// Flink 2.x ForSt wraps each keyed state's value serializer in
		// TtlAwareSerializerSnapshot (TtlAwareSerializerSnapshot.java:70-73,
		// Flink 2.0): bool isTtlEnabled, then the wrapped versioned snapshot.
		{"ttl-aware value", func(w *writer) {
			snap(w, "org.apache.flink.runtime.state.ttl.TtlAwareSerializerSnapshot", 1, func(w *writer) {
				w.bool(true)
				snap(w, "org.apache.flink.runtime.state.ttl.TtlStateFactory$TtlSerializerSnapshot", 3,
					composite(2, nil, simple(longSnap), simple(stringSnap)))
			})
		}, "TTL(String)", func(t *testing.T, s *SerializerSnapshot) {
			if !s.TTLAware || !s.TTLAwareEnabled || s.Family != FamilyTTL {
				t.Errorf("ttl-aware %v enabled %v family %s", s.TTLAware, s.TTLAwareEnabled, s.Family)
			}
			if c := s.Classes(); !strings.Contains(strings.Join(c, " "), "ttl.TtlAwareSerializerSnapshot") {
				t.Errorf("classes %q", c)
			}
		}},
		{"ttl-aware list element", func(w *writer) {
			snap(w, pkgBase+"ListSerializerSnapshot", 3, composite(1, nil, func(w *writer) {
				snap(w, "org.apache.flink.runtime.state.ttl.TtlAwareSerializerSnapshot", 1, func(w *writer) {
					w.bool(false)
					simple(longSnap)(w)
				})
			}))
		}, "List<Long>", func(t *testing.T, s *SerializerSnapshot) {
			if e := s.Nested[0]; !e.TTLAware || e.TTLAwareEnabled {
				t.Errorf("element ttl-aware %v enabled %v", e.TTLAware, e.TTLAwareEnabled)
			}
		}},
		{"variant", func(w *writer) { simple(pkgBase + "VariantSerializer$VariantSerializerSnapshot")(w) }, "Variant", nil},
		{"bitmap", func(w *writer) { simple(pkgBase + "BitmapSerializer$BitmapSerializerSnapshot")(w) }, "Bitmap", nil},
		// Flink 2.3's sort key of a process table function's input buffer:
		// a Long in another format, so not "Long".
		{"sorted long", func(w *writer) {
			simple("org.apache.flink.table.runtime.operators.sink.SortedLongSerializer$SortedLongSerializerSnapshot")(w)
		}, "SortedLong", nil},
		{"set", func(w *writer) {
			snap(w, pkgBase+"SetSerializerSnapshot", 3, composite(1, nil, simple(stringSnap)))
		}, "Set<String>", nil},
		// GenericArraySerializerConfigSnapshot version 2: utf component
		// class, nested block (GenericArraySerializerConfigSnapshot.java:72-76, Flink 1.20).
		{"generic array config snapshot", func(w *writer) {
			snap(w, pkgBase+"GenericArraySerializerConfigSnapshot", 2, func(w *writer) {
				w.utf("java.lang.Long")
				nestedBlock(w, simple(longSnap))
			})
		}, "Long[]", nil},
		{"scala enumeration", func(w *writer) {
			snap(w, pkgScala+"ScalaEnumSerializerSnapshot", 3, func(w *writer) {
				w.utf("com.x.Weekday$")
				w.i32(2)
				w.utf("Mon")
				w.i32(0)
				w.utf("Tue")
				w.i32(1)
			})
		}, "Enumeration com.x.Weekday$", func(t *testing.T, s *SerializerSnapshot) {
			if strings.Join(s.EnumConstants, ",") != "Mon,Tue" {
				t.Errorf("constants %q", s.EnumConstants)
			}
		}},
		{"scala traversable", func(w *writer) {
			snap(w, pkgScala+"TraversableSerializerSnapshot", 3, composite(2, func(w *writer) { w.utf("implicitly[CanBuildFrom[Seq[_], Long, Seq[Long]]]") }, simple(longSnap)))
		}, "Traversable<Long>", nil},
		{"scala 2.x package option", func(w *writer) {
			snap(w, pkgTableScala+"ScalaOptionSerializerSnapshot", 3, composite(1, nil, simple(stringSnap)))
		}, "Option<String>", nil},
		{"scala 2.x package case class", func(w *writer) {
			snap(w, pkgTableScala+"ScalaCaseClassSerializerSnapshot", 3, composite(2, func(w *writer) { w.utf("com.x.P") }, simple(longSnap)))
		}, "com.x.P(Long)", nil},
		{"cep migrated shared buffer", func(w *writer) {
			snap(w, pkgCEP+"SharedBuffer$SharedBufferSerializerSnapshot", 3, composite(2, nil, simple(stringSnap), simple(longSnap)))
		}, "SharedBuffer<String, Long>", nil},
		{"legacy planner CRow", func(w *writer) {
			snap(w, "org.apache.flink.table.runtime.types.CRowSerializerSnapshot", 3, composite(1, nil, func(w *writer) {
				snap(w, pkgRt+"RowSerializer$RowSerializerSnapshot", 3, composite(3, nil, simple(longSnap)))
			}))
		}, "CRow<Row<Long>>", nil},
		{"gelly value array", func(w *writer) {
			simple(pkgGelly + "IntValueArraySerializer$IntValueArraySerializerSnapshot")(w)
		}, "IntValueArray", nil},
		{"unknown composite", func(w *writer) {
			snap(w, "com.x.PairSerializerSnapshot", 1, composite(7, func(w *writer) { w.b = append(w.b, 9, 9, 9) }, simple(longSnap), simple(stringSnap)))
		}, "opaque(com.x.PairSerializerSnapshot)<Long, String>", func(t *testing.T, s *SerializerSnapshot) {
			if !s.Opaque || !s.Resynced || s.Skipped != 3 {
				t.Errorf("opaque %v resynced %v skipped %d; want true true 3", s.Opaque, s.Resynced, s.Skipped)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := hb(func(w *writer) { keyedV6(w, stateV6("s", tc.value), stateV6("t", simple(longSnap))) })
			h, n, err := DecodeKeyedHeader(b, &HeaderOptions{End: len(b)})
			if err != nil {
				t.Fatal(err)
			}
			if n != len(b) || len(h.States) != 2 || h.States[1].Name != "t" {
				t.Fatalf("took %d of %d bytes, states %+v", n, len(b), h.States)
			}
			s := h.States[0].Serializer(ValueSerializerKey)
			if got := s.TypeString(); got != tc.want {
				t.Errorf("TypeString = %q, want %q", got, tc.want)
			}
			if tc.check != nil {
				tc.check(t, s)
			}
		})
	}
}

// TestUnknownSnapshotResync skips the payload of snapshot classes this
// package does not know by resynchronising on what follows (FORMAT.md
// §10.7), and marks them opaque.
func TestUnknownSnapshotResync(t *testing.T) {
	payload := []byte{0x12, 0x34, 0, 0, 0, 7, 0xff}
	unknown := func(w *writer) {
		snap(w, "com.x.FooSerializerSnapshot", 5, func(w *writer) { w.b = append(w.b, payload...) })
	}
	for _, tc := range []struct {
		name   string
		states []func(w *writer)
		idx    int
	}{
		{"middle", []func(w *writer){stateV6("a", unknown), stateV6("b", simple(longSnap))}, 0},
		{"last", []func(w *writer){stateV6("a", simple(longSnap)), stateV6("b", func(w *writer) {
			snap(w, pkgBase+"ListSerializerSnapshot", 3, composite(1, nil, unknown))
		})}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := hb(func(w *writer) { keyedV6(w, tc.states...) })
			h, n, err := DecodeKeyedHeader(b, &HeaderOptions{End: len(b)})
			if err != nil {
				t.Fatal(err)
			}
			if n != len(b) {
				t.Fatalf("took %d of %d bytes", n, len(b))
			}
			var found *SerializerSnapshot
			h.States[tc.idx].Serializer(ValueSerializerKey).Walk(func(s *SerializerSnapshot) {
				if s.Class == "com.x.FooSerializerSnapshot" {
					found = s
				}
			})
			if found == nil || !found.Opaque || !found.Resynced || found.Skipped != len(payload) || found.Version != 5 {
				t.Fatalf("unknown snapshot decoded as %+v", found)
			}
			if !strings.Contains(h.States[tc.idx].Serializer(ValueSerializerKey).TypeString(), "opaque(com.x.FooSerializerSnapshot)") {
				t.Errorf("TypeString %q", h.States[tc.idx].Serializer(ValueSerializerKey).TypeString())
			}
		})
	}
}

func TestHostileStateHeaders(t *testing.T) {
	longKey := func(w *writer) { w.i32(6); w.bool(false); w.i32(2); snap(w, longSnap, 3, nil) }
	// longKey takes 4+1+4+2+len(longSnap)+4 bytes.
	afterKey := int64(15 + len(longSnap))
	for _, tc := range []struct {
		name     string
		in       []byte
		operator bool
		end      int // 0: decode without an end
		want     string
		offset   int64
		is       error
	}{
		{"empty", nil, false, 0, "truncated: the input ends at byte 0, 4 bytes short of the keyed backend proxy version", 0, io.ErrUnexpectedEOF},
		{"unknown version", hb(func(w *writer) { w.i32(7) }), false, 0, "unknown keyed backend proxy version 7", 0, nil},
		{"unknown operator version", hb(func(w *writer) { w.i32(0) }), true, 0, "unknown operator backend proxy version 0", 0, nil},
		{"bad snapshot proxy version", hb(func(w *writer) { w.i32(6); w.bool(false); w.i32(3) }), false, 0,
			"unknown serializer snapshot proxy version 3", 5, nil},
		{"negative state count", hb(func(w *writer) { longKey(w); w.b = append(w.b, 0xff, 0xff) }), false, 0,
			"negative number of states -1", afterKey, nil},
		{"state count beyond input", hb(func(w *writer) { longKey(w); w.b = append(w.b, 0x7f, 0xff) }), false, 0,
			"number of states 32767 too large", afterKey, io.ErrUnexpectedEOF},
		{"serializer count beyond input", hb(func(w *writer) {
			longKey(w)
			w.b = append(w.b, 0, 1)
			w.utf("s")
			w.i32(0)
			w.i32(0)
			w.i32(1<<31 - 1)
		}), false, 0, "number of serializers 2147483647 too large", afterKey + 2 + 3 + 8, io.ErrUnexpectedEOF},
		{"unknown backend state type", hb(func(w *writer) {
			longKey(w)
			w.b = append(w.b, 0, 1)
			w.utf("s")
			w.i32(9)
		}), false, 0, "unknown backend state type 9", afterKey + 2 + 3, nil},
		{"operator state in keyed header", hb(func(w *writer) {
			longKey(w)
			w.b = append(w.b, 0, 1)
			w.utf("s")
			w.i32(int32(BackendOperator))
			w.i32(0)
			w.i32(0)
		}), false, 0, `OPERATOR state in a keyed header`, afterKey + 2 + 3 + 12, nil},
		{"bad composite magic", hb(func(w *writer) {
			w.i32(6)
			w.bool(false)
			w.i32(2)
			snap(w, pkgBase+"ListSerializerSnapshot", 3, func(w *writer) { w.i32(1234) })
		}), false, 0, "bad composite serializer snapshot magic number 0x4d2", int64(15 + len(pkgBase+"ListSerializerSnapshot")), nil},
		{"bad nested magic", hb(func(w *writer) {
			w.i32(6)
			w.bool(false)
			w.i32(2)
			snap(w, pkgBase+"ListSerializerSnapshot", 3, func(w *writer) { w.i32(compositeMagic); w.i32(1); w.i32(5) })
		}), false, 0, "bad nested serializers magic number 0x5", int64(23 + len(pkgBase+"ListSerializerSnapshot")), nil},
		{"nested count beyond input", hb(func(w *writer) {
			w.i32(6)
			w.bool(false)
			w.i32(2)
			snap(w, pkgBase+"ListSerializerSnapshot", 3, func(w *writer) {
				w.i32(compositeMagic)
				w.i32(1)
				w.i32(nestedMagic)
				w.i32(1)
				w.i32(1000)
			})
		}), false, 0, "number of nested serializers 1000 too large", int64(31 + len(pkgBase+"ListSerializerSnapshot")), io.ErrUnexpectedEOF},
		{"nesting too deep", hb(func(w *writer) {
			w.i32(6)
			w.bool(false)
			w.i32(2)
			var list func(w *writer, depth int)
			list = func(w *writer, depth int) {
				if depth == 0 {
					snap(w, longSnap, 3, nil)
					return
				}
				snap(w, pkgBase+"ListSerializerSnapshot", 3, composite(1, nil, func(w *writer) { list(w, depth-1) }))
			}
			list(w, 70)
		}), false, 0, "serializer snapshots nested deeper than 64 levels", -1, nil},
		{"header shorter than its end", hb(func(w *writer) { keyedV6(w); w.b = append(w.b, 1, 2, 3) }), false, -1,
			"header ends 3 bytes before the end its handle gives", afterKey + 2, nil},
		{"end beyond input", hb(func(w *writer) { keyedV6(w) }), false, 1000, "header end 1000 lies beyond", afterKey + 2, io.ErrUnexpectedEOF},
		{"unknown class, nothing to resynchronise on", hb(func(w *writer) {
			w.i32(6)
			w.bool(false)
			w.i32(2)
			snap(w, "com.x.Unknown", 1, func(w *writer) { w.b = append(w.b, 1, 2, 3, 4) })
		}), false, 0, "cannot skip the payload of unknown serializer snapshot com.x.Unknown", int64(15 + len("com.x.Unknown")), nil},
		{"bad distribution mode", hb(func(w *writer) {
			w.i32(5)
			w.b = append(w.b, 0, 1)
			w.utf("s")
			w.i32(int32(BackendOperator))
			w.i32(1)
			w.utf(OptionOperatorStateDistMode)
			w.utf("SIDEWAYS")
			w.i32(0)
		}), true, 0, `unknown distribution mode (not SPLIT_DISTRIBUTE, UNION or BROADCAST)`, -1, nil},
		// Flink restores the kind with StateDescriptor.Type.valueOf.
		{"unknown keyed state type", hb(func(w *writer) {
			keyedV6(w, stateMeta("s", BackendKeyValue, "JALUE", simple(longSnap)))
		}), false, 0, "unknown keyed state type (not one of StateDescriptor.Type)", -1, nil},
		{"FOLDING is not a v2 state type", hb(func(w *writer) {
			keyedV6(w, stateMeta("s", BackendKeyValueV2, "FOLDING", simple(longSnap)))
		}), false, 0, "unknown keyed state type (not one of StateDescriptor.Type)", -1, nil},
		{"legacy resilient offsets out of order", hb(func(w *writer) {
			w.i32(5)
			w.bool(false)
			w.i32(1)
			w.i32(8)
			w.i32(4)
			w.i32(10)
			w.b = append(w.b, make([]byte, 10)...)
		}), false, 0, "serializer 0: offsets 8, 4 out of order", 5, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opts *HeaderOptions
			switch {
			case tc.end > 0:
				opts = &HeaderOptions{End: tc.end}
			case tc.end < 0:
				opts = &HeaderOptions{End: len(tc.in)}
			}
			var err error
			if tc.operator {
				_, _, err = DecodeOperatorHeader(tc.in, opts)
			} else {
				_, _, err = DecodeKeyedHeader(tc.in, opts)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T, want *FormatError", err)
			}
			if tc.offset >= 0 && fe.Offset != tc.offset {
				t.Errorf("offset %d, want %d (%v)", fe.Offset, tc.offset, err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v) false", tc.is)
			}
			if !strings.HasPrefix(err.Error(), "metadata: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// TestOperatorHeaderTrailers checks the bytes Flink writes between an
// operator header and the first partition (FORMAT.md §10.1).
func TestOperatorHeaderTrailers(t *testing.T) {
	// Flink 1.3: proxy version 2, then the number of states.
	v2 := hb(func(w *writer) {
		w.i32(2)
		w.b = append(w.b, 0, 0)
		w.i32(0)
	})
	h, n, err := DecodeOperatorHeader(v2, &HeaderOptions{End: len(v2)})
	if err != nil || n != len(v2) || h.LegacyStateCount != 0 {
		t.Errorf("v2: %+v, %d, %v", h, n, err)
	}
	// Flink 1.18+: compressed, then the Snappy stream identifier.
	v6 := hb(func(w *writer) {
		w.i32(6)
		w.bool(true)
		w.b = append(w.b, 0, 0, 0, 0)
		w.b = append(w.b, snappyStreamID...)
	})
	h, n, err = DecodeOperatorHeader(v6, &HeaderOptions{End: len(v6)})
	if err != nil || n != len(v6) || !h.SnappyFramed || !h.Compressed {
		t.Errorf("v6: %+v, %d, %v", h, n, err)
	}
	// Without the identifier, or with other bytes in its place, Flink's
	// restore fails before reading any state (the SnappyFramedInputStream
	// constructor), even when no state has a partition: so does decoding,
	// with or without the end the handle gives.
	bare := v6[:len(v6)-len(snappyStreamID)]
	other := append(slices.Clone(bare), 0xff, 0x06, 0, 0, 's', 'N', 'a', 'P', 'p', 'Z')
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"missing", bare, "Snappy stream identifier"},
		{"other bytes", other, "invalid stream header"},
	} {
		for _, opts := range []*HeaderOptions{nil, {End: len(tc.b)}} {
			_, _, err := DecodeOperatorHeader(tc.b, opts)
			var fe *FormatError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("v6 compressed, identifier %s (options %+v): %v, want a *FormatError on %q", tc.name, opts, err, tc.want)
			}
		}
	}
}

func TestChangelogMetadata(t *testing.T) {
	b := hb(func(w *writer) {
		w.u8(changelogMetadataOp)
		w.i32(6)
		stateV6("s", simple(longSnap))(w)
		w.b = append(w.b, 0, 0, 0, 0, 0) // version-specific trailer, not read
	})
	m, n, err := DecodeChangelogMetadata(b)
	if err != nil || m.Name != "s" || m.Kind != ValueState || n != len(b)-5 {
		t.Fatalf("%+v, %d, %v", m, n, err)
	}
	if _, _, err := DecodeChangelogMetadata([]byte{3, 0, 0, 0, 6}); err == nil || !strings.Contains(err.Error(), "is not METADATA") {
		t.Errorf("error %v", err)
	}
}

func TestRawTimers(t *testing.T) {
	b := hb(func(w *writer) {
		w.b = append(w.b, rawTimersMagic...)
		w.i32(2)
		w.i32(2)
		w.utf("timer")
		snap(w, pkgRt+"TupleSerializerSnapshot", 3, composite(2, func(w *writer) { w.utf("org.apache.flink.api.java.tuple.Tuple1") }, simple(longSnap)))
		snap(w, voidNSSnap, 3, nil)
		w.i32(1) // one event timer: key (8), namespace (1), timestamp (8)
		w.b = append(w.b, make([]byte, 17)...)
		w.i32(0)
		w.utf("other")
		snap(w, longSnap, 3, nil)
		snap(w, voidNSSnap, 3, nil)
		w.i32(0)
		w.i32(0)
	})
	rt, err := DecodeRawTimers(b)
	if err != nil {
		t.Fatal(err)
	}
	if !rt.Complete || rt.Version != 2 || len(rt.Services) != 2 || rt.Services[0].Name != "timer" || rt.Services[1].Name != "other" ||
		rt.Services[0].EventTimers != 1 || rt.Services[0].KeySerializer.TypeString() != "Tuple1<Long>" {
		t.Fatalf("%+v", rt)
	}
	if _, err := DecodeRawTimers([]byte("user raw state")); err == nil {
		t.Error("user bytes decoded as timers")
	}
}

func TestFixedSize(t *testing.T) {
	for in, want := range map[string]int{
		"Long": 8, "Tuple1<Long>": 8, "Tuple2<Integer, Tuple1<Long>>": 12, "String": -1, "Tuple2<Long, String>": -1, "Tuple": -1,
	} {
		if got := fixedSize(in); got != want {
			t.Errorf("fixedSize(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestAvroRecordName(t *testing.T) {
	for in, want := range map[string]string{
		`{"type":"record","name":"E","namespace":"a.b","fields":[]}`: "a.b.E",
		`{"namespace":"a.b","type":"record","name":"x.y.E"}`:         "x.y.E",
		`{"type":"record","fields":[{"name":"f"}],"name":"E"}`:       "E",
		`"string"`: "",
		`{"type":"record","name":"E","doc":"say \"hi\"","fields":[]}`: "E",
	} {
		if got := avroRecordName(in); got != want {
			t.Errorf("avroRecordName(%s) = %q, want %q", in, got, want)
		}
	}
}

// FuzzDecodeKeyedHeader feeds arbitrary bytes to DecodeKeyedHeader, seeded
// with corpus headers. Properties: no panic; the result never claims more
// bytes than given; with an end, success means exactly that end.
func FuzzDecodeKeyedHeader(f *testing.F) {
	fuzzHeaders(f, true)
}

// FuzzDecodeOperatorHeader is FuzzDecodeKeyedHeader for operator headers.
func FuzzDecodeOperatorHeader(f *testing.F) {
	fuzzHeaders(f, false)
}

func fuzzHeaders(f *testing.F, keyed bool) {
	n := 0
	for _, c := range corpusHeaders(f) {
		if c.keyed == keyed && c.end <= 4096 && n < 64 {
			f.Add(c.data[:c.end], true)
			n++
		}
	}
	// The restore oracle's SQL sink materializers (Flink 2.2, 2.3): the
	// Java-serialized generated code of RowDataKeySerializerSnapshot.
	sink, err := filepath.Glob("../testdata/oracle/*/sink-materializer/*/savepoint/_metadata")
	if err != nil || len(sink) == 0 {
		f.Fatalf("no sink-materializer savepoints: %v", err)
	}
	for _, c := range headersOf(f, sink) {
		if c.keyed == keyed && c.end <= 64<<10 {
			f.Add(c.data[:c.end], true)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte, exact bool) {
		var opts *HeaderOptions
		if exact && len(b) > 0 {
			opts = &HeaderOptions{End: len(b)}
		}
		var n int
		var err error
		var states []StateMetaInfo
		if keyed {
			var h *KeyedHeader
			h, n, err = DecodeKeyedHeader(b, opts)
			if err == nil {
				states = h.States
				_ = h.KeySerializer.TypeString()
			}
		} else {
			var h *OperatorHeader
			h, n, err = DecodeOperatorHeader(b, opts)
			if err == nil {
				states = h.States()
			}
		}
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T %v is not a *FormatError", err, err)
			}
			if fe.Offset < 0 || fe.Offset > int64(len(b)) {
				t.Fatalf("error offset %d outside the %d bytes", fe.Offset, len(b))
			}
			return
		}
		if n < 0 || n > len(b) || opts != nil && n != len(b) {
			t.Fatalf("took %d of %d bytes (exact %v)", n, len(b), opts != nil)
		}
		for i := range states {
			for _, s := range states[i].Serializers {
				_ = s.Snapshot.TypeString()
			}
		}
	})
}

// A class name from the file that is not a Java name (control characters,
// terminal escapes, quotes) is shown escaped, in decoded values, output
// and errors alike: file bytes never reach the terminal as they are.
func TestHostileClassNamesEscaped(t *testing.T) {
	const evil = "com.x.Evil\x1b[2J\nSnapshot\"\x00"
	payload := []byte{0x12, 0x34}
	unknown := func(w *writer) { snap(w, evil, 5, func(w *writer) { w.b = append(w.b, payload...) }) }
	b := hb(func(w *writer) { keyedV6(w, stateV6("a", unknown), stateV6("b", simple(longSnap))) })
	h, _, err := DecodeKeyedHeader(b, &HeaderOptions{End: len(b)})
	if err != nil {
		t.Fatal(err)
	}
	var classes []string
	h.States[0].Serializer(ValueSerializerKey).Walk(func(s *SerializerSnapshot) { classes = append(classes, s.Class) })
	want := `"com.x.Evil\x1b[2J\nSnapshot\"\x00"`
	if len(classes) != 1 || classes[0] != want {
		t.Errorf("classes %q, want [%s]", classes, want)
	}
	if ts := h.States[0].Serializer(ValueSerializerKey).TypeString(); strings.ContainsAny(ts, "\x1b\n\x00") {
		t.Errorf("TypeString %q holds raw control characters", ts)
	}
	// Without an end and nothing after it to resynchronise on, the unknown
	// payload stops the decode: the error names the class, escaped.
	junk := func(w *writer) { w.b = append(w.b, 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad) }
	b = hb(func(w *writer) { keyedV6(w, stateV6("a", unknown), junk) })
	_, _, err = DecodeKeyedHeader(b, nil)
	if err == nil || strings.ContainsAny(err.Error(), "\x1b\n\x00") || !strings.Contains(err.Error(), `Evil\x1b[2J\nSnapshot`) {
		t.Errorf("error %q: want the class escaped", err)
	}
}

func TestJavaName(t *testing.T) {
	for in, want := range map[string]string{
		"org.apache.flink.api.common.typeutils.base.LongSerializer$LongSerializerSnapshot": "org.apache.flink.api.common.typeutils.base.LongSerializer$LongSerializerSnapshot",
		"[Lcom.x.Order;":                        "[Lcom.x.Order;",
		"com.x.Job$$Lambda$123/0x0000000800c0b": "com.x.Job$$Lambda$123/0x0000000800c0b",
		"com.ü.Ölkännchen":                      "com.ü.Ölkännchen",
		"":                                      `""`,
		"a b":                                   `"a b"`,
		"\xff\xfe":                              `"\xff\xfe"`,
		strings.Repeat("a", 2000):               `"` + strings.Repeat("a", 120) + `"…`,
	} {
		if got := javaName(in); got != want {
			t.Errorf("javaName(%q) = %s, want %s", in, got, want)
		}
	}
}
