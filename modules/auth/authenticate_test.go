package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"math/big"
	"net/netip"
	"slices"
	"testing"
	"time"

	"aula/internal/core"
)

func TestAuthenticateAndAuthorize(t *testing.T) {
	e := newEnv(t)
	e.addUser("alice", "alice-password", "admin")
	e.addUser("bob", "bob-password")
	cases := []struct {
		name, method, authz string
		want                string
	}{
		{"anonymous public", "authtest.public", "", "ok"},
		{"anonymous member", "authtest.member", "", "unauthenticated"},
		{"anonymous admin", "authtest.admin_only", "", "unauthenticated"},
		{"user member", "authtest.member", basic("bob", "bob-password"), "ok"},
		{"user admin", "authtest.admin_only", basic("bob", "bob-password"), "permission denied"},
		{"admin admin", "authtest.admin_only", basic("alice", "alice-password"), "ok"},
		{"wrong password on public", "authtest.public", basic("alice", "nope-nope"), "unauthenticated"},
		{"unknown user", "authtest.public", basic("mallory", "whatever1"), "unauthenticated"},
		{"password with colon", "authtest.public", basic("alice", "alice-password:x"), "unauthenticated"},
		{"malformed header", "authtest.public", "Basic !!!", "unauthenticated"},
		{"unknown scheme", "authtest.public", "Digest x=y", "unauthenticated"},
		{"unknown bearer", "authtest.public", "Bearer aula_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "unauthenticated"},
		{"unknown method", "no.such", "", "no such method"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := e.call(netCall{method: tc.method, authz: tc.authz})
			if got := kindOf(err); got != tc.want {
				t.Fatalf("got %s (%v), want %s", got, err, tc.want)
			}
		})
	}
}

func whoami(t *testing.T, e *env, nc netCall) WhoAmI {
	t.Helper()
	nc.method = "auth.whoami"
	_, out, err := e.call(nc)
	if err != nil {
		t.Fatalf("whoami: %v", err)
	}
	return out.(WhoAmI)
}

