package chat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// MarshalPy encodes v as Python's json.dumps does by default, so that
// replies are byte for byte what IVLE's server sent: ", " and ": "
// separators, non-ASCII as \uXXXX (surrogate pairs above U+FFFF), and no
// HTML escaping. Key order is Go's (struct field order, sorted map keys).
func MarshalPy(v any) ([]byte, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return pyFormat(bytes.TrimSuffix(b.Bytes(), []byte("\n"))), nil
}

// pyFormat rewrites compact JSON into json.dumps's layout.
func pyFormat(in []byte) []byte {
	out := make([]byte, 0, len(in)+len(in)/8)
	inStr := false
	for i := 0; i < len(in); {
		c := in[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRune(in[i:])
			out = appendUEscape(out, r)
			i += n
			continue
		}
		switch {
		case inStr && c == '\\':
			out = append(out, c, in[i+1])
			i += 2
			continue
		case c == '"':
			inStr = !inStr
		case !inStr && (c == ',' || c == ':'):
			out = append(out, c, ' ')
			i++
			continue
		}
		out = append(out, c)
		i++
	}
	return out
}

func appendUEscape(out []byte, r rune) []byte {
	if r > 0xFFFF {
		r -= 0x10000
		out = fmt.Appendf(out, `\u%04x`, 0xD800+(r>>10))
		return fmt.Appendf(out, `\u%04x`, 0xDC00+(r&0x3FF))
	}
	return fmt.Appendf(out, `\u%04x`, r)
}

// pyString is one JSON string in json.dumps's form.
func pyString(s string) []byte {
	b, _ := MarshalPy(s) // a string always encodes
	return b
}
