package acl

import (
	"strings"
	"testing"
)

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		pattern, method string
		want            bool
	}{
		// Bcfg2's documented semantics: '*' is one whole component.
		{"*", "GetProbes", true},
		{"*", "Git.Update", false},
		{"*.*", "Git.Update", true},
		{"*.*", "GetProbes", false},
		{"*.*", "a.b.c", false},
		{"backup.*", "backup.list", true},
		{"backup.*", "backupx.list", false},
		{"backup.*", "backup.a.b", false},
		{"backup.*", "backup", false},
		{"foo.*", "foobar", false},
		{"*.toggle_debug", "Packages.toggle_debug", true},
		{"*.toggle_debug", "toggle_debug", false},
		// literal, case-sensitive
		{"GetConfig", "GetConfig", true},
		{"GetConfig", "getconfig", false},
		{"Metadata.list_clients", "Metadata.list_clients", true},
		{"Metadata.list_clients", "Metadata.list_clients.x", false},
		// '**': any number of components, including none
		{"**", "GetProbes", true},
		{"**", "a.b.c.d", true},
		{"backup.**", "backup", true},
		{"backup.**", "backup.list", true},
		{"backup.**", "backup.a.b", true},
		{"backup.**", "backupx.list", false},
		{"**.set_debug", "set_debug", true},
		{"**.set_debug", "Git.set_debug", true},
		{"**.set_debug", "Git.set_debug.x", false},
		{"a.**.z", "a.z", true},
		{"a.**.z", "a.b.c.z", true},
		{"a.**.z", "a.b.c", false},
		{"**.**", "x", true},
		{"*.**", "x", true},
		{"*.**", "x.y.z", true},
		{"**.*.*", "x", false},
		{"**.*.*", "x.y", true},
		// empty or malformed method names never match
		{"**", "", false},
		{"*", "", false},
		{"*.*", "a.", true}, // names are matched as given; the core never passes such names
	}
	for _, tt := range tests {
		p, err := parsePattern(tt.pattern)
		if err != nil {
			t.Fatalf("parsePattern(%q): %v", tt.pattern, err)
		}
		if got := p.match(tt.method); got != tt.want {
			t.Errorf("%q matches %q = %v, want %v", tt.pattern, tt.method, got, tt.want)
		}
	}
}

func TestPatternRejects(t *testing.T) {
	tests := []struct{ pattern, wantErr string }{
		{"", "empty method pattern"},
		{"a..b", "empty component"},
		{".a", "empty component"},
		{"a.", "empty component"},
		{"*_debug", "'*' must be a whole component"},
		{"back*.list", "'*' must be a whole component"},
		{"***", "'*' must be a whole component"},
		{"a/b", "not allowed in a method name"},
		{"a b", "not allowed"},
		{strings.Repeat("a", maxPatternLen+1), "longer than"},
	}
	for _, tt := range tests {
		_, err := parsePattern(tt.pattern)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("parsePattern(%q) = %v, want error containing %q", tt.pattern, err, tt.wantErr)
		}
	}
}

// A hostile pattern must not make matching exponential; this finishes at
// once with the dynamic-programming matcher (it would not with naive
// backtracking).
func TestPatternManyDoubleStars(t *testing.T) {
	p, err := parsePattern(strings.Repeat("**.a.", 40) + "b")
	if err != nil {
		t.Fatal(err)
	}
	if p.match(strings.Repeat("a.", 200) + "c") {
		t.Fatal("matched a name ending in c")
	}
}
