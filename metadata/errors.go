package metadata

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotMetadata reports input that does not start with the metadata magic
// number: not a _metadata file, or a Flink 1.0/1.1 savepoint (plain Java
// serialization, not supported).
var ErrNotMetadata = errors.New("metadata: not a Flink checkpoint metadata file (bad magic number)")

// A FormatError reports that the input is not a valid metadata file. Offset
// is the byte offset where decoding stopped; Path names the structure being
// read, outermost first (e.g. "operator 3 (4bf7…)", "subtask 0",
// "managed keyed state").
type FormatError struct {
	Offset int64
	Path   []string
	Msg    string
	Err    error // underlying cause, e.g. io.ErrUnexpectedEOF; may be nil
}

func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString("metadata: ")
	b.WriteString(e.Msg)
	fmt.Fprintf(&b, " at offset %d (0x%x)", e.Offset, e.Offset)
	if len(e.Path) > 0 {
		b.WriteString(" in ")
		b.WriteString(strings.Join(e.Path, ", "))
	}
	return b.String()
}

func (e *FormatError) Unwrap() error { return e.Err }

// An UnsupportedVersionError reports a metadata file of a serializer
// version this package does not know.
type UnsupportedVersionError struct {
	Version int32
}

func (e *UnsupportedVersionError) Error() string {
	return fmt.Sprintf("metadata: unsupported metadata version %d (this spcheck reads versions %d to %d)", e.Version, MinVersion, MaxVersion)
}
