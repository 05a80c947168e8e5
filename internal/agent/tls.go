package agent

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"aula/internal/wire/labxml"
	"aula/modules/lab/labapi"
)

const (
	certFile = "agent.crt"
	keyFile  = "agent.key"
	caFile   = "ca.crt"
)

// trustedCA reads the CA to verify the server with: --ca, else the one
// kept at enrolment. nil when neither exists.
func (a *Agent) trustedCA() (*x509.CertPool, error) {
	path := a.cfg.CAFile
	if path == "" {
		path = a.path(caFile)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && a.cfg.CAFile == "" {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}

// dial opens a TLS 1.3 connection to the server, with the agent's
// certificate when it has one.
func (a *Agent) dial(ctx context.Context, withCert bool, pin string) (*tls.Conn, error) {
	host, _, _ := net.SplitHostPort(a.cfg.Server)
	cfg := &tls.Config{MinVersion: tls.VersionTLS13, ServerName: host}
	pool, err := a.trustedCA()
	if err != nil {
		return nil, err
	}
	switch {
	case pool != nil:
		cfg.RootCAs = pool
	case pin != "":
		// First contact: trust the CA the server presents if its pin is
		// the token's, and verify the server's certificate against it.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error { return verifyPinned(cs, host, pin) }
	default:
		return nil, permanentError{errors.New("no CA to verify the server with: give --ca, or a token with a CA pin (SECRET.PIN)")}
	}
	if withCert {
		c, err := tls.LoadX509KeyPair(a.path(certFile), a.path(keyFile))
		if err != nil {
			return nil, fmt.Errorf("agent certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{c}
		cfg.ClientSessionCache = a.sessions // never for enrolment: that session has no certificate
	}
	d := &net.Dialer{Timeout: ConnectTimeout, KeepAlive: 30 * time.Second}
	raw, err := d.DialContext(ctx, "tcp", a.cfg.Server)
	if err != nil {
		return nil, err
	}
	c := tls.Client(raw, cfg)
	hctx, cancel := context.WithTimeout(ctx, HandshakeTimeout)
	defer cancel()
	if err := c.HandshakeContext(hctx); err != nil {
		raw.Close()
		return nil, err
	}
	return c, nil
}

// ConnectTimeout bounds the TCP connection to the server; HandshakeTimeout
// the TLS handshake after it, which is long: after a restart the server
// takes handshakes a few at a time (one per core) and queues the rest, so
// the last of 10,000 agents may wait tens of seconds, and one that gave up
// would only queue again at the back (bench/labbench uses both).
const (
	ConnectTimeout   = 15 * time.Second
	HandshakeTimeout = 2 * time.Minute
)

// verifyPinned checks that the chain ends in a CA with the pin and that
// the server's certificate is valid for host under it.
func verifyPinned(cs tls.ConnectionState, host, pin string) error {
	certs := cs.PeerCertificates
	if len(certs) < 2 {
		return errors.New("the server did not present its CA")
	}
	root := certs[len(certs)-1]
	if !strings.EqualFold(labapi.CAPin(root.Raw), pin) {
		return errors.New("the server's CA does not match the token's pin")
	}
	pool := x509.NewCertPool()
	pool.AddCert(root)
	_, err := certs[0].Verify(x509.VerifyOptions{Roots: pool, DNSName: host, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	return err
}

// enrol trades the token for a certificate and keeps it (key 0600) with
// the CA.
func (a *Agent) enrol(ctx context.Context) error {
	_, pin, _ := strings.Cut(a.cfg.Token, ".")
	c, err := a.dial(ctx, false, pin)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	m := (&labxml.Message{Kind: labxml.Response, Code: labapi.CodeEnrol, Result: labxml.Success, Text: "enrol"}).Add("token", a.cfg.Token)
	if _, err := c.Write(labxml.Encode(m)); err != nil {
		return err
	}
	r := labxml.NewReader(c, 0)
	reply, err := r.Next()
	if err != nil {
		return fmt.Errorf("enrolment: %w", err)
	}
	if reply.Code == labapi.CodeError {
		err := fmt.Errorf("enrolment refused: %s", reply.Get("error"))
		if reply.Get(labapi.RetryParam) != "" {
			return err // the token is busy for the moment: Run tries again
		}
		return permanentError{err}
	}
	if reply.Code != labapi.CodeCertificate {
		return fmt.Errorf("enrolment: unexpected reply codigo=%d", reply.Code)
	}
	crt, key, caPEM := reply.Get("crt"), reply.Get("key"), reply.Get("ca")
	if _, err := tls.X509KeyPair([]byte(crt), []byte(key)); err != nil {
		return fmt.Errorf("enrolment: the certificate received is unusable: %w", err)
	}
	if blk, _ := pem.Decode([]byte(caPEM)); blk == nil || (pin != "" && !strings.EqualFold(labapi.CAPin(blk.Bytes), pin)) {
		return errors.New("enrolment: the CA received does not match the token's pin")
	}
	if err := writeFile(a.path(keyFile), []byte(key), 0o600); err != nil {
		return err
	}
	if a.cfg.CAFile == "" {
		if err := writeFile(a.path(caFile), []byte(caPEM), 0o644); err != nil {
			return err
		}
	}
	if err := writeFile(a.path(certFile), []byte(crt), 0o644); err != nil {
		return err
	}
	// The confirmation spends the token at the server; until then it
	// stays usable, so an agent that lost the certificate on the way (or
	// could not store it) enrols again with the same token.
	ack := &labxml.Message{Kind: labxml.Response, Code: labapi.CodeStored, Result: labxml.Success, Text: "stored"}
	if _, err := c.Write(labxml.Encode(ack)); err != nil {
		a.log.Warn("enrolled, but the confirmation did not reach the server (its token stays usable until it expires)", "err", err)
	}
	a.log.Info("enrolled", "computer", reply.Get("computer"), "dir", a.cfg.Dir)
	return nil
}

// writeFile replaces path atomically with the given mode.
func writeFile(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
