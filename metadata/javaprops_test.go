package metadata

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// propsCorpusDir holds the real Flink _metadata files, read in place.
const propsCorpusDir = "../testdata/flink"

// propsTrailer is the CheckpointProperties trailer of one corpus file.
type propsTrailer struct {
	path string // slash-separated, relative to propsCorpusDir
	b    []byte
}

// corpusTrailers returns the trailers of all version 4+ corpus files. The
// trailer starts at the last AC ED 00 05 of the file. It fails the test
// when the corpus is missing.
func corpusTrailers(tb testing.TB) []propsTrailer {
	tb.Helper()
	if _, err := os.Stat(propsCorpusDir); err != nil {
		tb.Fatalf("corpus missing: %v", err)
	}
	var out []propsTrailer
	err := filepath.WalkDir(propsCorpusDir, func(path string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() || de.Name() != "_metadata" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if len(b) < 8 || binary.BigEndian.Uint32(b) != Magic {
			tb.Errorf("%s: not a metadata file", path)
			return nil
		}
		if int32(binary.BigEndian.Uint32(b[4:])) < 4 {
			return nil
		}
		i := bytes.LastIndex(b, []byte{0xac, 0xed, 0x00, 0x05})
		if i < 0 {
			tb.Errorf("%s: version 4+ file without a Java serialization trailer", path)
			return nil
		}
		rel, _ := filepath.Rel(propsCorpusDir, path)
		out = append(out, propsTrailer{path: filepath.ToSlash(rel), b: b[i:]})
		return nil
	})
	if err != nil {
		tb.Fatalf("walking corpus: %v", err)
	}
	if len(out) == 0 {
		tb.Fatalf("no version 4+ files in %s", propsCorpusDir)
	}
	return out
}

// distinctTrailers drops trailers whose bytes repeat an earlier one.
func distinctTrailers(trs []propsTrailer) []propsTrailer {
	seen := map[string]bool{}
	var out []propsTrailer
	for _, tr := range trs {
		if !seen[string(tr.b)] {
			seen[string(tr.b)] = true
			out = append(out, tr)
		}
	}
	return out
}

// The four kinds of snapshot the corpus holds (FORMAT.md §9.1).
var (
	propsCheckpoint = CheckpointProperties{TypeName: "Checkpoint", SharingFilesStrategy: "FORWARD_BACKWARD"}
	propsNative     = CheckpointProperties{Savepoint: true, TypeName: "Savepoint", FormatType: "NATIVE", PostCheckpointAction: "NONE"}
	propsCanonical  = CheckpointProperties{Savepoint: true, TypeName: "Savepoint", FormatType: "CANONICAL", PostCheckpointAction: "NONE"}
	propsSuspend    = CheckpointProperties{Savepoint: true, TypeName: "Suspend Savepoint", FormatType: "CANONICAL", PostCheckpointAction: "SUSPEND"}
)

// kindOf returns p with the retention and trigger flags cleared.
func kindOf(p CheckpointProperties) CheckpointProperties {
	return CheckpointProperties{
		Savepoint:            p.Savepoint,
		TypeName:             p.TypeName,
		FormatType:           p.FormatType,
		PostCheckpointAction: p.PostCheckpointAction,
		SharingFilesStrategy: p.SharingFilesStrategy,
	}
}

// wantKind returns the kind of snapshot a corpus directory name promises,
// or false when the name does not say.
func wantKind(rel string) (CheckpointProperties, bool) {
	dir := filepath.Base(filepath.Dir(filepath.FromSlash(rel)))
	switch {
	case (strings.HasPrefix(rel, "table-restore/") || strings.HasPrefix(rel, "table-restore-2.3/")) && dir == "savepoint":
		return propsSuspend, true
	case strings.HasSuffix(dir, "-checkpoint"):
		return propsCheckpoint, true
	case strings.HasSuffix(dir, "-savepoint-native"):
		return propsNative, true
	case strings.HasSuffix(dir, "-savepoint"):
		return propsCanonical, true
	}
	return CheckpointProperties{}, false
}

