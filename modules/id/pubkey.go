package id

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The SSH public key types a client may register: the Sugar shell's DSA
// key and what current OpenSSH makes.
const (
	keyTypeDSA      = "ssh-dss"
	keyTypeRSA      = "ssh-rsa"
	keyTypeECDSA256 = "ecdsa-sha2-nistp256"
	keyTypeECDSA384 = "ecdsa-sha2-nistp384"
	keyTypeECDSA521 = "ecdsa-sha2-nistp521"
	keyTypeED25519  = "ssh-ed25519"
)

// PubKey is a checked SSH public key.
type PubKey struct {
	Type string // "ssh-dss", "ssh-ed25519", ...
	Blob string // canonical base64 of the key blob, without the type prefix
}

// AuthorizedKey is the key as an authorized_keys line needs it.
func (k PubKey) AuthorizedKey() string { return k.Type + " " + k.Blob }

// strictBase64 is kept rather than built per call: Strict returns a
// pointer to a copy, which would cost an allocation every time.
var strictBase64 = base64.StdEncoding.Strict()

// stackBlobBytes is how much decoded blob ParsePubKey keeps on its stack:
// every DSA, ECDSA and ed25519 key and RSA keys up to 4096 bits; larger
// RSA keys take one heap buffer.
const stackBlobBytes = 1024

// ParsePubKey checks an SSH public key as clients send it: the bare base64
// blob (the Sugar shell strips "ssh-dss "), or a whole key line with its
// type prefix and optional comment (the SSK REST form passes it as-is).
// The blob must decode and parse as a key of an allowed type, and a prefix,
// when present, must name the blob's own type.
//
// It accepts and rejects exactly what x/crypto's ssh.ParsePublicKey plus
// the allowed-type check did (pubkey_fuzz_test.go holds it to that), but
// parses the wire format by hand: registration calls it on every request.
func ParsePubKey(s string) (PubKey, error) {
	if len(s) > MaxPubKeyBytes {
		return PubKey{}, reject("pubkey", "%d bytes long, at most %d allowed", len(s), MaxPubKeyBytes)
	}
	prefix, blob := splitKeyLine(s)
	if blob == "" {
		return PubKey{}, reject("pubkey", "empty")
	}
	var buf [stackBlobBytes]byte
	raw := buf[:]
	if n := strictBase64.DecodedLen(len(blob)); n > len(raw) {
		raw = make([]byte, n)
	}
	n, err := strictBase64.Decode(raw, []byte(blob))
	if err != nil {
		return PubKey{}, reject("pubkey", "not base64 (%v); send the key blob, e.g. the second word of id_dsa.pub", err)
	}
	raw = raw[:n]
	typ, err := parseKeyBlob(raw)
	switch {
	case err == errKeyTypeNotAccepted:
		return PubKey{}, reject("pubkey", "key type %s is not accepted (want ssh-dss, ssh-rsa, ecdsa-sha2-nistp256/384/521 or ssh-ed25519)", clip(typ))
	case err != nil:
		return PubKey{}, reject("pubkey", "not an SSH public key (%v)", err)
	}
	if prefix != "" && prefix != typ {
		return PubKey{}, reject("pubkey", "the line says %s but the key is %s", clip(prefix), typ)
	}
	// The uid hashes the canonical encoding, so that it is Sugar's for the
	// same key (ssh-keygen writes canonical base64) whatever the client
	// sent. A strictly decoded, padded blob without line breaks is already
	// canonical, which the length confirms; re-encoding is the safety net.
	if len(blob) != strictBase64.EncodedLen(n) {
		blob = base64.StdEncoding.EncodeToString(raw)
	}
	return PubKey{Type: typ, Blob: blob}, nil
}

// splitKeyLine picks the type prefix and the base64 blob out of a key
// line, splitting it into words as strings.Fields does: a lone word is the
// blob, as is a first word that starts like one ("AAAA", the length of a
// type name) with a comment after it; otherwise the first two words are
// prefix and blob.
func splitKeyLine(s string) (prefix, blob string) {
	first, rest := nextField(s)
	if strings.HasPrefix(first, "AAAA") {
		return "", first
	}
	second, _ := nextField(rest)
	if second == "" {
		return "", first
	}
	return first, second
}

// nextField returns the first run of non-space characters of s, space
// being unicode.IsSpace as in strings.Fields, and what follows the run.
// ASCII goes through a table: a blob is hundreds of base64 bytes.
func nextField(s string) (field, rest string) {
	start := 0
	for start < len(s) {
		r, size := runeAt(s, start)
		if !unicode.IsSpace(r) {
			break
		}
		start += size
	}
	end := start + printableRun(s[start:])
	for end < len(s) {
		if c := s[end]; c < utf8.RuneSelf {
			if asciiSpace[c] {
				break
			}
			end++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[end:])
		if unicode.IsSpace(r) {
			break
		}
		end += size
	}
	return s[start:end], s[end:]
}

// printableRun is how many leading bytes of s are, eight at a time, in
// 0x21-0x7f: ASCII that is not space. A base64 blob is all such bytes, so
// this skips most of it; nextField's loop looks at what is left.
func printableRun(s string) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	n := 0
	for rest := s; len(rest) >= 8; rest = rest[8:] {
		b := rest[:8] // one bounds check for the eight loads below
		w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		// A byte below 0x21 borrows into its high bit (the classic
		// "has less than" test); a byte from 0x80 up has it set already.
		if (w-0x21*ones)&^w&highs != 0 || w&highs != 0 {
			break
		}
		n += 8
	}
	return n
}

// asciiSpace is unicode.IsSpace below utf8.RuneSelf.
var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

func runeAt(s string, i int) (rune, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

// UIDOf returns the server-assigned id of a key: the lowercase hex sha1 of
// its base64 blob without the type prefix, which is also the Jabber account
// name Sugar derives from the same key.
func UIDOf(blob string) string {
	// sha1.Sum takes bytes, and converting a string of more than 32 bytes
	// allocates, so blobs of keys up to RSA 4096 are copied to the stack.
	var buf [stackBlobBytes * 4 / 3]byte
	if len(blob) <= len(buf) {
		return hexSHA1(buf[:copy(buf[:], blob)])
	}
	return hexSHA1([]byte(blob))
}

// uidOfUUID is the id of a client registered without a key (REST form,
// no backup): derived from its machine UUID, in a namespace that cannot
// collide with a key blob's hash since no blob starts with "uuid:".
func uidOfUUID(uuid string) string {
	return hexSHA1([]byte("uuid:" + strings.ToLower(uuid)))
}

// hexSHA1 is the lowercase hex sha1 of b, built on the stack so that the
// returned string is the only allocation.
func hexSHA1(b []byte) string {
	sum := sha1.Sum(b)
	var out [2 * sha1.Size]byte
	hex.Encode(out[:], sum[:])
	return string(out[:])
}
