package xmlrpc

import (
	"bytes"
	"io"
	"sync"
)

var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func putBody(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 {
		bodies.Put(b)
	}
}

// readBody reads the whole message for the fast path. It returns nil (and
// a reader replaying everything) when the body is over the limit or the
// read failed, so the encoding/xml path meets the same condition and
// reports it; otherwise the body and a reader over it.
func readBody(r io.Reader, limit int64) (*bytes.Buffer, io.Reader) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	b := bodies.Get().(*bytes.Buffer)
	b.Reset()
	_, err := b.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, io.MultiReader(bytes.NewReader(bytes.Clone(b.Bytes())), errReader{err})
	}
	if int64(b.Len()) > limit {
		return nil, io.MultiReader(bytes.NewReader(bytes.Clone(b.Bytes())), r)
	}
	return b, bytes.NewReader(b.Bytes())
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func fastDecoder(body []byte, what string) *decoder {
	d := decoders.Get().(*decoder)
	d.fs.reset(body)
	d.fast = &d.fs
	d.what, d.depth = what, 0
	return d
}

func (d *decoder) releaseFast() {
	d.fast = nil
	d.fs.b = nil
	if cap(d.fs.scratch) > 64<<10 {
		d.fs.scratch = nil
	}
	decoders.Put(d)
}
