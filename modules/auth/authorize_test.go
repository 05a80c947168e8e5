package auth

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"aula/internal/auth/acl"
	"aula/internal/core"
)

const testPolicy = `
# teachers may use every authtest method, from the school network only
allow group:teachers  authtest.*          from 10.0.0.0/8
deny  user:bob        authtest.member
allow cert:lab-42     authtest.admin_only
allow anonymous       authtest.member     from 192.0.2.0/24
deny  any             auth.login
allow authenticated   *
`

func TestPolicyThroughTheChain(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "acl")
	writeFile(t, file, testPolicy)
	e := newEnv(t, "--auth-acl-file="+file)
	e.addUser("tess", "tess-password", "teachers")
	e.addUser("bob", "bob-password")
	e.addUser("lab-42", "lab-42-password")
	cases := []struct {
		name, method, authz, addr, want string
	}{
		{"teacher inside", "authtest.admin_only", basic("tess", "tess-password"), "10.1.2.3", "ok"},
		{"teacher outside falls to default", "authtest.admin_only", basic("tess", "tess-password"), "198.51.100.1", "permission denied"},
		{"teacher, one component only", "auth.user_list", basic("tess", "tess-password"), "10.1.2.3", "permission denied"},
		{"bob denied by user rule", "authtest.member", basic("bob", "bob-password"), "", "permission denied"},
		{"user:lab-42 is not cert:lab-42", "authtest.admin_only", basic("lab-42", "lab-42-password"), "", "permission denied"},
		{"anonymous allowed from a prefix", "authtest.member", "", "192.0.2.77", "ok"},
		{"anonymous elsewhere", "authtest.member", "", "198.51.100.1", "unauthenticated"},
		// the rule names the canonical method: the alias is covered too
		{"login denied by canonical name", "auth.login", "", "", "unauthenticated"},
		{"alias denied too", "system.login", "", "", "unauthenticated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := e.call(netCall{method: tc.method, authz: tc.authz, addr: tc.addr, named: map[string]any{}})
			if tc.method == "auth.login" || tc.method == "system.login" {
				_, _, err = e.call(netCall{method: tc.method, args: []any{"bob", "bob-password"}, addr: tc.addr})
			}
			if got := kindOf(err); got != tc.want {
				t.Fatalf("got %s (%v), want %s", got, err, tc.want)
			}
		})
	}
	// The certificate identity matches cert:lab-42.
	d := e.m.policy.Decide(acl.Subject{Identity: "lab-42", Authenticated: true, Cert: true}, "authtest.admin_only", acl.Admin)
	if !d.Allow || !strings.Contains(d.Rule, "cert:lab-42") {
		t.Fatalf("cert rule: %+v", d)
	}
}

func TestACLCheckMethod(t *testing.T) {
	file := filepath.Join(t.TempDir(), "acl")
	writeFile(t, file, testPolicy)
	e := newEnv(t, "--auth-acl-file="+file)
	e.addUser("tess", "tess-password", "teachers")
	cases := []struct {
		identity, method, from string
		cert, allow            bool
		rule                   string
	}{
		{"tess", "authtest.put", "10.9.9.9", false, true, ":3: allow group:teachers authtest.* from 10.0.0.0/8"},
		{"tess", "authtest.put", "", false, false, "default: admin"},
		{"anonymous", "authtest.public", "", false, true, "default: public"},
		{"anonymous", "system.login", "", false, false, "deny any auth.login"},
		{"lab-42", "authtest.admin_only", "", true, true, "allow cert:lab-42"},
		{"lab-42", "authtest.admin_only", "", false, false, "default: admin"},
		// '*' is one whole component: it does not match authtest.member
		{"nobody-at-all", "authtest.member", "", false, true, "default: authenticated"},
		{"nobody-at-all", "authtest.admin_only", "", false, false, "default: admin"},
	}
	for _, tc := range cases {
		out, err := e.local("auth.acl_check", map[string]any{"identity": tc.identity, "method": tc.method, "from": tc.from, "cert": tc.cert})
		if err != nil {
			t.Fatalf("%+v: %v", tc, err)
		}
		got := out.(ACLCheck)
		if got.Allow != tc.allow || !strings.Contains(got.Rule, tc.rule) {
			t.Errorf("%s %s from %q: got %+v, want allow=%v by %q", tc.identity, tc.method, tc.from, got, tc.allow, tc.rule)
		}
	}
	if _, err := e.local("auth.acl_check", map[string]any{"identity": "x", "method": "no.such"}); kindOf(err) != "not found" {
		t.Fatalf("unknown method: %v", err)
	}
	if _, err := e.local("auth.acl_check", map[string]any{"identity": "x", "method": "authtest.put", "from": "not-ip"}); kindOf(err) != "invalid" {
		t.Fatalf("bad from: %v", err)
	}
}

