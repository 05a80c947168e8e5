package id

import (
	"bytes"
	"crypto/ecdh"
	"encoding/binary"
	"errors"
	"fmt"
)

// The SSH wire format of a public key blob (RFC 4253 §6.6, RFC 5656 §3.1,
// RFC 8709 §4): a type name string, then the type's fields, each a uint32
// length and that many bytes. Every check below mirrors one that x/crypto's
// ssh.ParsePublicKey (ssh/keys.go, v0.58.0) makes for the same type, in the
// same order and with the same wording, so that a key is accepted here
// exactly when it was accepted there; what differs is that nothing is
// reflected upon, copied or turned into a big.Int.

var (
	errShortRead          = errors.New("short read")
	errTrailingJunk       = errors.New("trailing junk in public key")
	errKeyTypeNotAccepted = errors.New("key type not accepted")
)

// parseKeyBlob checks an SSH public key blob and returns its type. A blob
// of a type outside the allowed ones fails with errKeyTypeNotAccepted and
// its type name, whether or not the rest of it would parse.
func parseKeyBlob(in []byte) (typ string, err error) {
	algo, in, ok := readString(in)
	if !ok {
		return "", errShortRead
	}
	switch string(algo) {
	case keyTypeDSA:
		typ, err = keyTypeDSA, checkDSA(in)
	case keyTypeRSA:
		typ, err = keyTypeRSA, checkRSA(in)
	case keyTypeECDSA256:
		typ, err = keyTypeECDSA256, checkECDSA(in, keyTypeECDSA256, ecdh.P256())
	case keyTypeECDSA384:
		typ, err = keyTypeECDSA384, checkECDSA(in, keyTypeECDSA384, ecdh.P384())
	case keyTypeECDSA521:
		typ, err = keyTypeECDSA521, checkECDSA(in, keyTypeECDSA521, ecdh.P521())
	case keyTypeED25519:
		typ, err = keyTypeED25519, checkED25519(in)
	default:
		return string(algo), errKeyTypeNotAccepted
	}
	if err != nil {
		return "", err
	}
	return typ, nil
}

// readString splits off one length-prefixed string.
func readString(in []byte) (s, rest []byte, ok bool) {
	if len(in) < 4 {
		return nil, nil, false
	}
	n := binary.BigEndian.Uint32(in)
	in = in[4:]
	if uint64(n) > uint64(len(in)) {
		return nil, nil, false
	}
	return in[:n], in[n:], true
}

// readFields splits in into len(out) strings, as x/crypto's ssh.Unmarshal
// does for a struct of []byte, string and *big.Int fields, which all read
// one length-prefixed string. The key parsers then refuse anything left
// over as trailing junk. The fields come back in an array, not through
// pointers, so that escape analysis sees nothing of in leave the stack.
func readFields(in []byte, n int) (out [4][]byte, rest []byte, err error) {
	for i := range n {
		var ok bool
		if out[i], in, ok = readString(in); !ok {
			return out, nil, errShortRead
		}
	}
	return out, in, nil
}

// checkRSA: mpint e, mpint n (RFC 4253 §6.6).
func checkRSA(in []byte) error {
	f, rest, err := readFields(in, 2)
	if err != nil {
		return err
	}
	e, n := f[0], f[1]
	// OpenSSH makes keys of at most 16384 bits; a larger modulus would
	// only cost the verifier time.
	if mpBitLen(n) > 16384 {
		return errors.New("rsa modulus too large")
	}
	if mpBitLen(e) > 24 {
		return errors.New("exponent too large")
	}
	if v := mpSmall(e); v < 3 || v&1 == 0 {
		return errors.New("incorrect exponent")
	}
	return noTrailing(rest)
}

// checkDSA: mpint p, q, g, y (RFC 4253 §6.6), FIPS 186-2 sizes.
func checkDSA(in []byte) error {
	f, rest, err := readFields(in, 4)
	if err != nil {
		return err
	}
	p, q, g, y := f[0], f[1], f[2], f[3]
	if l := mpBitLen(p); l != 1024 {
		return fmt.Errorf("unsupported DSA key size %d", l)
	}
	if l := mpBitLen(q); l != 160 {
		return fmt.Errorf("unsupported DSA sub-prime size %d", l)
	}
	if mpCmp(g, p) >= 0 {
		return errors.New("DSA generator larger than modulus")
	}
	if mpSign(g) <= 0 {
		return errors.New("DSA generator must be positive")
	}
	if mpSign(y) <= 0 || mpCmp(y, p) >= 0 {
		return errors.New("DSA public value Y out of range")
	}
	return noTrailing(rest)
}

// checkECDSA: string curve name, string Q (RFC 5656 §3.1); the name must
// be the one the type promises, and Q an uncompressed point on the curve.
func checkECDSA(in []byte, typ string, curve ecdh.Curve) error {
	f, rest, err := readFields(in, 2)
	if err != nil {
		return err
	}
	name, point := string(f[0]), f[1]
	const family = "ecdsa-sha2-"
	if name != typ[len(family):] {
		return fmt.Errorf("algorithm type mismatch: expected %q, found curve %q (type %q)", typ, name, family+name)
	}
	// crypto/ecdh makes the same check as the elliptic.Unmarshal that
	// x/crypto calls: a 0x04 prefix, then nistec's SetBytes (length,
	// coordinates below p, on the curve). It keeps its argument, which
	// would move the whole decode buffer to the heap, hence the clone.
	if _, err := curve.NewPublicKey(bytes.Clone(point)); err != nil {
		return errors.New("invalid curve point")
	}
	return noTrailing(rest)
}

// checkED25519: string key of 32 bytes (RFC 8709 §4).
func checkED25519(in []byte) error {
	f, rest, err := readFields(in, 1)
	if err != nil {
		return err
	}
	key := f[0]
	if len(key) != 32 {
		return fmt.Errorf("invalid size %d for Ed25519 public key", len(key))
	}
	return noTrailing(rest)
}

func noTrailing(rest []byte) error {
	if len(rest) > 0 {
		return errTrailingJunk
	}
	return nil
}
