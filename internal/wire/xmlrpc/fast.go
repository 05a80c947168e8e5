package xmlrpc

import (
	"bytes"
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

// fastScanner reads tokens from a complete document in memory into *tok.
type fastScanner struct {
	tok        *token
	b          []byte
	i          int
	open       []string
	rootDone   bool
	pendingEnd string // the end tag of an empty element <x/>
	scratch    []byte
}

func (f *fastScanner) reset(b []byte) {
	f.b, f.i, f.open, f.rootDone, f.pendingEnd = b, 0, f.open[:0], false, ""
}

func (f *fastScanner) next() error {
	if f.pendingEnd != "" {
		name := f.pendingEnd
		f.pendingEnd = ""
		return f.closeTag(name)
	}
	for {
		if f.i >= len(f.b) {
			if f.rootDone {
				return io.EOF
			}
			return errFallback
		}
		if f.b[f.i] != '<' {
			seg := f.b[f.i:]
			if j := bytes.IndexByte(seg, '<'); j >= 0 {
				seg = seg[:j]
			}
			f.i += len(seg)
			if len(f.open) == 0 {
				if !isSpace(seg) {
					return errFallback
				}
				continue
			}
			txt, ok := f.text(seg)
			if !ok {
				return errFallback
			}
			*f.tok = token{kind: charData, text: txt}
			return nil
		}
		if f.i+1 >= len(f.b) {
			return errFallback
		}
		switch f.b[f.i+1] {
		case '?':
			if f.i != 0 || !f.declaration() {
				return errFallback
			}
			continue
		case '!': // comment, CDATA, DOCTYPE
			return errFallback
		case '/':
			f.i += 2
			return f.endTag()
		}
		if f.rootDone {
			return errFallback
		}
		f.i++
		name, ok := f.name()
		if !ok {
			return errFallback
		}
		f.skipSpace()
		if f.i+1 < len(f.b) && f.b[f.i] == '/' && f.b[f.i+1] == '>' {
			f.i += 2
			f.open = append(f.open, name)
			f.pendingEnd = name
			*f.tok = token{kind: startTag, name: name}
			return nil
		}
		if f.i >= len(f.b) || f.b[f.i] != '>' {
			return errFallback // attributes, or garbage
		}
		f.i++
		f.open = append(f.open, name)
		*f.tok = token{kind: startTag, name: name}
		return nil
	}
}

// nextTag is next where only white space may come before the next tag (the
// decoder's skipSpace): it steps over the white space itself instead of
// handing it out as text to be looked at and dropped. Other text, and a
// carriage return, are left to next.
func (f *fastScanner) nextTag() error {
	if f.pendingEnd == "" && len(f.open) > 0 {
		for f.i < len(f.b) && (f.b[f.i] == ' ' || f.b[f.i] == '\n' || f.b[f.i] == '\t') {
			f.i++
		}
	}
	return f.next()
}

// endTag reads the rest of an end tag, which must close the innermost
// open element: its name is compared in place rather than read and looked
// up. A longer name (the next byte a name byte) does not match.
func (f *fastScanner) endTag() error {
	n := len(f.open)
	if n == 0 {
		return errFallback
	}
	top := f.open[n-1]
	rest := f.b[f.i:]
	if len(rest) <= len(top) || string(rest[:len(top)]) != top || nameBytes[rest[len(top)]]&nameByte != 0 {
		return errFallback
	}
	f.i += len(top)
	if !f.tagEnd() {
		return errFallback
	}
	f.open = f.open[:n-1]
	f.rootDone = n == 1
	*f.tok = token{kind: endTag, name: top}
	return nil
}

func (f *fastScanner) closeTag(name string) error {
	n := len(f.open)
	if n == 0 || f.open[n-1] != name {
		return errFallback
	}
	f.open = f.open[:n-1]
	f.rootDone = n == 1
	*f.tok = token{kind: endTag, name: name}
	return nil
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
	if !plainDeclaration(f.b[2:end]) {
		return false
	}
	f.i = end + 2
	return true
}

// plainDeclaration matches plainDecl; the declarations Python, the Sugar
// shell and this package write are compared as bytes first, since running
// the regular expression cost more than tokenizing the rest of a call.
func plainDeclaration(decl []byte) bool {
	switch string(decl) {
	case "xml version='1.0'", `xml version="1.0"`, `xml version="1.0" encoding="UTF-8"`,
		`xml version='1.0' encoding='UTF-8'`, `xml version="1.0" encoding="utf-8"`:
		return true
	}
	return plainDecl.Match(decl)
}

var plainDecl = regexp.MustCompile(`^xml[ \t\n]+version[ \t\n]*=[ \t\n]*("1\.0"|'1\.0')([ \t\n]+encoding[ \t\n]*=[ \t\n]*("(?i:utf-8)"|'(?i:utf-8)'))?[ \t\n]*$`)

// name reads an ASCII element name. The XML-RPC vocabulary comes back as
// constant strings, so the common tags cost no allocation.
func (f *fastScanner) name() (string, bool) {
	start := f.i
	if f.i >= len(f.b) || nameBytes[f.b[f.i]]&nameStart == 0 {
		return "", false
	}
	f.i++
	for f.i < len(f.b) && nameBytes[f.b[f.i]]&nameByte != 0 {
		f.i++
	}
	return vocabulary(f.b[start:f.i]), true
}

// nameBytes classifies bytes for the ASCII names the fast path reads:
// letters and '_' may start one; those, digits, '-' and '.' continue it.
var nameBytes = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_':
			t[c] = nameStart | nameByte
		case '0' <= c && c <= '9' || c == '-' || c == '.':
			t[c] = nameByte
		}
	}
	return t
}()

const (
	nameStart = 1 << iota
	nameByte
)

// vocabulary returns the XML-RPC element name spelt by b as a constant, or
// a new string for any other name. (A switch on string(b) neither
// allocates nor hashes.)
func vocabulary(b []byte) string {
	switch string(b) {
	case "value":
		return "value"
	case "string":
		return "string"
	case "param":
		return "param"
	case "params":
		return "params"
	case "member":
		return "member"
	case "name":
		return "name"
	case "struct":
		return "struct"
	case "array":
		return "array"
	case "data":
		return "data"
	case "int":
		return "int"
	case "i4":
		return "i4"
	case "i8":
		return "i8"
	case "boolean":
		return "boolean"
	case "double":
		return "double"
	case "base64":
		return "base64"
	case "dateTime.iso8601":
		return "dateTime.iso8601"
	case "nil":
		return "nil"
	case "methodCall":
		return "methodCall"
	case "methodName":
		return "methodName"
	case "methodResponse":
		return "methodResponse"
	case "fault":
		return "fault"
	}
	return string(b)
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
