package xmlrpc

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

type conflictA struct{ X, Y int }
type conflictB struct {
	X int
	Y int `json:"Y"`
}
type conflicting struct {
	conflictA
	conflictB
	Z int
}
type shadowing struct {
	conflictA
	X string
}
type selfEmbed struct {
	*selfEmbed
	V int
}

func TestEncodeStructFieldRules(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		// X is ambiguous at depth 1 and dropped; the tagged Y wins.
		{"conflict", conflicting{conflictA{1, 2}, conflictB{3, 4}, 5},
			`<value><struct><member><name>Y</name><value><int>4</int></value></member><member><name>Z</name><value><int>5</int></value></member></struct></value>`},
		{"shallower wins", shadowing{conflictA{1, 2}, "top"},
			`<value><struct><member><name>Y</name><value><int>2</int></value></member><member><name>X</name><value><string>top</string></value></member></struct></value>`},
		{"embedding cycle", selfEmbed{V: 1},
			`<value><struct><member><name>V</name><value><int>1</int></value></member></struct></value>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fragment(t, tt.v)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

type badName struct {
	F int `xmlrpc:"a\x01b"`
}

func TestEncodeErrors(t *testing.T) {
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	deep := any("leaf")
	for range MaxDepth + 1 {
		deep = []any{deep}
	}
	tests := []struct {
		name string
		v    any
		msg  string
	}{
		{"chan", make(chan int), "cannot encode chan int (kind chan)"},
		{"func", func() {}, "cannot encode func()"},
		{"complex", 1i, "cannot encode complex128"},
		{"nested func", map[string]any{"k": []any{1, func() {}}}, `member "k": [1]: cannot encode func()`},
		{"int map key", map[int]string{1: "a"}, "member names must be strings"},
		{"uint64 too big", uint64(math.MaxUint64), "does not fit a 64-bit signed <i8>"},
		{"control char", "a\x00b", "control character U+0000 at byte 1"},
		{"bad UTF-8", "a\xffb", "invalid UTF-8 at byte 1"},
		{"non-character", "a\uFFFEb", "non-character U+FFFE"},
		{"bad member name", map[string]int{"a\x02": 1}, `member name "a\x02"`},
		{"bad tag name", badName{}, `member name "a\x01b"`},
		{"year 10000", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "year outside 0000-9999"},
		{"cycle", cyclic, "nest more than 100 levels"},
		{"too deep", deep, "nest more than 100 levels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte("keep")
			got, err := AppendResponse(dst, tt.v)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("got %v, want an error containing %q", err, tt.msg)
			}
			if string(got) != "keep" {
				t.Errorf("dst changed on error: %q", got)
			}
			var buf bytes.Buffer
			if err := EncodeResponse(&buf, tt.v); err == nil || buf.Len() != 0 {
				t.Errorf("EncodeResponse wrote %d bytes, err %v; want nothing and an error", buf.Len(), err)
			}
		})
	}
	deepOK := any("leaf")
	for range MaxDepth {
		deepOK = []any{deepOK}
	}
	if _, err := fragment(t, deepOK); err != nil {
		t.Errorf("%d levels: %v", MaxDepth, err)
	}
}
