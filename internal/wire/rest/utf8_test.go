package rest

import (
	"strings"
	"testing"
	"unicode/utf8"

	"aula/internal/core"
)

// TestDecodeArgsRefusesInvalidUTF8: a body with bytes that are not UTF-8
// is refused as Invalid (HTTP 400) with a message naming where they are;
// valid text, U+FFFD sent on purpose and \u escapes pass.
func TestDecodeArgsRefusesInvalidUTF8(t *testing.T) {
	bad := map[string]string{
		`{"serial": "SHF1", "nickname": "ni` + "\xff" + `ck"}`:             `body: field "nickname": invalid UTF-8`,
		`["ok", "b` + "\xc3" + `"]`:                                        `body: param 2: invalid UTF-8`,
		`{"a": {"b": [1, "x` + "\xed\xa0\x80" + `"]}}`:                     `body: field "a".b[1]: invalid UTF-8`,
		`{"tags": ["x", {"k` + "\xfe" + `": 1}]}`:                          `body: a field name in field "tags"[1]: invalid UTF-8`,
		`{"n` + "\x80" + `": 1}`:                                           `body: a field name in the body: invalid UTF-8`,
		`{"a": 1, "b": [[], {}], "c": "` + "\xf0\x9f\x98" + `"}`:           `body: field "c": invalid UTF-8`,
		`{"list": [{"x": [true, null]}, "ok"], "z": "` + "\xc0\xaf" + `"}`: `body: field "z": invalid UTF-8`,
	}
	for body, want := range bad {
		_, _, err := DecodeArgs([]byte(body))
		if e := core.AsError(err); e == nil || e.Kind != core.KindInvalid || e.Msg != want {
			t.Errorf("%q: %v, want Invalid %q", body, err, want)
		}
	}
	for _, body := range []string{`{"nickname": "Nena ñandú 🦙"}`, `["\ufffd", "\u00e9"]`, `{"x": "` + "\uFFFD" + `"}`} {
		if _, _, err := DecodeArgs([]byte(body)); err != nil {
			t.Errorf("%q: %v", body, err)
		}
	}
}

// FuzzDecodeArgs: DecodeArgs never panics, and whatever it accepts holds
// only valid UTF-8 strings (nothing was silently replaced), which it only
// refuses when the body itself is not valid UTF-8 or not JSON.
func FuzzDecodeArgs(f *testing.F) {
	for _, s := range []string{``, `[]`, `{}`, `{"a": "b"}`, `["x", 1, 2.5, true, null, {"k": [1]}]`,
		`{"a": "` + "\xff" + `"}`, `[{"` + "\xc3" + `": 1}]`, `{"a": [[[["` + "\x80" + `"]]]]}`, `"x"`, `[] []`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		args, named, err := DecodeArgs(data)
		if err != nil {
			e := core.AsError(err)
			if strings.Contains(e.Msg, "invalid UTF-8") && utf8.Valid(data) {
				t.Fatalf("valid UTF-8 refused as invalid: %q: %v", data, err)
			}
			return
		}
		if !utf8.Valid(data) {
			t.Fatalf("invalid UTF-8 accepted: %q", data)
		}
		var walk func(v any)
		walk = func(v any) {
			switch x := v.(type) {
			case string:
				if !utf8.ValidString(x) {
					t.Fatalf("invalid string %q from %q", x, data)
				}
			case []any:
				for _, e := range x {
					walk(e)
				}
			case map[string]any:
				for k, e := range x {
					walk(k)
					walk(e)
				}
			}
		}
		walk(args)
		walk(named)
	})
}
