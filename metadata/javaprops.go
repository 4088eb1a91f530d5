package metadata

// This file decodes and encodes the trailer that metadata versions 4 and
// later end with: a CheckpointProperties object written by a fresh
// java.io.ObjectOutputStream (FORMAT.md §9). A small, general parser for
// the Java Object Serialization Stream Protocol builds a generic tree of
// class descriptors, objects, enum constants and strings; the tree is then
// mapped onto CheckpointProperties. The encoder builds the tree Flink's
// objects correspond to and writes it the way ObjectOutputStream does,
// handles and back references included.

import (
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf16"
	"unicode/utf8"
)

// Stream header and type codes of the Java serialization protocol
// (java.io.ObjectStreamConstants).
const (
	jsMagic      = 0xaced
	jsVersion    = 5
	jsBaseHandle = 0x7e0000

	jsTCNull           = 0x70
	jsTCReference      = 0x71
	jsTCClassDesc      = 0x72
	jsTCObject         = 0x73
	jsTCString         = 0x74
	jsTCArray          = 0x75
	jsTCClass          = 0x76
	jsTCBlockData      = 0x77
	jsTCEndBlockData   = 0x78
	jsTCReset          = 0x79
	jsTCBlockDataLong  = 0x7a
	jsTCException      = 0x7b
	jsTCLongString     = 0x7c
	jsTCProxyClassDesc = 0x7d
	jsTCEnum           = 0x7e
)

// Class descriptor flags.
const (
	jsSCWriteMethod    = 0x01
	jsSCSerializable   = 0x02
	jsSCExternalizable = 0x04
	jsSCBlockData      = 0x08
	jsSCEnum           = 0x10
)

// jsMaxDepth bounds the nesting of objects and class descriptors, so that
// hostile input cannot exhaust the stack. Flink's trailer nests five deep.
const jsMaxDepth = 32

// Class names and serialVersionUIDs Flink writes in the trailer.
const (
	jsClassProperties     = "org.apache.flink.runtime.checkpoint.CheckpointProperties"
	jsClassCheckpointType = "org.apache.flink.runtime.checkpoint.CheckpointType"
	jsClassSavepointType  = "org.apache.flink.runtime.checkpoint.SavepointType"
	jsClassSharing        = "org.apache.flink.runtime.checkpoint.SnapshotType$SharingFilesStrategy"
	jsClassFormatType     = "org.apache.flink.core.execution.SavepointFormatType"
	jsClassPostAction     = "org.apache.flink.runtime.checkpoint.SavepointType$PostCheckpointAction"
	jsClassEnum           = "java.lang.Enum"

	jsSUIDProperties     int64 = 2
	jsSUIDCheckpointType int64 = -0x2921b0fcfa51e2c6 // 0xd6de4f0305ae1d3a, computed by the JVM
	jsSUIDSavepointType  int64 = -0x5f782cf75ba7eb48 // 0xa087d308a45814b8, computed by the JVM
)

// propsError reports where and why decoding the Java-serialized
// CheckpointProperties trailer failed. Offset counts from the first byte of
// the stream (the AC of AC ED 00 05).
type propsError struct {
	Offset int64
	Msg    string
}

func (e *propsError) Error() string {
	return fmt.Sprintf("java serialization: %s at offset %d", e.Msg, e.Offset)
}

// jsClassDesc is a class descriptor (TC_CLASSDESC or TC_PROXYCLASSDESC).
type jsClassDesc struct {
	Name       string
	SUID       int64
	Flags      byte
	Fields     []jsField
	Annotation []any // class annotation contents, usually empty
	Super      *jsClassDesc

	Proxy      bool     // a dynamic proxy class descriptor
	Interfaces []string // proxy interfaces

	complete bool         // decoder: the descriptor has been read to its end
	dataUp   *jsClassDesc // decoder: nearest superclass that carries class data
}

// hasData reports whether objects of the class carry class data of their
// own for this descriptor: field values or custom (writeObject) data. Each
// such class consumes at least one byte per object.
func (c *jsClassDesc) hasData() bool {
	return len(c.Fields) > 0 || c.Flags&jsSCWriteMethod != 0
}

// jsField is one serializable field of a class descriptor.
type jsField struct {
	Type byte   // B C D F I J S Z for primitives, L for objects, [ for arrays
	Name string // field name
	Sig  string // JVM type signature for L and [ fields
}

// jsObject is an instance of a serializable or externalizable class.
type jsObject struct {
	Off   int // offset of the TC_OBJECT byte, for error messages
	Class *jsClassDesc
	// Data holds the class data of each class in the hierarchy that has
	// any, top-most superclass first.
	Data []jsClassData
	// External is the block-data content of an externalizable object.
	External []any
}

// jsClassData is the part of an object written for one class of its
// hierarchy.
type jsClassData struct {
	Class *jsClassDesc
	// Values holds one value per field of Class, in descriptor order:
	// bool, int8, uint16, int16, int32, int64, float32 or float64 for
	// primitives, and nil, string or a *js… node for objects.
	Values []any
	// Annotation holds what a writeObject method wrote after the default
	// fields (SC_WRITE_METHOD only).
	Annotation []any
}

// jsEnum is an enum constant.
type jsEnum struct {
	Off   int
	Class *jsClassDesc
	Name  string
}

