package agent

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"aula/internal/wire/labxml"
)

// recordSizes is a net.Conn that notes the length of every encrypted TLS
// record (type 23, all of them once the ClientHello is through) read
// through it.
type recordSizes struct {
	net.Conn
	mu    sync.Mutex
	buf   []byte
	sizes []int
}

func (r *recordSizes) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	r.buf = append(r.buf, p[:n]...)
	for len(r.buf) >= 5 {
		l := int(r.buf[3])<<8 | int(r.buf[4])
		if len(r.buf) < 5+l {
			break
		}
		if r.buf[0] == 23 {
			r.sizes = append(r.sizes, l)
		}
		r.buf = r.buf[5+l:]
	}
	r.mu.Unlock()
	return n, err
}

// An agent's large message goes out in records of at most about a
// SendPiece, also once crypto/tls would make them 16 KiB, so the server's
// read buffer for the connection stays small (session.go).
func TestSendKeepsRecordsSmall(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	rec := make(chan *recordSizes, 1)
	got := make(chan []byte, 1)
	go func() {
		raw, err := ln.Accept()
		if err != nil {
			return
		}
		defer raw.Close()
		rs := &recordSizes{Conn: raw}
		rec <- rs
		srv := tls.Server(rs, &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}})
		srv.SetDeadline(time.Now().Add(2 * time.Minute))
		b, _ := io.ReadAll(srv)
		got <- b
	}()
	c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	s := &conn{c: c}
	var want []byte
	send := func(m *labxml.Message) {
		t.Helper()
		if err := s.send(m); err != nil {
			t.Fatal(err)
		}
		want = append(want, labxml.Encode(m)...)
	}
	// Twenty small messages grow crypto/tls's records to their maximum;
	// then a 100 KiB one.
	for range 20 {
		send((&labxml.Message{Kind: labxml.Response, Code: 17, Action: 1, Result: labxml.Success}).Add("estado", "idle"))
	}
	send((&labxml.Message{Kind: labxml.Response, Code: 18, Action: 2, Result: labxml.Success}).Add("inventory", strings.Repeat("x", 100<<10)))
	c.Close()
	if b := <-got; string(b) != string(want) {
		t.Fatalf("the server read %d bytes, want the %d sent", len(b), len(want))
	}
	rs := <-rec
	rs.mu.Lock()
	defer rs.mu.Unlock()
	largest := 0
	for _, n := range rs.sizes {
		largest = max(largest, n)
	}
	// SendPiece of plaintext, plus the content type and AEAD tag.
	if largest > SendPiece+1+16 {
		t.Fatalf("a record of %d bytes reached the server; want at most %d", largest, SendPiece+17)
	}
	if len(rs.sizes) < (100<<10)/SendPiece {
		t.Fatalf("only %d records: the large message was not split", len(rs.sizes))
	}
}
