package rest

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// firstInvalidUTF8 is the offset of the first byte of data that is not
// part of valid UTF-8, or -1.
func firstInvalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// frame is one open JSON container while walking the tokens.
type frame struct {
	object  bool
	key     string // object: the current member's name
	wantKey bool   // object: the next string token is a member name
	index   int    // array: the current element's index
}

// invalidUTF8Where names the part of a JSON document holding the byte at
// offset bad: `field "nickname"`, `param 2`, `field "tags"[1]`, or a
// member name. encoding/json would silently turn such bytes into U+FFFD,
// storing something the client never sent; refusing needs to say where.
func invalidUTF8Where(data []byte, bad int) string {
	dec := json.NewDecoder(bytes.NewReader(data))
	var stack []frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return "the body"
		}
		end := int(dec.InputOffset())
		var top *frame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		isKey := top != nil && top.object && top.wantKey
		if s, ok := tok.(string); ok && isKey {
			if bad < end {
				return "a field name in " + pathOf(stack, true)
			}
			top.key, top.wantKey = s, false
			continue
		}
		if bad < end {
			return pathOf(stack, false)
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{object: true, wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, frame{index: 0})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value (scalar or a container just closed) ends: advance its parent.
		if len(stack) > 0 {
			p := &stack[len(stack)-1]
			if p.object {
				p.wantKey = true
			} else {
				p.index++
			}
		}
	}
}

// pathOf describes where in the document the walk is: the top-level
// field or parameter, then member names and indexes below it.
func pathOf(stack []frame, container bool) string {
	if len(stack) == 0 {
		return "the body"
	}
	if container {
		stack = stack[:len(stack)-1]
		if len(stack) == 0 {
			return "the body"
		}
	}
	var b []byte
	for i, f := range stack {
		switch {
		case i == 0 && f.object:
			b = append(b, "field "...)
			b = strconv.AppendQuote(b, f.key)
		case i == 0:
			b = append(b, "param "...)
			b = strconv.AppendInt(b, int64(f.index+1), 10)
		case f.object:
			b = append(b, '.')
			b = append(b, f.key...)
		default:
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(f.index), 10)
			b = append(b, ']')
		}
	}
	return string(b)
}
