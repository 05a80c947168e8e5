package xmlrpc

import (
	"strings"
	"testing"
)

func TestDecodeCallErrors(t *testing.T) {
	nest := func(n int) string {
		return call(strings.Repeat("<value><array><data>", n) + strings.Repeat("</data></array></value>", n))
	}
	tests := []struct {
		name string
		doc  string
		code int
		msg  string // must appear in the fault string
	}{
		// not well-formed
		{"empty", ``, ParseError, "empty document"},
		{"white space only", "  \n", ParseError, "ends before"},
		{"truncated", `<methodCall><methodName>a</methodName>`, ParseError, "ends before the root element is closed"},
		{"truncated in tag", `<methodCall><methodName>a</method`, ParseError, "line 1"},
		{"mismatched end", `<methodCall><methodName>a</methodname></methodCall>`, ParseError, "<methodName> closed by </methodname>"},
		{"mismatched prefix", call(`<value><ex:nil></nil></value>`), ParseError, "<ex:nil> closed by </nil>"},
		{"element after root", `<methodCall><methodName>a</methodName></methodCall><x/>`, ParseError, "after the root element"},
		{"text after root", `<methodCall><methodName>a</methodName></methodCall>junk`, ParseError, "text outside the root element"},
		{"text before root", `junk<methodCall/>`, ParseError, "text outside the root element"},
		{"late XML declaration", `<!-- c --><?xml version="1.0"?><methodCall/>`, ParseError, "XML declaration not at the start"},
		{"bad XML version", `<?xml version="1.1"?><methodCall/>`, ParseError, "unsupported version"},
		{"undefined entity", call(`<value>&lol;</value>`), ParseError, "invalid character entity &lol;"},
		{"DTD", `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><methodCall><methodName>&lol2;</methodName></methodCall>`, ParseError, "<!DOCTYPE …> not allowed"},
		{"unquoted attribute", `<methodCall a=b><methodName>a</methodName></methodCall>`, ParseError, "unquoted or missing attribute value"},
		{"too big", call(`<value>` + strings.Repeat("x", 5000) + `</value>`), ParseError, "exceeds the limit of 1000 bytes"},
		{"invalid then malformed", `<methodCall><foo>`, ParseError, "ends before"},
		// encodings
		{"unsupported encoding", `<?xml version="1.0" encoding="EBCDIC-US"?><methodCall/>`, UnsupportedEncoding, `unsupported encoding "EBCDIC-US"`},
		{"invalid UTF-8", call("<value>\xff\xfe</value>"), InvalidCharacter, "invalid UTF-8"},
		{"control character", call("<value>a\x01b</value>"), InvalidCharacter, "illegal character code U+0001"},
		{"NUL char ref", call("<value>a&#0;b</value>"), InvalidCharacter, "U+0000"},
		{"not ASCII", "<?xml version=\"1.0\" encoding=\"us-ascii\"?><methodCall><methodName>\xe9</methodName></methodCall>", InvalidCharacter, "US-ASCII"},
		// well-formed, not a call
		{"wrong root", `<methodResponse/>`, InvalidRequest, "root element <methodResponse>, want <methodCall>"},
		{"no method name", `<methodCall><params/></methodCall>`, InvalidRequest, "<params> in <methodCall>, want <methodName>"},
		{"empty call", `<methodCall/>`, InvalidRequest, "<methodCall> ends without <methodName>"},
		{"bad method name", `<methodCall><methodName>a b</methodName></methodCall>`, InvalidRequest, `method name "a b"`},
		{"empty method name", `<methodCall><methodName/></methodCall>`, InvalidRequest, `method name ""`},
		{"element in method name", `<methodCall><methodName>a<b/></methodName></methodCall>`, InvalidRequest, "element <b> inside <methodName>"},
		{"stray element in call", `<methodCall><methodName>a</methodName><x/></methodCall>`, InvalidRequest, "<x> in <methodCall>, want <params>"},
		{"two params elements", `<methodCall><methodName>a</methodName><params/><params/></methodCall>`, InvalidRequest, "unexpected <params> in <methodCall>"},
		{"text in params", `<methodCall><methodName>a</methodName><params>oops</params></methodCall>`, InvalidRequest, `unexpected text "oops" in <params>`},
		{"empty param", call(``), InvalidRequest, "<param> ends without <value>"},
		{"two values in param", call(`<value/><value/>`), InvalidRequest, "unexpected <value> in <param>"},
		{"unknown type", call(`<value><float>1</float></value>`), InvalidRequest, "unknown value type <float>"},
		{"two types in value", call(`<value><int>1</int><int>2</int></value>`), InvalidRequest, "unexpected <int> in <value>"},
		{"text before type", call(`<value>x<int>1</int></value>`), InvalidRequest, `text "x" before <int>`},
		{"element in scalar", call(`<value><int><b/></int></value>`), InvalidRequest, "element <b> inside <int>"},
		{"int overflow", call(`<value><int>2147483648</int></value>`), InvalidRequest, `<int> "2147483648": out of 32-bit range`},
		{"int underflow", call(`<value><i4>-2147483649</i4></value>`), InvalidRequest, "out of 32-bit range"},
		{"i8 overflow", call(`<value><i8>9223372036854775808</i8></value>`), InvalidRequest, "out of 64-bit range"},
		{"i8 huge", call(`<value><i8>99999999999999999999999</i8></value>`), InvalidRequest, "out of 64-bit range"},
		{"int not a number", call(`<value><int>12a</int></value>`), InvalidRequest, "not an integer"},
		{"int empty", call(`<value><int/></value>`), InvalidRequest, "not an integer"},
		{"int with decimals", call(`<value><int>1.0</int></value>`), InvalidRequest, "not an integer"},
		{"boolean true", call(`<value><boolean>true</boolean></value>`), InvalidRequest, "want 0 or 1"},
		{"boolean 2", call(`<value><boolean>2</boolean></value>`), InvalidRequest, "want 0 or 1"},
		{"double overflow", call(`<value><double>1e400</double></value>`), InvalidRequest, "out of range"},
		{"double hex", call(`<value><double>0x1p3</double></value>`), InvalidRequest, "not a decimal number"},
		{"double underscore", call(`<value><double>1_0</double></value>`), InvalidRequest, "not a decimal number"},
		{"double bare exponent", call(`<value><double>1e</double></value>`), InvalidRequest, "not a decimal number"},
		{"double dot", call(`<value><double>.</double></value>`), InvalidRequest, "not a decimal number"},
		{"dateTime garbage", call(`<value><dateTime.iso8601>yesterday</dateTime.iso8601></value>`), InvalidRequest, "want YYYYMMDDThh:mm:ss"},
		{"dateTime month 13", call(`<value><dateTime.iso8601>20241301T00:00:00</dateTime.iso8601></value>`), InvalidRequest, "no such date or time"},
		{"dateTime Feb 30", call(`<value><dateTime.iso8601>20240230T00:00:00</dateTime.iso8601></value>`), InvalidRequest, "no such date or time"},
		{"dateTime hour 24", call(`<value><dateTime.iso8601>20240101T24:00:00</dateTime.iso8601></value>`), InvalidRequest, "no such date or time"},
		{"dateTime bad zone", call(`<value><dateTime.iso8601>20240101T00:00:00 CET</dateTime.iso8601></value>`), InvalidRequest, "want YYYYMMDDThh:mm:ss"},
		{"dateTime fraction", call(`<value><dateTime.iso8601>20240101T00:00:00.5</dateTime.iso8601></value>`), InvalidRequest, "want YYYYMMDDThh:mm:ss"},
		{"dateTime past 9999", call(`<value><dateTime.iso8601>99991231T23:59:59-01:00</dateTime.iso8601></value>`), InvalidRequest, "year out of range"},
		{"base64 bad", call(`<value><base64>!!!!</base64></value>`), InvalidRequest, "not base64"},
		{"base64 bad length", call(`<value><base64>QUJDR</base64></value>`), InvalidRequest, "not base64"},
		{"nil with content", call(`<value><nil>x</nil></value>`), InvalidRequest, "<nil> \"x\": must be empty"},
		{"struct stray element", call(`<value><struct><value/></struct></value>`), InvalidRequest, "<value> in <struct>, want <member>"},
		{"member without name", call(`<value><struct><member><value/></member></struct></value>`), InvalidRequest, "<value> in <member>, want <name>"},
		{"member without value", call(`<value><struct><member><name>a</name></member></struct></value>`), InvalidRequest, "<member> ends without <value>"},
		{"member with extra", call(`<value><struct><member><name>a</name><value/><value/></member></struct></value>`), InvalidRequest, "unexpected <value> in <member>"},
		{"array without data", call(`<value><array><value/></array></value>`), InvalidRequest, "<value> in <array>, want <data>"},
		{"data stray element", call(`<value><array><data><int>1</int></data></array></value>`), InvalidRequest, "<int> in <data>, want <value>"},
		{"too deep", nest(MaxDepth + 1), InvalidRequest, "nested more than 100 levels"},
		{"error position", "<methodCall>\n<methodName>a</methodName>\n<params>\n<param><value><int>x</int></value></param></params></methodCall>", InvalidRequest, "line 4, column"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limit := int64(0)
			if tt.name == "too big" {
				limit = 1000
			}
			method, params, err := DecodeCall(strings.NewReader(tt.doc), limit)
			f, ok := err.(*Fault)
			if !ok {
				t.Fatalf("got %q %#v, err %v; want a *Fault", method, params, err)
			}
			if f.Code != tt.code || !strings.Contains(f.String, tt.msg) {
				t.Errorf("got fault %d %q\nwant %d containing %q", f.Code, f.String, tt.code, tt.msg)
			}
		})
	}
	// Exactly MaxDepth levels are fine.
	if _, err := decodeOne(t, nest(MaxDepth)); err != nil {
		t.Errorf("%d levels: %v", MaxDepth, err)
	}
}

