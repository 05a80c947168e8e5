package xmlrpc

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// decodeError is a refusal together with the fault code it deserves.
// DecodeCall hands it out as a *Fault; DecodeResponse as a plain error.
type decodeError struct {
	code int
	msg  string
}

func (e *decodeError) Error() string { return e.msg }

// token is what the tokenizer hands the decoder: a start tag, an end tag
// or character data. It is a plain value rather than an xml.Token so that
// handing one over allocates nothing (boxing CharData into xml.Token cost
// an allocation per text run), and it stays in the tokenizer (tok) rather
// than being returned through every layer of the decoder.
type token struct {
	kind tokenKind
	name string // a tag's local name (what the decoder matches on)
	text []byte // character data, valid until the next token
}

type tokenKind uint8

const (
	startTag tokenKind = iota + 1
	endTag
	charData
)

// tokenizer wraps encoding/xml's RawToken, which checks only the syntax of
// single tokens, and adds the document-level checks RawToken leaves out:
// end tags match their start tags, one root element, no text outside it,
// no DTD, the XML declaration only at the start. Its errors are therefore
// all "not well-formed" (or encoding) errors; what the tokens mean is the
// decoder's business.
type tokenizer struct {
	tok      token // the current token
	x        *xml.Decoder
	cs       charsets
	open     []xml.Name
	ns       []nsBinding // namespace declarations in scope (see namespace.go)
	ntok     int
	rootDone bool
	limit    int64
	// fast, when set, replaces encoding/xml (see fast.go) and reads into
	// tok too; fs is its pooled storage.
	fast *fastScanner
	fs   fastScanner
}

// next reads the next start tag, end tag or character data into t.tok,
// skipping comments and processing instructions. At the end of a
// well-formed document it returns io.EOF.
func (t *tokenizer) next() error {
	if t.fast != nil {
		return t.fast.next()
	}
	for {
		tok, err := t.x.RawToken()
		if err != nil {
			return t.readError(err)
		}
		first := t.ntok == 0
		t.ntok++
		switch tk := tok.(type) {
		case xml.StartElement:
			if t.rootDone {
				return t.syntax("element <%s> after the root element", tk.Name.Local)
			}
			t.open = append(t.open, tk.Name)
			t.tok = token{kind: startTag, name: tk.Name.Local}
			return t.enterNS(tk)
		case xml.EndElement:
			n := len(t.open)
			if n == 0 {
				return t.syntax("end tag </%s> without a start tag", tk.Name.Local)
			}
			if top := t.open[n-1]; top != tk.Name {
				return t.syntax("element <%s> closed by </%s>", qname(top), qname(tk.Name))
			}
			t.open = t.open[:n-1]
			t.leaveNS()
			t.rootDone = n == 1
			t.tok = token{kind: endTag, name: tk.Name.Local}
			return nil
		case xml.CharData:
			if len(t.open) > 0 {
				t.tok = token{kind: charData, text: tk}
				return nil
			}
			if !isSpace(tk) {
				return t.syntax("text outside the root element")
			}
		case xml.ProcInst:
			if !first && strings.EqualFold(tk.Target, "xml") {
				return t.syntax("XML declaration not at the start of the document")
			}
		case xml.Directive:
			word, _, _ := strings.Cut(string(tk), " ")
			return t.syntax("<!%.20s …> not allowed (no DTDs or entity declarations)", word)
		}
	}
}

// drain reads to the end of the document and returns the first
// well-formedness error, or nil.
func (t *tokenizer) drain() error {
	for {
		if err := t.next(); err != nil {
			var foreign *foreignNSError
			if errors.As(err, &foreign) {
				continue // well-formed all the same
			}
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

func (t *tokenizer) syntax(format string, args ...any) error {
	line, col := t.x.InputPos()
	return &decodeError{ParseError, fmt.Sprintf("not well-formed XML: line %d, column %d: ", line, col) + fmt.Sprintf(format, args...)}
}

// readError classifies an error from RawToken.
func (t *tokenizer) readError(err error) error {
	if err == io.EOF {
		if t.rootDone {
			return io.EOF
		}
		if t.ntok == 0 && len(t.open) == 0 {
			return &decodeError{ParseError, "not well-formed XML: empty document"}
		}
		return t.syntax("document ends before the root element is closed")
	}
	return t.classify(err)
}

func (t *tokenizer) classify(err error) error {
	var se *xml.SyntaxError
	switch {
	case errors.Is(err, errTooBig):
		return &decodeError{ParseError, fmt.Sprintf("body exceeds the limit of %d bytes", t.limit)}
	case t.cs.unsupported != "":
		return &decodeError{UnsupportedEncoding, fmt.Sprintf("unsupported encoding %q (send UTF-8)", t.cs.unsupported)}
	case errors.Is(err, errNotASCII):
		line, _ := t.x.InputPos()
		return &decodeError{InvalidCharacter, fmt.Sprintf("invalid character for encoding: line %d: %v", line, err)}
	case errors.As(err, &se):
		if se.Msg == "invalid UTF-8" || strings.HasPrefix(se.Msg, "illegal character code") {
			return &decodeError{InvalidCharacter, fmt.Sprintf("invalid character for encoding: line %d: %s", se.Line, se.Msg)}
		}
		return &decodeError{ParseError, fmt.Sprintf("not well-formed XML: line %d: %s", se.Line, se.Msg)}
	case strings.HasPrefix(err.Error(), "xml: "):
		return &decodeError{ParseError, "not well-formed XML: " + strings.TrimPrefix(err.Error(), "xml: ")}
	}
	return &decodeError{ParseError, "reading body: " + err.Error()}
}

func qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// isSpace reports whether b is only XML white space.
func isSpace(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

func trimSpace(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isSpace(b[i:i+1]) {
		i++
	}
	for j > i && isSpace(b[j-1:j]) {
		j--
	}
	return b[i:j]
}
