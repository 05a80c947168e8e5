package lease

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// Spec §6 payloads, built by the shell, independently of our Go code.
const (
	payloadV1     = `printf '%s' "$SN:$UUID:K:$EXP"`
	payloadV2     = `printf '%s' "$SN:$SIGEXP:$SN:$UUID:K:$EXP"`
	payloadDeleg  = `printf '%s:%s:key01: %s\n' "$SN" "$DELEXP" "$FULLKEYHEX"`
	payloadRTC    = `printf '%s' "$SN:$UUID:$CUR:$NONCE:$NEW"`
	payloadRTCv2  = `printf '%s' "$SN:00000000T000000Z:$SN:$UUID:$CUR:$NONCE:$NEW"`
	testCUR       = "20110512T003512Z"
	testNEW       = "20110412T003512Z"
	testNonce     = "0000000135"
	shortNonceReq = "135"
)

func specEnv(extra ...string) map[string]string {
	env := map[string]string{
		"SN": testSN, "UUID": testUUID, "EXP": string(testEXP), "SIGEXP": string(testEXP),
		"DELEXP": string(testDEL), "CUR": testCUR, "NONCE": testNonce, "NEW": testNEW,
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return env
}

// TestOpenSSLVerifiesOurSignatures checks every kind of signature we make
// with the spec's openssl pkeyutl command (salt length pinned to 8).
func TestOpenSSLVerifiesOurSignatures(t *testing.T) {
	needTools(t, "openssl", "xxd", "bash")
	master, server := masterKey(), serverKey()
	mpub := master.Public().DER()
	env := specEnv("FULLKEYHEX", server.Public().FullKey())

	v1, err := SignLease(master, 1, testSN, testUUID, testEXP)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := SignLease(master, 2, testSN, testUUID, testEXP)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(v1.String()); n != 630 {
		t.Errorf("sig01 lease is %d bytes, spec says 630", n)
	}
	if n := len(v2.String()); n != 647 {
		t.Errorf("sig02 lease is %d bytes, spec says 647", n)
	}
	del, err := SignDelegation(master, testSN, testDEL, server.Public())
	if err != nil {
		t.Fatal(err)
	}
	chained, err := SignChainedLease(del, server, testSN, testUUID, testEXP)
	if err != nil {
		t.Fatal(err)
	}
	rtc1, err := SignRTCReset(master, 1, RTCReset{testSN, testUUID, testCUR, shortNonceReq, testNEW})
	if err != nil {
		t.Fatal(err)
	}
	rtc2, err := SignRTCReset(master, 2, RTCReset{testSN, testUUID, testCUR, testNonce, testNEW})
	if err != nil {
		t.Fatal(err)
	}
	chainedRTC, err := SignChainedRTCReset(del, server, RTCReset{testSN, testUUID, testCUR, testNonce, testNEW})
	if err != nil {
		t.Fatal(err)
	}
	carried, _ := hex.DecodeString(chained.Links[1].Key) // spec: printf FULLKEYHEX | xxd -r -p

	cases := []struct {
		name    string
		pub     []byte
		payload string
		sig     string
	}{
		{"sig01 lease", mpub, payloadV1, v1.Links[0].Sig},
		{"sig02 lease", mpub, payloadV2, v2.Links[0].Sig},
		{"delegation", mpub, payloadDeleg, del.Links[0].Sig},
		{"chained lease delsig", mpub, payloadDeleg, chained.Links[0].Sig},
		{"chained lease leasesig", carried, payloadV2, chained.Links[1].Sig},
		{"rtc01 sig01", mpub, payloadRTC, rtc1.Links[0].Sig},
		{"rtc01 sig02", mpub, payloadRTCv2, rtc2.Links[0].Sig},
		{"chained rtc01 link 2", carried, payloadRTCv2, chainedRTC.Links[1].Sig},
	}
	for _, c := range cases {
		if !opensslVerify(t, c.pub, c.payload, env, c.sig) {
			t.Errorf("%s: openssl rejects our signature", c.name)
		}
	}
	// openssl really checks: a changed payload fails.
	if opensslVerify(t, mpub, payloadV1, specEnv("EXP", "20281231T000000Z"), v1.Links[0].Sig) {
		t.Error("openssl accepted a signature over a different EXP")
	}
	if rtc1.Nonce != testNonce {
		t.Errorf("rtc01 nonce %q, want zero-padded %q", rtc1.Nonce, testNonce)
	}
	// And our own verifier agrees on every line.
	trusted := NewKeySet(master.Public())
	for _, l := range []*Line{v1, v2, chained, rtc1, rtc2, chainedRTC} {
		if err := mustParse(t, l.String()).Verify(testSN, testUUID, trusted); err != nil {
			t.Errorf("%s v%d: %v", l.Kind, l.Version, err)
		}
	}
	if err := del.VerifyDelegation(testSN, server.Public(), trusted); err != nil {
		t.Errorf("delegation: %v", err)
	}
}

// TestOpenSSLKeysAndSignaturesAccepted makes keys with the spec's openssl
// commands and signs with openssl; our loader and verifier must accept both,
// and reject openssl signatures with any salt length but 8.
func TestOpenSSLKeysAndSignaturesAccepted(t *testing.T) {
	needTools(t, "openssl", "xxd", "bash")
	dir := t.TempDir()
	makeKey := `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out $K.pem
openssl rsa -in $K.pem -outform DER -traditional -out $K.private
openssl rsa -in $K.pem -RSAPublicKey_out -outform DER -out $K.public
chmod 644 $K.private
xxd -p $K.public | tr -d '\n' | tail -c 64`
	keyidOut, ok := shell(t, dir, makeKey, map[string]string{"K": "lease"})
	if !ok {
		t.Fatalf("openssl keygen: %s", keyidOut)
	}
	if _, ok := shell(t, dir, makeKey, map[string]string{"K": "server"}); !ok {
		t.Fatal("openssl keygen server")
	}
	_, err := LoadKeyPair(dir + "/lease")
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("LoadKeyPair of a 0644 private key: %v, want a refusal naming chmod 600", err)
	}
	shell(t, dir, "chmod 600 lease.private server.private", nil)
	master, err := LoadKeyPair(dir + "/lease")
	if err != nil {
		t.Fatal(err)
	}
	server, err := LoadKeyPair(dir + "/server")
	if err != nil {
		t.Fatal(err)
	}
	if got := master.Public().KeyID(); got != strings.TrimSpace(keyidOut) {
		t.Fatalf("keyid %s, xxd|tail -c 64 says %s", got, keyidOut)
	}
	key01Out, _ := shell(t, dir, `printf 'key01: %s\n' "$(xxd -p lease.public | tr -d '\n')"`, nil)
	if master.Public().Key01() != key01Out {
		t.Fatalf("key01 line differs from xxd:\n%s\n%s", master.Public().Key01(), key01Out)
	}

	priv, spriv := master.DER(), server.DER()
	env := specEnv("FULLKEYHEX", server.Public().FullKey())
	m, s := master.Public().KeyID(), server.Public().FullKey()
	sig1 := opensslSign(t, priv, payloadV1, env, "8")
	sig2 := opensslSign(t, priv, payloadV2, env, "8")
	delsig := opensslSign(t, priv, payloadDeleg, env, "8")
	leasesig := opensslSign(t, spriv, payloadV2, env, "8")
	lines := []string{
		"act01: " + testSN + " K " + string(testEXP) + " sig01: sha256 " + m + " " + sig1 + "\n",
		"act01: " + testSN + " K " + string(testEXP) + " sig02: sha256 " + m + " " + string(testEXP) + " " + sig2 + "\n",
		"act01: " + testSN + " K " + string(testEXP) + " sig02: sha256 " + m + " " + string(testDEL) + " " + delsig +
			" sha256 " + s + " " + string(testEXP) + " " + leasesig + "\n",
	}
	trusted := NewKeySet(master.Public())
	for i, text := range lines {
		if err := mustParse(t, text).Verify(testSN, testUUID, trusted); err != nil {
			t.Errorf("openssl-signed line %d: %v", i, err)
		}
	}
	del := mustParse(t, "sig02: sha256 "+m+" "+string(testDEL)+" "+delsig+"\n")
	if err := del.VerifyDelegation(testSN, server.Public(), trusted); err != nil {
		t.Errorf("openssl-signed delegation: %v", err)
	}
	// A chained lease we sign on top of openssl's delegation verifies too.
	ours, err := SignChainedLease(del, server, testSN, testUUID, testEXP)
	if err != nil {
		t.Fatal(err)
	}
	if err := ours.Verify(testSN, testUUID, trusted); err != nil {
		t.Errorf("our chained lease on an openssl delegation: %v", err)
	}

	for _, salt := range []string{"32", "0", "max"} {
		sig := opensslSign(t, priv, payloadV1, env, salt)
		l := mustParse(t, "act01: "+testSN+" K "+string(testEXP)+" sig01: sha256 "+m+" "+sig+"\n")
		if err := l.Verify(testSN, testUUID, trusted); !errors.Is(err, ErrBadSignature) {
			t.Errorf("salt length %s: Verify = %v, want ErrBadSignature", salt, err)
		}
	}
}
