package metadata

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// maxClassNameShown bounds how much of a class name that is not a Java
// name is shown (escaped).
const maxClassNameShown = 120

// javaName returns s when it reads as a Java binary class name (letters,
// digits, '_', '$', '.', and the '[', ';' and '/' of array descriptors and
// hidden classes such as lambdas), and otherwise an escaped, quoted and
// shortened form of it. Class names come from the file: a hostile one must
// not put control characters or terminal escapes into spcheck's output or
// errors, which show class names because they name structure.
func javaName(s string) string {
	if s != "" && len(s) <= 1024 && utf8.ValidString(s) {
		ok := true
		for _, c := range s {
			if !(unicode.IsLetter(c) || unicode.IsDigit(c) || c == '_' || c == '$' || c == '.' || c == '[' || c == ';' || c == '/') {
				ok = false
				break
			}
		}
		if ok {
			return s
		}
	}
	if len(s) > maxClassNameShown {
		cut := maxClassNameShown
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.QuoteToASCII(s[:cut]) + "…"
	}
	return strconv.QuoteToASCII(s)
}

// className reads a writeUTF class name, made safe to show by javaName.
func (r *reader) className(what string) string { return javaName(r.utf(what)) }
