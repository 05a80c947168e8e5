package sshfront

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHostKeys: made once (0600, OpenSSH format), the same on every load;
// a key file others may read is refused.
func TestHostKeys(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "backup")
	first, err := LoadHostKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 || first[0].PublicKey().Type() != "ssh-ed25519" || first[1].PublicKey().Type() != "ssh-rsa" {
		t.Fatalf("host keys %v", first)
	}
	for _, name := range []string{HostKeyED25519, HostKeyRSA} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", name, fi, err)
		}
		b, _ := os.ReadFile(filepath.Join(dir, name))
		if !bytes.HasPrefix(b, []byte("-----BEGIN OPENSSH PRIVATE KEY-----")) {
			t.Errorf("%s is not in OpenSSH's format", name)
		}
	}
	again, err := LoadHostKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range first {
		if !bytes.Equal(first[i].PublicKey().Marshal(), again[i].PublicKey().Marshal()) {
			t.Fatal("host key changed between loads")
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("temporary files left: %v", entries)
	}
	os.Chmod(filepath.Join(dir, HostKeyRSA), 0o640)
	if _, err := LoadHostKeys(dir); err == nil || !strings.Contains(err.Error(), "others may read it") {
		t.Fatalf("group-readable key: %v", err)
	}
}
