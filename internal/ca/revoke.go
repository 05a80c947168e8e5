package ca

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"path/filepath"
	"time"
)

// CRLValidity is the NextUpdate horizon of crl.pem. Other TLS stacks
// refuse an expired CRL, so it is long, and rewritten on every revocation
// and by WriteCRL.
const CRLValidity = 365 * 24 * time.Hour

// Revoke revokes every unrevoked certificate named name and returns the
// revoked records. It is an error if there is none.
func (c *CA) Revoke(name string) ([]Record, error) {
	return c.revoke(func(r Record) bool { return r.Name == name }, "named "+name)
}

// RevokeSerial revokes the certificate with the given serial (lowercase
// hex, as in Record.Serial).
func (c *CA) RevokeSerial(serial string) (Record, error) {
	recs, err := c.revoke(func(r Record) bool { return r.Serial == serial }, "with serial "+serial)
	if err != nil {
		return Record{}, err
	}
	return recs[0], nil
}

func (c *CA) revoke(match func(Record) bool, what string) ([]Record, error) {
	unlock, err := lockDir(c.dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	ix, err := readIndex(c.dir)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	var done []Record
	for i := range ix.Certs {
		if r := &ix.Certs[i]; match(*r) && !r.Revoked() {
			r.RevokedAt = now
			done = append(done, *r)
		}
	}
	if len(done) == 0 {
		return nil, fmt.Errorf("no unrevoked certificate %s", what)
	}
	if err := c.saveWithCRL(ix, now); err != nil {
		return nil, err
	}
	return done, nil
}

// WriteCRL regenerates crl.pem from index.json (e.g. from a daily job, so
// the CRL never expires for other software).
func (c *CA) WriteCRL() error {
	unlock, err := lockDir(c.dir)
	if err != nil {
		return err
	}
	defer unlock()
	ix, err := readIndex(c.dir)
	if err != nil {
		return err
	}
	return c.saveWithCRL(ix, time.Now())
}

// saveWithCRL writes the index, then a CRL matching it. The index is the
// truth the Checker reads, so it goes first; the CRL is a copy for other
// software, and a failure to write it is reported as such.
func (c *CA) saveWithCRL(ix *index, now time.Time) error {
	crl, err := c.signCRL(ix, now)
	if err != nil {
		return err
	}
	if err := writeIndex(c.dir, ix); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(c.dir, crlFile), crl, 0o644); err != nil {
		return fmt.Errorf("index updated, but %s not: %w", crlFile, err)
	}
	return nil
}

// signCRL returns a PEM CRL of every revoked record and bumps
// ix.CRLNumber; the caller holds the lock and saves the index.
func (c *CA) signCRL(ix *index, now time.Time) ([]byte, error) {
	ix.CRLNumber++
	tmpl := &x509.RevocationList{
		Number:     big.NewInt(ix.CRLNumber),
		ThisUpdate: now.Add(-clockSkew),
		NextUpdate: now.Add(CRLValidity),
	}
	for _, r := range ix.Certs {
		if !r.Revoked() {
			continue
		}
		serial, ok := new(big.Int).SetString(r.Serial, 16)
		if !ok {
			return nil, fmt.Errorf("%s: bad serial %q", indexFile, r.Serial)
		}
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: serial, RevocationTime: r.RevokedAt})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, c.cert, c.key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}), nil
}
