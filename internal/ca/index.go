package ca

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"
)

// Kind is what a certificate is for.
type Kind uint8

const (
	Server Kind = iota + 1 // TLS server authentication; SANs from Request.Hosts
	Client                 // TLS client authentication; identity = subject CN
)

func (k Kind) String() string {
	switch k {
	case Server:
		return "server"
	case Client:
		return "client"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// ParseKind accepts "server" or "client".
func ParseKind(s string) (Kind, error) {
	switch s {
	case "server":
		return Server, nil
	case "client":
		return Client, nil
	}
	return 0, fmt.Errorf("unknown certificate kind %q (want server or client)", s)
}

func (k Kind) MarshalText() ([]byte, error) {
	if k != Server && k != Client {
		return nil, fmt.Errorf("invalid certificate kind %d", uint8(k))
	}
	return []byte(k.String()), nil
}

func (k *Kind) UnmarshalText(b []byte) error {
	v, err := ParseKind(string(b))
	*k = v
	return err
}

// Record describes one issued certificate, as kept in index.json.
type Record struct {
	Serial    string    `json:"serial"` // lowercase hex, no separators
	Name      string    `json:"name"`   // subject CN and file base name
	Kind      Kind      `json:"kind"`
	Hosts     []string  `json:"hosts,omitempty"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Revoked reports whether the certificate was revoked.
func (r Record) Revoked() bool { return !r.RevokedAt.IsZero() }

type index struct {
	Version   int      `json:"version"`
	CRLNumber int64    `json:"crl_number"`
	Certs     []Record `json:"certs"`
}

const indexVersion = 1

func readIndex(dir string) (*index, error) {
	b, err := readFileLimited(filepath.Join(dir, indexFile), maxIndexSize)
	if err != nil {
		return nil, err
	}
	var ix index
	if err := json.Unmarshal(b, &ix); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, indexFile), err)
	}
	if ix.Version != indexVersion {
		return nil, fmt.Errorf("%s: version %d, want %d", filepath.Join(dir, indexFile), ix.Version, indexVersion)
	}
	return &ix, nil
}

func writeIndex(dir string, ix *index) error {
	ix.Version = indexVersion
	if ix.Certs == nil {
		ix.Certs = []Record{}
	}
	b, err := json.MarshalIndent(ix, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, indexFile), append(b, '\n'), 0o600)
}

// List returns every certificate the CA in dir issued, oldest first. It
// needs only index.json, not the CA key.
func List(dir string) ([]Record, error) {
	ix, err := readIndex(dir)
	if err != nil {
		return nil, err
	}
	return ix.Certs, nil
}
