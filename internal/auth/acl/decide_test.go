package acl

import (
	"net/netip"
	"strings"
	"testing"
)

const examplePolicy = `# action  who                 method          from
allow     group:admin         *.*
deny      user:guest          backup.*
allow     any                 id.register     from 10.0.0.0/8
allow     cert:lab-42         lab.report
allow     authenticated       echo.*,chat.send from 192.168.1.0/24,2001:db8::/32  # trailing comment
deny      anonymous           **
allow     authenticated       GetProbes
deny      any                 *.*
`

func mustParse(t *testing.T, s string) *Policy {
	t.Helper()
	p, err := Parse(strings.NewReader(s), "test.acl")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func addr(s string) netip.Addr {
	if s == "" {
		return netip.Addr{}
	}
	return netip.MustParseAddr(s)
}

func TestDecide(t *testing.T) {
	p := mustParse(t, examplePolicy)
	admin := Subject{Identity: "ana", Groups: []string{"staff", "admin"}, Authenticated: true}
	guest := Subject{Identity: "guest", Authenticated: true, Addr: addr("10.1.2.3")}
	lab := Subject{Identity: "lab-42", Authenticated: true, Cert: true}
	labPw := Subject{Identity: "lab-42", Authenticated: true} // same name, proven by password
	anon := func(a string) Subject { return Subject{Addr: addr(a)} }
	user := func(a string) Subject { return Subject{Identity: "bob", Authenticated: true, Addr: addr(a)} }

	tests := []struct {
		name   string
		s      Subject
		method string
		def    Default
		allow  bool
		line   string // "test.acl:N" or "default: ..."
	}{
		{"admin any dotted", admin, "backup.list", Nobody, true, "test.acl:2"},
		{"admin undotted falls through", admin, "GetProbes", Nobody, true, "test.acl:8"},
		{"guest denied backup", guest, "backup.list", Public, false, "test.acl:3"},
		{"guest 2-level backup not matched by backup.*", guest, "backup.a.b", Public, true, "default: public"},
		{"first match: guest from 10/8 still denied backup", guest, "backup.restore", Public, false, "test.acl:3"},
		{"anon register from 10/8", anon("10.200.0.1"), "id.register", Nobody, true, "test.acl:4"},
		{"anon register mapped v4", anon("::ffff:10.0.0.9"), "id.register", Nobody, true, "test.acl:4"},
		{"anon register outside 10/8", anon("11.0.0.1"), "id.register", Public, false, "test.acl:7"},
		{"anon register unknown addr", anon(""), "id.register", Public, false, "test.acl:7"},
		{"cert identity", lab, "lab.report", Nobody, true, "test.acl:5"},
		{"same name by password is not cert", labPw, "lab.report", Public, false, "test.acl:9"},
		{"v4 list", user("192.168.1.77"), "echo.echo", Nobody, true, "test.acl:6"},
		{"second method in list", user("192.168.1.77"), "chat.send", Nobody, true, "test.acl:6"},
		{"v6 list", user("2001:db8:5::1"), "echo.echo", Nobody, true, "test.acl:6"},
		{"v6 with zone", user("2001:db8::1%eth0"), "echo.echo", Nobody, true, "test.acl:6"},
		{"v6 outside", user("2001:db9::1"), "echo.echo", Public, false, "test.acl:9"},
		{"v4 outside", user("192.168.2.1"), "echo.echo", Public, false, "test.acl:9"},
		{"anonymous catch-all", anon("127.0.0.1"), "GetProbes", Public, false, "test.acl:7"},
		{"authenticated undotted", user("1.2.3.4"), "GetProbes", Nobody, true, "test.acl:8"},
		{"undotted no rule -> default public", user("1.2.3.4"), "GetConfig", Public, true, "default: public"},
		{"undotted no rule -> default admin", user("1.2.3.4"), "GetConfig", Admin, false, "default: admin"},
		{"3 components no rule", user("1.2.3.4"), "a.b.c", Authenticated, true, "default: authenticated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := p.Decide(tt.s, tt.method, tt.def)
			if d.Allow != tt.allow || !strings.HasPrefix(d.Rule, tt.line) {
				t.Errorf("Decide = %+v, want allow=%v by %s", d, tt.allow, tt.line)
			}
		})
	}
}

