package sshfront

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
)

// Host key files, in DATA-DIR/backup. RSA is for old clients: the OpenSSH
// of OLPC's last builds (6.x) predates ed25519 and checks host keys with
// ssh-rsa; current clients pick ed25519.
const (
	HostKeyRSA     = "ssh_host_rsa_key"
	HostKeyED25519 = "ssh_host_ed25519_key"
	rsaHostBits    = 3072
)

// LoadHostKeys reads the endpoint's host keys from dir, making the missing
// ones (mode 0600). A key file that others may read is refused.
func LoadHostKeys(dir string) ([]ssh.Signer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("backup SSH host keys: %w", err)
	}
	var out []ssh.Signer
	for _, name := range []string{HostKeyED25519, HostKeyRSA} {
		s, err := loadOrMake(filepath.Join(dir, name), name)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func loadOrMake(path, name string) (ssh.Signer, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := makeHostKey(path, name); err != nil {
			return nil, fmt.Errorf("backup SSH host key %s: %w", path, err)
		}
		fi, err = os.Stat(path)
	}
	if err != nil {
		return nil, fmt.Errorf("backup SSH host key: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("backup SSH host key %s has mode %v: others may read it (chmod 600 it)", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("backup SSH host key: %w", err)
	}
	s, err := ssh.ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("backup SSH host key %s: %w", path, err)
	}
	return s, nil
}

// makeHostKey writes a new key in OpenSSH's format: to a temporary file
// made 0600, then linked into place, so a reader never sees half a key and
// two processes never both write one.
func makeHostKey(path, name string) error {
	var key crypto.Signer
	var err error
	if name == HostKeyRSA {
		key, err = rsa.GenerateKey(rand.Reader, rsaHostBits)
	} else {
		_, key, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		return err
	}
	block, err := ssh.MarshalPrivateKey(key, "aula backup endpoint")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+name+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := pem.Encode(tmp, block); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}
