package xmlrpc

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"strconv"
	"sync"
	"unicode/utf8"
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

// text checks character data and decodes the predefined and numeric
// entities. Carriage returns (which XML normalises), "]]>", invalid UTF-8,
// characters XML forbids and any other entity decline.
func (f *fastScanner) text(seg []byte) ([]byte, bool) {
	amp := false
	for i := 0; i < len(seg); {
		c := seg[i]
		switch {
		case c == '&':
			amp = true
			i++
		case c < 0x20:
			if c != '\t' && c != '\n' {
				return nil, false
			}
			i++
		case c == ']':
			if bytes.HasPrefix(seg[i:], []byte("]]>")) {
				return nil, false
			}
			i++
		case c < 0x80:
			i++
		default:
			r, size := utf8.DecodeRune(seg[i:])
			if r == utf8.RuneError && size <= 1 || !xmlChar(r) {
				return nil, false
			}
			i += size
		}
	}
	if !amp {
		return seg, true
	}
	out := f.scratch[:0]
	for len(seg) > 0 {
		j := bytes.IndexByte(seg, '&')
		if j < 0 {
			out = append(out, seg...)
			break
		}
		out = append(out, seg[:j]...)
		seg = seg[j+1:]
		semi := bytes.IndexByte(seg, ';')
		if semi < 0 {
			return nil, false
		}
		ent := seg[:semi]
		seg = seg[semi+1:]
		switch string(ent) {
		case "amp":
			out = append(out, '&')
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "quot":
			out = append(out, '"')
		case "apos":
			out = append(out, '\'')
		default:
			r, ok := charRef(ent)
			if !ok {
				return nil, false
			}
			out = utf8.AppendRune(out, r)
		}
	}
	f.scratch = out
	return out, true
}

// charRef decodes "#123" or "#x7B".
func charRef(ent []byte) (rune, bool) {
	if len(ent) < 2 || ent[0] != '#' {
		return 0, false
	}
	digits, base := ent[1:], 10
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	if len(digits) == 0 || len(digits) > 8 {
		return 0, false
	}
	for _, c := range digits {
		if !('0' <= c && c <= '9' || base == 16 && ('a' <= c && c <= 'f' || 'A' <= c && c <= 'F')) {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(string(digits), base, 32)
	if err != nil || !xmlChar(rune(n)) {
		return 0, false
	}
	return rune(n), true
}

// xmlChar is XML 1.0's Char production.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func putBody(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 {
		bodies.Put(b)
	}
}

// readBody reads the whole message for the fast path. It returns nil (and
// a reader replaying everything) when the body is over the limit or the
// read failed, so the encoding/xml path meets the same condition and
// reports it; otherwise the body and a reader over it.
func readBody(r io.Reader, limit int64) (*bytes.Buffer, io.Reader) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	b := bodies.Get().(*bytes.Buffer)
	b.Reset()
	_, err := b.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, io.MultiReader(bytes.NewReader(bytes.Clone(b.Bytes())), errReader{err})
	}
	if int64(b.Len()) > limit {
		return nil, io.MultiReader(bytes.NewReader(bytes.Clone(b.Bytes())), r)
	}
	return b, bytes.NewReader(b.Bytes())
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func fastDecoder(body []byte, what string) *decoder {
	d := decoders.Get().(*decoder)
	d.fs.reset(body)
	d.fast = &d.fs
	d.what, d.depth = what, 0
	return d
}

func (d *decoder) releaseFast() {
	d.fast = nil
	d.fs.b = nil
	if cap(d.fs.scratch) > 64<<10 {
		d.fs.scratch = nil
	}
	decoders.Put(d)
}
