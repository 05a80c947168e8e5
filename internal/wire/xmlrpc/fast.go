package xmlrpc

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
)

// The fast path. Nearly every real request is plain UTF-8 XML with no
// comments, CDATA, attributes, namespaces or DTD, and encoding/xml spends
// most of a call's CPU tokenizing it. fastScanner tokenizes that common
// subset straight from the body bytes and feeds the same decoder state
// machine. Anything outside the subset — and any error at all — makes it
// decline (errFallback), and the message is decoded again by the
// encoding/xml path, which alone produces errors. So the fast path can
// only ever turn a message into the same values the slow path would
// (FuzzFastMatchesSlow checks exactly that).

// errFallback means "not sure: use the encoding/xml path".
var errFallback = errors.New("xmlrpc: fast path declined")

// fastScanner yields xml.Tokens from a complete document in memory.
type fastScanner struct {
	b          []byte
	i          int
	open       []vocabToken
	rootDone   bool
	pendingEnd vocabToken // the end tag of an empty element <x/>
	scratch    []byte
}

func (f *fastScanner) reset(b []byte) {
	f.b, f.i, f.open, f.rootDone, f.pendingEnd = b, 0, f.open[:0], false, vocabToken{}
}

func (f *fastScanner) next() (xml.Token, error) {
	if f.pendingEnd.name != "" {
		name := f.pendingEnd
		f.pendingEnd = vocabToken{}
		return f.closeTag(name)
	}
	for {
		if f.i >= len(f.b) {
			if f.rootDone {
				return nil, io.EOF
			}
			return nil, errFallback
		}
		if f.b[f.i] != '<' {
			seg := f.b[f.i:]
			if j := bytes.IndexByte(seg, '<'); j >= 0 {
				seg = seg[:j]
			}
			f.i += len(seg)
			if len(f.open) == 0 {
				if !isSpace(seg) {
					return nil, errFallback
				}
				continue
			}
			txt, ok := f.text(seg)
			if !ok {
				return nil, errFallback
			}
			return xml.CharData(txt), nil
		}
		if f.i+1 >= len(f.b) {
			return nil, errFallback
		}
		switch f.b[f.i+1] {
		case '?':
			if f.i != 0 || !f.declaration() {
				return nil, errFallback
			}
			continue
		case '!': // comment, CDATA, DOCTYPE
			return nil, errFallback
		case '/':
			f.i += 2
			name, ok := f.name()
			if !ok || !f.tagEnd() {
				return nil, errFallback
			}
			return f.closeTag(name)
		}
		if f.rootDone {
			return nil, errFallback
		}
		f.i++
		name, ok := f.name()
		if !ok {
			return nil, errFallback
		}
		f.skipSpace()
		if f.i+1 < len(f.b) && f.b[f.i] == '/' && f.b[f.i+1] == '>' {
			f.i += 2
			f.open = append(f.open, name)
			f.pendingEnd = name
			return name.startToken(), nil
		}
		if f.i >= len(f.b) || f.b[f.i] != '>' {
			return nil, errFallback // attributes, or garbage
		}
		f.i++
		f.open = append(f.open, name)
		return name.startToken(), nil
	}
}

func (f *fastScanner) closeTag(name vocabToken) (xml.Token, error) {
	n := len(f.open)
	if n == 0 || f.open[n-1].name != name.name {
		return nil, errFallback
	}
	f.open = f.open[:n-1]
	f.rootDone = n == 1
	return name.endToken(), nil
}

// declaration accepts <?xml version="1.0"?> at the very start, with at
// most an encoding="UTF-8"; any other declaration goes to encoding/xml.
func (f *fastScanner) declaration() bool {
	if len(f.b) < 4 {
		return false
	}
	end := bytes.Index(f.b[2:], []byte("?>"))
	if end < 0 {
		return false
	}
	end += 2
	if !plainDecl.Match(f.b[2:end]) {
		return false
	}
	f.i = end + 2
	return true
}

var plainDecl = regexp.MustCompile(`^xml[ \t\n]+version[ \t\n]*=[ \t\n]*("1\.0"|'1\.0')([ \t\n]+encoding[ \t\n]*=[ \t\n]*("(?i:utf-8)"|'(?i:utf-8)'))?[ \t\n]*$`)

// name reads an ASCII element name; the XML-RPC vocabulary comes with its
// tokens boxed in advance, so the common tags cost no allocation.
func (f *fastScanner) name() (vocabToken, bool) {
	start := f.i
	for f.i < len(f.b) {
		c := f.b[f.i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' ||
			f.i > start && ('0' <= c && c <= '9' || c == '-' || c == '.') {
			f.i++
			continue
		}
		break
	}
	if f.i == start {
		return vocabToken{}, false
	}
	if t, ok := vocabulary[string(f.b[start:f.i])]; ok { // no allocation for the lookup
		return t, true
	}
	return vocabToken{name: string(f.b[start:f.i])}, true
}

// vocabToken holds the XML-RPC vocabulary with its start and end tokens
// boxed once, so returning them allocates nothing.
type vocabToken struct {
	name       string
	start, end xml.Token
}

var vocabulary = func() map[string]vocabToken {
	m := map[string]vocabToken{}
	for _, n := range []string{"value", "string", "param", "params", "member", "name", "struct",
		"array", "data", "int", "i4", "i8", "boolean", "double", "base64", "dateTime.iso8601",
		"nil", "methodCall", "methodName", "methodResponse", "fault"} {
		m[n] = vocabToken{n, xml.StartElement{Name: xml.Name{Local: n}}, xml.EndElement{Name: xml.Name{Local: n}}}
	}
	return m
}()

func (t vocabToken) startToken() xml.Token {
	if t.start != nil {
		return t.start
	}
	return xml.StartElement{Name: xml.Name{Local: t.name}}
}

func (t vocabToken) endToken() xml.Token {
	if t.end != nil {
		return t.end
	}
	return xml.EndElement{Name: xml.Name{Local: t.name}}
}

func (f *fastScanner) skipSpace() {
	for f.i < len(f.b) {
		switch f.b[f.i] {
		case ' ', '\t', '\n':
			f.i++
		default:
			return
		}
	}
}

// tagEnd accepts optional white space and '>' after an end tag's name.
func (f *fastScanner) tagEnd() bool {
	f.skipSpace()
	if f.i < len(f.b) && f.b[f.i] == '>' {
		f.i++
		return true
	}
	return false
}
