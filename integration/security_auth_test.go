package integration

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"testing"

	"aula/internal/store"
)

// TestBasicAuthAndSessions drives HTTP Basic users and Clarens-style
// sessions with Python's xmlrpc.client, and checks the Bcfg2 failure
// forms: 401 with WWW-Authenticate for anonymous callers, 403 for known
// ones, never a fault body.
func TestBasicAuthAndSessions(t *testing.T) {
	s := startServer(t, "")
	admin := s.adminURL()
	s.addUser("bob", "bob-password")
	out := python(t, pyAuth, "URL="+s.url(), "ADMIN="+admin, "BOB="+s.userURL("bob", "bob-password"),
		"WRONG="+s.userURL("bob", "not-bobs-password"))
	if !strings.Contains(out, "ALL OK") {
		t.Fatalf("python: %s", out)
	}
	// REST: same rules, JSON envelope, nothing leaked.
	st, m, h := httpDo(t, "POST", s.url()+"api/datastore.put", `{"key":"a","value":"b"}`)
	if st != 401 || h.Get("WWW-Authenticate") != `Basic realm="aula"` || m["error"] != "authentication required" {
		t.Fatalf("anonymous REST put: %d %v %v", st, h, m)
	}
	st, m, _ = httpDo(t, "POST", s.userURL("bob", "bob-password")+"api/datastore.put", `{"key":"a","value":"b"}`)
	if st != 403 || m["error"] != "permission denied" {
		t.Fatalf("bob REST put: %d %v", st, m)
	}
	st, m, _ = httpDo(t, "POST", admin+"api/datastore.put", `{"key":"a","value":"b"}`)
	if st != 200 || m["success"] != "OK" {
		t.Fatalf("admin REST put: %d %v", st, m)
	}
	// Admin CLI commands against the running server need credentials too.
	if out, code := aula(t, "user", "list", "--url", s.url()); code == 0 || !strings.Contains(out, "authentication required") {
		t.Fatalf("aula user list without credentials: %d %s", code, out)
	}
	if out := mustAula(t, "", "user", "list", "--url", admin); !strings.Contains(out, "bob") || !strings.Contains(out, "admin") {
		t.Fatalf("aula user list --url: %s", out)
	}
	// The audit trail has the calls, without passwords.
	trail := mustAula(t, "", "audit", "--since", "1h", "--data-dir", s.dataDir)
	for _, want := range []string{"auth.login", "datastore.put", "permission denied", "unauthenticated", "admin/token", "bob/password"} {
		if !strings.Contains(trail, want) {
			t.Errorf("audit lacks %q:\n%s", want, trail)
		}
	}
	if strings.Contains(trail, "bob-password") || strings.Contains(trail, adminPassword) {
		t.Fatalf("a password in the audit trail:\n%s", trail)
	}
}

const pyAuth = `
import os, base64, http.client, urllib.parse, xmlrpc.client as x

url, admin, bob, wrong = os.environ["URL"], os.environ["ADMIN"], os.environ["BOB"], os.environ["WRONG"]
anon = x.ServerProxy(url)

def status(fn):
    try:
        fn()
    except x.ProtocolError as e:
        return e.errcode, {k.lower(): v for k, v in e.headers.items()}
    return 200, {}

code, h = status(lambda: anon.datastore.put("k", "v"))
assert code == 401 and h.get("www-authenticate") == 'Basic realm="aula"', (code, h)
code, h = status(lambda: x.ServerProxy(bob).datastore.put("k", "v"))
assert code == 403, code
code, h = status(lambda: x.ServerProxy(wrong).echo.echo("wrong password, even on a public method"))
assert code == 401, code

assert x.ServerProxy(admin).datastore.put("k", "v") == True
assert x.ServerProxy(bob).auth.whoami()["identity"] == "bob"

# introspection shows what the caller may call
anon_names = anon.system.listMethods()
admin_names = x.ServerProxy(admin).system.listMethods()
assert "echo.echo" in anon_names and "datastore.put" not in anon_names, anon_names
assert "datastore.put" in admin_names and "auth.user_add" in admin_names
assert "datastore.put" not in x.ServerProxy(bob).system.listMethods()

# sessions: system.login returns a token, used as the Basic password or a bearer token
tok = anon.system.login("admin", "admin-password-for-tests")
host = urllib.parse.urlparse(url).netloc
s = x.ServerProxy("http://admin:%s@%s/" % (tok, host))
assert s.auth.whoami()["via"] == "token"
assert s.datastore.get("k") == "v"
c = http.client.HTTPConnection(host)
c.request("POST", "/RPC2", x.dumps(("bearer",), "echo.echo"), {"Content-Type": "text/xml", "Authorization": "Bearer " + tok})
r = c.getresponse(); assert r.status == 200 and x.loads(r.read())[0][0] == ["bearer"]
c.request("POST", "/RPC2", x.dumps((), "auth.whoami"), {"Content-Type": "text/xml", "Authorization": "Bearer " + tok})
r = c.getresponse(); assert x.loads(r.read())[0][0]["identity"] == "admin"
code, _ = status(lambda: anon.system.login("admin", "wrong-password"))
assert code == 401, code
assert s.system.logout() == True
code, _ = status(lambda: s.auth.whoami())
assert code == 401, code
print("ALL OK")
`