func TestVisibility(t *testing.T) {
	e := newEnv(t)
	e.addUser("alice", "alice-password", "admin")
	e.addUser("bob", "bob-password")
	list := func(authz string) []string {
		_, out, err := e.call(netCall{method: "system.listMethods", authz: authz})
		if err != nil {
			t.Fatal(err)
		}
		return out.([]string)
	}
	anon, member, adm := list(""), list(basic("bob", "bob-password")), list(basic("alice", "alice-password"))
	if !slices.Contains(anon, "authtest.public") || slices.Contains(anon, "authtest.member") || slices.Contains(anon, "auth.user_add") {
		t.Fatalf("anonymous sees %v", anon)
	}
	if !slices.Contains(member, "authtest.member") || slices.Contains(member, "authtest.admin_only") {
		t.Fatalf("bob sees %v", member)
	}
	if len(adm) != len(e.app.MethodNames()) {
		t.Fatalf("admin sees %d of %d", len(adm), len(e.app.MethodNames()))
	}
	// GET /api without a call in the context: anonymous.
	if got := e.app.VisibleMethods(context.Background()); !slices.Equal(got, anon) {
		t.Fatalf("no call: %v, anonymous: %v", got, anon)
	}
}

func TestReloadKeepsOldPolicyOnError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "acl")
	writeFile(t, file, "allow any authtest.admin_only\n")
	e := newEnv(t, "--auth-acl-file="+file)
	if _, _, err := e.call(netCall{method: "authtest.admin_only"}); err != nil {
		t.Fatalf("allowed by the policy: %v", err)
	}
	writeFile(t, file, "allow any authtest.admin_only\nallow wizards *_debug\n")
	_, err := e.local("auth.acl_reload", nil)
	if kindOf(err) != "invalid" || !strings.Contains(err.Error(), ":2") {
		t.Fatalf("bad policy: %v", err)
	}
	if _, _, err := e.call(netCall{method: "authtest.admin_only"}); err != nil {
		t.Fatalf("old policy must stay: %v", err)
	}
	writeFile(t, file, "deny any authtest.public\n")
	out := e.mustLocal("auth.acl_reload", nil).(ACLPolicy)
	if len(out.Rules) != 1 {
		t.Fatalf("reload: %+v", out)
	}
	if _, _, err := e.call(netCall{method: "authtest.admin_only"}); kindOf(err) != "unauthenticated" {
		t.Fatalf("new policy, default admin: %v", err)
	}
	if _, _, err := e.call(netCall{method: "authtest.public"}); kindOf(err) != "unauthenticated" {
		t.Fatalf("new policy denies public: %v", err)
	}
	// Reloads are audited (state-changing), failures included.
	var results []string
	for _, a := range e.audit() {
		if a.Method == "auth.acl_reload" {
			results = append(results, a.Result)
		}
	}
	if !slices.Equal(results, []string{"invalid", "ok"}) {
		t.Fatalf("audited reloads: %v", results)
	}
}

func TestSIGHUPReloads(t *testing.T) {
	file := filepath.Join(t.TempDir(), "acl")
	writeFile(t, file, "")
	e := newEnv(t, "--auth-acl-file="+file)
	ctx := context.Background()
	if err := e.m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer e.m.Stop(ctx)
	writeFile(t, file, "deny any authtest.public\n")
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.m.policy.Policy().Len() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("SIGHUP did not reload the policy")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestBrokenPolicyRefusesStart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "acl")
	writeFile(t, file, "permit everyone everything\n")
	app, _ := core.NewApp(quiet, "auth")
	mod, _ := app.Module("auth")
	m := mod.(*Module)
	m.opts = optionsFrom(t, "--auth-acl-file="+file)
	err := m.Provision(context.Background(), &core.Env{App: app, Log: quiet})
	if err == nil || !strings.Contains(err.Error(), file+":1") {
		t.Fatalf("Provision with a broken policy: %v", err)
	}
}

func TestAnonymousRateLimit(t *testing.T) {
	e := newEnv(t, "--auth-anon-burst=5", "--auth-anon-rate=1")
	e.addUser("alice", "alice-password", "admin")
	for i := 0; i < 3; i++ {
		if _, _, err := e.call(netCall{method: "authtest.public"}); err != nil {
			t.Fatal(err)
		}
	}
	// Refusals spend the budget as well.
	for i := 0; i < 2; i++ {
		if _, _, err := e.call(netCall{method: "authtest.admin_only"}); kindOf(err) != "unauthenticated" {
			t.Fatal(err)
		}
	}
	_, _, err := e.call(netCall{method: "authtest.public"})
	if ce := core.AsError(err); ce == nil || ce.Kind != core.KindTooMany || ce.RetryAfter <= 0 || !strings.Contains(ce.Msg, "retry after") {
		t.Fatalf("6th anonymous call: %v", err)
	}
	if _, _, err := e.call(netCall{method: "authtest.admin_only"}); kindOf(err) != "too many requests" {
		t.Fatalf("anonymous refusal when over budget: %v", err)
	}
	// Another source, and authenticated callers, are not affected.
	if _, _, err := e.call(netCall{method: "authtest.public", addr: "2001:db8::1"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.call(netCall{method: "authtest.public", authz: basic("alice", "alice-password")}); err != nil {
		t.Fatal(err)
	}
}