// jsArray is an array; Bytes holds byte[] contents, Elems everything else.
type jsArray struct {
	Off   int
	Class *jsClassDesc
	Bytes []byte
	Elems []any
}

// jsClass is a java.lang.Class object (TC_CLASS).
type jsClass struct {
	Class *jsClassDesc
}

// jsBlock is a block of custom data inside an annotation.
type jsBlock []byte

// field returns the value of the named field, looking from the object's
// own class up to its top-most superclass.
func (o *jsObject) field(name string) (any, bool) {
	for i := len(o.Data) - 1; i >= 0; i-- {
		cd := &o.Data[i]
		for j, f := range cd.Class.Fields {
			if f.Name == name && j < len(cd.Values) {
				return cd.Values[j], true
			}
		}
	}
	return nil, false
}

// decodeProperties parses the Java serialization stream b (starting with
// AC ED 00 05). It returns (nil, nil) for a stream holding only a Java null.
// Errors are *propsError values carrying the offset within b.
func decodeProperties(b []byte) (*CheckpointProperties, error) {
	// The top level is a CheckpointProperties object: refuse an array
	// before reading it, so that none is allocated for a stream that
	// cannot be one.
	if len(b) > 4 && b[4] == jsTCArray {
		return nil, &propsError{Offset: 4, Msg: "the top-level object is an array, not CheckpointProperties"}
	}
	v, err := decodeJavaStream(b)
	if err != nil {
		return nil, err
	}
	return propertiesFromJava(v)
}

// decodeJavaStream parses a stream holding exactly one object and returns
// its tree.
func decodeJavaStream(b []byte) (any, error) {
	d := &jsDecoder{b: b}
	magic, err := d.u16("stream magic")
	if err != nil {
		return nil, err
	}
	if magic != jsMagic {
		return nil, d.fail(0, "bad stream magic %#04x", magic)
	}
	version, err := d.u16("stream version")
	if err != nil {
		return nil, err
	}
	if version != jsVersion {
		return nil, d.fail(2, "unsupported stream version %d", version)
	}
	v, err := d.object("top-level object")
	if err != nil {
		return nil, err
	}
	if d.off != len(b) {
		return nil, d.fail(d.off, "%d trailing bytes after top-level object", len(b)-d.off)
	}
	return v, nil
}

// jsDecoder is the read cursor and handle table of one stream.
type jsDecoder struct {
	b       []byte
	off     int
	handles []any
	depth   int
	elems   int64 // array elements read so far
}

// jsMaxElems bounds the array elements of one stream; Flink's serialized
// objects in metadata and state headers hold a few dozen.
const jsMaxElems = 1 << 20

func (d *jsDecoder) fail(off int, format string, args ...any) error {
	return &propsError{Offset: int64(off), Msg: fmt.Sprintf(format, args...)}
}