func TestDecisionRuleText(t *testing.T) {
	p := mustParse(t, examplePolicy)
	d := p.Decide(Subject{Identity: "bob", Authenticated: true, Addr: addr("192.168.1.1")}, "echo.echo", Nobody)
	want := "test.acl:6: allow authenticated echo.*,chat.send from 192.168.1.0/24,2001:db8::/32"
	if d.Rule != want {
		t.Errorf("Rule = %q, want %q", d.Rule, want)
	}
}

func TestDefaults(t *testing.T) {
	admin := Subject{Identity: "a", Groups: []string{AdminGroup}, Authenticated: true}
	notReallyAdmin := Subject{Identity: "a", Groups: []string{AdminGroup}} // groups without authentication count for nothing
	user := Subject{Identity: "u", Groups: []string{"staff"}, Authenticated: true}
	anonLocal := Subject{Addr: addr("127.0.0.1")}
	anonLocal6 := Subject{Addr: addr("::1")}
	anonMapped := Subject{Addr: addr("::ffff:127.0.0.1")}
	anonRemote := Subject{Addr: addr("10.0.0.1")}
	anonUnknown := Subject{}
	tests := []struct {
		def  Default
		s    Subject
		want bool
	}{
		{Public, anonRemote, true},
		{Public, anonUnknown, true},
		{Authenticated, user, true},
		{Authenticated, anonLocal, false},
		{Admin, admin, true},
		{Admin, notReallyAdmin, false},
		{Admin, user, false},
		{Local, anonLocal, true},
		{Local, anonLocal6, true},
		{Local, anonMapped, true},
		{Local, anonRemote, false},
		{Local, anonUnknown, false},
		{Nobody, admin, false},
		{Default(200), admin, false},
	}
	var nilPolicy *Policy
	for _, tt := range tests {
		if got := nilPolicy.Decide(tt.s, "x.y", tt.def).Allow; got != tt.want {
			t.Errorf("default %v for %+v = %v, want %v", tt.def, tt.s, got, tt.want)
		}
	}
	var zero Default
	if zero != Admin {
		t.Error("zero Default is not Admin")
	}
}

func TestParseDefault(t *testing.T) {
	for d := Admin; d <= Nobody; d++ {
		got, err := ParseDefault(d.String())
		if err != nil || got != d {
			t.Errorf("ParseDefault(%q) = %v, %v", d.String(), got, err)
		}
	}
	if _, err := ParseDefault("everyone"); err == nil || !strings.Contains(err.Error(), `"everyone"`) {
		t.Errorf("ParseDefault(everyone) error = %v", err)
	}
}

func TestFirstMatchOrder(t *testing.T) {
	s := Subject{Identity: "bob", Groups: []string{"staff"}, Authenticated: true}
	allowFirst := mustParse(t, "allow group:staff backup.*\ndeny any **\n")
	denyFirst := mustParse(t, "deny any **\nallow group:staff backup.*\n")
	if d := allowFirst.Decide(s, "backup.list", Nobody); !d.Allow {
		t.Errorf("allow-first: %+v", d)
	}
	if d := denyFirst.Decide(s, "backup.list", Public); d.Allow || d.Rule != "test.acl:1: deny any **" {
		t.Errorf("deny-first: %+v", d)
	}
}

func TestEmptyPolicyUsesDefaults(t *testing.T) {
	p := mustParse(t, "# nothing here\n\n   \n")
	if p.Len() != 0 {
		t.Fatalf("Len = %d", p.Len())
	}
	if d := p.Decide(Subject{}, "echo.echo", Public); !d.Allow || d.Rule != "default: public" {
		t.Errorf("%+v", d)
	}
}