func TestDecodeLimitIsExact(t *testing.T) {
	doc := `<methodCall><methodName>a</methodName></methodCall>`
	if _, _, err := DecodeCall(strings.NewReader(doc), int64(len(doc))); err != nil {
		t.Errorf("a body of exactly the limit: %v", err)
	}
	if _, _, err := DecodeCall(strings.NewReader(doc+" "), int64(len(doc))); err == nil {
		t.Error("a body one byte over the limit was accepted")
	}
}

func TestDecodeResponseErrors(t *testing.T) {
	resp := func(inner string) string { return `<methodResponse>` + inner + `</methodResponse>` }
	fault := func(members string) string {
		return resp(`<fault><value><struct>` + members + `</struct></value></fault>`)
	}
	tests := []struct{ name, doc, msg string }{
		{"wrong root", `<methodCall/>`, "root element <methodCall>, want <methodResponse>"},
		{"empty response", resp(``), "empty <methodResponse>"},
		{"no value", resp(`<params/>`), "<params> holds 0 values, want exactly 1"},
		{"two values", resp(`<params><param><value/></param><param><value/></param></params>`), "holds 2 values"},
		{"stray element", resp(`<result/>`), "<result> in <methodResponse>, want <params> or <fault>"},
		{"fault not struct", resp(`<fault><value>x</value></fault>`), "<fault> value is not a <struct>"},
		{"fault code string", fault(`<member><name>faultCode</name><value>1</value></member><member><name>faultString</name><value>x</value></member>`), "integer faultCode"},
		{"fault code huge", fault(`<member><name>faultCode</name><value><i8>4294967296</i8></value></member><member><name>faultString</name><value>x</value></member>`), "faultCode 4294967296 out of 32-bit range"},
		{"fault without string", fault(`<member><name>faultCode</name><value><int>1</int></value></member>`), "string faultString"},
		{"fault then junk", resp(`<fault><value><struct><member><name>faultCode</name><value><int>1</int></value></member><member><name>faultString</name><value>x</value></member></struct></value></fault><params/>`), "unexpected <params> in <methodResponse>"},
		{"malformed", `<methodResponse><params>`, "not well-formed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := DecodeResponse(strings.NewReader(tt.doc), 0)
			re, ok := err.(*ResponseError)
			if !ok {
				t.Fatalf("got %#v, %v; want a *ResponseError", v, err)
			}
			if !strings.Contains(re.Msg, tt.msg) {
				t.Errorf("got %q, want it to contain %q", re.Msg, tt.msg)
			}
		})
	}
}

// A fault reply that is itself malformed after the fault is not a fault.
func TestDecodeResponseFaultNeedsWholeDocument(t *testing.T) {
	doc := `<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>3</int></value></member><member><name>faultString</name><value>x</value></member></struct></value></fault></methodResponse><extra/>`
	if _, err := DecodeResponse(strings.NewReader(doc), 0); err == nil || err.(*ResponseError) == nil {
		t.Fatalf("got %v, want a ResponseError", err)
	}
}