func TestPropsCorpus(t *testing.T) {
	trs := corpusTrailers(t)
	kinds := map[string]int{}
	identical, unnamed := 0, 0
	for _, tr := range trs {
		p, err := decodeProperties(tr.b)
		if err != nil {
			t.Errorf("%s: %v", tr.path, err)
			continue
		}
		if p == nil {
			t.Errorf("%s: decoded a null trailer", tr.path)
			continue
		}
		kind := kindOf(*p)
		if want, ok := wantKind(tr.path); ok {
			if kind != want {
				t.Errorf("%s: kind %+v, want %+v", tr.path, kind, want)
			}
		} else {
			unnamed++
			switch kind {
			case propsCheckpoint, propsNative, propsCanonical, propsSuspend:
			default:
				t.Errorf("%s: unexpected kind %+v", tr.path, kind)
			}
		}
		// Retention flags: checkpoints are discarded in every terminal
		// state, savepoints never; nothing in the corpus is unclaimed.
		discard := []bool{p.DiscardSubsumed, p.DiscardFinished, p.DiscardCancelled, p.DiscardFailed, p.DiscardSuspended}
		for _, d := range discard {
			if d == p.Savepoint {
				t.Errorf("%s: discard flags %v for savepoint=%v", tr.path, discard, p.Savepoint)
				break
			}
		}
		if p.Unclaimed {
			t.Errorf("%s: unclaimed", tr.path)
		}
		kinds[kind.TypeName+"/"+kind.FormatType+kind.SharingFilesStrategy]++

		if enc := encodeProperties(p); bytes.Equal(enc, tr.b) {
			identical++
		} else {
			t.Errorf("%s: re-encoding differs (%d bytes, want %d)\n got %x\nwant %x", tr.path, len(enc), len(tr.b), enc, tr.b)
		}
	}
	t.Logf("%d version 4+ corpus files, %d re-encoded byte-identical, %d in directories that do not name their kind; kinds %v",
		len(trs), identical, unnamed, kinds)
}

// The generic tree re-encodes to the same bytes, which checks the handle
// bookkeeping of both directions independently of the Flink mapping.
func TestPropsJavaTreeRoundTrip(t *testing.T) {
	for _, tr := range distinctTrailers(corpusTrailers(t)) {
		v, err := decodeJavaStream(tr.b)
		if err != nil {
			t.Fatalf("%s: %v", tr.path, err)
		}
		if enc := encodeJavaStream(v); !bytes.Equal(enc, tr.b) {
			t.Errorf("%s: tree re-encoding differs\n got %x\nwant %x", tr.path, enc, tr.b)
		}
	}
}

func TestPropsRoundTrip(t *testing.T) {
	types := []CheckpointProperties{
		{TypeName: "Checkpoint", SharingFilesStrategy: "FORWARD_BACKWARD"},
		{TypeName: "Full Checkpoint", SharingFilesStrategy: "FORWARD"},
	}
	for _, format := range []string{"CANONICAL", "NATIVE"} {
		for _, a := range []struct{ action, name string }{
			{"NONE", "Savepoint"},
			{"SUSPEND", "Suspend Savepoint"},
			{"TERMINATE", "Terminate Savepoint"},
		} {
			types = append(types, CheckpointProperties{Savepoint: true, TypeName: a.name, FormatType: format, PostCheckpointAction: a.action})
		}
	}
	n := 0
	for _, typ := range types {
		for bits := range 1 << 7 {
			p := typ
			for i, f := range []*bool{&p.Forced, &p.Unclaimed, &p.DiscardSubsumed, &p.DiscardFinished,
				&p.DiscardCancelled, &p.DiscardFailed, &p.DiscardSuspended} {
				*f = bits&(1<<i) != 0
			}
			b := encodeProperties(&p)
			q, err := decodeProperties(b)
			if err != nil {
				t.Fatalf("%+v: %v", p, err)
			}
			if q == nil || *q != p {
				t.Fatalf("round trip of %+v gave %+v", p, q)
			}
			n++
		}
	}
	t.Logf("%d combinations round-tripped", n)
}

