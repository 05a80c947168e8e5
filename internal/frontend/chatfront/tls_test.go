package chatfront

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"aula/internal/config"
	"aula/internal/core"
	"aula/internal/wire/chat"
)

// --chat-tls serves the same protocol inside TLS with the server's
// certificate; without a certificate it refuses to bind.
func TestTLS(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "aula test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	conf := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	s := startServerTLS(t, nil, conf, "--chat-magic", "ivle=MAGIC", "--chat-tls")
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	c, err := tls.Dial("tcp", s.addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	c.Write(request(`{"method": "echo.echo", "params": ["tls"]}`, "MAGIC"))
	if p, err := chat.ReadNetstring(bufio.NewReader(c), 0); err != nil || string(p) != `["tls"]` {
		t.Fatalf("over TLS: %q, %v", p, err)
	}

	f := &FrontEnd{}
	set := config.NewSet()
	f.Configure(set.Section("chat"))
	if _, err := set.Load(config.Sources{Args: []string{"--chat-listen=127.0.0.1:0", "--chat-magic", "a=b", "--chat-tls"}}); err != nil {
		t.Fatal(err)
	}
	err = f.Bind(context.Background(), &core.FrontEnv{App: s.app, Log: quiet})
	if err == nil || !strings.Contains(err.Error(), "--chat-tls needs the server's certificate") {
		t.Fatalf("--chat-tls without a certificate: %v", err)
	}
}
