package xmlrpc

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"sync"
)

// DecodeCall reads one <methodCall> of at most limit bytes (limit <= 0
// means DefaultLimit) and returns its method name and parameters, nil when
// there are none. A missing <params> means no parameters.
//
// Every error is a *Fault ready to send back: ParseError when the body is
// not well-formed XML or is too big, UnsupportedEncoding or
// InvalidCharacter for encoding trouble, InvalidRequest when the XML is
// well-formed but not a valid call. The message says what was wrong and
// where (line and column).
func DecodeCall(r io.Reader, limit int64) (method string, params []any, err error) {
	body, replay := readBody(r, limit)
	if body != nil {
		d := fastDecoder(body.Bytes(), "methodCall")
		method, params, err = d.call()
		d.releaseFast()
		if err == nil {
			putBody(body)
			return method, params, nil
		}
		defer putBody(body)
		replay = bytes.NewReader(body.Bytes())
	}
	r = replay
	d := newDecoder(r, limit, "methodCall")
	defer d.release()
	method, params, err = d.call()
	if err != nil {
		de := d.settle(err)
		return "", nil, &Fault{Code: de.code, String: de.msg}
	}
	return method, params, nil
}

// DecodeResponse reads one <methodResponse> of at most limit bytes (limit
// <= 0 means DefaultLimit) and returns its single value. When the server
// answered with a fault, the error is that *Fault; any other error means
// the response itself was unreadable.
func DecodeResponse(r io.Reader, limit int64) (any, error) {
	body, replay := readBody(r, limit)
	if body != nil {
		d := fastDecoder(body.Bytes(), "methodResponse")
		v, err := d.response()
		d.releaseFast()
		if err == nil {
			putBody(body)
			return v, nil
		}
		if f, ok := err.(*Fault); ok {
			putBody(body)
			return nil, f
		}
		defer putBody(body)
		replay = bytes.NewReader(body.Bytes())
	}
	r = replay
	d := newDecoder(r, limit, "methodResponse")
	defer d.release()
	v, err := d.response()
	if err != nil {
		if f, ok := err.(*Fault); ok {
			return nil, f
		}
		return nil, &ResponseError{Msg: d.settle(err).msg}
	}
	return v, nil
}

// ResponseError is a response DecodeResponse could not read.
type ResponseError struct{ Msg string }

func (e *ResponseError) Error() string { return "xmlrpc: bad response: " + e.Msg }

// ValidMethodName reports whether s is a method name the XML-RPC spec
// allows: non-empty, only A-Z a-z 0-9 _ . : /.
func ValidMethodName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '_' || c == '.' || c == ':' || c == '/') {
			return false
		}
	}
	return true
}

var decoders = sync.Pool{New: func() any { return new(decoder) }}

func newDecoder(r io.Reader, limit int64, what string) *decoder {
	d := decoders.Get().(*decoder)
	d.src = getLimitReader(r, limit)
	d.x = xml.NewDecoder(d.src)
	d.cs = charsets{}
	d.x.CharsetReader = d.cs.reader
	d.open, d.ns, d.ntok, d.rootDone, d.limit = d.open[:0], d.ns[:0], 0, false, d.src.limit
	d.what, d.depth = what, 0
	return d
}

func (d *decoder) release() {
	putLimitReader(d.src)
	d.src, d.x = nil, nil
	d.dropBigScratch()
	decoders.Put(d)
}

// settle turns err into a *decodeError. A merely invalid message is read to
// its end first: if it turns out not to be well-formed either, that is the
// truer report.
func (d *decoder) settle(err error) *decodeError {
	var de *decodeError
	if !errors.As(err, &de) {
		de = &decodeError{InternalError, err.Error()}
	}
	if de.code == InvalidRequest {
		var later *decodeError
		if errors.As(d.drain(), &later) {
			return later
		}
	}
	return de
}

// root reads up to the root element and requires it to be <want>.
func (d *decoder) root(want string) error {
	if err := d.next(); err != nil {
		return err
	}
	if d.tok.kind == startTag && d.tok.name == want {
		return nil
	} else if d.tok.kind == startTag {
		return d.invalid("root element <%s>, want <%s>", d.tok.name, want)
	}
	return d.invalid("no root element, want <%s>", want)
}