func TestPropsNull(t *testing.T) {
	null := []byte{0xac, 0xed, 0x00, 0x05, 0x70}
	if got := encodeProperties(nil); !bytes.Equal(got, null) {
		t.Errorf("encodeProperties(nil) = %x, want %x", got, null)
	}
	p, err := decodeProperties(null)
	if p != nil || err != nil {
		t.Errorf("decodeProperties(null) = %+v, %v; want nil, nil", p, err)
	}
}

// trailerOf returns the first corpus trailer of the given kind.
func trailerOf(t *testing.T, want CheckpointProperties) []byte {
	t.Helper()
	for _, tr := range corpusTrailers(t) {
		if p, err := decodeProperties(tr.b); err == nil && p != nil && kindOf(*p) == want {
			return tr.b
		}
	}
	t.Fatalf("no corpus trailer of kind %+v", want)
	return nil
}

// replaceString swaps one TC_STRING for another in a stream.
func replaceString(t *testing.T, b []byte, old, new string) []byte {
	t.Helper()
	str := func(s string) []byte { return append([]byte{jsTCString, 0, byte(len(s))}, s...) }
	if bytes.Count(b, str(old)) != 1 {
		t.Fatalf("string %q not found exactly once", old)
	}
	return bytes.Replace(b, str(old), str(new), 1)
}

// Kinds absent from the corpus must use exactly the corpus layout with
// other names: derive their expected bytes by editing real trailers.
func TestPropsEncodeMatchesCorpusLayout(t *testing.T) {
	ckpt := trailerOf(t, propsCheckpoint)
	full := replaceString(t, replaceString(t, ckpt, "Checkpoint", "Full Checkpoint"), "FORWARD_BACKWARD", "FORWARD")
	susp := trailerOf(t, propsSuspend)
	term := replaceString(t, replaceString(t, susp, "Suspend Savepoint", "Terminate Savepoint"), "SUSPEND", "TERMINATE")
	nat := replaceString(t, term, "CANONICAL", "NATIVE")
	for _, b := range [][]byte{full, term, nat} {
		p, err := decodeProperties(b)
		if err != nil {
			t.Fatal(err)
		}
		if enc := encodeProperties(p); !bytes.Equal(enc, b) {
			t.Errorf("%+v:\n got %x\nwant %x", *p, enc, b)
		}
	}
}

