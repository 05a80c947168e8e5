package id

import (
	"encoding/base64"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// xcryptoParsePubKey is ParsePubKey as it was before the hand-written
// parser: x/crypto's ssh.ParsePublicKey, the allowed-type check and the
// prefix check. It is the reference the parser must agree with.
func xcryptoParsePubKey(s string) (PubKey, bool) {
	if len(s) > MaxPubKeyBytes {
		return PubKey{}, false
	}
	fields := strings.Fields(s)
	var prefix, blob string
	switch {
	case len(fields) == 0:
		return PubKey{}, false
	case len(fields) == 1:
		blob = fields[0]
	case strings.HasPrefix(fields[0], "AAAA"):
		blob = fields[0]
	default:
		prefix, blob = fields[0], fields[1]
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(blob)
	if err != nil {
		return PubKey{}, false
	}
	key, err := ssh.ParsePublicKey(raw)
	if err != nil {
		return PubKey{}, false
	}
	typ := key.Type()
	switch typ {
	case ssh.InsecureKeyAlgoDSA, ssh.KeyAlgoRSA, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521, ssh.KeyAlgoED25519:
	default:
		return PubKey{}, false
	}
	if prefix != "" && prefix != typ {
		return PubKey{}, false
	}
	return PubKey{Type: typ, Blob: base64.StdEncoding.EncodeToString(raw)}, true
}

// checkAgainstXCrypto fails t when ParsePubKey and the x/crypto reference
// disagree about s.
func checkAgainstXCrypto(t *testing.T, s string) {
	t.Helper()
	want, wantOK := xcryptoParsePubKey(s)
	got, err := ParsePubKey(s)
	switch {
	case err == nil && !wantOK:
		t.Errorf("%.80q: accepted as %s, x/crypto rejects it", s, got.Type)
	case err != nil && wantOK:
		t.Errorf("%.80q: %v; x/crypto accepts it as %s", s, err, want.Type)
	case err != nil && !strings.HasPrefix(err.Error(), "pubkey: "):
		t.Errorf("%.80q: error %q does not name the field", s, err)
	case got != want:
		t.Errorf("%.80q: got %+v, x/crypto %+v", s, got, want)
	}
}

// FuzzParsePubKeyMatchesXCrypto holds ParsePubKey to x/crypto: for every
// input both accept or both reject, with the same Type and Blob. Each
// input is tried as a key line (prefix + base64 of blob + suffix) and as
// raw text (prefix + blob + suffix), so that the fuzzer explores both the
// wire format and the line splitting and base64.
func FuzzParsePubKeyMatchesXCrypto(f *testing.F) {
	blobs := append(generatedKeyBlobs(f), sshKeygenBlobs(f)...)
	blobs = append(blobs, craftedKeyBlobs(blobs[0])...)
	for _, raw := range blobs {
		typ := ""
		if algo, _, ok := readString(raw); ok {
			typ = string(algo)
		}
		f.Add("", raw, "")
		f.Add(typ+" ", raw, " comment")
		f.Add("ssh-rsa ", raw, "")
		if len(raw) > 0 {
			f.Add("", raw[:len(raw)-1], "")
			f.Add("", raw[:len(raw)/2], "")
			f.Add("", append(raw[:len(raw):len(raw)], 0), "")
			mutated := append([]byte(nil), raw...)
			mutated[len(mutated)-1] ^= 0x01
			f.Add("", mutated, "")
			enc := base64.StdEncoding.EncodeToString(raw)
			f.Add(" \t", []byte(enc), "\n")
			f.Add("", []byte(strings.TrimRight(enc, "=")), "")
			f.Add("", []byte(enc[:len(enc)-1]+"B"), "")
			f.Add(typ+"\u00a0", []byte(enc), "\u2028x")
			f.Add("", []byte(enc[:4]+"\r\n"+enc[4:]), "")
		}
	}
	f.Add("", []byte("AAAA"), "")
	f.Add("", []byte("!!!"), "")
	f.Add("", []byte("AAAAB3NzaC1kc3MAAACBAexample"), "")
	f.Add("", []byte(strings.Repeat("A", MaxPubKeyBytes+1)), "")
	f.Fuzz(func(t *testing.T, prefix string, blob []byte, suffix string) {
		checkAgainstXCrypto(t, prefix+base64.StdEncoding.EncodeToString(blob)+suffix)
		checkAgainstXCrypto(t, prefix+string(blob)+suffix)
		// And the blob alone against ssh.ParsePublicKey.
		typ, err := parseKeyBlob(blob)
		key, xerr := ssh.ParsePublicKey(blob)
		if (err == nil) != (xerr == nil) && !(err == errKeyTypeNotAccepted && xerr == nil) {
			t.Errorf("blob %x: %v; x/crypto %v", blob, err, xerr)
		}
		if err == nil && key.Type() != typ {
			t.Errorf("blob %x: type %s, x/crypto %s", blob, typ, key.Type())
		}
	})
}

// Real keys of every allowed type parse, keep their blob and agree with
// x/crypto in the line forms clients send; certificates are refused.
func TestParsePubKeyMatchesXCryptoOnRealKeys(t *testing.T) {
	for _, raw := range append(generatedKeyBlobs(t), sshKeygenBlobs(t)...) {
		s := base64.StdEncoding.EncodeToString(raw)
		k, err := ParsePubKey(s)
		typ, _, _ := readString(raw)
		if strings.Contains(string(typ), "cert") {
			if err == nil {
				t.Errorf("certificate %s accepted", typ)
			}
			continue
		}
		if err != nil || k.Blob != s || k.Type != string(typ) {
			t.Errorf("%s: %+v %v", typ, k, err)
		}
		checkAgainstXCrypto(t, s)
		checkAgainstXCrypto(t, string(typ)+" "+s+" me@host")
	}
}
