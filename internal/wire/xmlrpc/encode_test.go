package xmlrpc

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// fragment encodes v as a response and returns just the <value>…</value>.
func fragment(t *testing.T, v any) (string, error) {
	t.Helper()
	b, err := AppendResponse(nil, v)
	if err != nil {
		return "", err
	}
	s := string(b)
	const head = xmlHeader + "<methodResponse><params><param>"
	const tail = "</param></params></methodResponse>\n"
	if !strings.HasPrefix(s, head) || !strings.HasSuffix(s, tail) {
		t.Fatalf("response framing wrong: %q", s)
	}
	return s[len(head) : len(s)-len(tail)], nil
}

type Kind string

type inner struct {
	Shared string `xmlrpc:"shared"`
	Deep   int
}

type Base struct {
	ID   int64 `json:"id"`
	Name string
}

type sample struct {
	Base
	*inner
	Title   string            `xmlrpc:"title"`
	Skip    string            `xmlrpc:"-"`
	Dash    string            `json:"-,"`
	JSON    int               `json:"json_name,omitempty"`
	Both    int               `xmlrpc:"x_name" json:"j_name"`
	Opt     *int              `json:"opt,omitempty"`
	Zero    time.Time         `json:"zero,omitzero"`
	Kind    Kind              `json:"kind"`
	Tags    []string          `json:"tags"`
	Attrs   map[string]string `json:"attrs"`
	private int
}

