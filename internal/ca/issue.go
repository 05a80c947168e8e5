package ca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// DefaultValidity is used when Request.Validity is zero.
const DefaultValidity = 365 * 24 * time.Hour

// clockSkew back-dates NotBefore so a peer whose clock is a little behind
// does not refuse a certificate issued a moment ago.
const clockSkew = 5 * time.Minute

// Request describes a certificate to issue.
type Request struct {
	Name      string        // subject CN and file base name: [A-Za-z0-9][A-Za-z0-9._-]*, at most 64 bytes
	Kind      Kind          // Server or Client
	Hosts     []string      // subjectAltNames: DNS names or IP addresses; at least one for Server
	NotBefore time.Time     // zero: now minus 5 minutes
	Validity  time.Duration // zero: DefaultValidity
}

// Issued is a new certificate and its private key.
type Issued struct {
	CertPEM []byte
	KeyPEM  []byte // PKCS#8; keep it 0600
	Record  Record
}

// Issue creates a key pair and a certificate signed by the CA, and records
// it in index.json. It does not write the key anywhere: see WriteFiles.
func (c *CA) Issue(req Request) (*Issued, error) {
	if err := validName(req.Name); err != nil {
		return nil, fmt.Errorf("certificate name: %w", err)
	}
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: req.Name},
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature,
	}
	switch req.Kind {
	case Server:
		if len(req.Hosts) == 0 {
			return nil, fmt.Errorf("server certificate %q needs at least one host (DNS name or IP address)", req.Name)
		}
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	case Client:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	default:
		return nil, fmt.Errorf("certificate %q: kind must be Server or Client", req.Name)
	}
	for _, h := range req.Hosts {
		if a, err := netip.ParseAddr(h); err == nil && a.Zone() == "" {
			tmpl.IPAddresses = append(tmpl.IPAddresses, net.IP(a.Unmap().AsSlice()))
			continue
		}
		if err := validDNSName(h); err != nil {
			return nil, fmt.Errorf("host %q: %w", h, err)
		}
		tmpl.DNSNames = append(tmpl.DNSNames, h)
	}
	tmpl.NotBefore = req.NotBefore
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = time.Now().Add(-clockSkew)
	}
	validity := req.Validity
	if validity == 0 {
		validity = DefaultValidity
	}
	if validity < 0 {
		return nil, fmt.Errorf("certificate %q: negative validity %v", req.Name, validity)
	}
	tmpl.NotAfter = tmpl.NotBefore.Add(validity)
	if tmpl.NotAfter.After(c.cert.NotAfter) {
		return nil, fmt.Errorf("certificate %q would outlive the CA (until %s); shorten the validity", req.Name, c.cert.NotAfter.Format(time.DateOnly))
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	keyPEM, err := marshalKey(key)
	if err != nil {
		return nil, err
	}

	unlock, err := lockDir(c.dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	ix, err := readIndex(c.dir)
	if err != nil {
		return nil, err
	}
	if tmpl.SerialNumber, err = uniqueSerial(ix); err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, &key.PublicKey, c.key)
	if err != nil {
		return nil, err
	}
	rec := Record{
		Serial:    serialHex(tmpl.SerialNumber),
		Name:      req.Name,
		Kind:      req.Kind,
		Hosts:     append([]string(nil), req.Hosts...),
		NotBefore: tmpl.NotBefore.UTC().Truncate(time.Second),
		NotAfter:  tmpl.NotAfter.UTC().Truncate(time.Second),
	}
	ix.Certs = append(ix.Certs, rec)
	if err := writeIndex(c.dir, ix); err != nil {
		return nil, err
	}
	return &Issued{CertPEM: certPEM(der), KeyPEM: keyPEM, Record: rec}, nil
}

// WriteFiles writes NAME.crt (0644) and NAME.key (0600) into outDir,
// creating it with mode 0700 if missing and replacing older files
// atomically (renewal).
func WriteFiles(outDir, name string, certPEM, keyPEM []byte) error {
	if err := validName(name); err != nil {
		return fmt.Errorf("file name: %w", err)
	}
	if err := os.MkdirAll(outDir, 0o700); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(outDir, name+".key"), keyPEM, 0o600); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(outDir, name+".crt"), certPEM, 0o644)
}

func validName(s string) error {
	if s == "" || len(s) > 64 {
		return fmt.Errorf("%q: want 1 to 64 bytes", s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '-') {
			return fmt.Errorf("%q: use letters, digits, '.', '_' and '-', starting with a letter or digit", s)
		}
	}
	return nil
}

// validDNSName accepts LDH labels, with an optional leading "*." wildcard.
func validDNSName(s string) error {
	name := strings.TrimPrefix(s, "*.")
	if name == "" || len(s) > 253 {
		return fmt.Errorf("not a DNS name")
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("not a DNS name (bad label %q)", label)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("not a DNS name (character %q)", c)
			}
		}
	}
	return nil
}

// randomSerial is 127 random bits: positive, below 20 bytes (RFC 5280),
// and unguessable.
func randomSerial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

func uniqueSerial(ix *index) (*big.Int, error) {
	for {
		s, err := randomSerial()
		if err != nil {
			return nil, err
		}
		h := serialHex(s)
		if s.Sign() > 0 && !hasSerial(ix, h) {
			return s, nil
		}
	}
}

func hasSerial(ix *index, h string) bool {
	for _, r := range ix.Certs {
		if r.Serial == h {
			return true
		}
	}
	return false
}

func serialHex(s *big.Int) string { return s.Text(16) }
