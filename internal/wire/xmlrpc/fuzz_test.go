package xmlrpc

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fuzzLimit = 64 << 10

// addSeeds adds every testdata document whose name starts with prefix,
// plus extra inputs.
func addSeeds(f *testing.F, prefix string, extra ...string) {
	paths, err := filepath.Glob(filepath.Join("testdata", prefix+"*.xml"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no %s*.xml seeds: %v", prefix, err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
}

// FuzzDecodeCall: decoding never panics, every refusal is a *Fault with a
// known code, and whatever decodes re-encodes and decodes to an equal call.
func FuzzDecodeCall(f *testing.F) {
	addSeeds(f, "call_",
		call(`<value><i8>-9223372036854775808</i8></value>`),
		call(`<value><dateTime.iso8601>2024-01-02T03:04:05+01:00</dateTime.iso8601></value>`),
		call(`<value><struct><member><name>a</name><value><ex:nil/></value></member></struct></value>`),
		call(`<value>a&#13;b<![CDATA[<&>]]></value>`),
		call(`<value><base64>aGVs
bG8</base64></value>`),
		`<?xml version="1.0" encoding="ISO-8859-1"?><methodCall><methodName>a</methodName></methodCall>`,
		`<!DOCTYPE x [<!ENTITY a "b">]><methodCall/>`,
		`<methodCall><foo>`,
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		method, params, err := DecodeCall(bytes.NewReader(data), fuzzLimit)
		if err != nil {
			checkFault(t, err)
			return
		}
		var buf bytes.Buffer
		if err := EncodeCall(&buf, method, params); err != nil {
			t.Fatalf("decoded call does not re-encode: %v", err)
		}
		method2, params2, err := DecodeCall(&buf, 0)
		if err != nil {
			t.Fatalf("re-encoded call does not decode: %v\n%s", err, buf.Bytes())
		}
		if method2 != method || !equalValues(params2, params) && !(params == nil && params2 == nil) {
			t.Fatalf("round trip changed the call:\n%q %#v\n%q %#v", method, params, method2, params2)
		}
	})
}

// FuzzDecodeResponse: as FuzzDecodeCall, for responses and faults.
func FuzzDecodeResponse(f *testing.F) {
	addSeeds(f, "resp_",
		`<methodResponse><params><param><value><i8>1</i8></value></param></params></methodResponse>`,
		`<methodResponse><fault><value><struct><member><name>faultCode</name><value><i8>-3</i8></value></member><member><name>faultString</name><value/></member></struct></value></fault></methodResponse>`,
		`<methodResponse><params/></methodResponse>`,
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := DecodeResponse(bytes.NewReader(data), fuzzLimit)
		var buf bytes.Buffer
		var fault *Fault
		switch {
		case errors.As(err, &fault):
			if err := EncodeFault(&buf, fault.Code, fault.String); err != nil {
				t.Fatal(err)
			}
			_, err2 := DecodeResponse(&buf, 0)
			var fault2 *Fault
			if !errors.As(err2, &fault2) || *fault2 != *fault {
				t.Fatalf("fault round trip: %v became %v", fault, err2)
			}
			return
		case err != nil:
			var re *ResponseError
			if !errors.As(err, &re) || re.Msg == "" {
				t.Fatalf("error %T %v, want *ResponseError", err, err)
			}
			return
		}
		if err := EncodeResponse(&buf, v); err != nil {
			t.Fatalf("decoded value does not re-encode: %v", err)
		}
		v2, err := DecodeResponse(&buf, 0)
		if err != nil || !equalValues(v2, v) {
			t.Fatalf("round trip changed the value: %#v became %#v (%v)", v, v2, err)
		}
	})
}

func checkFault(t *testing.T, err error) {
	t.Helper()
	f, ok := err.(*Fault)
	if !ok {
		t.Fatalf("error %T %v, want *Fault", err, err)
	}
	switch f.Code {
	case ParseError, UnsupportedEncoding, InvalidCharacter, InvalidRequest:
	default:
		t.Fatalf("unexpected fault code %d: %s", f.Code, f.String)
	}
	if f.String == "" || strings.ContainsRune(f.String, 0) {
		t.Fatalf("fault message %q", f.String)
	}
}
