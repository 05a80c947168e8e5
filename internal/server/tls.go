package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"aula/internal/ca"
)

// TLSOptions are the TLS settings shared by every listener that speaks TLS
// (HTTP now; the lab agent and chat listeners later).
type TLSOptions struct {
	CertFile, KeyFile string
	// ClientAuth is "none", "request" (verify a certificate if the client
	// sends one) or "require".
	ClientAuth string
	// ClientCA verifies client certificates: an aula CA directory (ca.crt
	// and index.json, whose revocations take effect at once) or a PEM file
	// of CA certificates.
	ClientCA string
}

// ServerTLS is a built TLS configuration. PeerCheck, when set, re-checks a
// verified client certificate (revocation) on every request, so a
// keep-alive connection opened before a revocation is refused too.
type ServerTLS struct {
	Config    *tls.Config
	PeerCheck func(*x509.Certificate) error
}

// TLSConfig builds the server TLS configuration from the options: TLS 1.2
// at least, the key file checked for being private. It returns nil (plain
// TCP) when neither a certificate nor a key is given.
func TLSConfig(o TLSOptions) (*ServerTLS, error) {
	if o.CertFile == "" && o.KeyFile == "" {
		if o.ClientAuth != "" && o.ClientAuth != "none" {
			return nil, errors.New("--tls-client-auth needs TLS: set --tls-cert and --tls-key")
		}
		return nil, nil
	}
	if o.CertFile == "" || o.KeyFile == "" {
		return nil, errors.New("TLS needs both --tls-cert and --tls-key")
	}
	if err := CheckKeyFile(o.KeyFile); err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate %s / key %s: %w", o.CertFile, o.KeyFile, err)
	}
	st := &ServerTLS{Config: &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
	}}
	switch o.ClientAuth {
	case "", "none":
		return st, nil
	case "request":
		st.Config.ClientAuth = tls.VerifyClientCertIfGiven
	case "require":
		st.Config.ClientAuth = tls.RequireAndVerifyClientCert
	default:
		return nil, fmt.Errorf("--tls-client-auth %q: want none, request or require", o.ClientAuth)
	}
	if o.ClientCA == "" {
		return nil, errors.New("--tls-client-auth needs --tls-client-ca (a CA directory made by `aula ca init`, or a PEM file)")
	}
	if fi, err := os.Stat(o.ClientCA); err == nil && fi.IsDir() {
		chk, err := ca.NewChecker(o.ClientCA)
		if err != nil {
			return nil, fmt.Errorf("--tls-client-ca %s: %w", o.ClientCA, err)
		}
		st.Config.ClientCAs = chk.Pool()
		st.Config.VerifyConnection = chk.VerifyConnection
		st.PeerCheck = chk.Check
		return st, nil
	}
	pem, err := os.ReadFile(o.ClientCA)
	if err != nil {
		return nil, fmt.Errorf("--tls-client-ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--tls-client-ca %s: no PEM certificate in it", o.ClientCA)
	}
	st.Config.ClientCAs = pool
	return st, nil
}

// CheckKeyFile refuses a private key file that others (not its owner or
// group) may read or write. Group access is allowed because Debian's
// ssl-cert group convention relies on it.
func CheckKeyFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("TLS key %s does not exist", path)
		}
		return fmt.Errorf("TLS key: %w", err)
	}
	if m := fi.Mode().Perm(); m&0o007 != 0 {
		return fmt.Errorf("TLS key %s has mode %04o: others may access it; run `chmod 600 %s` and restart", path, m, path)
	}
	return nil
}

// DefaultCADir is where `aula ca` keeps the CA when --ca-dir is not set.
func DefaultCADir(dataDir string) string { return filepath.Join(dataDir, "ca") }
