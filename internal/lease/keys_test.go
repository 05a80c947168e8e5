package lease

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyPairSaveLoad(t *testing.T) {
	k := masterKey()
	base := filepath.Join(t.TempDir(), "lease")
	if err := SaveKeyPair(base, k); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(base + ".private")
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf(".private mode %04o, want 0600", st.Mode().Perm())
	}
	pub, _ := os.ReadFile(base + ".public")
	if len(pub) != PublicKeyDERSize {
		t.Errorf(".public is %d bytes, want %d", len(pub), PublicKeyDERSize)
	}
	got, err := LoadKeyPair(base)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Public().Equal(k.Public()) || !bytes.Equal(got.DER(), k.DER()) {
		t.Fatal("loaded key differs from saved key")
	}
	if err := SaveKeyPair(base, k); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second save: %v, want refusal to overwrite", err)
	}
}

func TestLoadPrivateKeyRefusesOpenPermissions(t *testing.T) {
	dir := t.TempDir()
	for _, perm := range []os.FileMode{0o640, 0o604, 0o660, 0o644} {
		p := writeFile(t, dir, "k.private", masterKey().DER(), 0o600)
		if err := os.Chmod(p, perm); err != nil {
			t.Fatal(err)
		}
		_, err := LoadPrivateKey(p)
		if err == nil || !strings.Contains(err.Error(), "group/others") {
			t.Errorf("mode %04o: %v, want a refusal", perm, err)
		}
		os.Remove(p)
	}
}

func TestKeyIDAndKey01(t *testing.T) {
	pub := masterKey().Public()
	der := pub.DER()
	if pub.KeyID() != hex.EncodeToString(der[len(der)-32:]) {
		t.Error("keyid is not the hex of the last 32 bytes")
	}
	if !strings.HasSuffix(pub.KeyID(), "0203010001") {
		t.Errorf("keyid %s should end in 0203010001 (e=65537)", pub.KeyID())
	}
	if line := pub.Key01(); line != "key01: "+hex.EncodeToString(der)+"\n" || len(line) != 7+540+1 {
		t.Errorf("key01 line wrong: %q", line)
	}
	for _, in := range []string{pub.Key01(), strings.TrimSuffix(pub.Key01(), "\n")} {
		k, err := ParseTrustedKey([]byte(in))
		if err != nil || !k.Equal(pub) {
			t.Errorf("ParseTrustedKey(key01) = %v", err)
		}
	}
	k, err := ParseTrustedKey(der)
	if err != nil || !k.Equal(pub) {
		t.Errorf("ParseTrustedKey(DER) = %v", err)
	}
}

func TestParseKeyRejects(t *testing.T) {
	der := masterKey().Public().DER()
	bad := map[string][]byte{
		"truncated DER":  der[:len(der)-1],
		"trailing byte":  append(append([]byte(nil), der...), 0),
		"not DER":        bytes.Repeat([]byte{0x30}, PublicKeyDERSize),
		"key01 upper":    []byte("key01: " + strings.ToUpper(hex.EncodeToString(der)) + "\n"),
		"key01 short":    []byte("key01: " + hex.EncodeToString(der[1:]) + "\n"),
		"key01 two nl":   []byte("key01: " + hex.EncodeToString(der) + "\n\n"),
		"key01 no space": []byte("key01:" + hex.EncodeToString(der) + "\n"),
	}
	for name, b := range bad {
		if _, err := ParseTrustedKey(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ParsePrivateKeyDER([]byte("nope")); err == nil {
		t.Error("garbage private key accepted")
	}
}