func TestEncodeValue(t *testing.T) {
	seven := 7
	var nilMap map[string]int
	var nilPtr *sample
	var nilIface error
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"nil", nil, `<value><nil/></value>`},
		{"nil pointer", nilPtr, `<value><nil/></value>`},
		{"nil interface in slice", []error{nilIface}, `<value><array><data><value><nil/></value></data></array></value>`},
		{"true", true, `<value><boolean>1</boolean></value>`},
		{"false", false, `<value><boolean>0</boolean></value>`},
		{"int", 42, `<value><int>42</int></value>`},
		{"int beyond 32 bits", 1 << 40, `<value><i8>1099511627776</i8></value>`},
		{"int min32", math.MinInt32, `<value><int>-2147483648</int></value>`},
		{"int below min32", math.MinInt32 - 1, `<value><i8>-2147483649</i8></value>`},
		{"int64 small is i8", int64(1), `<value><i8>1</i8></value>`},
		{"int8", int8(-8), `<value><int>-8</int></value>`},
		{"int32", int32(math.MaxInt32), `<value><int>2147483647</int></value>`},
		{"uint8", uint8(255), `<value><int>255</int></value>`},
		{"uint32 big", uint32(math.MaxUint32), `<value><i8>4294967295</i8></value>`},
		{"uint64 max int64", uint64(math.MaxInt64), `<value><i8>9223372036854775807</i8></value>`},
		{"duration is int64", 3 * time.Nanosecond, `<value><i8>3</i8></value>`},
		{"double", 1.5, `<value><double>1.5</double></value>`},
		{"double whole", 2.0, `<value><double>2.0</double></value>`},
		{"double negative zero", math.Copysign(0, -1), `<value><double>-0.0</double></value>`},
		{"double big, no exponent", 1e21, `<value><double>1000000000000000000000.0</double></value>`},
		{"double small", 1e-7, `<value><double>0.0000001</double></value>`},
		{"double inf", math.Inf(-1), `<value><double>-inf</double></value>`},
		{"double nan", math.NaN(), `<value><double>nan</double></value>`},
		{"float32 shortest", float32(0.1), `<value><double>0.1</double></value>`},
		{"string", "hi", `<value><string>hi</string></value>`},
		{"string escaped", "a&b<c>d]]>\r\n\t'\"", `<value><string>a&amp;b&lt;c&gt;d]]&gt;&#xD;` + "\n\t'\"" + `</string></value>`},
		{"string unicode", "ñ✓😀", `<value><string>ñ✓😀</string></value>`},
		{"empty string", "", `<value><string></string></value>`},
		{"named string", Kind("k"), `<value><string>k</string></value>`},
		{"bytes", []byte("hello"), `<value><base64>aGVsbG8=</base64></value>`},
		{"nil bytes", []byte(nil), `<value><base64></base64></value>`},
		{"byte array is an array", [2]byte{1, 2}, `<value><array><data><value><int>1</int></value><value><int>2</int></value></data></array></value>`},
		{"time", time.Date(2024, 1, 2, 3, 4, 5, 999, time.FixedZone("x", 3600)), `<value><dateTime.iso8601>20240102T02:04:05</dateTime.iso8601></value>`},
		{"time pointer", &time.Time{}, `<value><dateTime.iso8601>00010101T00:00:00</dateTime.iso8601></value>`},
		{"slice", []any{1, "a", nil}, `<value><array><data><value><int>1</int></value><value><string>a</string></value><value><nil/></value></data></array></value>`},
		{"nil slice", []int(nil), `<value><array><data></data></array></value>`},
		{"nil []any", []any(nil), `<value><array><data></data></array></value>`},
		{"map sorted", map[string]any{"b": 2, "a": 1, "&": true}, `<value><struct><member><name>&amp;</name><value><boolean>1</boolean></value></member><member><name>a</name><value><int>1</int></value></member><member><name>b</name><value><int>2</int></value></member></struct></value>`},
		{"typed map sorted", map[Kind]int{"z": 1, "y": 2}, `<value><struct><member><name>y</name><value><int>2</int></value></member><member><name>z</name><value><int>1</int></value></member></struct></value>`},
		{"nil map", nilMap, `<value><struct></struct></value>`},
		{"pointer", &seven, `<value><int>7</int></value>`},
		{"pointer to pointer", func() **int { p := &seven; return &p }(), `<value><int>7</int></value>`},
		{"struct", sample{Base: Base{ID: 9, Name: "n"}, Title: "t", Skip: "s", Dash: "d", Both: 3, Opt: &seven, Kind: "k"},
			`<value><struct>` +
				`<member><name>id</name><value><i8>9</i8></value></member>` +
				`<member><name>Name</name><value><string>n</string></value></member>` +
				`<member><name>title</name><value><string>t</string></value></member>` +
				`<member><name>-</name><value><string>d</string></value></member>` +
				`<member><name>x_name</name><value><int>3</int></value></member>` +
				`<member><name>opt</name><value><int>7</int></value></member>` +
				`<member><name>kind</name><value><string>k</string></value></member>` +
				`<member><name>tags</name><value><array><data></data></array></value></member>` +
				`<member><name>attrs</name><value><struct></struct></value></member>` +
				`</struct></value>`},
		{"struct with embedded pointer set", sample{inner: &inner{Shared: "s", Deep: 1}, JSON: 2, Tags: []string{"x"}},
			`<value><struct>` +
				`<member><name>id</name><value><i8>0</i8></value></member>` +
				`<member><name>Name</name><value><string></string></value></member>` +
				`<member><name>shared</name><value><string>s</string></value></member>` +
				`<member><name>Deep</name><value><int>1</int></value></member>` +
				`<member><name>title</name><value><string></string></value></member>` +
				`<member><name>-</name><value><string></string></value></member>` +
				`<member><name>json_name</name><value><int>2</int></value></member>` +
				`<member><name>x_name</name><value><int>0</int></value></member>` +
				`<member><name>kind</name><value><string></string></value></member>` +
				`<member><name>tags</name><value><array><data><value><string>x</string></value></data></array></value></member>` +
				`<member><name>attrs</name><value><struct></struct></value></member>` +
				`</struct></value>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fragment(t, tt.v)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestEncodeFault(t *testing.T) {
	var buf bytes.Buffer
	if err := EncodeFault(&buf, MethodNotFound, "Unknown method <x> & \x00\xff"); err != nil {
		t.Fatal(err)
	}
	want := xmlHeader + `<methodResponse><fault><value><struct>` +
		`<member><name>faultCode</name><value><int>-32601</int></value></member>` +
		`<member><name>faultString</name><value><string>Unknown method &lt;x&gt; &amp; ` + "\uFFFD\uFFFD" + `</string></value></member>` +
		`</struct></value></fault></methodResponse>` + "\n"
	if buf.String() != want {
		t.Errorf("got  %s\nwant %s", buf.String(), want)
	}
	_, err := DecodeResponse(&buf, 0)
	var f *Fault
	if !errors.As(err, &f) || f.Code != MethodNotFound || f.String != "Unknown method <x> & \uFFFD\uFFFD" {
		t.Errorf("decoding our fault: %v", err)
	}
	if got := f.Error(); got != `<Fault -32601: "Unknown method <x> & `+"\uFFFD\uFFFD"+`">` {
		t.Errorf("Error() = %s", got)
	}
}

func TestEncodeCall(t *testing.T) {
	var buf bytes.Buffer
	if err := EncodeCall(&buf, "echo.echo", []any{"hi", 1}); err != nil {
		t.Fatal(err)
	}
	want := xmlHeader + `<methodCall><methodName>echo.echo</methodName><params>` +
		`<param><value><string>hi</string></value></param><param><value><int>1</int></value></param>` +
		`</params></methodCall>` + "\n"
	if buf.String() != want {
		t.Errorf("got  %s\nwant %s", buf.String(), want)
	}
	if err := EncodeCall(&buf, "bad name", nil); err == nil || !strings.Contains(err.Error(), `method name "bad name"`) {
		t.Errorf("bad method name: %v", err)
	}
	if err := EncodeCall(&buf, "x", []any{1, make(chan int)}); err == nil || !strings.Contains(err.Error(), "param 2 of x") {
		t.Errorf("bad param: %v", err)
	}
}

// Every decoded type survives encode → decode unchanged, as call params and
// as a response.
func TestRoundTrip(t *testing.T) {
	values := []any{
		nil, true, false, 0, -1, math.MaxInt32, math.MinInt32, int64(5), int64(math.MinInt64),
		"", "x", " \t\n\r& <>]]> ñ 😀", 0.0, math.Copysign(0, -1), 1.5, 0.1, 1e300, 5e-324, math.MaxFloat64,
		math.Inf(1), math.Inf(-1), math.NaN(),
		date(2024, 2, 29, 23, 59, 59), date(0, 1, 1, 0, 0, 0), date(9999, 12, 31, 23, 59, 59),
		[]byte{}, allBytes(), []any{}, map[string]any{},
		map[string]any{"": "", "a": []any{1, map[string]any{"b": nil}}, "\r": int64(1)},
	}
	var buf bytes.Buffer
	if err := EncodeCall(&buf, "rt", values); err != nil {
		t.Fatal(err)
	}
	method, params, err := DecodeCall(&buf, 0)
	if err != nil || method != "rt" {
		t.Fatalf("DecodeCall: %q %v", method, err)
	}
	for i, v := range values {
		if !equalValues(params[i], v) {
			t.Errorf("param %d: got %#v, want %#v", i, params[i], v)
		}
		buf.Reset()
		if err := EncodeResponse(&buf, v); err != nil {
			t.Fatalf("EncodeResponse(%#v): %v", v, err)
		}
		got, err := DecodeResponse(&buf, 0)
		if err != nil || !equalValues(got, v) {
			t.Errorf("response %d: got %#v, %v; want %#v", i, got, err, v)
		}
	}
}
