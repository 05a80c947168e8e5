package loadgen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Limits on what the response reader accepts from a server.
const (
	maxHeaderBytes = 64 << 10 // status line and headers of one response
	maxBodyBytes   = 16 << 20 // one response body
	initialBufSize = 8 << 10
)

// errServerClosed is io.EOF before the first byte of a response: the server
// closed a kept-alive connection instead of answering.
var errServerClosed = errors.New("server closed the connection before replying")

// response is one parsed HTTP/1.x response. body points into the reader's
// buffer and is valid until the next call to next.
type response struct {
	status int
	body   []byte
	close  bool // the server will close: Connection: close, HTTP/1.0, or a body read to EOF
}

// respReader reads HTTP/1.x responses from one connection with one reused
// buffer. It understands exactly what the benchmarks need: a status line,
// headers (Content-Length, Connection, Transfer-Encoding) and a body given by
// Content-Length or, failing that, by EOF. Chunked replies are refused
// because aula's servers never send them.
type respReader struct {
	r          io.Reader
	buf        []byte
	start, end int // unread bytes are buf[start:end]
}

func newRespReader(r io.Reader) *respReader {
	return &respReader{r: r, buf: make([]byte, initialBufSize)}
}

// reset points the reader at a new connection, keeping its buffer.
func (rr *respReader) reset(r io.Reader) {
	rr.r, rr.start, rr.end = r, 0, 0
}

// fill reads at least one more byte, making room first. It returns io.EOF
// only when the peer has closed and nothing more arrived.
func (rr *respReader) fill(limit int) error {
	if rr.end-rr.start >= limit {
		return errTooLarge(limit)
	}
	if rr.end == len(rr.buf) {
		if rr.start > 0 {
			rr.end = copy(rr.buf, rr.buf[rr.start:rr.end])
			rr.start = 0
		} else {
			grown := make([]byte, min(2*len(rr.buf), limit+1))
			rr.end = copy(grown, rr.buf[rr.start:rr.end])
			rr.buf = grown
		}
	}
	for {
		n, err := rr.r.Read(rr.buf[rr.end:])
		rr.end += n
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func errTooLarge(limit int) error {
	return fmt.Errorf("response larger than the %d-byte limit", limit)
}

// line returns the next line without its CR LF, consuming it. used counts the
// header bytes consumed so far for the header limit.
func (rr *respReader) line(used *int) ([]byte, error) {
	scanned := 0
	for {
		if i := bytes.IndexByte(rr.buf[rr.start+scanned:rr.end], '\n'); i >= 0 {
			n := scanned + i + 1
			if *used+n > maxHeaderBytes {
				return nil, errTooLarge(maxHeaderBytes)
			}
			ln := rr.buf[rr.start : rr.start+n-1]
			rr.start += n
			*used += n
			return bytes.TrimSuffix(ln, []byte{'\r'}), nil
		}
		scanned = rr.end - rr.start
		if err := rr.fill(maxHeaderBytes - *used); err != nil {
			if err == io.EOF {
				if *used == 0 && scanned == 0 {
					return nil, errServerClosed
				}
				return nil, fmt.Errorf("response cut short in its headers: %w", io.ErrUnexpectedEOF)
			}
			return nil, err
		}
	}
}

// next reads one final response, skipping 1xx interim responses.
func (rr *respReader) next() (response, error) {
	for {
		resp, interim, err := rr.one()
		if err != nil || !interim {
			return resp, err
		}
	}
}

func (rr *respReader) one() (resp response, interim bool, err error) {
	used := 0
	ln, err := rr.line(&used)
	if err != nil {
		return resp, false, err
	}
	status, http10, err := parseStatusLine(ln)
	if err != nil {
		return resp, false, err
	}
	resp.status = status
	h := headerFacts{contentLength: -1, close: http10}
	for {
		ln, err := rr.line(&used)
		if err != nil {
			return resp, false, err
		}
		if len(ln) == 0 {
			break
		}
		if err := h.add(ln, http10); err != nil {
			return resp, false, err
		}
	}
	switch {
	case status == 101:
		return resp, false, errors.New("server switched protocols (101), which the driver does not speak")
	case status < 200:
		return resp, true, nil
	case status == 204 || status == 304:
		resp.close = h.close
		return resp, false, nil
	case h.contentLength >= 0:
		resp.close = h.close
		resp.body, err = rr.body(h.contentLength)
		return resp, false, err
	default:
		resp.close = true
		resp.body, err = rr.bodyToEOF()
		return resp, false, err
	}
}

func (rr *respReader) body(n int) ([]byte, error) {
	for rr.end-rr.start < n {
		if err := rr.fill(n); err != nil {
			if err == io.EOF {
				return nil, fmt.Errorf("body cut short: got %d of %d bytes: %w", rr.end-rr.start, n, io.ErrUnexpectedEOF)
			}
			return nil, err
		}
	}
	b := rr.buf[rr.start : rr.start+n]
	rr.start += n
	return b, nil
}

func (rr *respReader) bodyToEOF() ([]byte, error) {
	for {
		err := rr.fill(maxBodyBytes)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	b := rr.buf[rr.start:rr.end]
	rr.start = rr.end
	return b, nil
}