// take consumes n bytes, or fails naming what was being read.
func (d *jsDecoder) take(n int, what string) ([]byte, error) {
	if n < 0 || n > len(d.b)-d.off {
		return nil, d.fail(d.off, "unexpected end of data reading %s", what)
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p, nil
}

func (d *jsDecoder) u8(what string) (byte, error) {
	p, err := d.take(1, what)
	if err != nil {
		return 0, err
	}
	return p[0], nil
}

func (d *jsDecoder) u16(what string) (uint16, error) {
	p, err := d.take(2, what)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint16(p), nil
}

func (d *jsDecoder) u32(what string) (uint32, error) {
	p, err := d.take(4, what)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint32(p), nil
}

func (d *jsDecoder) u64(what string) (uint64, error) {
	p, err := d.take(8, what)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint64(p), nil
}

// peek returns the next byte without consuming it.
func (d *jsDecoder) peek(what string) (byte, error) {
	if d.off >= len(d.b) {
		return 0, d.fail(d.off, "unexpected end of data reading %s", what)
	}
	return d.b[d.off], nil
}

// enter guards against nesting deeper than jsMaxDepth; leave undoes it.
func (d *jsDecoder) enter(what string) error {
	if d.depth >= jsMaxDepth {
		return d.fail(d.off, "%s nested deeper than %d levels", what, jsMaxDepth)
	}
	d.depth++
	return nil
}

func (d *jsDecoder) leave() { d.depth-- }

// assign gives v the next handle.
func (d *jsDecoder) assign(v any) { d.handles = append(d.handles, v) }

// utf reads a u16-length modified UTF-8 string.
func (d *jsDecoder) utf(what string) (string, error) {
	at := d.off
	n, err := d.u16(what + " length")
	if err != nil {
		return "", err
	}
	return d.utfBody(at, int64(n), what)
}

// utfBody reads n bytes of modified UTF-8 whose length field is at lenAt.
func (d *jsDecoder) utfBody(lenAt int, n int64, what string) (string, error) {
	if n > int64(len(d.b)-d.off) {
		return "", d.fail(lenAt, "%s length %d exceeds the %d bytes left", what, n, len(d.b)-d.off)
	}
	start := d.off
	p, _ := d.take(int(n), what)
	s, bad := javaUTF(p)
	if bad >= 0 {
		return "", d.fail(start+bad, "malformed modified UTF-8 in %s", what)
	}
	return s, nil
}

// reference reads the handle of a TC_REFERENCE (whose type code at start
// has been consumed) and returns the object it names.
func (d *jsDecoder) reference(start int, what string) (any, error) {
	h, err := d.u32(what + " handle")
	if err != nil {
		return nil, err
	}
	i := int64(h) - jsBaseHandle
	if i < 0 || i >= int64(len(d.handles)) {
		return nil, d.fail(start, "reference to unknown handle %#x in %s", h, what)
	}
	v := d.handles[i]
	if c, ok := v.(*jsClassDesc); ok && !c.complete {
		return nil, d.fail(start, "reference to incomplete class descriptor %s in %s", javaName(c.Name), what)
	}
	return v, nil
}

// object reads one content element in object position: null, a back
// reference, or a new object, string, enum constant, array, class or class
// descriptor.
func (d *jsDecoder) object(what string) (any, error) {
	if err := d.enter(what); err != nil {
		return nil, err
	}
	defer d.leave()
	start := d.off
	tc, err := d.u8(what)
	if err != nil {
		return nil, err
	}
	switch tc {
	case jsTCNull:
		return nil, nil
	case jsTCReference:
		return d.reference(start, what)
	case jsTCClassDesc, jsTCProxyClassDesc:
		d.off = start
		return d.classDesc(what)
	case jsTCObject:
		return d.newObject(start)
	case jsTCString:
		s, err := d.utf("string")
		if err != nil {
			return nil, err
		}
		d.assign(s)
		return s, nil
	case jsTCLongString:
		s, err := d.longString()
		if err != nil {
			return nil, err
		}
		d.assign(s)
		return s, nil
	case jsTCEnum:
		return d.newEnum(start)
	case jsTCArray:
		return d.newArray(start)
	case jsTCClass:
		c, err := d.classDesc("class object descriptor")
		if err != nil {
			return nil, err
		}
		if c == nil {
			return nil, d.fail(start, "class object with null descriptor")
		}
		v := &jsClass{Class: c}
		d.assign(v)
		return v, nil
	case jsTCBlockData, jsTCBlockDataLong:
		return nil, d.fail(start, "unexpected block data in %s", what)
	case jsTCEndBlockData:
		return nil, d.fail(start, "unexpected end of block data in %s", what)
	case jsTCReset, jsTCException:
		return nil, d.fail(start, "unsupported type code %#02x in %s", tc, what)
	}
	return nil, d.fail(start, "invalid type code %#02x in %s", tc, what)
}

// longString reads the body of a TC_LONGSTRING.
func (d *jsDecoder) longString() (string, error) {
	at := d.off
	n, err := d.u64("long string length")
	if err != nil {
		return "", err
	}
	if n > uint64(len(d.b)-d.off) {
		return "", d.fail(at, "long string length %d exceeds the %d bytes left", n, len(d.b)-d.off)
	}
	return d.utfBody(at, int64(n), "long string")
}

// classDesc reads a class descriptor in descriptor position: a new
// (proxy) descriptor, a reference to one, or null.
func (d *jsDecoder) classDesc(what string) (*jsClassDesc, error) {
	if err := d.enter(what); err != nil {
		return nil, err
	}
	defer d.leave()
	start := d.off
	tc, err := d.u8(what)
	if err != nil {
		return nil, err
	}
	switch tc {
	case jsTCNull:
		return nil, nil
	case jsTCReference:
		v, err := d.reference(start, what)
		if err != nil {
			return nil, err
		}
		c, ok := v.(*jsClassDesc)
		if !ok {
			return nil, d.fail(start, "%s refers to %s, not a class descriptor", what, jsKind(v))
		}
		return c, nil
	case jsTCClassDesc:
		return d.newClassDesc(start)
	case jsTCProxyClassDesc:
		return d.newProxyDesc()
	}
	return nil, d.fail(start, "invalid type code %#02x for %s", tc, what)
}

// newClassDesc reads the body of a TC_CLASSDESC.
func (d *jsDecoder) newClassDesc(start int) (*jsClassDesc, error) {
	name, err := d.utf("class name")
	if err != nil {
		return nil, err
	}
	qn := javaName(name)
	suid, err := d.u64("serialVersionUID of " + qn)
	if err != nil {
		return nil, err
	}
	c := &jsClassDesc{Name: name, SUID: int64(suid)}
	d.assign(c)
	flagsAt := d.off
	if c.Flags, err = d.u8("class flags of " + qn); err != nil {
		return nil, err
	}
	if c.Flags&jsSCSerializable != 0 && c.Flags&jsSCExternalizable != 0 {
		return nil, d.fail(flagsAt, "class %s: serializable and externalizable flags conflict", qn)
	}
	countAt := d.off
	n, err := d.u16("field count of " + qn)
	if err != nil {
		return nil, err
	}
	if int16(n) < 0 {
		return nil, d.fail(countAt, "class %s: negative field count %d", qn, int16(n))
	}
	if c.Flags&jsSCEnum != 0 && (c.SUID != 0 || n != 0) {
		return nil, d.fail(start, "enum class %s: non-zero serialVersionUID or field count", qn)
	}
	sawObject := false
	for range n {
		fieldAt := d.off
		tc, err := d.u8("field type of " + qn)
		if err != nil {
			return nil, err
		}
		f := jsField{Type: tc}
		if f.Name, err = d.utf("field name"); err != nil {
			return nil, err
		}
		switch tc {
		case 'B', 'C', 'D', 'F', 'I', 'J', 'S', 'Z':
			if sawObject {
				return nil, d.fail(fieldAt, "class %s: primitive field %s after object fields", qn, javaName(f.Name))
			}
		case 'L', '[':
			sawObject = true
			if f.Sig, err = d.typeString(name, f.Name); err != nil {
				return nil, err
			}
		default:
			return nil, d.fail(fieldAt, "class %s: invalid field type code %#02x", qn, tc)
		}
		c.Fields = append(c.Fields, f)
	}
	if c.Annotation, err = d.annotation("annotation of class " + qn); err != nil {
		return nil, err
	}
	if c.Super, err = d.classDesc("superclass of " + qn); err != nil {
		return nil, err
	}
	d.finishDesc(c)
	return c, nil
}

// newProxyDesc reads the body of a TC_PROXYCLASSDESC.
func (d *jsDecoder) newProxyDesc() (*jsClassDesc, error) {
	c := &jsClassDesc{Proxy: true, Flags: jsSCSerializable}
	d.assign(c)
	countAt := d.off
	n, err := d.u32("proxy interface count")
	if err != nil {
		return nil, err
	}
	if uint64(n) > uint64(len(d.b)-d.off)/2 {
		return nil, d.fail(countAt, "proxy interface count %d exceeds the bytes left", n)
	}
	for range n {
		s, err := d.utf("proxy interface name")
		if err != nil {
			return nil, err
		}
		c.Interfaces = append(c.Interfaces, s)
	}
	if c.Annotation, err = d.annotation("proxy class annotation"); err != nil {
		return nil, err
	}
	if c.Super, err = d.classDesc("superclass of proxy class"); err != nil {
		return nil, err
	}
	d.finishDesc(c)
	return c, nil
}

// finishDesc marks c complete and links it to the nearest superclass with
// class data, so that reading an object costs time in proportion to the
// bytes its class data take.
func (d *jsDecoder) finishDesc(c *jsClassDesc) {
	if s := c.Super; s != nil {
		if s.hasData() {
			c.dataUp = s
		} else {
			c.dataUp = s.dataUp
		}
	}
	c.complete = true
}

// typeString reads the JVM type signature of an object field.
func (d *jsDecoder) typeString(class, field string) (string, error) {
	what := "type of field " + javaName(class+"."+field)
	start := d.off
	tc, err := d.u8(what)
	if err != nil {
		return "", err
	}
	var s string
	switch tc {
	case jsTCString:
		s, err = d.utf(what)
	case jsTCLongString:
		s, err = d.longString()
	case jsTCReference:
		v, rerr := d.reference(start, what)
		if rerr != nil {
			return "", rerr
		}
		rs, ok := v.(string)
		if !ok {
			return "", d.fail(start, "%s refers to %s, not a string", what, jsKind(v))
		}
		return rs, nil
	default:
		return "", d.fail(start, "invalid type code %#02x for %s", tc, what)
	}
	if err != nil {
		return "", err
	}
	d.assign(s)
	return s, nil
}

// annotation reads block data and objects up to and including
// TC_ENDBLOCKDATA.
func (d *jsDecoder) annotation(what string) ([]any, error) {
	var out []any
	for {
		tc, err := d.peek(what)
		if err != nil {
			return nil, err
		}
		switch tc {
		case jsTCEndBlockData:
			d.off++
			return out, nil
		case jsTCBlockData, jsTCBlockDataLong:
			d.off++
			lenAt := d.off
			var n int64
			if tc == jsTCBlockData {
				m, err := d.u8("block data length")
				if err != nil {
					return nil, err
				}
				n = int64(m)
			} else {
				m, err := d.u32("block data length")
				if err != nil {
					return nil, err
				}
				n = int64(int32(m))
			}
			if n < 0 || n > int64(len(d.b)-d.off) {
				return nil, d.fail(lenAt, "block data length %d exceeds the %d bytes left", n, len(d.b)-d.off)
			}
			p, _ := d.take(int(n), "block data")
			out = append(out, jsBlock(p))
		default:
			v, err := d.object(what)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
	}
}

// newObject reads the body of a TC_OBJECT whose type code is at start.
func (d *jsDecoder) newObject(start int) (*jsObject, error) {
	c, err := d.classDesc("object class descriptor")
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, d.fail(start, "object with null class descriptor")
	}
	if c.Flags&jsSCEnum != 0 {
		return nil, d.fail(start, "object of enum class %s", javaName(c.Name))
	}
	o := &jsObject{Off: start, Class: c}
	d.assign(o)
	if c.Flags&jsSCExternalizable != 0 {
		if c.Flags&jsSCBlockData == 0 {
			return nil, d.fail(start, "externalizable class %s without block data is unsupported", javaName(c.Name))
		}
		o.External, err = d.annotation("external data of " + javaName(c.Name))
		return o, err
	}
	// Collect the classes carrying data, then read from the top down. Each
	// takes at least one byte, which bounds what is allocated here.
	top := c
	if !top.hasData() {
		top = top.dataUp
	}
	n := 0
	for k := top; k != nil; k = k.dataUp {
		n++
	}
	if n > len(d.b)-d.off {
		return nil, d.fail(start, "class data of %s needs more than the %d bytes left", javaName(c.Name), len(d.b)-d.off)
	}
	chain := make([]*jsClassDesc, 0, n)
	for k := top; k != nil; k = k.dataUp {
		chain = append(chain, k)
	}
	o.Data = make([]jsClassData, len(chain))
	for i := range chain {
		k := chain[len(chain)-1-i]
		cd := &o.Data[i]
		cd.Class = k
		for _, f := range k.Fields {
			v, err := d.fieldValue(k.Name, f)
			if err != nil {
				return nil, err
			}
			cd.Values = append(cd.Values, v)
		}
		if k.Flags&jsSCWriteMethod != 0 {
			if cd.Annotation, err = d.annotation("custom data of " + javaName(k.Name)); err != nil {
				return nil, err
			}
		}
	}
	return o, nil
}

// fieldValue reads the value of one field.
func (d *jsDecoder) fieldValue(class string, f jsField) (any, error) {
	what := "field " + javaName(class+"."+f.Name)
	switch f.Type {
	case 'Z':
		v, err := d.u8(what)
		return v != 0, err
	case 'B':
		v, err := d.u8(what)
		return int8(v), err
	case 'C':
		v, err := d.u16(what)
		return v, err
	case 'S':
		v, err := d.u16(what)
		return int16(v), err
	case 'I':
		v, err := d.u32(what)
		return int32(v), err
	case 'F':
		v, err := d.u32(what)
		return math.Float32frombits(v), err
	case 'J':
		v, err := d.u64(what)
		return int64(v), err
	case 'D':
		v, err := d.u64(what)
		return math.Float64frombits(v), err
	}
	return d.object(what)
}

// newEnum reads the body of a TC_ENUM whose type code is at start.
func (d *jsDecoder) newEnum(start int) (*jsEnum, error) {
	c, err := d.classDesc("enum class descriptor")
	if err != nil {
		return nil, err
	}
	if c == nil || c.Flags&jsSCEnum == 0 {
		return nil, d.fail(start, "enum constant of non-enum class")
	}
	e := &jsEnum{Off: start, Class: c}
	d.assign(e)
	nameAt := d.off
	v, err := d.object("name of enum constant of " + javaName(c.Name))
	if err != nil {
		return nil, err
	}
	s, ok := v.(string)
	if !ok {
		return nil, d.fail(nameAt, "enum constant name of %s is %s, not a string", javaName(c.Name), jsKind(v))
	}
	e.Name = s
	return e, nil
}

// jsPrimSize is the encoded size of array elements by type code.
var jsPrimSize = map[byte]int{'B': 1, 'Z': 1, 'C': 2, 'S': 2, 'I': 4, 'F': 4, 'J': 8, 'D': 8}

// newArray reads the body of a TC_ARRAY whose type code is at start.
func (d *jsDecoder) newArray(start int) (*jsArray, error) {
	c, err := d.classDesc("array class descriptor")
	if err != nil {
		return nil, err
	}
	if c == nil || len(c.Name) < 2 || c.Name[0] != '[' {
		return nil, d.fail(start, "array with a non-array class descriptor")
	}
	lenAt := d.off
	n32, err := d.u32("array length")
	if err != nil {
		return nil, err
	}
	n := int64(int32(n32))
	elem := c.Name[1]
	size, prim := jsPrimSize[elem]
	if !prim {
		size = 1 // every element takes at least one byte
	}
	if n < 0 || n*int64(size) > int64(len(d.b)-d.off) {
		return nil, d.fail(lenAt, "array length %d exceeds the %d bytes left", n, len(d.b)-d.off)
	}
	a := &jsArray{Off: start, Class: c}
	d.assign(a)
	if elem == 'B' {
		p, _ := d.take(int(n), "byte array")
		a.Bytes = append([]byte{}, p...)
		return a, nil
	}
	// Each element takes a byte of input and 16 bytes of tree: bound the
	// elements of all arrays of the stream.
	d.elems += n
	if d.elems > jsMaxElems {
		return nil, d.fail(lenAt, "arrays of more than %d elements in all", jsMaxElems)
	}
	a.Elems = make([]any, 0, min(n, 1024)) // grows with what is really there
	f := jsField{Type: elem, Name: "[]"}
	if !prim {
		f.Type = 'L'
	}
	for range n {
		v, err := d.fieldValue(c.Name, f)
		if err != nil {
			return nil, err
		}
		a.Elems = append(a.Elems, v)
	}
	return a, nil
}

// jsKind names the kind of a tree node for error messages.
func jsKind(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case *jsClassDesc:
		return "a class descriptor"
	case *jsObject:
		return "an object of class " + javaName(v.Class.Name)
	case *jsEnum:
		return "an enum constant of " + javaName(v.Class.Name)
	case *jsArray:
		return "an array of class " + javaName(v.Class.Name)
	case *jsClass:
		return "a class object"
	}
	return fmt.Sprintf("a %T", v)
}