func TestSessions(t *testing.T) {
	e := newEnv(t)
	e.addUser("alice", "alice-password", "admin", "staff")
	e.addUser("bob", "bob-password")
	_, out, err := e.call(netCall{method: "system.login", args: []any{"alice", "alice-password"}})
	if err != nil {
		t.Fatal(err)
	}
	tok := out.(string)
	if !looksLikeToken(tok) {
		t.Fatalf("token %q", tok)
	}
	// The store keeps only the hash.
	var n int
	e.db.Reader().QueryRow(`SELECT COUNT(*) FROM auth_sessions WHERE token_hash = ?`, hashToken(tok)).Scan(&n)
	var raw int
	e.db.Reader().QueryRow(`SELECT COUNT(*) FROM auth_sessions WHERE token_hash = ?`, tok).Scan(&raw)
	if n != 1 || raw != 0 {
		t.Fatalf("sessions by hash %d, by token %d", n, raw)
	}
	for _, authz := range []string{"Bearer " + tok, basic("alice", tok)} {
		w := whoami(t, e, netCall{authz: authz})
		if w.Identity != "alice" || w.Via != "token" || !slices.Equal(w.Groups, []string{"admin", "staff"}) {
			t.Fatalf("%s: %+v", authz[:6], w)
		}
	}
	// Another user's name with alice's token is not alice, nor bob.
	if _, _, err := e.call(netCall{method: "auth.whoami", authz: basic("bob", tok)}); kindOf(err) != "unauthenticated" {
		t.Fatalf("bob with alice's token: %v", err)
	}
	if _, _, err := e.call(netCall{method: "system.login", args: []any{"alice", "wrong-password"}}); kindOf(err) != "unauthenticated" {
		t.Fatalf("login with a wrong password: %v", err)
	}
	// logout without a token says false; with one ends it.
	if _, out, err := e.call(netCall{method: "system.logout", authz: basic("alice", "alice-password")}); err != nil || out != false {
		t.Fatalf("logout by password: %v %v", out, err)
	}
	if _, out, err := e.call(netCall{method: "system.logout", authz: "Bearer " + tok}); err != nil || out != true {
		t.Fatalf("logout: %v %v", out, err)
	}
	if _, _, err := e.call(netCall{method: "auth.whoami", authz: "Bearer " + tok}); kindOf(err) != "unauthenticated" {
		t.Fatalf("token after logout: %v", err)
	}
	// Expired tokens are refused.
	_, out, _ = e.call(netCall{method: "auth.login", args: []any{"bob", "bob-password"}})
	tok2 := out.(string)
	e.db.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE auth_sessions SET expires_at = ? WHERE token_hash = ?`, fmtTime(time.Now().Add(-time.Second)), hashToken(tok2))
		return err
	})
	if _, _, err := e.call(netCall{method: "auth.whoami", authz: "Bearer " + tok2}); kindOf(err) != "unauthenticated" {
		t.Fatalf("expired token: %v", err)
	}
	// A password change ends sessions.
	_, out, _ = e.call(netCall{method: "auth.login", args: []any{"bob", "bob-password"}})
	tok3 := out.(string)
	e.mustLocal("auth.user_passwd", map[string]any{"name": "bob", "password": "bob-password-2"})
	if _, _, err := e.call(netCall{method: "auth.whoami", authz: "Bearer " + tok3}); kindOf(err) != "unauthenticated" {
		t.Fatalf("token after passwd: %v", err)
	}
}

func TestPasswordChangeBeatsVerifiedMemory(t *testing.T) {
	e := newEnv(t)
	e.addUser("bob", "bob-password")
	if w := whoami(t, e, netCall{authz: basic("bob", "bob-password")}); w.Identity != "bob" || w.Via != "password" {
		t.Fatalf("%+v", w)
	}
	e.mustLocal("auth.user_passwd", map[string]any{"name": "bob", "password": "new-password"})
	if _, _, err := e.call(netCall{method: "auth.whoami", authz: basic("bob", "bob-password")}); kindOf(err) != "unauthenticated" {
		t.Fatalf("old password after change: %v", err)
	}
	e.mustLocal("auth.user_rm", map[string]any{"name": "bob"})
	if _, _, err := e.call(netCall{method: "auth.whoami", authz: basic("bob", "new-password")}); kindOf(err) != "unauthenticated" {
		t.Fatalf("removed user: %v", err)
	}
}

func selfSigned(t *testing.T, tmpl *x509.Certificate) *x509.Certificate {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl.SerialNumber = big.NewInt(1)
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

func TestCertificateIdentity(t *testing.T) {
	e := newEnv(t)
	e.mustLocal("auth.user_groups", map[string]any{"name": "lab-42", "groups": []any{"labs", "admin"}})
	call := func(method string, cert *x509.Certificate, authz string) (*core.Call, any, error) {
		c := &core.Call{Method: method, Args: []any{}, Transport: "xmlrpc",
			Caller: core.Caller{Addr: netip.MustParseAddrPort("10.0.0.7:5000")}}
		c.Creds.PeerCerts = []*x509.Certificate{cert}
		c.Creds.Authorization = authz
		out, err := e.app.Handle(context.Background(), c)
		return c, out, err
	}
	cn := selfSigned(t, &x509.Certificate{Subject: pkix.Name{CommonName: "lab-42"}})
	_, out, err := call("auth.whoami", cn, "")
	if w := out.(WhoAmI); err != nil || w.Identity != "lab-42" || w.Via != "cert" || !slices.Equal(w.Groups, []string{"admin", "labs"}) {
		t.Fatalf("%+v %v", out, err)
	}
	if _, _, err := call("authtest.admin_only", cn, ""); err != nil {
		t.Fatalf("cert identity with admin group: %v", err)
	}
	san := selfSigned(t, &x509.Certificate{DNSNames: []string{"pc7.lab.lan"}})
	if _, out, _ := call("auth.whoami", san, ""); out.(WhoAmI).Identity != "pc7.lab.lan" {
		t.Fatalf("SAN identity: %+v", out)
	}
	// A header, when sent, is what counts: wrong credentials are refused
	// even with a good certificate.
	if _, _, err := call("auth.whoami", cn, basic("lab-42", "wrong-one")); kindOf(err) != "unauthenticated" {
		t.Fatalf("cert + bad Basic: %v", err)
	}
	for _, name := range []string{"", localAdmin, anonymous} {
		cert := selfSigned(t, &x509.Certificate{Subject: pkix.Name{CommonName: name}})
		if _, _, err := call("auth.whoami", cert, ""); kindOf(err) != "unauthenticated" {
			t.Fatalf("certificate named %q: %v", name, err)
		}
	}
}

func TestNetworkCannotPoseAsLocal(t *testing.T) {
	e := newEnv(t)
	c := &core.Call{Method: "authtest.admin_only", Args: []any{}, Transport: "rest",
		Caller: core.Caller{Identity: localAdmin, Groups: []string{"admin"}, Via: "local"}}
	if _, err := e.app.Handle(context.Background(), c); kindOf(err) != "unauthenticated" {
		t.Fatalf("forged local caller over rest: %v", err)
	}
	if _, err := e.local("authtest.admin_only", nil); err != nil {
		t.Fatalf("real local caller: %v", err)
	}
}

func TestLoginThrottle(t *testing.T) {
	e := newEnv(t, "--auth-login-failures=3")
	e.addUser("alice", "alice-password")
	for i := 0; i < 3; i++ {
		if _, _, err := e.call(netCall{method: "auth.whoami", authz: basic("alice", "guess-guess")}); kindOf(err) != "unauthenticated" {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	// Now even the right password waits: the throttle answers before any hashing.
	_, _, err := e.call(netCall{method: "auth.whoami", authz: basic("alice", "alice-password")})
	ce := core.AsError(err)
	if ce == nil || ce.Kind != core.KindTooMany || ce.RetryAfter <= 0 {
		t.Fatalf("after 3 failures: %v", err)
	}
	// The user is not locked out: from a source that has not failed, the
	// right password works at once.
	if _, _, err := e.call(netCall{method: "auth.login", args: []any{"alice", "alice-password"}, addr: "192.0.2.99"}); err != nil {
		t.Fatalf("login from elsewhere while another source is throttled: %v", err)
	}
}
