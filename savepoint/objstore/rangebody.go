package objstore

import (
	"fmt"
	"io"
)

// RangeBody checks a server's answer to a GET of length bytes from off
// (length < 0: to the end of the object) and returns the object's size and
// the body to read. contentRange is the answer's Content-Range ("" when the
// server sent the whole object) and whole the size of a whole-object answer
// (-1 when not known). A whole-object answer is accepted for a range from
// byte 0 (servers may answer a small object so) and cut to the range; for a
// range further on it is an error, as is a Content-Range that is not the
// range asked for (or its part up to the end of the object). On an error
// the body is closed. Every driver's NewRangeReader ends here.
func RangeBody(off, length int64, contentRange string, whole int64, body io.ReadCloser) (int64, io.ReadCloser, error) {
	if contentRange != "" {
		var first, last, total int64
		if _, err := fmt.Sscanf(contentRange, "bytes %d-%d/%d", &first, &last, &total); err != nil || first != off ||
			(length >= 0 && last != off+length-1 && !(last == total-1 && last < off+length-1)) {
			body.Close()
			return 0, nil, fmt.Errorf("the server answered a GET of %s with Content-Range %q", RangeHeader(off, length), contentRange)
		}
		return total, body, nil
	}
	if off > 0 {
		body.Close()
		return 0, nil, fmt.Errorf("the server answered a ranged GET (%s) with the whole object", RangeHeader(off, length))
	}
	if length >= 0 && whole > length {
		return whole, limitCloser{io.LimitReader(body, length), body}, nil
	}
	return whole, body, nil
}

// RangeHeader is the HTTP Range header of a GET of length bytes from off
// (length < 0: to the end), or "" for the whole object.
func RangeHeader(off, length int64) string {
	if off == 0 && length < 0 {
		return ""
	}
	if length < 0 {
		return fmt.Sprintf("bytes=%d-", off)
	}
	return fmt.Sprintf("bytes=%d-%d", off, off+length-1)
}

type limitCloser struct {
	io.Reader
	io.Closer
}