// propertiesFromJava maps the decoded tree onto CheckpointProperties.
// Fields the tree lacks keep their zero value and extra fields are
// ignored, so that streams of other Flink versions still decode.
func propertiesFromJava(v any) (*CheckpointProperties, error) {
	if v == nil {
		return nil, nil
	}
	o, ok := v.(*jsObject)
	if !ok || o.Class.Name != jsClassProperties {
		return nil, &propsError{Offset: 4, Msg: fmt.Sprintf("top-level object is %s, not %s", jsKind(v), jsClassProperties)}
	}
	p := &CheckpointProperties{}
	for _, b := range []struct {
		name string
		dst  *bool
	}{
		{"forced", &p.Forced},
		{"unclaimed", &p.Unclaimed},
		{"discardSubsumed", &p.DiscardSubsumed},
		{"discardFinished", &p.DiscardFinished},
		{"discardCancelled", &p.DiscardCancelled},
		{"discardFailed", &p.DiscardFailed},
		{"discardSuspended", &p.DiscardSuspended},
	} {
		fv, ok := o.field(b.name)
		if !ok {
			continue
		}
		if *b.dst, ok = fv.(bool); !ok {
			return nil, jsFieldError(o, b.name, "boolean", fv)
		}
	}
	tv, ok := o.field("checkpointType")
	if !ok {
		return p, nil
	}
	t, ok := tv.(*jsObject)
	if !ok {
		return nil, jsFieldError(o, "checkpointType", "snapshot type object", tv)
	}
	var err error
	switch t.Class.Name {
	case jsClassCheckpointType:
		if p.TypeName, err = jsStringField(t, "name"); err != nil {
			return nil, err
		}
		if p.SharingFilesStrategy, err = jsEnumField(t, "sharingFilesStrategy"); err != nil {
			return nil, err
		}
	case jsClassSavepointType:
		p.Savepoint = true
		if p.TypeName, err = jsStringField(t, "name"); err != nil {
			return nil, err
		}
		if p.FormatType, err = jsEnumField(t, "formatType"); err != nil {
			return nil, err
		}
		if p.PostCheckpointAction, err = jsEnumField(t, "postCheckpointAction"); err != nil {
			return nil, err
		}
	default:
		return nil, &propsError{Offset: int64(t.Off), Msg: "unknown snapshot type class " + javaName(t.Class.Name)}
	}
	return p, nil
}

