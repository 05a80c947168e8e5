package id

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"golang.org/x/crypto/ssh"
)

// allowedKeyTypes are the SSH public key types a client may register: the
// Sugar shell's DSA key and what current OpenSSH makes.
var allowedKeyTypes = map[string]bool{
	ssh.KeyAlgoDSA:      true,
	ssh.KeyAlgoRSA:      true,
	ssh.KeyAlgoECDSA256: true,
	ssh.KeyAlgoECDSA384: true,
	ssh.KeyAlgoECDSA521: true,
	ssh.KeyAlgoED25519:  true,
}

// PubKey is a checked SSH public key.
type PubKey struct {
	Type string // "ssh-dss", "ssh-ed25519", ...
	Blob string // canonical base64 of the key blob, without the type prefix
}

// AuthorizedKey is the key as an authorized_keys line needs it.
func (k PubKey) AuthorizedKey() string { return k.Type + " " + k.Blob }

// ParsePubKey checks an SSH public key as clients send it: the bare base64
// blob (the Sugar shell strips "ssh-dss "), or a whole key line with its
// type prefix and optional comment (the SSK REST form passes it as-is).
// The blob must decode and parse as a key of an allowed type, and a prefix,
// when present, must name the blob's own type.
func ParsePubKey(s string) (PubKey, error) {
	if len(s) > MaxPubKeyBytes {
		return PubKey{}, reject("pubkey", "%d bytes long, at most %d allowed", len(s), MaxPubKeyBytes)
	}
	fields := strings.Fields(s)
	var prefix, blob string
	switch {
	case len(fields) == 0:
		return PubKey{}, reject("pubkey", "empty")
	case len(fields) == 1:
		blob = fields[0]
	case strings.HasPrefix(fields[0], "AAAA"):
		// A bare blob followed by a comment.
		blob = fields[0]
	default:
		prefix, blob = fields[0], fields[1]
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(blob)
	if err != nil {
		return PubKey{}, reject("pubkey", "not base64 (%v); send the key blob, e.g. the second word of id_dsa.pub", err)
	}
	key, err := ssh.ParsePublicKey(raw)
	if err != nil {
		return PubKey{}, reject("pubkey", "not an SSH public key (%s)", strings.TrimPrefix(err.Error(), "ssh: "))
	}
	typ := key.Type()
	if !allowedKeyTypes[typ] {
		return PubKey{}, reject("pubkey", "key type %s is not accepted (want ssh-dss, ssh-rsa, ecdsa-sha2-nistp256/384/521 or ssh-ed25519)", clip(typ))
	}
	if prefix != "" && prefix != typ {
		return PubKey{}, reject("pubkey", "the line says %s but the key is %s", clip(prefix), typ)
	}
	// Hash the canonical encoding so that the uid is Sugar's for the same
	// key (ssh-keygen writes canonical base64) whatever the client sent.
	return PubKey{Type: typ, Blob: base64.StdEncoding.EncodeToString(raw)}, nil
}

// UIDOf returns the server-assigned id of a key: the lowercase hex sha1 of
// its base64 blob without the type prefix, which is also the Jabber account
// name Sugar derives from the same key.
func UIDOf(blob string) string {
	sum := sha1.Sum([]byte(blob))
	return hex.EncodeToString(sum[:])
}

// uidOfUUID is the id of a client registered without a key (REST form,
// no backup): derived from its machine UUID, in a namespace that cannot
// collide with a key blob's hash since no blob starts with "uuid:".
func uidOfUUID(uuid string) string {
	sum := sha1.Sum([]byte("uuid:" + strings.ToLower(uuid)))
	return hex.EncodeToString(sum[:])
}
