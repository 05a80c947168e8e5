package xmlrpc

import (
	"bytes"
	"io"
	"sync"
)

// body is a pooled message buffer with the limiting reader that fills it,
// so reading a message allocates nothing once the pool is warm.
type body struct {
	bytes.Buffer
	lr io.LimitedReader
}

var bodies = sync.Pool{New: func() any { return new(body) }}

func putBody(b *body) {
	if b.Cap() <= 1<<20 {
		bodies.Put(b)
	}
}

// readBody reads the whole message for the fast path. It returns nil (and
// a reader replaying everything) when the body is over the limit or the
// read failed, so the encoding/xml path meets the same condition and
// reports it; otherwise the body, which the caller replays with
// bytes.NewReader should the fast path decline.
func readBody(r io.Reader, limit int64) (*body, io.Reader) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	b := bodies.Get().(*body)
	b.Reset()
	b.lr = io.LimitedReader{R: r, N: limit + 1}
	_, err := b.ReadFrom(&b.lr)
	b.lr.R = nil
	if err != nil {
		return nil, io.MultiReader(bytes.NewReader(bytes.Clone(b.Bytes())), errReader{err})
	}
	if int64(b.Len()) > limit {
		return nil, io.MultiReader(bytes.NewReader(bytes.Clone(b.Bytes())), r)
	}
	return b, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func fastDecoder(body []byte, what string) *decoder {
	d := decoders.Get().(*decoder)
	d.fs.reset(body)
	d.fs.tok = &d.tok
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
	d.dropBigScratch()
	decoders.Put(d)
}