func (d *decoder) call() (string, []any, error) {
	d.values, d.maxValues = 0, MaxValues
	if err := d.root("methodCall"); err != nil {
		return "", nil, err
	}
	if err := d.expect("methodCall", "methodName"); err != nil {
		return "", nil, err
	}
	raw, err := d.leafText("methodName")
	if err != nil {
		return "", nil, err
	}
	name := string(trimSpace(raw))
	if !ValidMethodName(name) {
		return "", nil, d.invalid("method name %s: want A-Z a-z 0-9 _ . : / only", quoteShort([]byte(name)))
	}
	if err := d.skipSpace("methodCall"); err != nil {
		return "", nil, err
	}
	var params []any
	if d.tok.kind == startTag {
		if d.tok.name != "params" {
			return "", nil, d.invalid("<%s> in <methodCall>, want <params>", d.tok.name)
		}
		if params, err = d.params(); err != nil {
			return "", nil, err
		}
		if err := d.end("methodCall"); err != nil {
			return "", nil, err
		}
	}
	return name, params, d.drain()
}

// params reads <param><value>…</value></param>… through </params>. The
// values gather in the decoder's pooled slice and leave in one exactly
// sized allocation (nil when there are none).
func (d *decoder) params() ([]any, error) {
	d.args = d.args[:0]
	defer func() { clear(d.args) }() // the pool must not keep values alive
	for {
		if err := d.skipSpace("params"); err != nil {
			return nil, err
		}
		if d.tok.kind != startTag {
			if len(d.args) == 0 {
				return nil, nil
			}
			return append([]any(nil), d.args...), nil
		}
		if d.tok.name != "param" {
			return nil, d.invalid("<%s> in <params>, want <param>", d.tok.name)
		}
		if err := d.expect("param", "value"); err != nil {
			return nil, err
		}
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		if err := d.end("param"); err != nil {
			return nil, err
		}
		d.args = append(d.args, v)
	}
}

// response returns the single result value, or the server's *Fault as the
// error once the whole document has been checked.
func (d *decoder) response() (any, error) {
	d.values, d.maxValues = 0, 0
	if err := d.root("methodResponse"); err != nil {
		return nil, err
	}
	if err := d.skipSpace("methodResponse"); err != nil {
		return nil, err
	}
	if d.tok.kind != startTag {
		return nil, d.invalid("empty <methodResponse>, want <params> or <fault>")
	}
	var result any
	var fault *Fault
	switch d.tok.name {
	case "params":
		params, err := d.params()
		if err != nil {
			return nil, err
		}
		if len(params) != 1 {
			return nil, d.invalid("<params> holds %d values, want exactly 1", len(params))
		}
		result = params[0]
	case "fault":
		if err := d.expect("fault", "value"); err != nil {
			return nil, err
		}
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		if fault, err = d.fault(v); err != nil {
			return nil, err
		}
		if err := d.end("fault"); err != nil {
			return nil, err
		}
	default:
		return nil, d.invalid("<%s> in <methodResponse>, want <params> or <fault>", d.tok.name)
	}
	if err := d.end("methodResponse"); err != nil {
		return nil, err
	}
	if err := d.drain(); err != nil {
		return nil, err
	}
	if fault != nil {
		return nil, fault
	}
	return result, nil
}

// fault checks the value inside <fault>: a struct with an integer
// faultCode and a string faultString.
func (d *decoder) fault(v any) (*Fault, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, d.invalid("<fault> value is not a <struct>")
	}
	var code int
	switch c := m["faultCode"].(type) {
	case int:
		code = c
	case int64:
		if c < math.MinInt32 || c > math.MaxInt32 {
			return nil, d.invalid("faultCode %d out of 32-bit range", c)
		}
		code = int(c)
	default:
		return nil, d.invalid("<fault> lacks an integer faultCode")
	}
	msg, ok := m["faultString"].(string)
	if !ok {
		return nil, d.invalid("<fault> lacks a string faultString")
	}
	return &Fault{Code: code, String: msg}, nil
}
