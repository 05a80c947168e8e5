package lease

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// SaltLength is the PSS salt length bios-crypto signs with and its verifier
// insists on; a signature with any other salt length is rejected.
const SaltLength = 8

var pssOptions = &rsa.PSSOptions{SaltLength: SaltLength, Hash: crypto.SHA256}

// ErrBadSignature means a signature did not verify with the key it names.
var ErrBadSignature = errors.New("signature does not verify")

// Sign signs SHA-256(payload) with RSASSA-PSS (MGF1-SHA-256, salt 8) and
// returns the 512-character lowercase hex signature.
func Sign(k *PrivateKey, payload []byte) (string, error) {
	sum := sha256.Sum256(payload)
	sig, err := rsa.SignPSS(rand.Reader, k.rsa, crypto.SHA256, sum[:], pssOptions)
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	return hex.EncodeToString(sig), nil
}

// Verify checks a 512-character lowercase hex signature over payload,
// requiring the salt length to be exactly 8.
func Verify(k *PublicKey, payload []byte, sigHex string) error {
	if len(sigHex) != SigHexLen || !isLowerHex(sigHex) {
		return fmt.Errorf("signature: want %d lowercase hex characters", SigHexLen)
	}
	sig, err := hex.DecodeString(sigHex)
	if err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	sum := sha256.Sum256(payload)
	if err := rsa.VerifyPSS(k.rsa, crypto.SHA256, sum[:], sig, pssOptions); err != nil {
		return ErrBadSignature
	}
	return nil
}
