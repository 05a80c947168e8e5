package cli

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"time"

	"aula/internal/config"
)

// clientOpts say how `aula call` and admin commands with --url reach a
// server over TLS: which CA to trust and which client certificate to show
// (needed when the server runs with --tls-client-auth require).
type clientOpts struct {
	ca, cert, key *config.Opt[string]
}

func declareClient(s *config.Set) *clientOpts {
	return &clientOpts{
		ca:   s.String("url-ca", "", "with --url https://...: PEM file of the CA that signed the server's certificate (e.g. DATA-DIR/ca/ca.crt); default: the system's CAs"),
		cert: s.String("url-cert", "", "with --url https://...: client certificate to present (from `aula ca issue NAME --client`)"),
		key:  s.String("url-key", "", "with --url https://...: the client certificate's key"),
	}
}

// httpClient builds the client for --url calls.
func (o *clientOpts) httpClient() (*http.Client, error) {
	ca, cert, key := o.ca.Get(), o.cert.Get(), o.key.Get()
	if ca == "" && cert == "" && key == "" {
		return http.DefaultClient, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("--url-ca: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--url-ca %s: no PEM certificate in it", ca)
		}
	}
	if (cert == "") != (key == "") {
		return nil, fmt.Errorf("--url-cert and --url-key go together")
	}
	if cert != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("--url-cert/--url-key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	return &http.Client{Transport: tr, Timeout: 2 * time.Minute}, nil
}
