package labxml

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxMessage bounds one message when the caller gives no limit.
const DefaultMaxMessage = 1 << 20

// MessageError is one bad message that the reader skipped; the stream is
// still usable. Action is the message's accion when it could be read (so
// an error reply can name it), else 0.
type MessageError struct {
	Reason string
	Action int64
}

func (e *MessageError) Error() string { return "bad lab message: " + e.Reason }

// IsMessageError reports whether err is a skipped bad message (as opposed
// to the stream failing).
func IsMessageError(err error) bool {
	var me *MessageError
	return errors.As(err, &me)
}

// Reader reads messages from a stream.
type Reader struct {
	br  *bufio.Reader
	max int
	buf []byte
}

// NewReader reads from r, refusing messages over max bytes (0:
// DefaultMaxMessage). It buffers 4 KiB of r.
func NewReader(r io.Reader, max int) *Reader { return NewReaderSize(r, 4096, max) }

// NewReaderSize is NewReader buffering size bytes of r (at least 16), for
// a server holding many connections' readers at once.
func NewReaderSize(r io.Reader, size, max int) *Reader {
	if max <= 0 {
		max = DefaultMaxMessage
	}
	return &Reader{br: bufio.NewReaderSize(r, size), max: max}
}

// Reset makes the reader read from r, dropping what it had buffered, so a
// connection's reader can be pooled while the connection is idle.
func (r *Reader) Reset(src io.Reader) { r.br.Reset(src); r.buf = r.buf[:0] }

// Buffered is how many bytes the reader holds that it read from its source
// but has not returned in a message yet; whitespace between messages that
// it holds (the newline ending every message) is dropped first, without
// reading more. Only a reader with none may be dropped (or pooled) between
// messages without losing input.
func (r *Reader) Buffered() int {
	for r.br.Buffered() > 0 {
		b, _ := r.br.Peek(1)
		if b[0] != ' ' && b[0] != '\t' && b[0] != '\r' && b[0] != '\n' {
			break
		}
		r.br.Discard(1)
	}
	return r.br.Buffered()
}

// Next returns the next message. A *MessageError means one message was
// malformed or too long and has been skipped; io.EOF means the stream
// ended between messages; any other error is the stream's.
func (r *Reader) Next() (*Message, error) {
	frame, ferr := r.frame()
	if ferr != nil {
		return nil, ferr
	}
	m, err := Parse(frame)
	if len(r.buf) > 64<<10 {
		r.buf = nil // do not keep a large message's buffer for an idle connection
	}
	return m, err
}

// frame returns the bytes of the next element.
func (r *Reader) frame() ([]byte, error) {
	r.buf = r.buf[:0]
	// Skip whitespace between messages.
	var c byte
	for {
		b, err := r.br.ReadByte()
		if err != nil {
			return nil, err
		}
		if b == ' ' || b == '\t' || b == '\r' || b == '\n' {
			continue
		}
		c = b
		break
	}
	if c != '<' {
		return nil, r.resync(fmt.Sprintf("expected '<' to start a message, got %q", c))
	}
	var (
		depth    int
		inTag    bool
		closing  bool
		quote    byte
		prev     byte
		oversize bool
		first    = true
	)
	for {
		if !oversize {
			if len(r.buf) >= r.max {
				oversize = true
				r.buf = r.buf[:0]
			} else {
				r.buf = append(r.buf, c)
			}
		}
		switch {
		case !inTag && c == '<':
			inTag, quote = true, 0
			n, err := r.br.Peek(1)
			if err != nil {
				return nil, unexpected(err)
			}
			switch n[0] {
			case '/':
				closing = true
			case '?', '!':
				return nil, r.resync("comments, processing instructions, CDATA and DTDs are not allowed in a message")
			default:
				closing = false
			}
			if first && closing {
				return nil, r.resync("message starts with a closing tag")
			}
			first = false
		case inTag && quote != 0:
			if c == quote {
				quote = 0
			}
		case inTag && (c == '"' || c == '\''):
			quote = c
		case inTag && c == '<':
			return nil, r.resync("'<' inside a tag")
		case inTag && c == '>':
			inTag = false
			switch {
			case closing:
				depth--
			case prev != '/':
				depth++
			}
			if depth <= 0 {
				if oversize {
					return nil, &MessageError{Reason: fmt.Sprintf("message longer than %d bytes", r.max)}
				}
				return r.buf, nil
			}
		}
		prev = c
		b, err := r.br.ReadByte()
		if err != nil {
			return nil, unexpected(err)
		}
		c = b
	}
}

// resync skips to the next newline (the writer ends every message with
// one) and reports the bad message.
func (r *Reader) resync(reason string) error {
	for {
		b, err := r.br.ReadByte()
		if err != nil {
			return unexpected(err)
		}
		if b == '\n' {
			return &MessageError{Reason: reason}
		}
	}
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