// jsFieldError reports a field of o holding a value of the wrong kind.
func jsFieldError(o *jsObject, field, want string, have any) error {
	return &propsError{
		Offset: int64(o.Off),
		Msg:    fmt.Sprintf("%s.%s is %s, want %s", javaName(o.Class.Name), field, jsKind(have), want),
	}
}

// jsStringField returns a string field of o; null and absent read as "".
func jsStringField(o *jsObject, field string) (string, error) {
	v, _ := o.field(field)
	if v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", jsFieldError(o, field, "string", v)
	}
	return s, nil
}

// jsEnumField returns the constant name of an enum field of o; null and
// absent read as "".
func jsEnumField(o *jsObject, field string) (string, error) {
	v, _ := o.field(field)
	if v == nil {
		return "", nil
	}
	e, ok := v.(*jsEnum)
	if !ok {
		return "", jsFieldError(o, field, "enum constant", v)
	}
	return e.Name, nil
}

// encodeProperties writes p exactly as ObjectOutputStream.writeObject
// writes the corresponding Flink object: a CheckpointProperties holding a
// CheckpointType (p.Savepoint false; FormatType and PostCheckpointAction
// ignored) or a SavepointType (SharingFilesStrategy ignored). Empty enum
// names are written as null. A nil p encodes as a Java null.
func encodeProperties(p *CheckpointProperties) []byte {
	var root any
	if p != nil {
		root = propertiesToJava(p)
	}
	return encodeJavaStream(root)
}

