package xmlrpc

import (
	"fmt"
	"io"
	"sync"
)

const xmlHeader = `<?xml version="1.0"?>` + "\n"

// AppendResponse appends a <methodResponse> carrying v as its one param
// and returns the extended buffer. On error dst comes back unchanged.
//
// Encoding: nil, nil pointers and nil interfaces give <nil/>; bool
// <boolean>; int64 (kind) always <i8>; every other integer <int> within 32
// bits, else <i8> (unsigned beyond int64 is an error); floats <double>;
// strings <string> (refused if they hold what XML 1.0 cannot carry:
// invalid UTF-8, control characters but tab/newline/return, U+FFFE/FFFF);
// []byte <base64>; time.Time <dateTime.iso8601> in UTC; maps with string
// keys <struct>, keys sorted; Go structs <struct>, named by tag
// `xmlrpc:"name"`, else `json:"name"`, else the field name, honouring "-",
// omitempty and omitzero, in declared order with embedded structs
// flattened; slices and arrays <array>. Nil slices and maps give an empty
// <array> or <struct>, a nil []byte an empty <base64>. Pointers and
// interfaces are followed. Channels, functions and complex numbers are
// errors, as is nesting beyond MaxDepth.
//
// A struct whose members are all strings, pointers to strings and string
// maps is written from a snapshot of the last such reply when it has the
// same shape (encode_flat.go): the same bytes, less the work.
func AppendResponse(dst []byte, v any) ([]byte, error) {
	if b, ok := appendFlatResponse(dst, v); ok {
		return b, nil
	}
	return appendGeneralResponse(dst, v)
}

// appendGeneralResponse is AppendResponse value by value.
func appendGeneralResponse(dst []byte, v any) ([]byte, error) {
	b := append(dst, xmlHeader+"<methodResponse><params><param>"...)
	b, err := appendValue(b, v, 0)
	if err != nil {
		return dst, fmt.Errorf("xmlrpc: encoding response: %w", err)
	}
	return append(b, "</param></params></methodResponse>\n"...), nil
}

// EncodeResponse writes AppendResponse's bytes to w in one Write; nothing
// is written when v cannot be encoded.
func EncodeResponse(w io.Writer, v any) error {
	bp := getBuffer()
	defer putBuffer(bp)
	b, err := AppendResponse(*bp, v)
	*bp = b
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// AppendFault appends a fault response. Characters XML cannot carry in msg
// become U+FFFD, so a fault always goes out.
func AppendFault(dst []byte, code int, msg string) []byte {
	b := append(dst, xmlHeader+"<methodResponse><fault><value><struct><member><name>faultCode</name>"...)
	b = appendInt(b, int64(code))
	b = append(b, "</member><member><name>faultString</name><value><string>"...)
	b = appendTextLossy(b, msg)
	return append(b, "</string></value></member></struct></value></fault></methodResponse>\n"...)
}

// EncodeFault writes AppendFault's bytes to w in one Write.
func EncodeFault(w io.Writer, code int, msg string) error {
	bp := getBuffer()
	defer putBuffer(bp)
	*bp = AppendFault(*bp, code, msg)
	_, err := w.Write(*bp)
	return err
}

// AppendCall appends a <methodCall> (the client side), encoding params as
// AppendResponse does. On error dst comes back unchanged.
func AppendCall(dst []byte, method string, params []any) ([]byte, error) {
	if !ValidMethodName(method) {
		return dst, fmt.Errorf("xmlrpc: method name %q: want A-Z a-z 0-9 _ . : / only", method)
	}
	b := append(dst, xmlHeader+"<methodCall><methodName>"...)
	b = append(b, method...) // the charset needs no escaping
	b = append(b, "</methodName><params>"...)
	for i, p := range params {
		var err error
		b = append(b, "<param>"...)
		if b, err = appendValue(b, p, 0); err != nil {
			return dst, fmt.Errorf("xmlrpc: encoding param %d of %s: %w", i+1, method, err)
		}
		b = append(b, "</param>"...)
	}
	return append(b, "</params></methodCall>\n"...), nil
}

// EncodeCall writes AppendCall's bytes to w in one Write.
func EncodeCall(w io.Writer, method string, params []any) error {
	bp := getBuffer()
	defer putBuffer(bp)
	b, err := AppendCall(*bp, method, params)
	*bp = b
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// buffers pools encoding buffers; big ones are let go rather than kept.
var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

const maxPooledBuffer = 64 << 10

func getBuffer() *[]byte {
	bp := buffers.Get().(*[]byte)
	*bp = (*bp)[:0]
	return bp
}

func putBuffer(bp *[]byte) {
	if cap(*bp) <= maxPooledBuffer {
		buffers.Put(bp)
	}
}