// Fields a later Flink might add are skipped, and fields it might drop
// leave zero values.
func TestPropsUnknownAndMissingFields(t *testing.T) {
	b := trailerOf(t, propsCanonical)
	want, err := decodeProperties(b)
	if err != nil {
		t.Fatal(err)
	}
	tree := func() *jsObject {
		v, err := decodeJavaStream(b)
		if err != nil {
			t.Fatal(err)
		}
		return v.(*jsObject)
	}

	o := tree()
	cd := &o.Data[0]
	n := len(cd.Class.Fields)
	// A primitive (before the object fields) and an object field.
	cd.Class.Fields = append(cd.Class.Fields[:n-1:n-1],
		jsField{Type: 'J', Name: "futureLong"}, cd.Class.Fields[n-1],
		jsField{Type: 'L', Name: "futureObject", Sig: "Ljava/lang/Object;"})
	cd.Values = append(cd.Values[:n-1:n-1], int64(-1), cd.Values[n-1],
		&jsEnum{Class: &jsClassDesc{Name: "Future", Flags: jsSCSerializable | jsSCEnum}, Name: "X"})
	got, err := decodeProperties(encodeJavaStream(o))
	if err != nil {
		t.Fatal(err)
	}
	if *got != *want {
		t.Errorf("with extra fields: %+v, want %+v", *got, *want)
	}

	// Keep only the five discard flags of a checkpoint.
	v, err := decodeJavaStream(trailerOf(t, propsCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	o = v.(*jsObject)
	cd = &o.Data[0]
	cd.Class.Fields = cd.Class.Fields[:5]
	cd.Values = cd.Values[:5]
	got, err = decodeProperties(encodeJavaStream(o))
	if err != nil {
		t.Fatal(err)
	}
	want = &CheckpointProperties{DiscardSubsumed: true, DiscardFinished: true, DiscardCancelled: true,
		DiscardFailed: true, DiscardSuspended: true}
	if *got != *want {
		t.Errorf("without forced, unclaimed and type: %+v, want %+v", *got, *want)
	}
}

// Every proper prefix of a real trailer is an error, never a panic, and
// the error points inside the prefix.
func TestPropsTruncated(t *testing.T) {
	n := 0
	for _, tr := range distinctTrailers(corpusTrailers(t)) {
		for i := range len(tr.b) {
			_, err := decodeProperties(tr.b[:i])
			var pe *propsError
			if !errors.As(err, &pe) {
				t.Fatalf("%s truncated to %d bytes: error %v, want *propsError", tr.path, i, err)
			}
			if pe.Offset < 0 || pe.Offset > int64(i) {
				t.Fatalf("%s truncated to %d bytes: offset %d outside the input", tr.path, i, pe.Offset)
			}
			n++
		}
	}
	t.Logf("%d truncations rejected", n)
}

// nestedObjects builds a stream of depth objects of a class N, each the
// value of the previous one's only field.
func nestedObjects(depth int) []byte {
	b := []byte{0xac, 0xed, 0x00, 0x05}
	b = append(b, jsTCObject, jsTCClassDesc, 0, 1, 'N', 0, 0, 0, 0, 0, 0, 0, 1, jsSCSerializable, 0, 1, 'L', 0, 1, 'n')
	b = append(b, jsTCString, 0, 18)
	b = append(b, "Ljava/lang/Object;"...)
	b = append(b, jsTCEndBlockData, jsTCNull)
	for range depth - 1 {
		b = append(b, jsTCObject, jsTCReference, 0x00, 0x7e, 0x00, 0x00)
	}
	return append(b, jsTCNull)
}

// nestedSupers builds a class descriptor with depth nested superclass
// descriptors.
func nestedSupers(depth int) []byte {
	b := []byte{0xac, 0xed, 0x00, 0x05, jsTCObject}
	for range depth {
		b = append(b, jsTCClassDesc, 0, 1, 'S', 0, 0, 0, 0, 0, 0, 0, 1, jsSCSerializable, 0, 0, jsTCEndBlockData)
	}
	return append(b, jsTCNull)
}

func TestPropsHostile(t *testing.T) {
	ckpt := trailerOf(t, propsCheckpoint)
	sp := trailerOf(t, propsNative)
	edit := func(b []byte, at int, v ...byte) []byte {
		c := bytes.Clone(b)
		copy(c[at:], v)
		return c
	}
	enumRef := bytes.Index(sp, []byte{jsTCReference, 0x00, 0x7e, 0x00, 0x09})
	if enumRef < 0 {
		t.Fatal("no reference to java.lang.Enum in the native savepoint trailer")
	}
	typeObj := bytes.Index(ckpt, []byte("sr\x00\x32org.apache.flink.runtime.checkpoint.CheckpointType"))
	if typeObj < 0 {
		t.Fatal("no CheckpointType object in the checkpoint trailer")
	}
	for _, tc := range []struct {
		name string
		in   []byte
		off  int64
		msg  string
	}{
		{"bad magic", edit(ckpt, 0, 0xca, 0xfe), 0, "bad stream magic"},
		{"bad version", edit(ckpt, 2, 0, 4), 2, "unsupported stream version 4"},
		{"empty", nil, 0, "unexpected end of data reading stream magic"},
		{"bad type code", edit(ckpt, 4, 0x6f), 4, "invalid type code 0x6f"},
		{"block data as object", edit(ckpt, 4, jsTCBlockData), 4, "unexpected block data"},
		{"huge class name", edit(ckpt, 6, 0xff, 0xff), 6, "class name length 65535 exceeds"},
		{"bad modified UTF-8", edit(ckpt, 10, 0x80), 10, "malformed modified UTF-8 in class name"},
		{"bad field type", edit(ckpt, 0x4b, 'X'), 0x4b, "invalid field type code 0x58"},
		{"negative field count", edit(ckpt, 0x49, 0x80), 0x49, "negative field count"},
		{"unknown handle", edit(sp, enumRef+4, 0x63), int64(enumRef), "reference to unknown handle 0x7e0063"},
		{"handle of a string", edit(sp, enumRef+4, 0x01), int64(enumRef), "refers to a string, not a class descriptor"},
		{"trailing bytes", append(bytes.Clone(ckpt), 0), int64(len(ckpt)), "1 trailing bytes"},
		{"unknown snapshot type", edit(ckpt, typeObj+4+len("org.apache.flink.runtime.checkpoint.CheckpointTyp"), 'X'),
			int64(typeObj), "unknown snapshot type class"},
		{"string at top level", []byte{0xac, 0xed, 0, 5, jsTCString, 0, 1, 'A'}, 4, "top-level object is a string"},
		{"huge long string", []byte{0xac, 0xed, 0, 5, jsTCLongString, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 'A'}, 5, "long string length"},
		// The 32nd object fails when reading its class descriptor (the
		// 33rd level), at 47 + 30×6 + 1; the 32nd nested superclass
		// descriptor starts at 5 + 31×16.
		{"deep objects", nestedObjects(40), 228, "nested deeper than 32 levels"},
		{"deep superclasses", nestedSupers(40), 501, "nested deeper than 32 levels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := decodeProperties(tc.in)
			var pe *propsError
			if !errors.As(err, &pe) {
				t.Fatalf("got %+v, %v; want a *propsError", p, err)
			}
			if pe.Offset != tc.off || !strings.Contains(pe.Msg, tc.msg) {
				t.Errorf("error %q; want %q at offset %d", err, tc.msg, tc.off)
			}
			want := "java serialization: " + pe.Msg + " at offset "
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error text %q does not start with %q", err, want)
			}
		})
	}
	// Shallow nesting of the same shapes is fine for the parser; only the
	// mapping rejects the unrelated class.
	for _, b := range [][]byte{nestedObjects(20), nestedSupers(20)} {
		if _, err := decodeJavaStream(b); err != nil {
			t.Errorf("shallow nesting: %v", err)
		}
	}
}

