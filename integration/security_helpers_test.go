package integration

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// adminPassword is the password of the admin user adminURL makes.
const adminPassword = "admin-password-for-tests"

// aulaIn runs an aula subcommand with stdin and returns its combined
// output and exit code.
func aulaIn(t *testing.T, stdin string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(aulaBin, args...)
	cmd.Env = cleanEnv()
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

// mustAula runs an aula subcommand that must succeed.
func mustAula(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, code := aulaIn(t, stdin, args...)
	if code != 0 {
		t.Fatalf("aula %s: exit %d: %s", strings.Join(args, " "), code, out)
	}
	return out
}

// adminURL makes the user "admin" in group admin on the server's data
// directory (once; `aula user add`, which works whether the server runs
// or not) and returns the server URL carrying its credentials. Admin
// methods over the network need it.
func (s *server) adminURL() string {
	s.t.Helper()
	if s.admin == "" {
		s.addUser("admin", adminPassword, "admin")
		s.admin = "admin:" + adminPassword
	}
	return fmt.Sprintf("%s://%s@127.0.0.1:%d/", s.scheme, s.admin, s.port)
}

// addUser runs `aula user add` on the server's data directory.
func (s *server) addUser(name, password string, groups ...string) {
	s.t.Helper()
	args := []string{"user", "add", name, "--password-stdin", "--data-dir", s.dataDir}
	if len(groups) > 0 {
		args = append(args, "--groups", strings.Join(groups, ","))
	}
	mustAula(s.t, password+"\n", args...)
}

// userURL is the server URL with a user's credentials.
func (s *server) userURL(user, password string) string {
	return fmt.Sprintf("%s://%s:%s@127.0.0.1:%d/", s.scheme, user, password, s.port)
}

// pki is a CA made with `aula ca` in a data directory, with a server
// certificate for 127.0.0.1.
type pki struct {
	dataDir, caDir, certs string
	caCert                string
	serverCert, serverKey string
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	base := t.TempDir()
	p := &pki{dataDir: filepath.Join(base, "data"), certs: filepath.Join(base, "certs")}
	p.caDir = filepath.Join(p.dataDir, "ca")
	mustAula(t, "", "ca", "init", "--name", "test CA", "--data-dir", p.dataDir)
	mustAula(t, "", "ca", "issue", "localhost", "--server", "--host", "127.0.0.1", "--host", "localhost",
		"--out", p.certs, "--data-dir", p.dataDir)
	p.caCert = filepath.Join(p.caDir, "ca.crt")
	p.serverCert, p.serverKey = filepath.Join(p.certs, "localhost.crt"), filepath.Join(p.certs, "localhost.key")
	return p
}

// issueClient issues a client certificate with `aula ca issue`.
func (p *pki) issueClient(t *testing.T, name string) (cert, key string) {
	t.Helper()
	mustAula(t, "", "ca", "issue", name, "--client", "--out", p.certs, "--data-dir", p.dataDir)
	return filepath.Join(p.certs, name+".crt"), filepath.Join(p.certs, name+".key")
}

// tlsArgs are the serve options for TLS with client certificates.
func (p *pki) tlsArgs(clientAuth string) []string {
	return []string{"--tls-cert", p.serverCert, "--tls-key", p.serverKey, "--tls-client-auth", clientAuth}
}

// client is an HTTPS client trusting the CA, presenting a client
// certificate when certFile is set.
func (p *pki) client(t *testing.T, certFile, keyFile string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(p.caCert)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	cfg := &tls.Config{RootCAs: pool}
	if certFile != "" {
		c, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
}

// startTLS starts a TLS server on the PKI's data directory; probe is the
// client the readiness check uses.
func startTLS(t *testing.T, p *pki, probe *http.Client, extra ...string) *server {
	t.Helper()
	s := newServer(t, p.dataDir, extra...)
	s.scheme, s.client = "https", probe
	s.start()
	return s
}

// waitFor polls cond until it holds or a generous deadline passes: for
// effects that happen asynchronously (a signal handled, a timeout fired).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// httpClient is a plain HTTP client with a timeout.
func httpClient() *http.Client { return &http.Client{Timeout: 20 * time.Second} }
