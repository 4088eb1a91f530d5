package metadata

import (
	"errors"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeMUTF8 decodes Java's modified UTF-8 (DataInput.readUTF): 1-, 2- and
// 3-byte forms of UTF-16 code units; NUL as C0 80; supplementary characters
// as two 3-byte surrogates. Like the JDK it accepts a literal 0 byte and
// overlong forms and rejects 10xxxxxx and 1111xxxx lead bytes and truncated
// sequences. Unpaired surrogates become U+FFFD.
func decodeMUTF8(b []byte) (string, error) {
	units := make([]uint16, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c < 0x80:
			units = append(units, uint16(c))
			i++
		case c>>5 == 0x6: // 110xxxxx
			if i+1 >= len(b) || b[i+1]>>6 != 0x2 {
				return "", errors.New("malformed 2-byte sequence")
			}
			units = append(units, uint16(c&0x1f)<<6|uint16(b[i+1]&0x3f))
			i += 2
		case c>>4 == 0xe: // 1110xxxx
			if i+2 >= len(b) || b[i+1]>>6 != 0x2 || b[i+2]>>6 != 0x2 {
				return "", errors.New("malformed 3-byte sequence")
			}
			units = append(units, uint16(c&0x0f)<<12|uint16(b[i+1]&0x3f)<<6|uint16(b[i+2]&0x3f))
			i += 3
		default:
			return "", errors.New("invalid lead byte")
		}
	}
	return string(utf16.Decode(units)), nil
}

// appendMUTF8 appends s in modified UTF-8, as DataOutput.writeUTF encodes
// it (without the length prefix).
func appendMUTF8(dst []byte, s string) []byte {
	if isASCIIString(s) {
		return append(dst, s...)
	}
	for _, r := range s {
		if r == utf8.RuneError {
			// Invalid UTF-8 in s, or a real U+FFFD: both encode as U+FFFD.
			r = 0xfffd
		}
		if r >= 0x10000 {
			a, b := utf16.EncodeRune(r)
			dst = appendUnit(dst, uint16(a))
			dst = appendUnit(dst, uint16(b))
			continue
		}
		dst = appendUnit(dst, uint16(r))
	}
	return dst
}

func appendUnit(dst []byte, u uint16) []byte {
	switch {
	case u >= 0x01 && u <= 0x7f:
		return append(dst, byte(u))
	case u <= 0x7ff: // includes NUL as C0 80
		return append(dst, 0xc0|byte(u>>6), 0x80|byte(u&0x3f))
	default:
		return append(dst, 0xe0|byte(u>>12), 0x80|byte(u>>6&0x3f), 0x80|byte(u&0x3f))
	}
}

// mutf8Len is the encoded length of s in modified UTF-8.
func mutf8Len(s string) int {
	if isASCIIString(s) {
		return len(s)
	}
	return len(appendMUTF8(nil, s))
}

// isASCIIString reports whether s is 7-bit ASCII without NUL, which
// modified UTF-8 encodes as itself.
func isASCIIString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == 0 || c >= 0x80 {
			return false
		}
	}
	return true
}
