package chat

import (
	"errors"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

var errBadString = errors.New("malformed JSON string")

// jsonString decodes one JSON string literal (with its quotes) exactly as
// encoding/json decodes it into a Go string: the escapes, a \uXXXX pair
// for a character beyond U+FFFF, U+FFFD for a lone surrogate and for each
// byte that is not UTF-8. FuzzJSONString checks it against encoding/json.
// The envelope's literals were validated by encoding/json already; this
// still refuses what is malformed rather than trusting that.
func jsonString(q []byte) (string, error) {
	if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
		return "", errBadString
	}
	s := q[1 : len(q)-1]
	// Nothing to unescape or replace: the bytes are the string.
	i := 0
	for i < len(s) {
		c := s[i]
		if c == '\\' || c == '"' || c < ' ' {
			break
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		i += size
	}
	if i == len(s) {
		return string(s), nil
	}
	b := make([]byte, i, len(s)+2*utf8.UTFMax)
	copy(b, s[:i])
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 >= len(s) {
				return "", errBadString
			}
			switch e := s[i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
				i += 2
			case 'b':
				b, i = append(b, '\b'), i+2
			case 'f':
				b, i = append(b, '\f'), i+2
			case 'n':
				b, i = append(b, '\n'), i+2
			case 'r':
				b, i = append(b, '\r'), i+2
			case 't':
				b, i = append(b, '\t'), i+2
			case 'u':
				r := hex4(s[i:])
				if r < 0 {
					return "", errBadString
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if dec := utf16.DecodeRune(r, hex4(s[i:])); dec != unicode.ReplacementChar {
						b, i = utf8.AppendRune(b, dec), i+6
						break
					}
					r = unicode.ReplacementChar
				}
				b = utf8.AppendRune(b, r)
			default:
				return "", errBadString
			}
		case c == '"' || c < ' ':
			return "", errBadString
		case c < utf8.RuneSelf:
			b, i = append(b, c), i+1
		default:
			r, size := utf8.DecodeRune(s[i:])
			b, i = utf8.AppendRune(b, r), i+size // RuneError for a byte that is not UTF-8
		}
	}
	return string(b), nil
}

// hex4 reads the XXXX of a \uXXXX at the start of s; -1 if there is none.
func hex4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}
