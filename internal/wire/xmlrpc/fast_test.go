package xmlrpc

import (
	"bytes"
	"testing"
)

// slowCall decodes with encoding/xml only.
func slowCall(data []byte) (string, []any, error) {
	d := newDecoder(bytes.NewReader(data), fuzzLimit, "methodCall")
	defer d.release()
	m, p, err := d.call()
	return m, p, err
}

// fastOnly decodes with the fast scanner only; ok=false means it declined.
func fastOnly(data []byte) (string, []any, bool) {
	d := fastDecoder(data, "methodCall")
	defer d.releaseFast()
	m, p, err := d.call()
	return m, p, err == nil
}

// sameEncoding compares decoded calls by their canonical encoding, which
// also treats NaN as equal to itself.
func sameEncoding(t *testing.T, m1 string, p1 []any, m2 string, p2 []any) bool {
	var a, b bytes.Buffer
	if err := EncodeCall(&a, m1, p1); err != nil {
		t.Fatalf("encode: %v", err)
	}
	if err := EncodeCall(&b, m2, p2); err != nil {
		t.Fatalf("encode: %v", err)
	}
	return bytes.Equal(a.Bytes(), b.Bytes())
}

func TestFastPathTakesTypicalCalls(t *testing.T) {
	for _, doc := range []string{
		`<?xml version='1.0'?>` + "\n" + `<methodCall>
<methodName>register</methodName>
<params>
<param>
<value><string>SHF706002A7</string></value>
</param>
<param>
<value><string>n&amp;a &lt;3 &#233;&#x1F600;</string></value>
</param>
<param><value><struct><member><name>a</name><value><i4>1</i4></value></member></struct></value></param>
<param><value><array><data><value><nil/></value><value>bare</value><value/></data></array></value></param>
</params>
</methodCall>
`,
		`<?xml version="1.0" encoding="UTF-8"?><methodCall><methodName>x</methodName></methodCall>`,
	} {
		m, p, ok := fastOnly([]byte(doc))
		if !ok {
			t.Fatalf("fast path declined a plain call:\n%s", doc)
		}
		m2, p2, err := slowCall([]byte(doc))
		if err != nil || !sameEncoding(t, m, p, m2, p2) {
			t.Fatalf("fast and slow differ: %v %v / %v %v %v", m, p, m2, p2, err)
		}
	}
}

func TestFastPathDeclinesTheUnusual(t *testing.T) {
	for _, doc := range []string{
		"\xef\xbb\xbf<methodCall><methodName>x</methodName></methodCall>",
		`<?xml version="1.0" encoding="ISO-8859-1"?><methodCall><methodName>x</methodName></methodCall>`,
		`<methodCall><!-- c --><methodName>x</methodName></methodCall>`,
		`<methodCall><methodName><![CDATA[x]]></methodName></methodCall>`,
		`<methodCall a="1"><methodName>x</methodName></methodCall>`,
		`<ex:methodCall><methodName>x</methodName></ex:methodCall>`,
		"<methodCall><methodName>x\r</methodName></methodCall>",
		`<methodCall><methodName>&foo;</methodName></methodCall>`,
		`<methodCall><methodName>x</methodName></methodCall><x/>`,
		`<methodCall><methodName>x</methodName>`,
		`<methodCall><methodName>x</methodname></methodCall>`,
		`<methodCall><methodName>bad name!</methodName></methodCall>`,
		" <?xml version=\"1.0\"?><methodCall><methodName>x</methodName></methodCall>",
	} {
		if _, _, ok := fastOnly([]byte(doc)); ok {
			t.Errorf("fast path took what it should leave to encoding/xml:\n%q", doc)
		}
	}
}

// FuzzFastMatchesSlow: whatever the fast path accepts, encoding/xml accepts
// too, with the same values.
func FuzzFastMatchesSlow(f *testing.F) {
	addSeeds(f, "call_",
		call(`<value><string>a&amp;b&#10;c</string></value>`),
		call(`<value><struct><member><name>k</name><value><nil/></value></member></struct></value>`),
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, p, ok := fastOnly(data)
		if !ok {
			return
		}
		m2, p2, err := slowCall(data)
		if err != nil {
			t.Fatalf("fast path accepted what encoding/xml refuses (%v):\n%q", err, data)
		}
		if !sameEncoding(t, m, p, m2, p2) {
			t.Fatalf("fast and slow paths disagree on\n%q", data)
		}
	})
}
