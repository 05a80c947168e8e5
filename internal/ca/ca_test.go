package ca

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func newCA(t *testing.T) *CA {
	t.Helper()
	c, err := Init(filepath.Join(t.TempDir(), "ca"), "Test School CA")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func issue(t *testing.T, c *CA, req Request) (crtPath, keyPath string) {
	t.Helper()
	is, err := c.Issue(req)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if err := WriteFiles(out, req.Name, is.CertPEM, is.KeyPEM); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(out, req.Name+".crt"), filepath.Join(out, req.Name+".key")
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func openssl(t *testing.T, args ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	out, err := exec.Command("openssl", args...).CombinedOutput()
	return string(out), err
}

func TestInitLayoutAndPermissions(t *testing.T) {
	c := newCA(t)
	if m := mode(t, c.Dir()); m != 0o700 {
		t.Errorf("CA dir mode %04o", m)
	}
	if m := mode(t, filepath.Join(c.Dir(), keyFile)); m != 0o600 {
		t.Errorf("ca.key mode %04o", m)
	}
	if _, err := Init(c.Dir(), "again"); err == nil || !strings.Contains(err.Error(), "already holds a CA") {
		t.Errorf("second Init: %v", err)
	}
	if _, err := Open(c.Dir()); err != nil {
		t.Fatalf("Open: %v", err)
	}
	out, err := openssl(t, "x509", "-in", filepath.Join(c.Dir(), certFile), "-noout", "-text")
	if err != nil {
		t.Fatalf("openssl x509: %v\n%s", err, out)
	}
	for _, want := range []string{"CN = Test School CA", "CA:TRUE, pathlen:0", "Certificate Sign, CRL Sign", "prime256v1", "ecdsa-with-SHA256"} {
		if !strings.Contains(out, want) {
			t.Errorf("CA certificate lacks %q:\n%s", want, out)
		}
	}
	if out, err := openssl(t, "pkey", "-in", filepath.Join(c.Dir(), keyFile), "-check", "-noout"); err != nil {
		t.Errorf("openssl pkey -check: %v\n%s", err, out)
	}
}

func TestOpenRefusesExposedKeyAndDir(t *testing.T) {
	c := newCA(t)
	kp := filepath.Join(c.Dir(), keyFile)
	os.Chmod(kp, 0o640)
	if _, err := Open(c.Dir()); err == nil || !strings.Contains(err.Error(), "mode 0640") {
		t.Errorf("Open with 0640 key: %v", err)
	}
	os.Chmod(kp, 0o600)
	os.Chmod(c.Dir(), 0o777)
	if _, err := Open(c.Dir()); err == nil || !strings.Contains(err.Error(), "must not be writable") {
		t.Errorf("Open with 0777 dir: %v", err)
	}
	os.Chmod(c.Dir(), 0o700)
	other := newCA(t)
	b, _ := os.ReadFile(filepath.Join(other.Dir(), keyFile))
	os.WriteFile(kp, b, 0o600)
	if _, err := Open(c.Dir()); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("Open with another CA's key: %v", err)
	}
}

func TestIssueServerVerifiedByOpenSSL(t *testing.T) {
	c := newCA(t)
	crt, key := issue(t, c, Request{Name: "school-server", Kind: Server, Hosts: []string{"localhost", "127.0.0.1", "::1", "xs.school.lan"}})
	if m := mode(t, key); m != 0o600 {
		t.Errorf("key mode %04o", m)
	}
	caFile := filepath.Join(c.Dir(), certFile)
	if out, err := openssl(t, "verify", "-CAfile", caFile, "-purpose", "sslserver", crt); err != nil || !strings.Contains(out, ": OK") {
		t.Fatalf("openssl verify: %v\n%s", err, out)
	}
	if out, err := openssl(t, "verify", "-CAfile", caFile, "-purpose", "sslclient", crt); err == nil {
		t.Errorf("server certificate passes as a client certificate:\n%s", out)
	}
	out, err := openssl(t, "x509", "-in", crt, "-noout", "-text")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CN = school-server", "TLS Web Server Authentication", "DNS:localhost", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1", "DNS:xs.school.lan", "CA:FALSE", "Issuer: CN = Test School CA"} {
		if !strings.Contains(out, want) {
			t.Errorf("server certificate lacks %q", want)
		}
	}
	if out, err := openssl(t, "pkey", "-in", key, "-check", "-noout"); err != nil {
		t.Errorf("openssl pkey -check: %v\n%s", err, out)
	}
}

