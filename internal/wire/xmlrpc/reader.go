package xmlrpc

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"sync"
)

// errTooBig is what limitReader returns once the source has produced more
// than the limit.
var errTooBig = errors.New("body exceeds the byte limit")

// limitReader gives encoding/xml the io.ByteReader it wants (so it does not
// wrap the source in a fresh bufio.Reader per message), counts the bytes
// read, fails past the limit, and drops a leading UTF-8 byte order mark.
// Instances are pooled.
type limitReader struct {
	src   io.Reader
	r, w  int
	total int64
	limit int64
	err   error
	buf   [4096]byte
}

var limitReaders = sync.Pool{New: func() any { return new(limitReader) }}

func getLimitReader(src io.Reader, limit int64) *limitReader {
	if limit <= 0 {
		limit = DefaultLimit
	}
	l := limitReaders.Get().(*limitReader)
	l.src, l.r, l.w, l.total, l.limit, l.err = src, 0, 0, 0, limit, nil
	return l
}

func putLimitReader(l *limitReader) {
	l.src, l.err = nil, nil
	limitReaders.Put(l)
}

func (l *limitReader) ReadByte() (byte, error) {
	if l.r == l.w {
		if err := l.fill(); err != nil {
			return 0, err
		}
	}
	b := l.buf[l.r]
	l.r++
	return b, nil
}

// Read is used only when a CharsetReader wraps this reader.
func (l *limitReader) Read(p []byte) (int, error) {
	if l.r == l.w {
		if err := l.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, l.buf[l.r:l.w])
	l.r += n
	return n, nil
}

func (l *limitReader) fill() error {
	if l.err != nil {
		return l.err
	}
	first := l.total == 0
	want := 1
	if first {
		want = 3 // enough to see a whole byte order mark
	}
	n, err := 0, error(nil)
	for tries := 0; n < want && err == nil; tries++ {
		if tries == 100 { // a reader that keeps returning 0, nil
			err = io.ErrNoProgress
			break
		}
		var m int
		m, err = l.src.Read(l.buf[n:])
		n += m
	}
	l.total += int64(n)
	if l.total > l.limit {
		l.err = errTooBig
		return l.err
	}
	l.r, l.w = 0, n
	if first && n >= 3 && l.buf[0] == 0xEF && l.buf[1] == 0xBB && l.buf[2] == 0xBF {
		l.r = 3
	}
	if err != nil {
		l.err = err
		if l.r == l.w {
			return err
		}
	}
	if l.r == l.w { // only a byte order mark so far
		return l.fill()
	}
	return nil
}

// charsets is the CharsetReader given to encoding/xml. UTF-8 never gets
// here; Latin-1 and ASCII are converted; anything else fails and the caller
// reports UnsupportedEncoding.
type charsets struct {
	unsupported string // the declared encoding we refused, if any
}

var errNotASCII = errors.New("byte above 0x7F in a document declared US-ASCII")

func (c *charsets) reader(label string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin-1", "latin1", "l1":
		return &latin1Reader{src: byteReader(input)}, nil
	case "us-ascii", "ascii":
		return &asciiReader{src: byteReader(input)}, nil
	}
	c.unsupported = label
	return nil, errors.New("unsupported encoding")
}

// latin1Reader turns ISO-8859-1 bytes into UTF-8.
type latin1Reader struct {
	src     io.ByteReader
	pending byte // second byte of a two-byte sequence still to return
	has     bool
}

func (l *latin1Reader) ReadByte() (byte, error) {
	if l.has {
		l.has = false
		return l.pending, nil
	}
	b, err := l.src.ReadByte()
	if err != nil || b < 0x80 {
		return b, err
	}
	l.pending, l.has = 0x80|b&0x3F, true
	return 0xC0 | b>>6, nil
}

func (l *latin1Reader) Read(p []byte) (int, error) { return readBytes(l, p) }

// asciiReader passes ASCII through and fails on any other byte.
type asciiReader struct{ src io.ByteReader }

func (a *asciiReader) ReadByte() (byte, error) {
	b, err := a.src.ReadByte()
	if err == nil && b >= 0x80 {
		return 0, errNotASCII
	}
	return b, err
}

func (a *asciiReader) Read(p []byte) (int, error) { return readBytes(a, p) }

func byteReader(r io.Reader) io.ByteReader {
	if br, ok := r.(io.ByteReader); ok {
		return br
	}
	return bufio.NewReader(r)
}

func readBytes(r io.ByteReader, p []byte) (int, error) {
	for i := range p {
		b, err := r.ReadByte()
		if err != nil {
			return i, err
		}
		p[i] = b
	}
	return len(p), nil
}