// TestFailedLoginsRateLimited: wrong passwords are throttled per user;
// XML-RPC callers then get fault 429, REST callers 429 with Retry-After.
func TestFailedLoginsRateLimited(t *testing.T) {
	s := startServer(t, "", "--auth-login-failures=3")
	s.addUser("carol", "carol-password")
	out := python(t, pyThrottle, "URL="+s.url(), "WRONG="+s.userURL("carol", "guess-guess"), "RIGHT="+s.userURL("carol", "carol-password"))
	if !strings.Contains(out, "ALL OK") {
		t.Fatalf("python: %s", out)
	}
	st, m, h := httpDo(t, "POST", s.userURL("carol", "carol-password")+"api/auth.whoami", ``)
	if st != http.StatusTooManyRequests || h.Get("Retry-After") == "" || !strings.Contains(m["error"].(string), "too many failed logins") {
		t.Fatalf("REST while throttled: %d %v %v", st, h, m)
	}
	// Other users are not affected.
	s.addUser("dave", "dave-password")
	if st, m, _ := httpDo(t, "POST", s.userURL("dave", "dave-password")+"api/auth.whoami", ``); st != 200 || m["identity"] != "dave" {
		t.Fatalf("another user: %d %v", st, m)
	}
	trail := mustAula(t, "", "audit", "--data-dir", s.dataDir)
	if n := strings.Count(trail, "invalid user name or password"); n != 3 {
		t.Fatalf("%d failed logins audited, want 3:\n%s", n, trail)
	}
}

const pyThrottle = `
import os, xmlrpc.client as x
wrong, right = x.ServerProxy(os.environ["WRONG"]), x.ServerProxy(os.environ["RIGHT"])
for i in range(3):
    try:
        wrong.auth.whoami(); assert False
    except x.ProtocolError as e:
        assert e.errcode == 401, e.errcode
try:
    right.auth.whoami(); assert False, "not throttled"
except x.Fault as f:
    assert f.faultCode == 429 and "retry after" in f.faultString, f
print("ALL OK")
`

// TestAnonymousRateLimit: anonymous calls per source are a token bucket.
func TestAnonymousRateLimit(t *testing.T) {
	s := startServer(t, "", "--auth-anon-burst=5", "--auth-anon-rate=1")
	admin := s.adminURL()
	out := python(t, `
import os, xmlrpc.client as x
p = x.ServerProxy(os.environ["URL"])
for i in range(5):
    assert p.echo.echo(i) == [i]
try:
    p.echo.echo("sixth"); assert False, "not limited"
except x.Fault as f:
    assert f.faultCode == 429, f
# an authenticated caller is not limited
assert x.ServerProxy(os.environ["ADMIN"]).echo.echo("admin") == ["admin"]
print("ALL OK")
`, "URL="+s.url(), "ADMIN="+admin)
	if !strings.Contains(out, "ALL OK") {
		t.Fatalf("python: %s", out)
	}
	st, _, h := httpDo(t, "POST", s.url()+"api/echo.echo", `[]`)
	if st != 429 || h.Get("Retry-After") == "" {
		t.Fatalf("REST over the limit: %d %v", st, h)
	}
}

// TestDebugFaults: internal errors reach the client as a generic message
// with a request id, and the details only with --debug; the log always
// has them. A damaged password hash in the store makes one.
func TestDebugFaults(t *testing.T) {
	s := newServer(t, "")
	s.addUser("eve", "eve-password")
	db, err := store.Open(context.Background(), store.Options{Dir: s.dataDir})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE auth_users SET hash = '$argon2id$v=19$m=bad' WHERE name = 'eve'`)
		return err
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s.start()
	st, m, _ := httpDo(t, "POST", s.userURL("eve", "eve-password")+"api/auth.whoami", ``)
	msg, _ := m["error"].(string)
	if st != 500 || !strings.HasPrefix(msg, "internal error (request id ") || strings.Contains(msg, "hash") {
		t.Fatalf("without --debug: %d %q", st, msg)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(msg, "internal error (request id "), ")")
	waitFor(t, "the log record", func() bool {
		return strings.Contains(s.log.String(), id) && strings.Contains(s.log.String(), "unreadable")
	})
	out := python(t, `
import os, xmlrpc.client as x
try:
    x.ServerProxy(os.environ["URL"]).auth.whoami(); assert False
except x.Fault as f:
    assert f.faultCode == -32500 and f.faultString.startswith("internal error (request id ") and "hash" not in f.faultString, f
print("ALL OK")
`, "URL="+s.userURL("eve", "eve-password"))
	if !strings.Contains(out, "ALL OK") {
		t.Fatalf("python: %s", out)
	}
	s.stop()
	s.args = append(s.args, "--debug")
	s.start()
	_, m, _ = httpDo(t, "POST", s.userURL("eve", "eve-password")+"api/auth.whoami", ``)
	if msg, _ := m["error"].(string); !strings.Contains(msg, "stored password hash of eve is unreadable") {
		t.Fatalf("with --debug: %q", msg)
	}
}
