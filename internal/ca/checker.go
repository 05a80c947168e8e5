package ca

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Checker verifies peers against one CA directory's certificate and
// revocation records, for a TLS server or client. It needs ca.crt and
// index.json only, never the CA key.
type Checker struct {
	dir  string
	ca   *x509.Certificate
	pool *x509.CertPool

	mu      sync.Mutex
	seen    os.FileInfo          // index.json as last loaded
	revoked map[string]time.Time // serial hex -> revocation time
}

// NewChecker loads the CA certificate and revocation records from dir.
func NewChecker(dir string) (*Checker, error) {
	cert, err := readCert(filepath.Join(dir, certFile))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	c := &Checker{dir: dir, ca: cert, pool: pool}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.refreshLocked(); err != nil {
		return nil, err
	}
	return c, nil
}

// Pool holds the CA certificate, for tls.Config.ClientCAs or RootCAs.
func (c *Checker) Pool() *x509.CertPool { return c.pool }

// refreshLocked re-reads index.json if it changed since the last load.
// One stat per call is cheap next to a TLS handshake, and it makes a
// revocation by another process (`aula ca revoke`) effective at the next
// connection. index.json is replaced by rename, so a change of file
// identity, size or mtime is a new version.
func (c *Checker) refreshLocked() error {
	path := filepath.Join(c.dir, indexFile)
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("revocation records: %w", err)
	}
	if c.seen != nil && os.SameFile(c.seen, fi) && fi.ModTime().Equal(c.seen.ModTime()) && fi.Size() == c.seen.Size() {
		return nil
	}
	ix, err := readIndex(c.dir)
	if err != nil {
		return fmt.Errorf("revocation records: %w", err)
	}
	revoked := make(map[string]time.Time)
	for _, r := range ix.Certs {
		if r.Revoked() {
			revoked[r.Serial] = r.RevokedAt
		}
	}
	c.seen, c.revoked = fi, revoked
	return nil
}

// ErrRevoked is wrapped by the error for a revoked certificate.
var ErrRevoked = errors.New("certificate revoked")

// Check returns an error wrapping ErrRevoked if cert was issued by this CA
// and revoked. Certificates of other issuers are not its business (their
// chain was verified against some other pool). If the revocation records
// cannot be read, it fails closed.
func (c *Checker) Check(cert *x509.Certificate) error {
	if !c.issued(cert) {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.refreshLocked(); err != nil {
		return err
	}
	serial := serialHex(cert.SerialNumber)
	if at, ok := c.revoked[serial]; ok {
		return fmt.Errorf("%w: %q (serial %s) at %s", ErrRevoked, cert.Subject.CommonName, serial, at.Format(time.RFC3339))
	}
	return nil
}

func (c *Checker) issued(cert *x509.Certificate) bool {
	if !bytes.Equal(cert.RawIssuer, c.ca.RawSubject) {
		return false
	}
	if len(cert.AuthorityKeyId) > 0 && len(c.ca.SubjectKeyId) > 0 {
		return bytes.Equal(cert.AuthorityKeyId, c.ca.SubjectKeyId)
	}
	return true
}

// VerifyConnection is for tls.Config.VerifyConnection. Unlike
// VerifyPeerCertificate it also runs on resumed sessions, so a revoked
// client cannot come back through a session ticket. It checks the leaf
// only: this CA issues leaves directly.
func (c *Checker) VerifyConnection(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return nil // no certificate offered; ClientAuth decides if that is allowed
	}
	return c.Check(cs.PeerCertificates[0])
}

// ServerConfig returns a TLS server configuration presenting cert, asking
// for client certificates from this CA (required or optional), and
// refusing revoked ones. Minimum TLS 1.2.
func (c *Checker) ServerConfig(cert tls.Certificate, requireClientCert bool) *tls.Config {
	auth := tls.VerifyClientCertIfGiven
	if requireClientCert {
		auth = tls.RequireAndVerifyClientCert
	}
	return &tls.Config{
		MinVersion:       tls.VersionTLS12,
		Certificates:     []tls.Certificate{cert},
		ClientAuth:       auth,
		ClientCAs:        c.pool,
		VerifyConnection: c.VerifyConnection,
	}
}

// PeerName returns the subject CN of the verified client certificate of a
// connection (Bcfg2's rule: identity = CN), or "" if none was verified.
func PeerName(cs tls.ConnectionState) string {
	if len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return ""
	}
	return cs.VerifiedChains[0][0].Subject.CommonName
}

// PeerSerial is the serial of the verified client certificate, as Record
// writes it (hex), or "" when the peer presented none.
func PeerSerial(cs tls.ConnectionState) string {
	if len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return ""
	}
	return serialHex(cs.VerifiedChains[0][0].SerialNumber)
}
