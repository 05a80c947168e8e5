package xmlrpc

import (
	"strings"
	"testing"
)

// slowRun is markupRun and textRun by definition: whole words, up to the
// first word holding a byte outside printable ASCII or one of stops.
func slowRun(s, stops string) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		for _, c := range []byte(s[i : i+8]) {
			if c < 0x20 || c >= 0x80 || strings.IndexByte(stops, c) >= 0 {
				return i
			}
		}
	}
	return i
}

func checkRuns(t *testing.T, s string) {
	t.Helper()
	if got, want := markupRun(s), slowRun(s, "&<>"); got != want {
		t.Fatalf("markupRun(%q) = %d, want %d", s, got, want)
	}
	if got, want := textRun([]byte(s)), slowRun(s, "&]"); got != want {
		t.Fatalf("textRun(%q) = %d, want %d", s, got, want)
	}
}

func TestPlainRuns(t *testing.T) {
	base := "abcdefghijklmnopqrstuvwxyz0123456789"
	for c := range 256 {
		for pos := range 24 {
			b := []byte(base[:24])
			b[pos] = byte(c)
			checkRuns(t, string(b))
			if pos > 0 { // a borrow from the byte before must not hide this one
				b[pos-1] = 0
				checkRuns(t, string(b))
			}
		}
	}
	checkRuns(t, "")
	checkRuns(t, "short")
}

func FuzzPlainRuns(f *testing.F) {
	f.Add("hello, world: <b>&amp;</b> ]]> \x7f\x80\xff")
	f.Fuzz(func(t *testing.T, s string) { checkRuns(t, s) })
}
