package xmlrpc

import (
	"bytes"
	"strings"
	"testing"
)

// TestForeignNamespaceRefused: XML-RPC's elements are in no namespace (or
// Apache's extensions namespace); a message in another is refused as an
// invalid request naming it, on either decoding path.
func TestForeignNamespaceRefused(t *testing.T) {
	refused := map[string]string{
		`<methodCall xmlns="urn:other"><methodName>x</methodName></methodCall>`:                       `<methodCall> is in the namespace "urn:other"`,
		`<o:methodCall xmlns:o="urn:other"><o:methodName>x</o:methodName></o:methodCall>`:             `<o:methodCall> is in the namespace "urn:other"`,
		`<o:methodCall><methodName>x</methodName></o:methodCall>`:                                     `prefix "o" is not declared`,
		`<methodCall><methodName>x</methodName><params xmlns="urn:x"><param/></params></methodCall>`:  `<params> is in the namespace "urn:x"`,
		call(`<value><o:i4 xmlns:o="urn:x">3</o:i4></value>`):                                         `<o:i4> is in the namespace "urn:x"`,
		call(`<value><i4 xmlns:o="urn:x">1</i4></value></param><param><value><o:i4>2</o:i4></value>`): `prefix "o" is not declared`,
		call(`<value><ex:i8 xmlns:ex="urn:not-apache">3</ex:i8></value>`):                             `<ex:i8> is in the namespace "urn:not-apache"`,
	}
	for doc, want := range refused {
		_, _, err := DecodeCall(strings.NewReader(doc), 0)
		f, ok := err.(*Fault)
		if !ok || f.Code != InvalidRequest || !strings.Contains(f.String, want) {
			t.Errorf("%s:\n  got %v, want fault %d with %q", doc, err, InvalidRequest, want)
		}
		if _, _, ok := fastOnly([]byte(doc)); ok {
			t.Errorf("fast path accepted %s", doc)
		}
	}
	accepted := []string{
		`<methodCall xmlns=""><methodName>x</methodName></methodCall>`,
		`<methodCall xmlns:o="urn:other"><methodName>x</methodName></methodCall>`,
		call(`<value><ex:i8 xmlns:ex="` + ExtensionsNamespace + `">3</ex:i8></value>`),
		call(`<value><nil xmlns="` + ExtensionsNamespace + `"/></value>`),
		call(`<value><ex:nil/></value>`),
	}
	for _, doc := range accepted {
		if _, _, err := DecodeCall(strings.NewReader(doc), 0); err != nil {
			t.Errorf("%s: %v", doc, err)
		}
	}
	// Not well-formed as well: that is the truer report.
	_, _, err := DecodeCall(strings.NewReader(`<methodCall xmlns="urn:x"><methodName>x</methodName></methodCall><x>`), 0)
	if f, ok := err.(*Fault); !ok || f.Code != ParseError {
		t.Errorf("foreign and not well-formed: %v", err)
	}
	// Responses too.
	_, err = DecodeResponse(bytes.NewReader([]byte(`<methodResponse xmlns="urn:x"><params><param><value>1</value></param></params></methodResponse>`)), 0)
	if err == nil || !strings.Contains(err.Error(), `namespace "urn:x"`) {
		t.Errorf("foreign response: %v", err)
	}
}
