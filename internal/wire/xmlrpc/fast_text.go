package xmlrpc

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// text checks character data and decodes the predefined and numeric
// entities. Carriage returns (which XML normalises), "]]>", invalid UTF-8,
// characters XML forbids and any other entity decline.
func (f *fastScanner) text(seg []byte) ([]byte, bool) {
	amp := false
	for i := textRun(seg); i < len(seg); {
		c := seg[i]
		if plainText[c] {
			i++
			continue
		}
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

// plainText marks the bytes text passes without a second look: printable
// ASCII but '&' and ']', tab and newline.
var plainText = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	t['&'], t[']'] = false, false
	t['\t'], t['\n'] = true, true
	return t
}()

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