// jsStream builds test streams: each argument is a byte (int or rune), a string written
// as u16-length modified UTF-8, or raw bytes.
func jsStream(parts ...any) []byte {
	b := []byte{0xac, 0xed, 0x00, 0x05}
	for _, p := range parts {
		switch p := p.(type) {
		case int:
			b = append(b, byte(p))
		case rune:
			b = append(b, byte(p))
		case string:
			b = binary.BigEndian.AppendUint16(b, uint16(len(p)))
			b = append(b, p...)
		case []byte:
			b = append(b, p...)
		}
	}
	return b
}

// jsGrammarStream exercises the grammar beyond what Flink's trailer uses:
// arrays, class objects, proxy class descriptors, writeObject data with
// short and long block data, externalizable data and a reference to an
// object from inside itself. It is canonical: it re-encodes
// byte-identically.
func jsGrammarStream() []byte {
	suid := []byte{0, 0, 0, 0, 0, 0, 0, 1}
	long := bytes.Repeat([]byte{0xcc}, 300)
	return jsStream(
		jsTCObject, jsTCClassDesc, "Outer", suid, jsSCSerializable|jsSCWriteMethod, []byte{0, 6},
		'I', "i",
		'[', "arr", jsTCString, "[I",
		'[', "bytes", jsTCString, "[B",
		'[', "objs", jsTCString, "[Ljava/lang/Object;",
		'L', "cls", jsTCString, "Ljava/lang/Class;",
		'L', "ext", jsTCString, "Ljava/lang/Object;",
		jsTCEndBlockData, jsTCNull,
		// i
		[]byte{0, 0, 0, 42},
		// arr
		jsTCArray, jsTCClassDesc, "[I", suid, jsSCSerializable, []byte{0, 0}, jsTCEndBlockData, jsTCNull,
		[]byte{0, 0, 0, 2, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff},
		// bytes
		jsTCArray, jsTCClassDesc, "[B", suid, jsSCSerializable, []byte{0, 0}, jsTCEndBlockData, jsTCNull,
		[]byte{0, 0, 0, 3, 1, 2, 3},
		// objs: a string, a proxy class, the outer object itself
		jsTCArray, jsTCClassDesc, "[Ljava.lang.Object;", suid, jsSCSerializable, []byte{0, 0}, jsTCEndBlockData, jsTCNull,
		[]byte{0, 0, 0, 3},
		jsTCString, "abc",
		jsTCClass, jsTCProxyClassDesc, []byte{0, 0, 0, 1}, "java.lang.Runnable", jsTCEndBlockData,
		jsTCClassDesc, "java.lang.reflect.Proxy", suid, jsSCSerializable, []byte{0, 1},
		'L', "h", jsTCString, "Ljava/lang/reflect/InvocationHandler;", jsTCEndBlockData, jsTCNull,
		jsTCReference, []byte{0x00, 0x7e, 0x00, 0x06},
		// cls
		jsTCClass, jsTCReference, []byte{0x00, 0x7e, 0x00, 0x00},
		// ext
		jsTCObject, jsTCClassDesc, "Ext", suid, jsSCExternalizable|jsSCBlockData, []byte{0, 0}, jsTCEndBlockData, jsTCNull,
		jsTCBlockData, 2, 0xaa, 0xbb, jsTCBlockDataLong, []byte{0, 0, 1, 44}, long, jsTCEndBlockData,
		// writeObject data of Outer
		jsTCBlockData, 1, 0xff, jsTCString, "x", jsTCEndBlockData,
	)
}

