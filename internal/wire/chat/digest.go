package chat

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
)

// Key is one client's shared secret (IVLE's "magic") and the name the
// server knows the client by.
type Key struct {
	Name  string
	Magic string
}

// MD5Digest is IVLE's digest: lowercase hex MD5 of the content's bytes
// followed by the magic's (the code's order, not the docs').
func MD5Digest(content, magic string) string {
	h := md5.New()
	h.Write([]byte(content))
	h.Write([]byte(magic))
	return hex.EncodeToString(h.Sum(nil))
}

// HMACDigest is the secure mode's digest: lowercase hex
// HMAC-SHA256(key = magic, message = nonce ‖ content), where nonce is the
// hex text the server sent on this connection.
func HMACDigest(nonce, content, magic string) string {
	h := hmac.New(sha256.New, []byte(magic))
	h.Write([]byte(nonce))
	h.Write([]byte(content))
	return hex.EncodeToString(h.Sum(nil))
}

// Match finds the key whose digest of content equals digest. Every key is
// tried and compared in constant time, so timing says neither how much of
// a digest was right nor which client matched. sign computes a key's digest
// (MD5Digest, or HMACDigest bound to the connection's nonce). It returns -1
// when no key matches.
func Match(keys []Key, digest string, sign func(magic string) string) int {
	found := -1
	for i, k := range keys {
		if subtle.ConstantTimeCompare([]byte(sign(k.Magic)), []byte(digest)) == 1 && found < 0 {
			found = i
		}
	}
	return found
}

// NewNonce is a fresh per-connection nonce: 16 random bytes in hex.
func NewNonce() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather than return an error)
	return hex.EncodeToString(b[:])
}
