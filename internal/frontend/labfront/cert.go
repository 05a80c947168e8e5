package labfront

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"aula/internal/ca"
)

// serverName is the CN of the listener's own certificate.
const serverName = "lab-server"

// serverCert loads the listener's certificate from dir, issuing it from
// the CA when it is missing, names other hosts, or ends within 30 days.
// The chain presented includes the CA certificate, so an agent enrolling
// with a pinned token can check the CA it will keep.
func serverCert(caDir, dir string, hosts []string) (tls.Certificate, error) {
	if len(hosts) == 0 {
		hosts = []string{"localhost", "127.0.0.1", "::1"}
		if h, err := os.Hostname(); err == nil && h != "" && h != "localhost" {
			hosts = append(hosts, h)
		}
	}
	hosts = slices.Clone(hosts)
	sort.Strings(hosts)
	crt, key := filepath.Join(dir, serverName+".crt"), filepath.Join(dir, serverName+".key")
	caPEM, err := os.ReadFile(filepath.Join(caDir, "ca.crt"))
	if err != nil {
		return tls.Certificate{}, err
	}
	if c, err := tls.LoadX509KeyPair(crt, key); err == nil && current(c, hosts) {
		return withCA(c, caPEM)
	}
	auth, err := ca.Open(caDir)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("issuing the listener's certificate: %w", err)
	}
	is, err := auth.Issue(ca.Request{Name: serverName, Kind: ca.Server, Hosts: hosts})
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("issuing the listener's certificate: %w", err)
	}
	if err := ca.WriteFiles(dir, serverName, is.CertPEM, is.KeyPEM); err != nil {
		return tls.Certificate{}, err
	}
	c, err := tls.X509KeyPair(is.CertPEM, is.KeyPEM)
	if err != nil {
		return tls.Certificate{}, err
	}
	return withCA(c, caPEM)
}

// current reports whether a stored certificate still fits.
func current(c tls.Certificate, hosts []string) bool {
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil || time.Until(leaf.NotAfter) < 30*24*time.Hour {
		return false
	}
	var have []string
	have = append(have, leaf.DNSNames...)
	for _, ip := range leaf.IPAddresses {
		have = append(have, ip.String())
	}
	want := make([]string, 0, len(hosts))
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			h = ip.String()
		}
		want = append(want, h)
	}
	sort.Strings(have)
	sort.Strings(want)
	return slices.Equal(have, want)
}

func withCA(c tls.Certificate, caPEM []byte) (tls.Certificate, error) {
	blk, _ := pem.Decode(caPEM)
	if blk == nil {
		return c, errors.New("ca.crt is not PEM")
	}
	c.Certificate = append(c.Certificate[:1:1], blk.Bytes)
	return c, nil
}