// propertiesToJava builds the object tree Flink serializes for p, with the
// class descriptors javac and the JVM give Flink's classes.
func propertiesToJava(p *CheckpointProperties) *jsObject {
	enumBase := &jsClassDesc{Name: jsClassEnum, Flags: jsSCSerializable | jsSCEnum}
	enumClasses := map[string]*jsClassDesc{}
	enum := func(class, name string) any {
		if name == "" {
			return nil
		}
		c := enumClasses[class]
		if c == nil {
			c = &jsClassDesc{Name: class, Flags: jsSCSerializable | jsSCEnum, Super: enumBase}
			enumClasses[class] = c
		}
		return &jsEnum{Class: c, Name: name}
	}
	obj := func(c *jsClassDesc, values ...any) *jsObject {
		return &jsObject{Class: c, Data: []jsClassData{{Class: c, Values: values}}}
	}

	var typ *jsObject
	if p.Savepoint {
		c := &jsClassDesc{
			Name:  jsClassSavepointType,
			SUID:  jsSUIDSavepointType,
			Flags: jsSCSerializable,
			Fields: []jsField{
				{'L', "formatType", "Lorg/apache/flink/core/execution/SavepointFormatType;"},
				{'L', "name", "Ljava/lang/String;"},
				{'L', "postCheckpointAction", "Lorg/apache/flink/runtime/checkpoint/SavepointType$PostCheckpointAction;"},
			},
		}
		typ = obj(c,
			enum(jsClassFormatType, p.FormatType),
			p.TypeName,
			enum(jsClassPostAction, p.PostCheckpointAction))
	} else {
		c := &jsClassDesc{
			Name:  jsClassCheckpointType,
			SUID:  jsSUIDCheckpointType,
			Flags: jsSCSerializable,
			Fields: []jsField{
				{'L', "name", "Ljava/lang/String;"},
				{'L', "sharingFilesStrategy", "Lorg/apache/flink/runtime/checkpoint/SnapshotType$SharingFilesStrategy;"},
			},
		}
		typ = obj(c, p.TypeName, enum(jsClassSharing, p.SharingFilesStrategy))
	}

	props := &jsClassDesc{
		Name:  jsClassProperties,
		SUID:  jsSUIDProperties,
		Flags: jsSCSerializable,
		Fields: []jsField{
			{Type: 'Z', Name: "discardCancelled"},
			{Type: 'Z', Name: "discardFailed"},
			{Type: 'Z', Name: "discardFinished"},
			{Type: 'Z', Name: "discardSubsumed"},
			{Type: 'Z', Name: "discardSuspended"},
			{Type: 'Z', Name: "forced"},
			{Type: 'Z', Name: "unclaimed"},
			{'L', "checkpointType", "Lorg/apache/flink/runtime/checkpoint/SnapshotType;"},
		},
	}
	return obj(props,
		p.DiscardCancelled, p.DiscardFailed, p.DiscardFinished, p.DiscardSubsumed,
		p.DiscardSuspended, p.Forced, p.Unclaimed, typ)
}

