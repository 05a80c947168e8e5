package xmlrpc

import (
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// textSafe marks the ASCII bytes that go into character data unchanged
// (indexed by any byte, so the scan needs no range check first).
var textSafe = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	t['\t'], t['\n'] = true, true
	t['&'], t['<'], t['>'] = false, false, false
	return t
}()

// appendText appends s as XML character data. It escapes & < > (as Python
// does) and \r (which an XML parser would otherwise turn into \n), and
// refuses what XML 1.0 cannot carry at all: invalid UTF-8, control
// characters other than tab/newline/return, U+FFFE and U+FFFF.
func appendText(b []byte, s string) ([]byte, error) {
	last := 0
	for i := markupRun(s); i < len(s); {
		for i < len(s) && textSafe[s[i]] {
			i++
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			var esc string
			switch c {
			case '&':
				esc = "&amp;"
			case '<':
				esc = "&lt;"
			case '>':
				esc = "&gt;"
			case '\r':
				esc = "&#xD;"
			default:
				return b, fmt.Errorf("string has control character %U at byte %d, which XML 1.0 cannot carry (send binary data as []byte)", c, i)
			}
			b = append(append(b, s[last:i]...), esc...)
			i++
			last = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return b, fmt.Errorf("string has invalid UTF-8 at byte %d (send binary data as []byte)", i)
		}
		if r == 0xFFFE || r == 0xFFFF {
			return b, fmt.Errorf("string has non-character %U at byte %d, which XML 1.0 cannot carry", r, i)
		}
		i += size
	}
	return append(b, s[last:]...), nil
}

// appendTextLossy is appendText for messages that must go out whatever
// they hold (fault strings): what XML cannot carry becomes U+FFFD.
func appendTextLossy(b []byte, s string) []byte {
	if out, err := appendText(b, s); err == nil {
		return out
	}
	clean := make([]rune, 0, len(s))
	for _, r := range s { // ranging over a string yields U+FFFD for bad UTF-8
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			r = utf8.RuneError
		}
		clean = append(clean, r)
	}
	out, _ := appendText(b, string(clean))
	return out
}

// appendDouble writes f in plain decimal notation, as the XML-RPC spec asks
// (no exponent), with the shortest digits that read back exactly and a
// ".0" on whole numbers, as Python's repr() has. Infinities and NaN, which
// the spec cannot express, are written as Python writes them.
func appendDouble(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case math.IsNaN(f):
		return append(b, "nan"...)
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, 'f', -1, bits)
	for _, c := range b[start:] {
		if c == '.' {
			return b
		}
	}
	return append(b, ".0"...)
}

// dateTimeLayout is what Python writes and parses (no zone; we mean UTC).
const dateTimeLayout = "20060102T15:04:05"

func appendDateTime(b []byte, t time.Time) ([]byte, error) {
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return b, fmt.Errorf("time %v: year outside 0000-9999", t)
	}
	return t.AppendFormat(b, dateTimeLayout), nil
}

// appendInt writes an integer as <int> when it fits 32 bits, else <i8>.
func appendInt(b []byte, n int64) []byte {
	if n >= math.MinInt32 && n <= math.MaxInt32 {
		b = append(b, "<value><int>"...)
		return append(strconv.AppendInt(b, n, 10), "</int></value>"...)
	}
	return appendI8(b, n)
}

func appendI8(b []byte, n int64) []byte {
	b = append(b, "<value><i8>"...)
	return append(strconv.AppendInt(b, n, 10), "</i8></value>"...)
}
