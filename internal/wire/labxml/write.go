package labxml

import (
	"strconv"
	"strings"
)

// Append appends m's bytes, ending in a newline, to dst.
func Append(dst []byte, m *Message) []byte {
	dst = append(dst, '<')
	dst = append(dst, m.Kind...)
	dst = attrInt(dst, "codigo", int64(m.Code))
	if m.Kind == Command {
		dst = attr(dst, "nombre", m.Name)
	} else {
		dst = attr(dst, "respuesta", m.Text)
	}
	dst = attrInt(dst, "accion", m.Action)
	if m.Kind == Response {
		dst = attrInt(dst, "resultado", int64(m.Result))
		dst = attr(dst, "ipaddr", m.IP)
	}
	if len(m.Params) == 0 {
		return append(dst, "/>\n"...)
	}
	dst = append(dst, '>')
	for _, p := range m.Params {
		dst = append(dst, "<PARAM"...)
		dst = attr(dst, "nombre", p.Name)
		dst = attr(dst, "valor", p.Value)
		dst = append(dst, "/>"...)
	}
	dst = append(dst, "</"...)
	dst = append(dst, m.Kind...)
	return append(dst, ">\n"...)
}

// Encode returns m's bytes.
func Encode(m *Message) []byte { return Append(nil, m) }

func attrInt(dst []byte, name string, v int64) []byte {
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, `="`...)
	dst = strconv.AppendInt(dst, v, 10)
	return append(dst, '"')
}

func attr(dst []byte, name, v string) []byte {
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, `="`...)
	dst = appendEscaped(dst, v)
	return append(dst, '"')
}

// appendEscaped escapes for an attribute value. Newlines, tabs and
// carriage returns become character references so that they survive
// attribute-value normalisation and no raw newline appears in a message.
// Characters XML cannot carry at all (other controls, invalid UTF-8) are
// replaced with U+FFFD.
func appendEscaped(dst []byte, s string) []byte {
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '&':
			dst = append(dst, "&amp;"...)
		case r == '<':
			dst = append(dst, "&lt;"...)
		case r == '>':
			dst = append(dst, "&gt;"...)
		case r == '"':
			dst = append(dst, "&quot;"...)
		case r == '\n':
			dst = append(dst, "&#10;"...)
		case r == '\r':
			dst = append(dst, "&#13;"...)
		case r == '\t':
			dst = append(dst, "&#9;"...)
		case r < 0x20 || r == 0xFFFE || r == 0xFFFF:
			dst = append(dst, "\uFFFD"...)
		default:
			dst = append(dst, string(r)...)
		}
	}
	return dst
}