func TestPropsJavaGrammar(t *testing.T) {
	b := jsGrammarStream()
	v, err := decodeJavaStream(b)
	if err != nil {
		t.Fatal(err)
	}
	o := v.(*jsObject)
	if i, _ := o.field("i"); i != int32(42) {
		t.Errorf("i = %v", i)
	}
	if a, _ := o.field("arr"); len(a.(*jsArray).Elems) != 2 || a.(*jsArray).Elems[1] != int32(-1) {
		t.Errorf("arr = %+v", a)
	}
	if a, _ := o.field("bytes"); !bytes.Equal(a.(*jsArray).Bytes, []byte{1, 2, 3}) {
		t.Errorf("bytes = %+v", a)
	}
	if a, _ := o.field("objs"); a.(*jsArray).Elems[2] != o {
		t.Errorf("objs[2] is not the outer object")
	}
	if ext, _ := o.field("ext"); len(ext.(*jsObject).External) != 2 {
		t.Errorf("ext = %+v", ext)
	}
	if ann := o.Data[0].Annotation; len(ann) != 2 || ann[1] != "x" {
		t.Errorf("writeObject data = %+v", ann)
	}
	if enc := encodeJavaStream(v); !bytes.Equal(enc, b) {
		t.Errorf("re-encoding differs\n got %x\nwant %x", enc, b)
	}

	// A TC_LONGSTRING decodes like a TC_STRING.
	if v, err := decodeJavaStream(jsStream(jsTCLongString, []byte{0, 0, 0, 0, 0, 0, 0, 2}, []byte("hi"))); v != "hi" || err != nil {
		t.Errorf("long string: %v, %v", v, err)
	}
}