func TestIssueClientAndRevokeWithCRL(t *testing.T) {
	c := newCA(t)
	crt, _ := issue(t, c, Request{Name: "lab-42", Kind: Client})
	other, _ := issue(t, c, Request{Name: "lab-43", Kind: Client})
	caFile, crlPath := filepath.Join(c.Dir(), certFile), filepath.Join(c.Dir(), crlFile)
	if out, err := openssl(t, "verify", "-CAfile", caFile, "-purpose", "sslclient", "-crl_check", "-CRLfile", crlPath, crt); err != nil {
		t.Fatalf("openssl verify client: %v\n%s", err, out)
	}
	out, _ := openssl(t, "x509", "-in", crt, "-noout", "-text")
	if !strings.Contains(out, "TLS Web Client Authentication") || !strings.Contains(out, "CN = lab-42") {
		t.Errorf("client certificate:\n%s", out)
	}
	recs, err := c.Revoke("lab-42")
	if err != nil || len(recs) != 1 || !recs[0].Revoked() {
		t.Fatalf("Revoke = %+v, %v", recs, err)
	}
	if _, err := c.Revoke("lab-42"); err == nil || !strings.Contains(err.Error(), "no unrevoked certificate named lab-42") {
		t.Errorf("second Revoke: %v", err)
	}
	out, err = openssl(t, "verify", "-CAfile", caFile, "-crl_check", "-CRLfile", crlPath, crt)
	if err == nil || !strings.Contains(out, "certificate revoked") {
		t.Errorf("openssl accepts the revoked certificate: %v\n%s", err, out)
	}
	if out, err := openssl(t, "verify", "-CAfile", caFile, "-crl_check", "-CRLfile", crlPath, other); err != nil {
		t.Errorf("revoking lab-42 broke lab-43: %v\n%s", err, out)
	}
	out, _ = openssl(t, "crl", "-in", crlPath, "-noout", "-text")
	if !strings.Contains(out, "Serial Number: "+strings.ToUpper(recs[0].Serial)) && !strings.Contains(out, "Serial Number: 0"+strings.ToUpper(recs[0].Serial)) {
		t.Errorf("CRL lacks serial %s:\n%s", recs[0].Serial, out)
	}
}

func TestListAndRevokeSerial(t *testing.T) {
	c := newCA(t)
	a, _ := c.Issue(Request{Name: "a", Kind: Client})
	b, _ := c.Issue(Request{Name: "web", Kind: Server, Hosts: []string{"localhost"}})
	if _, err := c.RevokeSerial(a.Record.Serial); err != nil {
		t.Fatal(err)
	}
	recs, err := List(c.Dir())
	if err != nil || len(recs) != 2 {
		t.Fatalf("List = %+v, %v", recs, err)
	}
	if recs[0].Name != "a" || recs[0].Kind != Client || !recs[0].Revoked() || recs[0].Serial != a.Record.Serial {
		t.Errorf("record 0 = %+v", recs[0])
	}
	if recs[1].Name != "web" || recs[1].Kind != Server || recs[1].Revoked() || recs[1].Serial != b.Record.Serial ||
		recs[1].Hosts[0] != "localhost" || recs[1].NotAfter.Sub(recs[1].NotBefore) != DefaultValidity {
		t.Errorf("record 1 = %+v", recs[1])
	}
	if _, err := c.RevokeSerial("abc"); err == nil {
		t.Error("RevokeSerial of an unknown serial succeeded")
	}
}

func TestIssueRejects(t *testing.T) {
	c := newCA(t)
	tests := []struct {
		req  Request
		want string
	}{
		{Request{Name: "", Kind: Client}, "want 1 to 64 bytes"},
		{Request{Name: "../etc/passwd", Kind: Client}, "use letters"},
		{Request{Name: ".hidden", Kind: Client}, "use letters"},
		{Request{Name: strings.Repeat("x", 65), Kind: Client}, "want 1 to 64"},
		{Request{Name: "s", Kind: Server}, "needs at least one host"},
		{Request{Name: "s", Kind: Server, Hosts: []string{"bad host"}}, `host "bad host"`},
		{Request{Name: "s", Kind: Server, Hosts: []string{"-x.lan"}}, "bad label"},
		{Request{Name: "s", Kind: Server, Hosts: []string{"fe80::1%eth0"}}, "not a DNS name"},
		{Request{Name: "s", Kind: 0}, "kind must be"},
		{Request{Name: "s", Kind: Client, Validity: -time.Hour}, "negative validity"},
		{Request{Name: "s", Kind: Client, Validity: 20 * 365 * 24 * time.Hour}, "outlive the CA"},
	}
	for _, tt := range tests {
		if _, err := c.Issue(tt.req); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Issue(%+v) = %v, want %q", tt.req, err, tt.want)
		}
	}
	if recs, _ := List(c.Dir()); len(recs) != 0 {
		t.Errorf("refused requests were recorded: %+v", recs)
	}
}

func TestKindText(t *testing.T) {
	for _, k := range []Kind{Server, Client} {
		got, err := ParseKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k, got, err)
		}
	}
	if _, err := ParseKind("peer"); err == nil {
		t.Error("ParseKind(peer) succeeded")
	}
}
