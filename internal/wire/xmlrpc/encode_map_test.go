package xmlrpc

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// namedStringMap is not map[string]string, so it takes appendMap's
// general reflective path: the reference the fast path must match.
type namedStringMap map[string]string

type withConfig struct {
	Success string            `json:"success"`
	Path    *string           `json:"path,omitempty"`
	Config  map[string]string `json:"config,omitempty"`
}

type withNamedConfig struct {
	Success string         `json:"success"`
	Path    *string        `json:"path,omitempty"`
	Config  namedStringMap `json:"config,omitempty"`
}

// sameAsGeneral fails unless m encodes to the same bytes, or the same
// error, through appendStringMap and through appendMap.
func sameAsGeneral(t *testing.T, m map[string]string) {
	t.Helper()
	path := "/p"
	for _, pair := range [][2]any{
		{m, namedStringMap(m)},
		{withConfig{"OK", &path, m}, withNamedConfig{"OK", &path, namedStringMap(m)}},
		{[]any{&m}, []any{(*namedStringMap)(&m)}},
	} {
		fast, err1 := AppendResponse(nil, pair[0])
		general, err2 := AppendResponse(nil, pair[1])
		if fmt.Sprint(err1) != fmt.Sprint(err2) || !bytes.Equal(fast, general) {
			t.Fatalf("map %q as %T:\nfast    %q %v\ngeneral %q %v", m, pair[0], fast, err1, general, err2)
		}
	}
}

func TestStringMapMatchesGeneral(t *testing.T) {
	many := map[string]string{}
	for i := range 40 { // more keys than the stack holds
		many[fmt.Sprintf("k%02d", 39-i)] = strings.Repeat("v", i)
	}
	for _, m := range []map[string]string{
		nil,
		{},
		{"uid": "3f2a", "api-url": "https://x/", "jabber-url": "x", "backup-url": "", "schoolserver": "s"},
		{"a&b": "<c>", "é": "\r\n\t", "": ""},
		{"b": "bad \x01 value", "a": "fine"},
		{"bad\xffkey": "v", "z": "z"},
		{"k": "non-character \uFFFE"},
		many,
	} {
		sameAsGeneral(t, m)
	}
}

// FuzzStringMapMatchesGeneral: any map[string]string, including ones XML
// cannot carry, encodes exactly as the general path encodes it.
func FuzzStringMapMatchesGeneral(f *testing.F) {
	f.Add([]byte("uid=3f2a\napi-url=https://x/\nbackup-url=\n"))
	f.Add([]byte("a&b=<c>\n\xff=\x01\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := map[string]string{}
		for line := range strings.SplitSeq(string(data), "\n") {
			k, v, _ := strings.Cut(line, "=")
			m[k] = v
		}
		sameAsGeneral(t, m)
	})
}

// TestPlainDeclarationShortcut: the declarations compared as bytes are
// ones the regular expression accepts, so the shortcut changes nothing.
func TestPlainDeclarationShortcut(t *testing.T) {
	for _, d := range []string{"xml version='1.0'", `xml version="1.0"`, `xml version="1.0" encoding="UTF-8"`,
		`xml version='1.0' encoding='UTF-8'`, `xml version="1.0" encoding="utf-8"`} {
		if !plainDecl.MatchString(d) || !plainDeclaration([]byte(d)) {
			t.Errorf("%q: shortcut and regular expression disagree", d)
		}
	}
	for _, d := range []string{"xml version='1.1'", `xml version="1.0" encoding="latin1"`, `xml version="1.0"standalone="yes"`} {
		if plainDeclaration([]byte(d)) {
			t.Errorf("%q accepted", d)
		}
	}
}
