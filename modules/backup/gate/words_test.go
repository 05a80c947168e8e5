package gate

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestSplitWords(t *testing.T) {
	ok := []struct {
		in   string
		want []string
	}{
		{"rsync --server -ltrze.iLsfxCIvu --timeout=160 --delete --partial . datastore-current",
			[]string{"rsync", "--server", "-ltrze.iLsfxCIvu", "--timeout=160", "--delete", "--partial", ".", "datastore-current"}},
		{`rsync --server --sender -ltre.iLsfxCIvu . data\ store/x\ y`,
			[]string{"rsync", "--server", "--sender", "-ltre.iLsfxCIvu", ".", "data store/x y"}},
		// What rsync 3.x wrote for the name we;ird$(x)`a`"q' (captured).
		{"rsync --server -ltre.iLsfxCIvu . we\\;ird\\$\\(x\\)\\`a\\`\\\"q\\'",
			[]string{"rsync", "--server", "-ltre.iLsfxCIvu", ".", "we;ird$(x)`a`\"q'"}},
		{`a  b	c`, []string{"a", "b", "c"}},
		{`x ~/d ~ ~/ \~y a~b`, []string{"x", "d", ".", ".", "~y", "a~b"}},
		{`x \*\?\[z\]`, []string{"x", "*?[z]"}},
		{"x caf\xc3\xa9 \xff", []string{"x", "café", "\xff"}},
	}
	for _, c := range ok {
		got, err := SplitWords(c.in)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("SplitWords(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	bad := map[string]string{
		"":                                     "empty command",
		"   ":                                  "empty command",
		"rsync; sh":                            `metacharacter ';'`,
		"rsync && sh":                          `metacharacter '&'`,
		"rsync | sh":                           `metacharacter '|'`,
		"rsync $(sh)":                          `metacharacter '$'`,
		"rsync `sh`":                           "metacharacter '`'",
		"rsync > /etc/x":                       `metacharacter '>'`,
		`rsync "a b"`:                          `metacharacter '"'`,
		`rsync 'a b'`:                          `metacharacter '\''`,
		"rsync a*":                             `metacharacter '*'`,
		"rsync #x":                             `metacharacter '#'`,
		"rsync ~root/x":                        "~user",
		"rsync a\\":                            "ends with a backslash",
		"rsync a\nsh":                          "control character",
		"rsync a\\\nb":                         "control character",
		"rsync a\x00b":                         "control character",
		strings.Repeat("a ", 100):              "more than 64 words",
		strings.Repeat("a", MaxCommandBytes+1): "longer than",
		"x " + strings.Repeat("a", maxWordBytes+1): "word longer",
	}
	for in, want := range bad {
		_, err := SplitWords(in)
		var re *RefusedError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("SplitWords(%q) error %v; want a one-line refusal mentioning %q", in, err, want)
		}
	}
}
