package lease

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Key shape fixed by the XO firmware and bios-crypto.
const (
	KeyBits          = 2048
	KeyExponent      = 65537
	PublicKeyDERSize = 270 // DER PKCS#1 RSAPublicKey of a 2048-bit key, e=65537
	key01Prefix      = "key01: "
)

// PublicKey is a lease-signing public key together with its exact .public
// bytes, from which its keyid and full-key hex are derived.
type PublicKey struct {
	rsa *rsa.PublicKey
	der []byte
}

// PrivateKey is a lease-signing private key and its public half.
type PrivateKey struct {
	rsa *rsa.PrivateKey
	pub *PublicKey
}

// GenerateKey makes a new RSA-2048, e=65537 key pair from crypto/rand.
func GenerateKey() (*PrivateKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		return nil, fmt.Errorf("generate RSA-%d key: %w", KeyBits, err)
	}
	return NewPrivateKey(k)
}

// NewPrivateKey wraps k after checking it has the shape XOs accept.
func NewPrivateKey(k *rsa.PrivateKey) (*PrivateKey, error) {
	pub, err := NewPublicKey(&k.PublicKey)
	if err != nil {
		return nil, err
	}
	return &PrivateKey{rsa: k, pub: pub}, nil
}

// NewPublicKey wraps k after checking it is RSA-2048 with e=65537.
func NewPublicKey(k *rsa.PublicKey) (*PublicKey, error) {
	if k == nil || k.N == nil {
		return nil, errors.New("public key: missing modulus")
	}
	if k.N.BitLen() != KeyBits {
		return nil, fmt.Errorf("public key: modulus is %d bits, want %d", k.N.BitLen(), KeyBits)
	}
	if k.E != KeyExponent {
		return nil, fmt.Errorf("public key: exponent is %d, want %d", k.E, KeyExponent)
	}
	der := x509.MarshalPKCS1PublicKey(k)
	if len(der) != PublicKeyDERSize {
		return nil, fmt.Errorf("public key: DER is %d bytes, want %d", len(der), PublicKeyDERSize)
	}
	return &PublicKey{rsa: k, der: der}, nil
}

// ParsePublicKeyDER parses the contents of a .public file (DER PKCS#1
// RSAPublicKey). The bytes must be the canonical encoding, so the keyid
// computed from them is the one every other tool computes.
func ParsePublicKeyDER(der []byte) (*PublicKey, error) {
	if len(der) != PublicKeyDERSize {
		return nil, fmt.Errorf("public key: DER is %d bytes, want %d (RSA-2048 PKCS#1)", len(der), PublicKeyDERSize)
	}
	k, err := x509.ParsePKCS1PublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("public key: not DER PKCS#1 RSAPublicKey: %w", err)
	}
	pub, err := NewPublicKey(k)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(pub.der, der) {
		return nil, errors.New("public key: DER is not in canonical form")
	}
	return pub, nil
}

// ParseFullKey parses a full key as carried on chained lease lines: the
// 540 lowercase hex characters of a whole .public file.
func ParseFullKey(hexKey string) (*PublicKey, error) {
	if len(hexKey) != FullKeyHexLen || !isLowerHex(hexKey) {
		return nil, fmt.Errorf("full key: want %d lowercase hex characters", FullKeyHexLen)
	}
	der, err := hex.DecodeString(hexKey)
	if err != nil {
		return nil, fmt.Errorf("full key: %w", err)
	}
	return ParsePublicKeyDER(der)
}

// ParseKey01 parses a "key01: <fullkey>" line, with or without its "\n".
func ParseKey01(line string) (*PublicKey, error) {
	rest, ok := strings.CutPrefix(line, key01Prefix)
	if !ok {
		return nil, errors.New(`key01 line: must start with "key01: "`)
	}
	rest = strings.TrimSuffix(rest, "\n")
	k, err := ParseFullKey(rest)
	if err != nil {
		return nil, fmt.Errorf("key01 line: %w", err)
	}
	return k, nil
}

// ParseTrustedKey parses a trusted (master) key given either as the bytes of
// a DER .public file or as a key01 line.
func ParseTrustedKey(b []byte) (*PublicKey, error) {
	if bytes.HasPrefix(b, []byte(key01Prefix)) {
		return ParseKey01(string(b))
	}
	return ParsePublicKeyDER(b)
}

// ParsePrivateKeyDER parses the contents of a .private file (DER PKCS#1
// RSAPrivateKey, what openssl writes with -outform DER -traditional).
func ParsePrivateKeyDER(der []byte) (*PrivateKey, error) {
	k, err := x509.ParsePKCS1PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("private key: not DER PKCS#1 RSAPrivateKey: %w", err)
	}
	return NewPrivateKey(k)
}

// RSA returns the underlying key; callers must not modify it.
func (k *PublicKey) RSA() *rsa.PublicKey { return k.rsa }

// DER returns a copy of the .public file bytes.
func (k *PublicKey) DER() []byte { return bytes.Clone(k.der) }

// KeyID is the lowercase hex of the last 32 bytes of the .public file.
func (k *PublicKey) KeyID() string { return hex.EncodeToString(k.der[len(k.der)-32:]) }

// FullKey is the lowercase hex of the whole .public file (540 characters).
func (k *PublicKey) FullKey() string { return hex.EncodeToString(k.der) }

// Key01 is the key01 line: "key01: " + FullKey() + "\n".
func (k *PublicKey) Key01() string { return key01Prefix + k.FullKey() + "\n" }

// Equal reports whether both keys have the same .public bytes.
func (k *PublicKey) Equal(o *PublicKey) bool {
	return k != nil && o != nil && bytes.Equal(k.der, o.der)
}

// Public returns the public half.
func (k *PrivateKey) Public() *PublicKey { return k.pub }

// RSA returns the underlying key; callers must not modify it.
func (k *PrivateKey) RSA() *rsa.PrivateKey { return k.rsa }

// DER returns the .private file bytes (DER PKCS#1).
func (k *PrivateKey) DER() []byte { return x509.MarshalPKCS1PrivateKey(k.rsa) }

// readAllLimit reads at most limit bytes and fails if there is more, so a
// wrong path (a device, a huge file) cannot exhaust memory.
func readAllLimit(r io.Reader, limit int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", what, limit)
	}
	return b, nil
}
