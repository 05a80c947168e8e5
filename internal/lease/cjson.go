package lease

import (
	"bytes"
	"errors"
	"fmt"
)

// cjsonMagic is what the XO's greplease.py checks to decide a lease file is
// Canonical JSON: the first five bytes.
const cjsonMagic = `[1,{"`

// cjsonPair is one "key":"value" of the lease object, with the offset of the
// value's first byte in the file (for line numbers).
type cjsonPair struct {
	key, value string
	offset     int
}

// readCJSON reads exactly [1,{"k":"v",...}] (or [1,{}]): no whitespace,
// strictly ascending keys, only \" and \\ escapes, nothing after the "]".
func readCJSON(b []byte) ([]cjsonPair, error) {
	const head = `[1,{`
	if !bytes.HasPrefix(b, []byte(head)) {
		return nil, errors.New(`CJSON lease file must start with [1,{`)
	}
	p := len(head)
	var pairs []cjsonPair
	for first := true; ; first = false {
		if p < len(b) && b[p] == '}' {
			p++
			break
		}
		if !first {
			if p >= len(b) || b[p] != ',' {
				return nil, cjsonErr(b, p, `want "," or "}"`)
			}
			p++
		}
		key, n, err := readCJSONString(b, p)
		if err != nil {
			return nil, err
		}
		p = n
		if p >= len(b) || b[p] != ':' {
			return nil, cjsonErr(b, p, `want ":" after key`)
		}
		p++
		valStart := p + 1
		val, n, err := readCJSONString(b, p)
		if err != nil {
			return nil, err
		}
		p = n
		if len(pairs) > 0 && pairs[len(pairs)-1].key >= key {
			return nil, fmt.Errorf("CJSON key %q: keys must be unique and sorted", key)
		}
		pairs = append(pairs, cjsonPair{key: key, value: val, offset: valStart})
	}
	if p >= len(b) || b[p] != ']' {
		return nil, cjsonErr(b, p, `want "]" after the object`)
	}
	if p+1 != len(b) {
		return nil, cjsonErr(b, p+1, "unexpected bytes after the closing ]")
	}
	return pairs, nil
}

// readCJSONString reads a string starting at b[p] == '"' and returns its
// decoded value and the offset after the closing quote. Raw bytes, newlines
// included, stand for themselves; Canonical JSON escapes only " and \.
func readCJSONString(b []byte, p int) (string, int, error) {
	if p >= len(b) || b[p] != '"' {
		return "", p, cjsonErr(b, p, "want a string")
	}
	p++
	var out []byte
	start := p
	for p < len(b) {
		switch b[p] {
		case '"':
			if out == nil {
				return string(b[start:p]), p + 1, nil
			}
			return string(append(out, b[start:p]...)), p + 1, nil
		case '\\':
			if p+1 >= len(b) || (b[p+1] != '"' && b[p+1] != '\\') {
				return "", p, cjsonErr(b, p, `only \" and \\ escapes exist in Canonical JSON`)
			}
			out = append(out, b[start:p]...)
			out = append(out, b[p+1])
			p += 2
			start = p
		default:
			p++
		}
	}
	return "", p, cjsonErr(b, p, "unterminated string")
}

func cjsonErr(b []byte, p int, why string) error {
	return fmt.Errorf("CJSON at byte %d (line %d): %s", p, lineNumber(b, p), why)
}

// appendCJSONString writes s quoted, escaping only " and \.
func appendCJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}

// lineNumber is the 1-based line of offset p in b.
func lineNumber(b []byte, p int) int {
	if p > len(b) {
		p = len(b)
	}
	return 1 + bytes.Count(b[:p], []byte{'\n'})
}