// encodeJavaStream writes the stream header and root as
// ObjectOutputStream does. Class descriptors, objects, enum constants,
// arrays and classes are shared by pointer identity; strings by content,
// which matches Java's identity-based sharing for the interned strings
// (literals, type signatures, enum names) Flink's objects hold.
func encodeJavaStream(root any) []byte {
	e := &jsEncoder{handles: map[any]uint32{}}
	e.buf = binary.BigEndian.AppendUint16(e.buf, jsMagic)
	e.buf = binary.BigEndian.AppendUint16(e.buf, jsVersion)
	e.object(root)
	return e.buf
}

// jsEncoder is the output buffer and handle table of one stream.
type jsEncoder struct {
	buf     []byte
	handles map[any]uint32
}

func (e *jsEncoder) assign(v any) { e.handles[v] = jsBaseHandle + uint32(len(e.handles)) }

// ref writes a back reference if v already has a handle.
func (e *jsEncoder) ref(v any) bool {
	h, ok := e.handles[v]
	if ok {
		e.buf = append(e.buf, jsTCReference)
		e.buf = binary.BigEndian.AppendUint32(e.buf, h)
	}
	return ok
}

// object writes a value in object position. Values that are not tree
// nodes are written as null.
func (e *jsEncoder) object(v any) {
	switch v := v.(type) {
	case string:
		if !e.ref(v) {
			e.string(v)
		}
	case *jsClassDesc:
		e.classDesc(v)
	case *jsObject:
		if e.ref(v) {
			return
		}
		e.buf = append(e.buf, jsTCObject)
		e.classDesc(v.Class)
		e.assign(v)
		if v.Class.Flags&jsSCExternalizable != 0 {
			e.annotation(v.External)
			return
		}
		for _, cd := range v.Data {
			for i, f := range cd.Class.Fields {
				var fv any
				if i < len(cd.Values) {
					fv = cd.Values[i]
				}
				e.value(f.Type, fv)
			}
			if cd.Class.Flags&jsSCWriteMethod != 0 {
				e.annotation(cd.Annotation)
			}
		}
	case *jsEnum:
		if e.ref(v) {
			return
		}
		e.buf = append(e.buf, jsTCEnum)
		e.classDesc(v.Class)
		e.assign(v)
		e.object(v.Name)
	case *jsArray:
		if e.ref(v) {
			return
		}
		e.buf = append(e.buf, jsTCArray)
		e.classDesc(v.Class)
		if v.Bytes != nil || (len(v.Class.Name) > 1 && v.Class.Name[1] == 'B') {
			e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(len(v.Bytes)))
			e.assign(v)
			e.buf = append(e.buf, v.Bytes...)
			return
		}
		e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(len(v.Elems)))
		e.assign(v)
		elem := byte('L')
		if len(v.Class.Name) > 1 && jsPrimSize[v.Class.Name[1]] > 0 {
			elem = v.Class.Name[1]
		}
		for _, x := range v.Elems {
			e.value(elem, x)
		}
	case *jsClass:
		if e.ref(v) {
			return
		}
		e.buf = append(e.buf, jsTCClass)
		e.classDesc(v.Class)
		e.assign(v)
	default:
		e.buf = append(e.buf, jsTCNull)
	}
}

// string writes a new TC_STRING or TC_LONGSTRING.
func (e *jsEncoder) string(s string) {
	u := appendJavaUTF(nil, s)
	if len(u) <= math.MaxUint16 {
		e.buf = append(e.buf, jsTCString)
		e.buf = binary.BigEndian.AppendUint16(e.buf, uint16(len(u)))
	} else {
		e.buf = append(e.buf, jsTCLongString)
		e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(len(u)))
	}
	e.buf = append(e.buf, u...)
	e.assign(s)
}

// utf writes a u16-length modified UTF-8 string, truncating what does not
// fit (ObjectOutputStream would throw).
func (e *jsEncoder) utf(s string) {
	u := appendJavaUTF(nil, s)
	if len(u) > math.MaxUint16 {
		u = u[:math.MaxUint16]
	}
	e.buf = binary.BigEndian.AppendUint16(e.buf, uint16(len(u)))
	e.buf = append(e.buf, u...)
}

