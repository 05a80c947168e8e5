package integration

import (
	"bytes"
	"crypto/tls"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aula/internal/ca"
	"aula/internal/wire/xmlrpc"
)

// TestTLSClientCertificates: Python's xmlrpc.client over TLS with client
// certificates issued by `aula ca`. A good certificate is the caller's
// identity (with the groups stored under its name); certificates of an
// unknown CA, expired ones and revoked ones are refused, revoked ones at
// once, without a restart, also on a keep-alive connection.
func TestTLSClientCertificates(t *testing.T) {
	p := newPKI(t)
	goodCrt, goodKey := p.issueClient(t, "lab-42")
	revCrt, revKey := p.issueClient(t, "pc-stolen")
	mustAula(t, "", "user", "groups", "lab-42", "admin", "--data-dir", p.dataDir)

	// An expired certificate from the same CA (the CLI only issues valid ones).
	c, err := ca.Open(p.caDir)
	if err != nil {
		t.Fatal(err)
	}
	old, err := c.Issue(ca.Request{Name: "pc-old", Kind: ca.Client, NotBefore: time.Now().Add(-72 * time.Hour), Validity: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := ca.WriteFiles(p.certs, "pc-old", old.CertPEM, old.KeyPEM); err != nil {
		t.Fatal(err)
	}
	// A certificate with the same name from another CA.
	other, err := ca.Init(filepath.Join(t.TempDir(), "other-ca"), "other CA")
	if err != nil {
		t.Fatal(err)
	}
	forged, err := other.Issue(ca.Request{Name: "lab-42", Kind: ca.Client})
	if err != nil {
		t.Fatal(err)
	}
	forgedDir := t.TempDir()
	if err := ca.WriteFiles(forgedDir, "lab-42", forged.CertPEM, forged.KeyPEM); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(goodKey); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("client key mode: %v %v", fi.Mode(), err)
	}

	s := startTLS(t, p, p.client(t, goodCrt, goodKey), p.tlsArgs("require")...)
	out := python(t, pyTLS, "URL="+s.url(), "CA="+p.caCert,
		"GOOD="+goodCrt+":"+goodKey, "REVOKED="+revCrt+":"+revKey,
		"EXPIRED="+filepath.Join(p.certs, "pc-old.crt")+":"+filepath.Join(p.certs, "pc-old.key"),
		"FORGED="+filepath.Join(forgedDir, "lab-42.crt")+":"+filepath.Join(forgedDir, "lab-42.key"),
		"PHASE=before")
	if !strings.Contains(out, "ALL OK") {
		t.Fatalf("python: %s", out)
	}
	t.Log(out)

	// A keep-alive connection opened before the revocation...
	keep := p.client(t, revCrt, revKey)
	if v, err := xmlrpcCall(keep, s.url(), "auth.whoami"); err != nil || v.(map[string]any)["identity"] != "pc-stolen" {
		t.Fatalf("before revocation: %v %v", v, err)
	}
	revoked := mustAula(t, "", "ca", "revoke", "pc-stolen", "--data-dir", p.dataDir)
	if !strings.Contains(revoked, "revoked pc-stolen") {
		t.Fatalf("aula ca revoke: %s", revoked)
	}
	// ... is refused at its next request (403, connection closed).
	var body bytes.Buffer
	xmlrpc.EncodeCall(&body, "auth.whoami", nil)
	resp, err := keep.Post(s.url(), "text/xml", &body)
	if err != nil {
		t.Fatalf("keep-alive request after revocation: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("keep-alive request after revocation: HTTP %d", resp.StatusCode)
	}
	// And new connections with it fail the handshake, without a restart.
	out = python(t, pyTLS, "URL="+s.url(), "CA="+p.caCert, "GOOD="+goodCrt+":"+goodKey,
		"REVOKED="+revCrt+":"+revKey, "PHASE=after")
	if !strings.Contains(out, "ALL OK") {
		t.Fatalf("python after revocation: %s", out)
	}
	list := mustAula(t, "", "ca", "list", "--data-dir", p.dataDir)
	if !strings.Contains(list, "pc-stolen") || !strings.Contains(list, "revoked") || !strings.Contains(list, "expired") {
		t.Fatalf("aula ca list:\n%s", list)
	}

	// TLS 1.2 is the minimum.
	conn, err := tls.Dial("tcp", s.url()[len("https://"):len(s.url())-1], &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11})
	if err == nil {
		conn.Close()
		t.Fatal("a TLS 1.1 handshake succeeded")
	}
}

const pyTLS = `
import os, ssl, xmlrpc.client as x

url, cafile = os.environ["URL"], os.environ["CA"]
def proxy(pair):
    ctx = ssl.create_default_context(cafile=cafile)
    if pair:
        crt, key = pair.split(":")
        ctx.load_cert_chain(crt, key)
    return x.ServerProxy(url, context=ctx)

def refused(pair, what):
    try:
        proxy(pair).echo.echo("x")
    except (ssl.SSLError, ConnectionError, OSError, x.ProtocolError) as e:
        print(what, "refused:", repr(e))
        return
    raise AssertionError(what + " was accepted")

if os.environ["PHASE"] == "before":
    good = proxy(os.environ["GOOD"])
    who = good.auth.whoami()
    assert who["identity"] == "lab-42" and who["via"] == "cert" and who["groups"] == ["admin"], who
    assert good.datastore.put("from-cert", "yes") == True
    assert "datastore.put" in good.system.listMethods()
    assert proxy(os.environ["REVOKED"]).auth.whoami()["identity"] == "pc-stolen"
    refused(os.environ["EXPIRED"], "an expired certificate")
    refused(os.environ["FORGED"], "a certificate from an unknown CA")
    refused("", "no certificate (require)")
else:
    refused(os.environ["REVOKED"], "a revoked certificate")
    assert proxy(os.environ["GOOD"]).auth.whoami()["identity"] == "lab-42"
print("ALL OK")
`

// TestTLSRequestModeAndBasic: with --tls-client-auth request a client
// without a certificate is anonymous and may log in with a password.
func TestTLSRequestModeAndBasic(t *testing.T) {
	p := newPKI(t)
	s := startTLS(t, p, p.client(t, "", ""), p.tlsArgs("request")...)
	s.addUser("alice", "alice-password", "admin")
	client := p.client(t, "", "")
	if v, err := xmlrpcCall(client, s.url(), "auth.whoami"); err != nil || v.(map[string]any)["identity"] != "" {
		t.Fatalf("anonymous over TLS: %v %v", v, err)
	}
	if v, err := xmlrpcCall(client, s.userURL("alice", "alice-password"), "datastore.put", "k", "v"); err != nil || v != true {
		t.Fatalf("Basic over TLS: %v %v", v, err)
	}
	// The CLI talks TLS to the server when told to trust the CA
	// (SSL_CERT_FILE is honoured by Go's certificate pool on Linux).
	cmd := exec.Command(aulaBin, "user", "list", "--url", s.userURL("alice", "alice-password"))
	cmd.Env = append(cleanEnv(), "SSL_CERT_FILE="+p.caCert)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "alice") {
		t.Fatalf("aula user list over TLS: %v %s", err, out)
	}
	// Plain HTTP to a TLS listener gets no service.
	conn, err := net.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(s.url(), "https://"), "/"))
	if err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte("POST / HTTP/1.0\r\nContent-Length: 0\r\n\r\n"))
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	buf := make([]byte, 512)
	n, _ := conn.Read(buf)
	conn.Close()
	if bytes.Contains(buf[:n], []byte("methodResponse")) {
		t.Fatalf("plain HTTP served on the TLS listener: %q", buf[:n])
	}
}

// TestTLSKeyMustBePrivate: aula refuses to start with a key file others
// may read.
func TestTLSKeyMustBePrivate(t *testing.T) {
	p := newPKI(t)
	if err := os.Chmod(p.serverKey, 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := aula(t, append([]string{"serve", "--config", "", "--data-dir", p.dataDir, "--listen", "127.0.0.1:0", "--xs-listen", ""},
		p.tlsArgs("none")...)...)
	if code == 0 || !strings.Contains(out, "others may access it") {
		t.Fatalf("serve with a 0644 key: exit %d: %s", code, out)
	}
}
