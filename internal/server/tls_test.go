package server

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"aula/internal/ca"
)

func testCA(t *testing.T) (dir, cert, key string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "ca")
	c, err := ca.Init(dir, "test CA")
	if err != nil {
		t.Fatal(err)
	}
	is, err := c.Issue(ca.Request{Name: "srv", Kind: ca.Server, Hosts: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := ca.WriteFiles(out, "srv", is.CertPEM, is.KeyPEM); err != nil {
		t.Fatal(err)
	}
	return dir, filepath.Join(out, "srv.crt"), filepath.Join(out, "srv.key")
}

func TestTLSConfig(t *testing.T) {
	dir, cert, key := testCA(t)
	if st, err := TLSConfig(TLSOptions{ClientAuth: "none"}); st != nil || err != nil {
		t.Fatalf("no TLS: %v %v", st, err)
	}
	st, err := TLSConfig(TLSOptions{CertFile: cert, KeyFile: key, ClientAuth: "require", ClientCA: dir})
	if err != nil {
		t.Fatal(err)
	}
	if st.Config.MinVersion != tls.VersionTLS12 || st.Config.ClientAuth != tls.RequireAndVerifyClientCert ||
		st.Config.VerifyConnection == nil || st.PeerCheck == nil || st.Config.ClientCAs == nil {
		t.Fatalf("config: %+v", st.Config)
	}
	st, err = TLSConfig(TLSOptions{CertFile: cert, KeyFile: key, ClientAuth: "request", ClientCA: filepath.Join(dir, "ca.crt")})
	if err != nil || st.Config.ClientAuth != tls.VerifyClientCertIfGiven || st.PeerCheck != nil {
		t.Fatalf("PEM client CA: %+v %v", st, err)
	}
	bad := []struct {
		o    TLSOptions
		want string
	}{
		{TLSOptions{CertFile: cert}, "both"},
		{TLSOptions{ClientAuth: "require"}, "needs TLS"},
		{TLSOptions{CertFile: cert, KeyFile: key, ClientAuth: "maybe"}, "want none, request or require"},
		{TLSOptions{CertFile: cert, KeyFile: key, ClientAuth: "require"}, "needs --tls-client-ca"},
		{TLSOptions{CertFile: cert, KeyFile: key, ClientAuth: "require", ClientCA: cert + ".missing"}, "no such file"},
		{TLSOptions{CertFile: cert, KeyFile: key, ClientAuth: "require", ClientCA: key}, "no PEM certificate"},
		{TLSOptions{CertFile: cert, KeyFile: cert + ".missing"}, "does not exist"},
	}
	for _, b := range bad {
		if _, err := TLSConfig(b.o); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%+v: %v, want %q", b.o, err, b.want)
		}
	}
	os.Chmod(key, 0o604)
	if _, err := TLSConfig(TLSOptions{CertFile: cert, KeyFile: key}); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key: %v", err)
	}
	os.Chmod(key, 0o640) // group access is the ssl-cert convention
	if _, err := TLSConfig(TLSOptions{CertFile: cert, KeyFile: key}); err != nil {
		t.Fatalf("group-readable key: %v", err)
	}
}

func TestPidfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "aula.pid")
	remove, err := WritePidfile(path)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Fatalf("pidfile holds %q", b)
	}
	remove()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("pidfile not removed: %v", err)
	}
	// A live process (pid 1) holds it: refuse. A dead one: replace.
	os.WriteFile(path, []byte("1\n"), 0o644)
	if _, err := WritePidfile(path); err == nil || !strings.Contains(err.Error(), "process 1 is running") {
		t.Fatalf("live pid: %v", err)
	}
	os.WriteFile(path, []byte("999999999\n"), 0o644)
	if _, err := WritePidfile(path); err != nil {
		t.Fatalf("stale pid: %v", err)
	}
}

func TestLookupAccount(t *testing.T) {
	if _, err := LookupAccount("root", ""); err == nil {
		t.Fatal("root accepted as the unprivileged account")
	}
	if _, err := LookupAccount("no-such-user-here", ""); err == nil {
		t.Fatal("unknown user accepted")
	}
	a, err := LookupAccount("nobody", "")
	if err != nil {
		t.Skip("no user nobody:", err)
	}
	if a.UID == 0 || a.User != "nobody" {
		t.Fatalf("%+v", a)
	}
	if _, err := LookupAccount("nobody", "no-such-group-here"); err == nil {
		t.Fatal("unknown group accepted")
	}
}