// classDesc writes a class descriptor in descriptor position.
func (e *jsEncoder) classDesc(c *jsClassDesc) {
	if c == nil {
		e.buf = append(e.buf, jsTCNull)
		return
	}
	if e.ref(c) {
		return
	}
	if c.Proxy {
		e.buf = append(e.buf, jsTCProxyClassDesc)
		e.assign(c)
		e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(len(c.Interfaces)))
		for _, s := range c.Interfaces {
			e.utf(s)
		}
	} else {
		e.buf = append(e.buf, jsTCClassDesc)
		e.utf(c.Name)
		e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(c.SUID))
		e.assign(c)
		e.buf = append(e.buf, c.Flags)
		e.buf = binary.BigEndian.AppendUint16(e.buf, uint16(len(c.Fields)))
		for _, f := range c.Fields {
			e.buf = append(e.buf, f.Type)
			e.utf(f.Name)
			if f.Type == 'L' || f.Type == '[' {
				e.object(f.Sig)
			}
		}
	}
	e.annotation(c.Annotation)
	e.classDesc(c.Super)
}

// annotation writes block data and objects followed by TC_ENDBLOCKDATA.
func (e *jsEncoder) annotation(items []any) {
	for _, it := range items {
		if b, ok := it.(jsBlock); ok {
			if len(b) <= math.MaxUint8 {
				e.buf = append(e.buf, jsTCBlockData, byte(len(b)))
			} else {
				e.buf = append(e.buf, jsTCBlockDataLong)
				e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(len(b)))
			}
			e.buf = append(e.buf, b...)
			continue
		}
		e.object(it)
	}
	e.buf = append(e.buf, jsTCEndBlockData)
}

// value writes one field or array element of type code t. A primitive
// value of the wrong Go type is written as zero.
func (e *jsEncoder) value(t byte, v any) {
	be := binary.BigEndian
	switch t {
	case 'Z':
		b, _ := v.(bool)
		if b {
			e.buf = append(e.buf, 1)
		} else {
			e.buf = append(e.buf, 0)
		}
	case 'B':
		x, _ := v.(int8)
		e.buf = append(e.buf, byte(x))
	case 'C':
		x, _ := v.(uint16)
		e.buf = be.AppendUint16(e.buf, x)
	case 'S':
		x, _ := v.(int16)
		e.buf = be.AppendUint16(e.buf, uint16(x))
	case 'I':
		x, _ := v.(int32)
		e.buf = be.AppendUint32(e.buf, uint32(x))
	case 'F':
		x, _ := v.(float32)
		e.buf = be.AppendUint32(e.buf, math.Float32bits(x))
	case 'J':
		x, _ := v.(int64)
		e.buf = be.AppendUint64(e.buf, uint64(x))
	case 'D':
		x, _ := v.(float64)
		e.buf = be.AppendUint64(e.buf, math.Float64bits(x))
	default:
		e.object(v)
	}
}

// javaUTF decodes Java's modified UTF-8 (FORMAT.md §1.1) as leniently as
// the JDK reader: a literal 0x00 and overlong forms are accepted, and
// unpaired surrogates become U+FFFD. It returns the index of the first
// malformed byte, or -1.
func javaUTF(b []byte) (string, int) {
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b), -1
	}
	units := make([]uint16, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		switch c >> 4 {
		case 0, 1, 2, 3, 4, 5, 6, 7:
			units = append(units, uint16(c))
			i++
		case 12, 13:
			if i+1 >= len(b) || b[i+1]&0xc0 != 0x80 {
				return "", i
			}
			units = append(units, uint16(c&0x1f)<<6|uint16(b[i+1]&0x3f))
			i += 2
		case 14:
			if i+2 >= len(b) || b[i+1]&0xc0 != 0x80 || b[i+2]&0xc0 != 0x80 {
				return "", i
			}
			units = append(units, uint16(c&0x0f)<<12|uint16(b[i+1]&0x3f)<<6|uint16(b[i+2]&0x3f))
			i += 3
		default:
			return "", i
		}
	}
	return string(utf16.Decode(units)), -1
}

// appendJavaUTF appends s in modified UTF-8, as DataOutput.writeUTF encodes
// it without the length: NUL as C0 80 and supplementary characters as two
// 3-byte surrogates. Invalid UTF-8 in s is encoded as U+FFFD.
func appendJavaUTF(dst []byte, s string) []byte {
	unit := func(u uint16) {
		switch {
		case u != 0 && u < 0x80:
			dst = append(dst, byte(u))
		case u < 0x800:
			dst = append(dst, 0xc0|byte(u>>6), 0x80|byte(u&0x3f))
		default:
			dst = append(dst, 0xe0|byte(u>>12), 0x80|byte(u>>6&0x3f), 0x80|byte(u&0x3f))
		}
	}
	for _, r := range s {
		if r >= 0x10000 && r <= utf8.MaxRune {
			r1, r2 := utf16.EncodeRune(r)
			unit(uint16(r1))
			unit(uint16(r2))
			continue
		}
		unit(uint16(r))
	}
	return dst
}
