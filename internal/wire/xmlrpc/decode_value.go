package xmlrpc

import (
	"fmt"
	"strconv"
)

// decoder is the state machine over the tokenizer's tokens: one method per
// XML-RPC element, each consuming its element through the end tag.
type decoder struct {
	tokenizer
	src   *limitReader
	what  string // "methodCall" or "methodResponse", for messages
	depth int
	text  []byte // scratch for character data
	args  []any  // scratch for a message's params
	// values counts the <value>s decoded so far; maxValues (0: no limit)
	// bounds them. Both paths count at the same tokens, so they agree.
	values, maxValues int
}

// dropBigScratch lets go of the last token and of scratch space a huge
// message grew, rather than keeping them in the pool.
func (d *decoder) dropBigScratch() {
	d.tok = token{}
	if cap(d.text) > 64<<10 {
		d.text = nil
	}
	if cap(d.args) > 1024 {
		d.args = nil
	}
}

// invalid reports well-formed XML that is not a valid XML-RPC message.
func (d *decoder) invalid(format string, args ...any) error {
	if d.fast != nil {
		return errFallback // the encoding/xml path words the error
	}
	line, col := d.x.InputPos()
	return &decodeError{InvalidRequest, fmt.Sprintf("invalid %s: line %d, column %d: ", d.what, line, col) + fmt.Sprintf(format, args...)}
}

// skipSpace reads the next start or end tag inside parent into d.tok,
// allowing only white space before it.
func (d *decoder) skipSpace(parent string) error {
	if d.fast != nil {
		err := d.fast.nextTag()
		if err == nil && d.tok.kind == charData {
			return errFallback // text where a tag belongs
		}
		return err
	}
	for {
		if err := d.next(); err != nil {
			return err
		}
		if d.tok.kind == charData {
			if !isSpace(d.tok.text) {
				return d.invalid("unexpected text %s in <%s>", quoteShort(d.tok.text), parent)
			}
			continue
		}
		return nil
	}
}

// expect requires the next child of parent to be a <want> start tag.
func (d *decoder) expect(parent, want string) error {
	if err := d.skipSpace(parent); err != nil {
		return err
	}
	if d.tok.kind == startTag {
		if d.tok.name == want {
			return nil
		}
		return d.invalid("<%s> in <%s>, want <%s>", d.tok.name, parent, want)
	}
	return d.invalid("<%s> ends without <%s>", parent, want)
}

// end requires parent to close next, after nothing but white space.
func (d *decoder) end(parent string) error {
	if err := d.skipSpace(parent); err != nil {
		return err
	}
	if d.tok.kind == startTag {
		return d.invalid("unexpected <%s> in <%s>", d.tok.name, parent)
	}
	return nil
}

// leafText reads the character data of elem through its end tag. The result
// is valid until the next call.
func (d *decoder) leafText(elem string) ([]byte, error) {
	d.text = d.text[:0]
	for {
		if err := d.next(); err != nil {
			return nil, err
		}
		switch d.tok.kind {
		case charData:
			d.text = append(d.text, d.tok.text...)
		case endTag:
			return d.text, nil
		case startTag:
			return nil, d.invalid("element <%s> inside <%s>", d.tok.name, elem)
		}
	}
}

// value decodes the content of a <value> whose start tag was just read.
func (d *decoder) value() (any, error) {
	if d.values++; d.maxValues > 0 && d.values > d.maxValues {
		return nil, d.invalid("more than %d values in one %s", d.maxValues, d.what)
	}
	d.text = d.text[:0]
	for {
		if err := d.next(); err != nil {
			return nil, err
		}
		switch d.tok.kind {
		case charData:
			d.text = append(d.text, d.tok.text...)
		case endTag:
			return string(d.text), nil // untyped: a string, white space and all
		case startTag:
			if !isSpace(d.text) {
				return nil, d.invalid("text %s before <%s> in <value>", quoteShort(d.text), d.tok.name)
			}
			v, err := d.typed(d.tok.name)
			if err != nil {
				return nil, err
			}
			return v, d.end("value")
		}
	}
}

// typed decodes the element <tag> inside a <value>.
func (d *decoder) typed(tag string) (any, error) {
	switch tag {
	case "struct":
		return d.structValue()
	case "array":
		return d.arrayValue()
	}
	text, err := d.leafText(tag)
	if err != nil {
		return nil, err
	}
	var v any
	var problem string
	switch tag {
	case "string":
		return string(text), nil
	case "int", "i4":
		var n int64
		n, problem = parseInt(text, 32)
		v = int(n)
	case "i8":
		v, problem = parseInt(text, 64)
	case "boolean":
		v, problem = parseBool(text)
	case "double":
		v, problem = parseDouble(text)
	case "dateTime.iso8601":
		v, problem = parseDateTime(text)
	case "base64":
		v, problem = parseBase64(text)
	case "nil":
		if !isSpace(text) {
			problem = "must be empty"
		}
	default:
		return nil, d.invalid("unknown value type <%s>", tag)
	}
	if problem != "" {
		return nil, d.invalid("<%s> %s: %s", tag, quoteShort(text), problem)
	}
	return v, nil
}

func (d *decoder) enter(tag string) error {
	d.depth++
	if d.depth > MaxDepth {
		return d.invalid("<%s> nested more than %d levels deep", tag, MaxDepth)
	}
	return nil
}

func (d *decoder) structValue() (any, error) {
	if err := d.enter("struct"); err != nil {
		return nil, err
	}
	m := make(map[string]any)
	for {
		if err := d.skipSpace("struct"); err != nil {
			return nil, err
		}
		if d.tok.kind != startTag {
			d.depth--
			return m, nil
		}
		if d.tok.name != "member" {
			return nil, d.invalid("<%s> in <struct>, want <member>", d.tok.name)
		}
		if err := d.expect("member", "name"); err != nil {
			return nil, err
		}
		name, err := d.leafText("name")
		if err != nil {
			return nil, err
		}
		key := string(name)
		if err := d.expect("member", "value"); err != nil {
			return nil, err
		}
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		if err := d.end("member"); err != nil {
			return nil, err
		}
		m[key] = v // a repeated name: the last one wins, as in Python
	}
}

func (d *decoder) arrayValue() (any, error) {
	if err := d.enter("array"); err != nil {
		return nil, err
	}
	if err := d.expect("array", "data"); err != nil {
		return nil, err
	}
	a := make([]any, 0)
	for {
		if err := d.skipSpace("data"); err != nil {
			return nil, err
		}
		if d.tok.kind != startTag {
			break
		}
		if d.tok.name != "value" {
			return nil, d.invalid("<%s> in <data>, want <value>", d.tok.name)
		}
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		a = append(a, v)
	}
	d.depth--
	return a, d.end("array")
}

// quoteShort quotes text for an error message, cut to a readable length.
func quoteShort(b []byte) string {
	const max = 40
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "…"
	}
	return strconv.Quote(string(b))
}
