package integration

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

const aclPolicy = `# integration test policy
allow group:teachers  datastore.get,datastore.list  from 127.0.0.0/8
deny  user:bob        echo.*
allow cert:lab-42     datastore.*
allow authenticated   auth.user_list
allow anonymous       *
`

// TestACLPolicy: `aula acl check` prints decisions with their rule,
// including Bcfg2's whole-component '*'; the running server follows the
// file, reloads it on `aula acl reload` and SIGHUP, and keeps the old
// policy when the new one has an error.
func TestACLPolicy(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "acl")
	if err := os.WriteFile(file, []byte(aclPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newServer(t, "", "--auth-acl-file", file)
	s.addUser("tess", "tess-password", "teachers")
	s.addUser("bob", "bob-password")
	local := []string{"--data-dir", s.dataDir, "--auth-acl-file", file}
	checks := []struct {
		args []string
		want string
	}{
		{[]string{"tess", "datastore.get", "--from", "127.0.0.1"}, "allow: tess (groups: teachers) from 127.0.0.1 may call datastore.get\nrule: " + file + ":2: allow group:teachers datastore.get,datastore.list from 127.0.0.0/8"},
		{[]string{"tess", "datastore.get", "--from", "10.0.0.1"}, "deny: tess (groups: teachers) from 10.0.0.1 may not call datastore.get\nrule: default: admin"},
		{[]string{"tess", "datastore.put", "--from", "127.0.0.1"}, "may not call datastore.put\nrule: default: admin"},
		{[]string{"bob", "echo.echo"}, "deny: bob (groups: none) may not call echo.echo\nrule: " + file + ":3: deny user:bob echo.*"},
		{[]string{"bob", "echo.hostname"}, ":3: deny user:bob echo.*"},
		// '*' is one whole component: 'allow anonymous *' does not cover echo.echo
		{[]string{"anonymous", "echo.echo"}, "allow: anonymous may call echo.echo\nrule: default: public"},
		{[]string{"anonymous", "auth.user_list"}, "deny: anonymous may not call auth.user_list\nrule: default: admin"},
		{[]string{"lab-42", "datastore.put", "--cert"}, "allow: lab-42 (groups: none) may call datastore.put\nrule: " + file + ":4: allow cert:lab-42 datastore.*"},
		{[]string{"lab-42", "datastore.put"}, "rule: default: admin"},
		// aliases are checked under the canonical name
		{[]string{"anonymous", "system.login"}, "may call auth.login\nrule: default: public"},
	}
	for _, c := range checks {
		out := mustAula(t, "", append(append([]string{"acl", "check"}, c.args...), local...)...)
		if !strings.Contains(out, c.want) {
			t.Errorf("aula acl check %s:\n%s\nwant:\n%s", strings.Join(c.args, " "), out, c.want)
		}
	}

	s.start()
	admin := s.adminURL()
	tess, bob := s.userURL("tess", "tess-password"), s.userURL("bob", "bob-password")
	py := func(script string) {
		t.Helper()
		if out := python(t, script, "ADMIN="+admin, "TESS="+tess, "BOB="+bob); !strings.Contains(out, "ALL OK") {
			t.Fatalf("python: %s", out)
		}
	}
	py(`
import os, xmlrpc.client as x
admin, tess, bob = (x.ServerProxy(os.environ[k]) for k in ("ADMIN", "TESS", "BOB"))
assert admin.datastore.put("k", "v")
assert tess.datastore.get("k") == "v"
assert "datastore.get" in tess.system.listMethods() and "datastore.put" not in tess.system.listMethods()
for fn in (lambda: tess.datastore.put("k", "w"), lambda: bob.echo.echo("hi")):
    try:
        fn(); assert False
    except x.ProtocolError as e:
        assert e.errcode == 403, e.errcode
assert "echo.echo" not in bob.system.listMethods()
assert len(bob.auth.user_list()) >= 3
print("ALL OK")
`)
	// A broken policy is refused, the old one stays.
	if err := os.WriteFile(file, []byte("allow group:teachers datastore.*\nallow wizards *_debug\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := aula(t, "acl", "reload", "--url", admin)
	if code == 0 || !strings.Contains(out, file+":2") || !strings.Contains(out, "old one stays") {
		t.Fatalf("aula acl reload with a broken file: %d %s", code, out)
	}
	if out := mustAula(t, "", "acl", "show", "--url", admin); !strings.Contains(out, "deny user:bob echo.*") {
		t.Fatalf("policy in force after a refused reload:\n%s", out)
	}
	// A good one is loaded by `aula acl reload`...
	if err := os.WriteFile(file, []byte("allow group:teachers datastore.*\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := mustAula(t, "", "acl", "reload", "--url", admin); !strings.Contains(out, "1 rules") {
		t.Fatalf("aula acl reload: %s", out)
	}
	py(`
import os, xmlrpc.client as x
assert x.ServerProxy(os.environ["TESS"]).datastore.put("k", "by tess")
assert x.ServerProxy(os.environ["BOB"]).echo.echo("hi") == ["hi"]
print("ALL OK")
`)
	// ... and by SIGHUP.
	if err := os.WriteFile(file, []byte("deny any echo.*\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the SIGHUP reload", func() bool {
		out, _ := aula(t, "acl", "show", "--url", admin)
		return strings.Contains(out, "deny any echo.*")
	})
	st, _, _ := httpDo(t, "POST", s.url()+"api/echo.echo", `[]`)
	if st != 401 {
		t.Fatalf("echo after the SIGHUP reload: %d", st)
	}
	if !strings.Contains(s.log.String(), "ACL policy reloaded on SIGHUP") {
		t.Fatalf("log: %s", s.log.String())
	}
}

// TestAuditFollow: `aula audit --follow --url` prints new entries as they
// are made.
func TestAuditFollow(t *testing.T) {
	s := startServer(t, "")
	admin := s.adminURL()
	cmd := exec.Command(aulaBin, "audit", "--follow", "--url", admin)
	cmd.Env = cleanEnv()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var mu sync.Mutex
	var seen strings.Builder
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			mu.Lock()
			seen.WriteString(sc.Text() + "\n")
			mu.Unlock()
		}
		io.Copy(io.Discard, stdout)
	}()
	waitFor(t, "the first entry", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(seen.String(), "auth.user_add")
	})
	if v, err := xmlrpcCall(httpClient(), admin, "datastore.put", "followed", "yes"); err != nil || v != true {
		t.Fatalf("put: %v %v", v, err)
	}
	waitFor(t, "the followed entry", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(seen.String(), `datastore.put {"key":"followed","value":"yes"}  ok`)
	})
}
