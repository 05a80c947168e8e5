package chat

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// DefaultMaxLen is the largest netstring accepted unless told otherwise
// (IVLE had no cap: nine digits, about 1 GB).
const DefaultMaxLen = 1 << 20

// ErrFraming is wrapped by every error about malformed netstring bytes, so
// a caller can tell bad framing from a broken connection.
var ErrFraming = errors.New("netstring")

// ReadNetstring reads one netstring `<len>:<bytes>,` from r. max caps the
// length (DefaultMaxLen when max <= 0). io.EOF means the peer sent nothing
// at all; a peer that stops inside a netstring gets an error wrapping
// io.ErrUnexpectedEOF (IVLE's server spun for ever on it).
func ReadNetstring(r *bufio.Reader, max int) ([]byte, error) {
	if max <= 0 {
		max = DefaultMaxLen
	}
	n, err := readLength(r, max)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, n+1)
	if _, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("%w: body of %d bytes cut short: %w", ErrFraming, n, err)
	}
	// The byte at offset len must be the comma, whatever chunks it came in.
	if buf[n] != ',' {
		return nil, fmt.Errorf("%w: did not end with ',' (got %q at offset %d)", ErrFraming, buf[n], n)
	}
	return buf[:n], nil
}

// readLength reads the decimal length and its colon.
func readLength(r *bufio.Reader, max int) (int, error) {
	digits := len(strconv.Itoa(max))
	n := 0
	for i := 0; ; i++ {
		b, err := r.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				if i == 0 {
					return 0, io.EOF
				}
				err = io.ErrUnexpectedEOF
			}
			return 0, fmt.Errorf("%w: length cut short: %w", ErrFraming, err)
		}
		switch {
		case b == ':' && i > 0:
			if n > max {
				return 0, fmt.Errorf("%w: length %d over the limit of %d bytes", ErrFraming, n, max)
			}
			return n, nil
		case b >= '0' && b <= '9':
			if i >= digits {
				return 0, fmt.Errorf("%w: length has more than %d digits (limit %d bytes)", ErrFraming, digits, max)
			}
			n = n*10 + int(b-'0')
		default:
			return 0, fmt.Errorf("%w: could not decode the length: unexpected %q at offset %d", ErrFraming, b, i)
		}
	}
}

// AppendNetstring appends the netstring of p to dst.
func AppendNetstring(dst, p []byte) []byte {
	dst = strconv.AppendInt(dst, int64(len(p)), 10)
	dst = append(dst, ':')
	dst = append(dst, p...)
	return append(dst, ',')
}

// WriteNetstring writes p as one netstring in a single Write.
func WriteNetstring(w io.Writer, p []byte) error {
	_, err := w.Write(AppendNetstring(make([]byte, 0, len(p)+12), p))
	return err
}