func TestPropsJavaUTF(t *testing.T) {
	for _, tc := range []struct {
		s   string
		enc []byte
	}{
		{"", nil},
		{"abc", []byte("abc")},
		{"\x00", []byte{0xc0, 0x80}},
		{"é", []byte{0xc3, 0xa9}},
		{"€", []byte{0xe2, 0x82, 0xac}},
		{"😀", []byte{0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80}},
	} {
		if got := appendJavaUTF(nil, tc.s); !bytes.Equal(got, tc.enc) {
			t.Errorf("appendJavaUTF(%q) = %x, want %x", tc.s, got, tc.enc)
		}
		if got, bad := javaUTF(tc.enc); got != tc.s || bad >= 0 {
			t.Errorf("javaUTF(%x) = %q, %d; want %q", tc.enc, got, bad, tc.s)
		}
	}
	for _, tc := range []struct {
		in  []byte
		bad int
	}{
		{[]byte{'a', 0x80}, 1},
		{[]byte{'a', 0xc3}, 1},
		{[]byte{0xe2, 0x82}, 0},
		{[]byte{0xe2, 0x82, 0x2c}, 0},
		{[]byte{0xf0, 0x9f, 0x98, 0x80}, 0},
	} {
		if _, bad := javaUTF(tc.in); bad != tc.bad {
			t.Errorf("javaUTF(%x): bad byte at %d, want %d", tc.in, bad, tc.bad)
		}
	}
	// The JDK reader is lenient about a literal NUL.
	if s, bad := javaUTF([]byte{'a', 0, 0xc1, 0x81}); s != "a\x00A" || bad >= 0 {
		t.Errorf("lenient decoding gave %q, %d", s, bad)
	}
}

// FuzzDecodeProperties checks that decoding never panics, that errors
// carry an offset inside the input, and that whatever decodes re-encodes
// to something that decodes to the same properties and the same tree.
func FuzzDecodeProperties(f *testing.F) {
	for _, tr := range distinctTrailers(corpusTrailers(f)) {
		f.Add(tr.b)
	}
	f.Add([]byte{0xac, 0xed, 0x00, 0x05, 0x70})
	f.Add(nestedObjects(3))
	f.Add(nestedSupers(3))
	f.Add(jsGrammarStream())
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodeProperties(b)
		if err != nil {
			var pe *propsError
			if !errors.As(err, &pe) || pe.Offset < 0 || pe.Offset > int64(len(b)) {
				t.Fatalf("bad error %v", err)
			}
		} else {
			q, err := decodeProperties(encodeProperties(p))
			if err != nil {
				t.Fatalf("re-encoding of %+v does not decode: %v", p, err)
			}
			if (p == nil) != (q == nil) || (p != nil && *p != *q) {
				t.Fatalf("re-encoding of %+v decodes as %+v", p, q)
			}
		}
		tree, err := decodeJavaStream(b)
		if err != nil {
			return
		}
		b2 := encodeJavaStream(tree)
		tree2, err := decodeJavaStream(b2)
		if err != nil {
			t.Fatalf("re-encoded tree does not decode: %v\n%x", err, b2)
		}
		if b3 := encodeJavaStream(tree2); !bytes.Equal(b3, b2) {
			t.Fatalf("tree encoding not stable\n%x\n%x", b2, b3)
		}
	})
}

// A class name that is not a Java name stays as read in the tree, so that
// the tree encodes back to the same bytes, and is shown escaped: a hostile
// name puts no control character into an error.
func TestJavaStreamHostileClassName(t *testing.T) {
	var src []byte
	for _, tr := range corpusTrailers(t) {
		if bytes.Contains(tr.b, []byte(jsClassSavepointType)) {
			src = tr.b
			break
		}
	}
	if src == nil {
		t.Fatal("no savepoint trailer in the corpus")
	}
	// The same length, so that the stream stays well formed.
	hostile := "\x1b[31morg.apache.flink.runtime.checkpoint.Savepoin"
	if len(hostile) != len(jsClassSavepointType) {
		t.Fatalf("replacement is %d bytes, want %d", len(hostile), len(jsClassSavepointType))
	}
	b := bytes.Replace(src, []byte(jsClassSavepointType), []byte(hostile), 1)

	tree, err := decodeJavaStream(b)
	if err != nil {
		t.Fatal(err)
	}
	if again := encodeJavaStream(tree); !bytes.Equal(again, b) {
		t.Errorf("the tree encodes to other bytes:\n%x\nwant\n%x", again, b)
	}

	_, err = decodeProperties(b)
	want := `unknown snapshot type class "\x1b[31morg.apache.flink.runtime.checkpoint.Savepoin"`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want it to contain %s", err, want)
	}
	if strings.ContainsRune(err.Error(), 0x1b) {
		t.Errorf("error %q holds the escape character", err)
	}
}
