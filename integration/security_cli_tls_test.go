package integration

import (
	"strings"
	"testing"
)

// TestCLIOverTLSWithClientCert: against a server that requires client
// certificates, `aula call` and admin commands reach it with --url-ca,
// --url-cert and --url-key; the certificate's identity (in group admin)
// is who they act as. Without the certificate the handshake is refused.
func TestCLIOverTLSWithClientCert(t *testing.T) {
	p := newPKI(t)
	crt, key := p.issueClient(t, "admin-laptop")
	mustAula(t, "", "user", "groups", "admin-laptop", "admin", "--data-dir", p.dataDir)
	s := startTLS(t, p, p.client(t, crt, key), p.tlsArgs("require")...)

	tlsFlags := []string{"--url", s.url(), "--url-ca", p.caCert, "--url-cert", crt, "--url-key", key}
	out, code := aula(t, append([]string{"call"}, append(tlsFlags, "auth.whoami")...)...)
	if code != 0 || !strings.Contains(out, `"admin-laptop"`) {
		t.Fatalf("aula call over TLS with a client certificate: %d %s", code, out)
	}
	out, code = aula(t, append([]string{"client", "list"}, tlsFlags...)...)
	if code != 0 || !strings.Contains(out, "no registered clients") {
		t.Fatalf("aula client list over TLS: %d %s", code, out)
	}
	out, code = aula(t, "call", "--url", s.url(), "--url-ca", p.caCert, "echo.echo", "x")
	if code == 0 {
		t.Fatalf("a CLI without a client certificate got through a require-mode server: %s", out)
	}
	out, code = aula(t, "call", "--url", s.url(), "--url-cert", crt, "echo.echo", "x")
	if code != 1 || !strings.Contains(out, "--url-cert and --url-key go together") {
		t.Fatalf("half a key pair: %d %s", code, out)
	}
}
