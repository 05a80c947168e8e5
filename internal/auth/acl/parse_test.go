package acl

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		wantMsg   string
	}{
		{"bad action", "# c\nalow any *\n", 2, `unknown action "alow"`},
		{"too few fields", "allow any\n", 1, "got 2 fields"},
		{"four fields", "allow any * from\n", 1, "got 4 fields"},
		{"not from", "allow any * to 10.0.0.0/8\n", 1, `unexpected "to"`},
		{"bad who", "allow bob *\n", 1, `unknown who "bob"`},
		{"who without name", "allow user: *\n", 1, `"user:" needs a name`},
		{"empty who item", "allow user:a,,user:b *\n", 1, "empty entry in the who list"},
		{"bcfg2 partial wildcard", "allow any *_debug\n", 1, `'*' must be a whole component`},
		{"doubled dot", "allow any backup..list\n", 1, "empty component"},
		{"empty method item", "allow any a.b,\n", 1, "empty method pattern"},
		{"bad cidr", "allow any * from 10.0.0.0/33\n", 1, `from "10.0.0.0/33": not a CIDR prefix`},
		{"host bits", "allow any * from 10.1.2.3/8\n", 1, "host bits set (did you mean 10.0.0.0/8?)"},
		{"bad addr", "allow any * from localhost\n", 1, "not an IP address"},
		{"zone", "allow any * from fe80::1%eth0\n", 1, "not an IP address"},
		{"mapped prefix", "allow any * from ::ffff:10.0.0.0/104\n", 1, "IPv4-mapped"},
		{"empty from item", "allow any * from 10.0.0.0/8,\n", 1, "empty entry in the from list"},
		{"control char", "allow any \x00*\n", 1, "control character"},
		{"long line", "allow any " + strings.Repeat("a", MaxLineLen) + "\n", 1, "line longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.src), "p.acl")
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *ParseError", err)
			}
			if pe.Line != tt.line || !strings.Contains(pe.Msg, tt.wantMsg) {
				t.Errorf("err = %q, want line %d containing %q", err, tt.line, tt.wantMsg)
			}
			if !strings.HasPrefix(err.Error(), "p.acl:") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestParseSizeLimits(t *testing.T) {
	big := strings.Repeat("# padding padding padding padding padding padding padding\n", MaxPolicySize/58+10)
	_, err := Parse(strings.NewReader(big), "big.acl")
	if err == nil || !strings.Contains(err.Error(), "big.acl: file larger than") {
		t.Errorf("oversize file: %v", err)
	}
	many := strings.Repeat("allow any a\n", MaxRules+1)
	_, err = Parse(strings.NewReader(many), "many.acl")
	if err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("too many rules: %v", err)
	}
}

func TestParseLineEndingsAndRules(t *testing.T) {
	p := mustParse(t, "allow\tgroup:admin   **\r\n\r\ndeny any *.*") // CRLF, tabs, no final newline
	want := []string{"test.acl:1: allow group:admin **", "test.acl:3: deny any *.*"}
	got := p.Rules()
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Rules = %q, want %q", got, want)
	}
	if p.Name() != "test.acl" || p.Len() != 2 {
		t.Errorf("Name, Len = %q, %d", p.Name(), p.Len())
	}
}

func TestSingleAddressFrom(t *testing.T) {
	p := mustParse(t, "allow any x.y from 127.0.0.1,::1\n")
	for _, a := range []string{"127.0.0.1", "::1", "::ffff:127.0.0.1"} {
		if !p.Decide(Subject{Addr: addr(a)}, "x.y", Nobody).Allow {
			t.Errorf("%s not allowed", a)
		}
	}
	if p.Decide(Subject{Addr: addr("127.0.0.2")}, "x.y", Nobody).Allow {
		t.Error("127.0.0.2 allowed by a single-address rule")
	}
}

func TestHolderLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "acl.conf")
	var h Holder
	s := Subject{Identity: "bob", Authenticated: true}
	if d := h.Decide(s, "echo.echo", Authenticated); !d.Allow || d.Rule != "default: authenticated" {
		t.Fatalf("empty holder: %+v", d)
	}
	if err := os.WriteFile(path, []byte("deny user:bob echo.*\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := h.Load(path); err != nil {
		t.Fatal(err)
	}
	if d := h.Decide(s, "echo.echo", Public); d.Allow || d.Rule != path+":1: deny user:bob echo.*" {
		t.Fatalf("after load: %+v", d)
	}
	// A broken file is refused and the old policy stays in force.
	if err := os.WriteFile(path, []byte("deny user:bob echo.*\nallow everyone **\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := h.Load(path)
	if err == nil || !strings.Contains(err.Error(), path+":2: unknown who \"everyone\"") {
		t.Fatalf("bad reload error = %v", err)
	}
	if d := h.Decide(s, "echo.echo", Public); d.Allow {
		t.Fatalf("old policy lost after failed reload: %+v", d)
	}
	if err := h.Load(filepath.Join(dir, "missing")); err == nil || h.Policy() == nil {
		t.Fatalf("missing file: err=%v policy=%v", err, h.Policy())
	}
	h.Store(nil)
	if d := h.Decide(s, "echo.echo", Public); !d.Allow {
		t.Fatalf("after Store(nil): %+v", d)
	}
}

func FuzzParsePolicy(f *testing.F) {
	f.Add(examplePolicy)
	f.Add("allow any **\n")
	f.Add("deny user:a,group:b,cert:c a.*.**,b from 10.0.0.0/8,::1\r\n# x\n")
	f.Add("allow any * from ::ffff:1.2.3.4\n")
	f.Add("allow any *_debug\n")
	f.Add("\x00\xff\n\n")
	f.Fuzz(func(t *testing.T, src string) {
		p, err := Parse(strings.NewReader(src), "f")
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "f" {
				t.Fatalf("error %v is not a *ParseError naming the file", err)
			}
			return
		}
		// The normalised rule text must parse back to the same rules.
		var b strings.Builder
		for _, r := range p.rules {
			b.WriteString(r.text + "\n")
		}
		q, err := Parse(strings.NewReader(b.String()), "f")
		if err != nil || q.Len() != p.Len() {
			t.Fatalf("normalised rules do not re-parse: %v", err)
		}
		for i := range p.rules {
			if q.rules[i].text != p.rules[i].text || q.rules[i].allow != p.rules[i].allow {
				t.Fatalf("rule %d changed: %q -> %q", i, p.rules[i].text, q.rules[i].text)
			}
		}
		for _, m := range []string{"GetProbes", "a.b", "backup.a.b", ""} {
			p.Decide(Subject{Identity: "x", Groups: []string{"g"}, Authenticated: true, Addr: addr("10.0.0.1")}, m, Public)
		}
	})
}

func TestParseExactlyMaxSize(t *testing.T) {
	line := "# padding padding padding padding\n"
	src := strings.Repeat(line, MaxPolicySize/len(line))
	src += strings.Repeat("#", MaxPolicySize-len(src))
	if _, err := Parse(strings.NewReader(src), "max.acl"); err != nil {
		t.Fatalf("file of exactly MaxPolicySize bytes: %v", err)
	}
	if _, err := Parse(strings.NewReader(src+"\n"), "max.acl"); err == nil {
		t.Fatal("file one byte over the limit accepted")
	}
}
