package xmlrpc

import (
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

func TestDecodeValue(t *testing.T) {
	tests := []struct {
		name, xml string
		want      any
	}{
		{"i4", `<value><i4>42</i4></value>`, 42},
		{"int", `<value><int>-7</int></value>`, -7},
		{"int plus and spaces", `<value><int> +5 </int></value>`, 5},
		{"int min", `<value><int>-2147483648</int></value>`, math.MinInt32},
		{"int max", `<value><int>2147483647</int></value>`, math.MaxInt32},
		{"i8", `<value><i8>9007199254740993</i8></value>`, int64(9007199254740993)},
		{"i8 small stays int64", `<value><i8>1</i8></value>`, int64(1)},
		{"i8 min", `<value><i8>-9223372036854775808</i8></value>`, int64(math.MinInt64)},
		{"i8 max", `<value><i8>9223372036854775807</i8></value>`, int64(math.MaxInt64)},
		{"ex:i8 prefix", `<value><ex:i8 xmlns:ex="http://ws.apache.org/xmlrpc/namespaces/extensions">3</ex:i8></value>`, int64(3)},
		{"true", `<value><boolean>1</boolean></value>`, true},
		{"false trimmed", `<value><boolean>
0 </boolean></value>`, false},
		{"string", `<value><string>hi there</string></value>`, "hi there"},
		{"string kept untrimmed", `<value><string>  x  </string></value>`, "  x  "},
		{"empty string element", `<value><string/></value>`, ""},
		{"bare text", `<value>bare</value>`, "bare"},
		{"bare white space", `<value>  </value>`, "  "},
		{"empty value", `<value></value>`, ""},
		{"self-closed value", `<value/>`, ""},
		{"entities", `<value>a &amp; b &lt;c&gt; &quot;&apos; &#233;&#x1F600;</value>`, `a & b <c> "' é😀`},
		{"CDATA", `<value><string><![CDATA[<not a tag> & such]]></string></value>`, "<not a tag> & such"},
		{"comment inside", `<value><string>ab<!-- hidden -->cd</string></value>`, "abcd"},
		{"CRLF normalised", "<value><string>a\r\nb\rc</string></value>", "a\nb\nc"},
		{"char ref CR kept", `<value><string>a&#13;b</string></value>`, "a\rb"},
		{"double", `<value><double>1.5</double></value>`, 1.5},
		{"double exponent", `<value><double>1e+16</double></value>`, 1e16},
		{"double negative zero", `<value><double>-0.0</double></value>`, math.Copysign(0, -1)},
		{"double no leading digit", `<value><double>.5</double></value>`, 0.5},
		{"double integer", `<value><double> 3 </double></value>`, 3.0},
		{"double inf", `<value><double>inf</double></value>`, math.Inf(1)},
		{"double -Infinity", `<value><double>-Infinity</double></value>`, math.Inf(-1)},
		{"double nan", `<value><double>nan</double></value>`, math.NaN()},
		{"double underflow", `<value><double>1e-400</double></value>`, 0.0},
		{"dateTime basic", `<value><dateTime.iso8601>20240102T03:04:05</dateTime.iso8601></value>`, date(2024, 1, 2, 3, 4, 5)},
		{"dateTime extended", `<value><dateTime.iso8601>2024-01-02T03:04:05</dateTime.iso8601></value>`, date(2024, 1, 2, 3, 4, 5)},
		{"dateTime Z", `<value><dateTime.iso8601> 20240102T03:04:05Z </dateTime.iso8601></value>`, date(2024, 1, 2, 3, 4, 5)},
		{"dateTime offset", `<value><dateTime.iso8601>2024-01-02T03:04:05+01:00</dateTime.iso8601></value>`, date(2024, 1, 2, 2, 4, 5)},
		{"dateTime offset short", `<value><dateTime.iso8601>20240102T23:04:05-0130</dateTime.iso8601></value>`, date(2024, 1, 3, 0, 34, 5)},
		{"dateTime offset hours", `<value><dateTime.iso8601>20240101T00:00:00+02</dateTime.iso8601></value>`, date(2023, 12, 31, 22, 0, 0)},
		{"base64", `<value><base64>aGVsbG8=</base64></value>`, []byte("hello")},
		{"base64 lines", "<value><base64>\naGVs\r\nbG8=\n</base64></value>", []byte("hello")},
		{"base64 unpadded", `<value><base64>aGVsbG8</base64></value>`, []byte("hello")},
		{"base64 empty", `<value><base64></base64></value>`, []byte{}},
		{"nil", `<value><nil/></value>`, nil},
		{"ex:nil", `<value><ex:nil/></value>`, nil},
		{"struct", `<value><struct>
			<member><name>a</name><value><int>1</int></value></member>
			<member><name> b </name><value>x</value></member>
		</struct></value>`, map[string]any{"a": 1, " b ": "x"}},
		{"struct empty", `<value><struct/></value>`, map[string]any{}},
		{"struct repeated name", `<value><struct><member><name>a</name><value>1</value></member><member><name>a</name><value>2</value></member></struct></value>`, map[string]any{"a": "2"}},
		{"struct empty name", `<value><struct><member><name/><value/></member></struct></value>`, map[string]any{"": ""}},
		{"array", `<value><array><data><value><int>1</int></value><value>two</value><value><nil/></value></data></array></value>`, []any{1, "two", nil}},
		{"array empty", `<value><array><data/></array></value>`, []any{}},
		{"nested", `<value><array><data><value><struct><member><name>k</name><value><array><data><value><boolean>1</boolean></value></data></array></value></member></struct></value></data></array></value>`,
			[]any{map[string]any{"k": []any{true}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeOne(t, call(tt.xml))
			if err != nil {
				t.Fatalf("DecodeCall: %v", err)
			}
			if !equalValues(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestDecodeCallShape(t *testing.T) {
	tests := []struct {
		name, doc, method string
		nparams           int
	}{
		{"no params element", `<methodCall><methodName>system.listMethods</methodName></methodCall>`, "system.listMethods", 0},
		{"empty params", `<methodCall><methodName>a</methodName><params/></methodCall>`, "a", 0},
		{"method name trimmed", "<methodCall><methodName>\n  ns:x/y_z.1 \n</methodName></methodCall>", "ns:x/y_z.1", 0},
		{"byte order mark", "\uFEFF<?xml version=\"1.0\"?><methodCall><methodName>a</methodName></methodCall>", "a", 0},
		{"prolog comment and PI", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- hi --><?pi x?>\n<methodCall><methodName>a</methodName></methodCall>\n<!-- bye -->\n", "a", 0},
		{"two params", `<methodCall><methodName>t</methodName><params><param><value>1</value></param> <param><value>2</value></param></params></methodCall>`, "t", 2},
		{"ascii declared", `<?xml version="1.0" encoding="US-ASCII"?><methodCall><methodName>a</methodName></methodCall>`, "a", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, params, err := DecodeCall(strings.NewReader(tt.doc), 0)
			if err != nil {
				t.Fatalf("DecodeCall: %v", err)
			}
			if method != tt.method || len(params) != tt.nparams {
				t.Errorf("got %q with %d params, want %q with %d", method, len(params), tt.method, tt.nparams)
			}
			if tt.nparams == 0 && params != nil {
				t.Errorf("no params should be nil, got %#v", params)
			}
		})
	}
}

// The golden requests are byte for byte what Python's xmlrpc.client sends
// (testdata/gen.py).
func TestDecodeCallGolden(t *testing.T) {
	tests := map[string]struct {
		method string
		params []any
	}{
		"call_noparams": {"system.listMethods", nil},
		"call_int":      {"math.ints", []any{42, -7, 0, math.MaxInt32, math.MinInt32}},
		"call_bool":     {"flags", []any{true, false}},
		"call_string": {"echo", []any{"hello", "", "a & b < c > d ]]>", "ünïcödé ✓ 😀", "  spaced  ",
			"line1\nline2\ttab", "quote\" apos'"}},
		"call_double":         {"math.doubles", []any{1.5, math.Copysign(0, -1), 1e16, 1e-7, math.Pi, 1e300, 0.1, 2.0}},
		"call_double_special": {"math.special", []any{math.Inf(1), math.Inf(-1), math.NaN()}},
		"call_datetime":       {"when", []any{date(2024, 1, 2, 3, 4, 5), date(1999, 12, 31, 23, 59, 59)}},
		"call_base64":         {"blob.put", []any{[]byte{}, []byte{0, 1, 0xff}, allBytes()}},
		"call_struct": {"struct.take", []any{map[string]any{"name": "x", "n": 1,
			"nested": map[string]any{"a": []any{1, 2, map[string]any{"b": "c"}}}, "empty": map[string]any{}}}},
		"call_array": {"array.take", []any{[]any{1, "two", 3.0, []any{true, []any{}}, map[string]any{}}}},
		"call_nil":   {"nil.take", []any{nil, []any{nil}}},
		"call_multicall": {"system.multicall", []any{[]any{
			map[string]any{"methodName": "echo.echo", "params": []any{"hi"}},
			map[string]any{"methodName": "system.listMethods", "params": []any{}}}}},
		"call_register": {"register", []any{"SHF00000000", "Pepe", "ssh-dss AAAAB3NzaC1kc3MAAACBAO", "b3fda1c2-uuid"}},
		"call_latin1":   {"echo", []any{"café ñ €"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", name+".xml"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			method, params, err := DecodeCall(f, 0)
			if err != nil {
				t.Fatalf("DecodeCall: %v", err)
			}
			if method != tt.method || !equalValues(params, tt.params) && !(params == nil && tt.params == nil) {
				t.Errorf("got %q %#v\nwant %q %#v", method, params, tt.method, tt.params)
			}
		})
	}
}

func TestDecodeResponseGolden(t *testing.T) {
	tests := map[string]struct {
		want  any
		fault *Fault
	}{
		"resp_string": {want: "hello"},
		"resp_struct": {want: map[string]any{"ok": true, "id": 7, "tags": []any{"a", "b"}, "when": date(2001, 2, 3, 4, 5, 6)}},
		"resp_nil":    {want: nil},
		"resp_multicall": {want: []any{[]any{1},
			map[string]any{"faultCode": 1, "faultString": "boom"}}},
		"resp_fault":        {fault: &Fault{-32601, "Unknown method x"}},
		"resp_fault_python": {fault: &Fault{1, `<class 'Exception'>:method "x" is not supported`}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", name+".xml"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := DecodeResponse(f, 0)
			if tt.fault != nil {
				fault, ok := err.(*Fault)
				if !ok || *fault != *tt.fault {
					t.Fatalf("got %v, %v; want fault %v", got, err, tt.fault)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeResponse: %v", err)
			}
			if !equalValues(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// Bodies arrive in arbitrary pieces and may fail part way.
func TestDecodeCallReaders(t *testing.T) {
	doc := "\uFEFF" + call(`<value><string>piecewise</string></value>`)
	for name, r := range map[string]io.Reader{
		"one byte at a time": iotest.OneByteReader(strings.NewReader(doc)),
		"data with EOF":      iotest.DataErrReader(strings.NewReader(doc)),
		"half reads":         iotest.HalfReader(strings.NewReader(doc)),
	} {
		_, params, err := DecodeCall(r, 0)
		if err != nil || len(params) != 1 || params[0] != "piecewise" {
			t.Errorf("%s: got %#v, %v", name, params, err)
		}
	}
	_, _, err := DecodeCall(iotest.TimeoutReader(iotest.OneByteReader(strings.NewReader(doc[3:]))), 0)
	if f, ok := err.(*Fault); !ok || f.Code != ParseError || !strings.Contains(f.String, "reading body: timeout") {
		t.Errorf("failing reader: got %v", err)
	}
}
