package ca

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testServer is a real TLS server on 127.0.0.1 requiring client
// certificates from the CA; it greets each client by its certificate CN
// and reports each handshake failure on errs.
type testServer struct {
	addr string
	errs chan error
}

func startServer(t *testing.T, c *CA) *testServer {
	t.Helper()
	crt, key := issue(t, c, Request{Name: "srv", Kind: Server, Hosts: []string{"localhost", "127.0.0.1"}})
	pair, err := tls.LoadX509KeyPair(crt, key)
	if err != nil {
		t.Fatal(err)
	}
	chk, err := NewChecker(c.Dir())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", chk.ServerConfig(pair, true))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &testServer{addr: ln.Addr().String(), errs: make(chan error, 16)}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			tc := conn.(*tls.Conn)
			tc.SetDeadline(time.Now().Add(10 * time.Second))
			if err := tc.Handshake(); err != nil {
				s.errs <- err
			} else {
				s.errs <- nil
				io.WriteString(tc, "hello "+PeerName(tc.ConnectionState()))
			}
			tc.Close()
		}
	}()
	return s
}

// dial connects with the given client key pair (none if crt is "") and
// returns the server's greeting.
func (s *testServer) dial(t *testing.T, c *CA, crt, key string, cache tls.ClientSessionCache) (string, bool, error) {
	t.Helper()
	chk, err := NewChecker(c.Dir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{RootCAs: chk.Pool(), ServerName: "localhost", ClientSessionCache: cache}
	if crt != "" {
		pair, err := tls.LoadX509KeyPair(crt, key)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	conn, err := tls.Dial("tcp", s.addr, cfg)
	if err != nil {
		return "", false, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(conn)
	return string(b), conn.ConnectionState().DidResume, err
}

// serverErr is the server side's verdict on the last handshake.
func (s *testServer) serverErr(t *testing.T) error {
	t.Helper()
	select {
	case err := <-s.errs:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("server saw no handshake")
		return nil
	}
}

func TestTLSClientAuth(t *testing.T) {
	c := newCA(t)
	srv := startServer(t, c)
	goodCrt, goodKey := issue(t, c, Request{Name: "lab-42", Kind: Client})
	expCrt, expKey := issue(t, c, Request{Name: "old", Kind: Client, NotBefore: time.Now().Add(-48 * time.Hour), Validity: 24 * time.Hour})
	strangerCrt, strangerKey := issue(t, newCA(t), Request{Name: "lab-42", Kind: Client})
	srvAsClientCrt, srvAsClientKey := issue(t, c, Request{Name: "web", Kind: Server, Hosts: []string{"localhost"}})

	got, _, err := srv.dial(t, c, goodCrt, goodKey, nil)
	if err != nil || got != "hello lab-42" {
		t.Fatalf("good client: %q, %v", got, err)
	}
	if err := srv.serverErr(t); err != nil {
		t.Fatalf("server refused a good client: %v", err)
	}

	refused := []struct {
		name, crt, key, want string
	}{
		{"other CA", strangerCrt, strangerKey, "unknown authority"},
		{"expired", expCrt, expKey, "expired"},
		{"server cert used as client", srvAsClientCrt, srvAsClientKey, "incompatible key usage"},
		{"no certificate", "", "", "didn't provide a certificate"},
	}
	for _, tt := range refused {
		got, _, cerr := srv.dial(t, c, tt.crt, tt.key, nil)
		serr := srv.serverErr(t)
		if cerr == nil || got != "" || serr == nil || !strings.Contains(serr.Error(), tt.want) {
			t.Errorf("%s: client got %q, %v; server %v (want %q)", tt.name, got, cerr, serr, tt.want)
		}
	}
}

func TestTLSRevocationWithoutRestart(t *testing.T) {
	c := newCA(t)
	srv := startServer(t, c)
	crt, key := issue(t, c, Request{Name: "lab-7", Kind: Client})
	cache := tls.NewLRUClientSessionCache(4)
	for i := range 2 {
		got, resumed, err := srv.dial(t, c, crt, key, cache)
		if err != nil || got != "hello lab-7" || srv.serverErr(t) != nil {
			t.Fatalf("before revocation, dial %d: %q, %v", i, got, err)
		}
		if i == 1 && !resumed {
			t.Log("second connection did not resume; the resumption case below is then a full handshake")
		}
	}
	// Revoke as another process would: a separately opened CA.
	other, err := Open(c.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Revoke("lab-7"); err != nil {
		t.Fatal(err)
	}
	// With the session cache the client tries to resume: VerifyConnection
	// must refuse on resumption too.
	got, _, cerr := srv.dial(t, c, crt, key, cache)
	serr := srv.serverErr(t)
	if cerr == nil || got != "" || !errors.Is(serr, ErrRevoked) {
		t.Fatalf("revoked client: got %q, client err %v, server err %v", got, cerr, serr)
	}
	got, _, cerr = srv.dial(t, c, crt, key, nil)
	if serr := srv.serverErr(t); cerr == nil || !errors.Is(serr, ErrRevoked) || !strings.Contains(serr.Error(), `"lab-7"`) {
		t.Fatalf("revoked client, full handshake: got %q, %v, server %v", got, cerr, serr)
	}
	// A new certificate under the same name is a different serial.
	crt2, key2 := issue(t, c, Request{Name: "lab-7", Kind: Client})
	if got, _, err := srv.dial(t, c, crt2, key2, nil); err != nil || got != "hello lab-7" || srv.serverErr(t) != nil {
		t.Fatalf("re-issued client: %q, %v", got, err)
	}
}

func TestCheckerFailsClosed(t *testing.T) {
	c := newCA(t)
	is, _ := c.Issue(Request{Name: "x", Kind: Client})
	chk, err := NewChecker(c.Dir())
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(is.CertPEM, is.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	leaf := pair.Leaf
	if err := chk.Check(leaf); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(filepath.Join(c.Dir(), indexFile), []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := chk.Check(leaf); err == nil {
		t.Fatal("Check passed with an unreadable index")
	}
}

// Python's ssl module (OpenSSL 3) as the client: it must accept the
// server certificate and present an acceptable client certificate.
func TestTLSPythonClient(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	c := newCA(t)
	srv := startServer(t, c)
	crt, key := issue(t, c, Request{Name: "bcfg2-client", Kind: Client})
	host, port, _ := net.SplitHostPort(srv.addr)
	script := `import ssl, socket, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
with socket.create_connection((sys.argv[4], int(sys.argv[5])), timeout=10) as s:
    with ctx.wrap_socket(s, server_hostname="localhost") as t:
        data = b""
        while True:
            b = t.recv(100)
            if not b: break
            data += b
        print(data.decode(), t.version())`
	run := func() (string, error) {
		out, err := exec.Command(py, "-c", script, filepath.Join(c.Dir(), certFile), crt, key, host, port).CombinedOutput()
		return string(out), err
	}
	out, err := run()
	if err != nil || !strings.HasPrefix(out, "hello bcfg2-client TLSv1.3") {
		t.Fatalf("python client: %v\n%s", err, out)
	}
	if err := srv.serverErr(t); err != nil {
		t.Fatalf("server: %v", err)
	}
	if _, err := c.Revoke("bcfg2-client"); err != nil {
		t.Fatal(err)
	}
	out, err = run()
	if serr := srv.serverErr(t); err == nil || !errors.Is(serr, ErrRevoked) {
		t.Fatalf("revoked python client: %v %v\n%s", err, serr, out)
	}
}
