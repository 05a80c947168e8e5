package lease

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// maxKeyFileSize bounds key file reads: a 2048-bit DER private key is about
// 1.2 KB and a key01 line 548 bytes.
const maxKeyFileSize = 16 << 10

// SavePrivateKey writes k's .private file (DER PKCS#1) with mode 0600. It
// refuses to overwrite an existing file: losing a signing key silently is
// worse than an error.
func SavePrivateKey(path string, k *PrivateKey) error {
	return writeNewFile(path, k.DER(), 0o600)
}

// SavePublicKey writes k's .public file (DER PKCS#1, 270 bytes), mode 0644,
// refusing to overwrite an existing file.
func SavePublicKey(path string, k *PublicKey) error {
	return writeNewFile(path, k.der, 0o644)
}

// SaveKeyPair writes base.private and base.public, the bios-crypto naming.
func SaveKeyPair(base string, k *PrivateKey) error {
	if err := SavePrivateKey(base+".private", k); err != nil {
		return err
	}
	if err := SavePublicKey(base+".public", k.pub); err != nil {
		return err
	}
	return nil
}

// LoadPrivateKey reads a .private file. It refuses a file that group or
// others may read or write, like ssh does, so a leaked key is noticed.
func LoadPrivateKey(path string) (*PrivateKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("private key %s: not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("private key %s: permissions %04o let group/others access it; run chmod 600 %s", path, perm, path)
	}
	der, err := readAllLimit(f, maxKeyFileSize, "private key "+path)
	if err != nil {
		return nil, err
	}
	k, err := ParsePrivateKeyDER(der)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// LoadPublicKey reads a trusted key file: a DER .public file or a key01 line.
func LoadPublicKey(path string) (*PublicKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	defer f.Close()
	b, err := readAllLimit(f, maxKeyFileSize, "public key "+path)
	if err != nil {
		return nil, err
	}
	k, err := ParseTrustedKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// LoadKeyPair reads base.private and base.public and checks they match.
func LoadKeyPair(base string) (*PrivateKey, error) {
	priv, err := LoadPrivateKey(base + ".private")
	if err != nil {
		return nil, err
	}
	pub, err := LoadPublicKey(base + ".public")
	if err != nil {
		return nil, err
	}
	if !pub.Equal(priv.pub) {
		return nil, fmt.Errorf("%s.public does not belong to %s.private", base, base)
	}
	return priv, nil
}

// writeNewFile creates path exclusively, writes b, syncs and closes it; on
// any failure it removes the partial file.
func writeNewFile(path string, b []byte, perm fs.FileMode) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists; refusing to overwrite a key", path)
		}
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(path)
		}
	}()
	if _, err = f.Write(b); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	return f.Close()
}
