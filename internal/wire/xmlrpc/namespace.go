package xmlrpc

import (
	"encoding/xml"
	"fmt"
)

// ExtensionsNamespace is Apache XML-RPC's namespace for its extension
// types (<ex:i8>, <ex:nil/>, ...), the one namespace besides none that an
// XML-RPC element may be in.
const ExtensionsNamespace = "http://ws.apache.org/xmlrpc/namespaces/extensions"

// nsBinding is a namespace declaration in scope: prefix ("" for the
// default namespace) bound to uri by the element at depth.
type nsBinding struct {
	prefix, uri string
	depth       int
}

// foreignNSError refuses an element in a namespace XML-RPC does not have
// (a <methodCall xmlns="urn:other">, say, is another vocabulary that
// merely shares the names). The document is still well-formed, which is
// why drain steps over it.
type foreignNSError struct{ decodeError }

func (e *foreignNSError) Unwrap() error { return &e.decodeError }

// enterNS records the namespace declarations of a start tag (already
// pushed on t.open) and refuses the element if its namespace is foreign.
func (t *tokenizer) enterNS(el xml.StartElement) error {
	depth := len(t.open)
	for _, a := range el.Attr {
		switch {
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			t.ns = append(t.ns, nsBinding{"", a.Value, depth})
		case a.Name.Space == "xmlns":
			t.ns = append(t.ns, nsBinding{a.Name.Local, a.Value, depth})
		}
	}
	uri, declared := t.resolveNS(el.Name.Space)
	switch {
	case !declared && el.Name.Space == "ex":
		return nil // Apache's extensions: its clients have sent <ex:nil/> without declaring ex
	case !declared:
		return t.foreign("element <%s>: namespace prefix %q is not declared", qname(el.Name), el.Name.Space)
	case uri == "", uri == ExtensionsNamespace:
		return nil
	}
	return t.foreign("element <%s> is in the namespace %q; XML-RPC's elements are in none", qname(el.Name), uri)
}

// leaveNS drops the declarations of the element just closed.
func (t *tokenizer) leaveNS() {
	depth := len(t.open)
	for len(t.ns) > 0 && t.ns[len(t.ns)-1].depth > depth {
		t.ns = t.ns[:len(t.ns)-1]
	}
}

// resolveNS is the namespace prefix is bound to ("" with declared true
// for no namespace).
func (t *tokenizer) resolveNS(prefix string) (uri string, declared bool) {
	for i := len(t.ns) - 1; i >= 0; i-- {
		if t.ns[i].prefix == prefix {
			return t.ns[i].uri, true
		}
	}
	return "", prefix == ""
}

func (t *tokenizer) foreign(format string, args ...any) error {
	line, col := t.x.InputPos()
	return &foreignNSError{decodeError{InvalidRequest,
		fmt.Sprintf("not an XML-RPC message: line %d, column %d: ", line, col) + fmt.Sprintf(format, args...)}}
}
