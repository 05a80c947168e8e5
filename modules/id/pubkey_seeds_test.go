package id

import (
	"crypto/dsa"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// Real and hand-made SSH key blobs for the differential tests of
// ParsePubKey against x/crypto.

// generatedKeyBlobs makes one key of each allowed type with crypto/* and
// x/crypto's own encoder, and a certificate, which is not allowed.
func generatedKeyBlobs(t testing.TB) [][]byte {
	t.Helper()
	var params dsa.Parameters
	if err := dsa.GenerateParameters(&params, rand.Reader, dsa.L1024N160); err != nil {
		t.Fatal(err)
	}
	dk := dsa.PrivateKey{PublicKey: dsa.PublicKey{Parameters: params}}
	if err := dsa.GenerateKey(&dk, rand.Reader); err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pubs := []any{&dk.PublicKey, &rk.PublicKey, edPub}
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pubs = append(pubs, &k.PublicKey)
	}
	var blobs [][]byte
	for _, p := range pubs {
		k, err := ssh.NewPublicKey(p)
		if err != nil {
			t.Fatal(err)
		}
		blobs = append(blobs, k.Marshal())
	}
	signer, err := ssh.NewSignerFromKey(edPriv)
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := ssh.NewPublicKey(&rk.PublicKey)
	cert := &ssh.Certificate{Key: subject, CertType: ssh.UserCert, KeyId: "seed", ValidBefore: ssh.CertTimeInfinity}
	if err := cert.SignCert(rand.Reader, signer); err != nil {
		t.Fatal(err)
	}
	return append(blobs, cert.Marshal())
}

// sshKeygenBlobs makes keys (and a certificate) with OpenSSH's ssh-keygen
// when it is installed; types this OpenSSH no longer makes are skipped.
func sshKeygenBlobs(t testing.TB) [][]byte {
	t.Helper()
	keygen, err := exec.LookPath("ssh-keygen")
	if err != nil {
		t.Log("no ssh-keygen; seeding with Go-made keys only")
		return nil
	}
	dir := t.TempDir()
	var blobs [][]byte
	read := func(path string) {
		line, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(string(line))
		if len(f) < 2 {
			t.Fatalf("%s: %q", path, line)
		}
		raw, err := base64.StdEncoding.DecodeString(f[1])
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		blobs = append(blobs, raw)
	}
	for _, kt := range [][]string{{"dsa"}, {"rsa", "-b", "1024"}, {"rsa", "-b", "3072"},
		{"ecdsa", "-b", "256"}, {"ecdsa", "-b", "384"}, {"ecdsa", "-b", "521"}, {"ed25519"}} {
		file := filepath.Join(dir, "id_"+strings.Join(kt, ""))
		args := append([]string{"-q", "-N", "", "-C", "seed", "-f", file, "-t"}, kt...)
		if out, err := exec.Command(keygen, args...).CombinedOutput(); err != nil {
			t.Logf("ssh-keygen -t %v: %v %s", kt, err, out)
			continue
		}
		read(file + ".pub")
	}
	ca := filepath.Join(dir, "id_ed25519")
	if _, err := os.Stat(ca); err == nil {
		cmd := exec.Command(keygen, "-q", "-s", ca, "-I", "seed", "-n", "user", ca+".pub")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Logf("ssh-keygen -s: %v %s", err, out)
		} else {
			read(ca + "-cert.pub")
		}
	}
	return blobs
}

// wire encodes SSH strings.
func wire(fields ...[]byte) []byte {
	var out []byte
	for _, f := range fields {
		out = binary.BigEndian.AppendUint32(out, uint32(len(f)))
		out = append(out, f...)
	}
	return out
}

// mpint is the minimal SSH encoding of a non-negative number's bytes.
func mpint(b []byte) []byte {
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	if len(b) > 0 && b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return b
}

// negate is the two's complement of an mpint: -x for x.
func negate(m []byte) []byte {
	out := make([]byte, len(m))
	carry := 1
	for i := len(m) - 1; i >= 0; i-- {
		v := int(^m[i]) + carry
		out[i], carry = byte(v), v>>8
	}
	if len(out) == 0 || out[0]&0x80 == 0 {
		out = append([]byte{0xff}, out...)
	}
	return out
}

// craftedKeyBlobs are the corners of x/crypto's checks: mpints that are
// negative, empty or padded, sizes one off, wrong curves and points, and
// types that are not allowed.
func craftedKeyBlobs(dsaBlob []byte) [][]byte {
	b := func(s string) []byte { return []byte(s) }
	// withBits is the mpint of 2^(n-1), a number of n bits.
	withBits := func(n int) []byte {
		m := make([]byte, (n+7)/8)
		m[0] = 1 << ((n - 1) % 8)
		return mpint(m)
	}
	var blobs [][]byte
	// DSA: p, q, g, y from a real key, each bent in turn.
	f, rest := [][]byte{}, dsaBlob
	for len(rest) >= 4 {
		n := binary.BigEndian.Uint32(rest)
		f, rest = append(f, rest[4:4+n]), rest[4+n:]
	}
	if len(f) == 5 {
		p, q, g, y := f[1], f[2], f[3], f[4]
		dss := b("ssh-dss")
		for _, v := range [][4][]byte{
			{negate(p), q, g, y}, {p, negate(q), g, y}, {p, q, negate(g), y}, {p, q, g, negate(y)},
			{append([]byte{0, 0}, p...), q, g, y}, {p, append([]byte{0}, q...), append([]byte{0, 0, 0}, g...), y},
			{p, q, p, y}, {p, q, g, p}, {p, q, nil, y}, {p, q, g, nil}, {p, q, []byte{1}, []byte{1}},
			{p[1:], q, g, y}, {p, q[1:], g, y}, {append(p, 0), q, g, y},
		} {
			blobs = append(blobs, wire(dss, v[0], v[1], v[2], v[3]))
		}
	}
	rsaType, n := b("ssh-rsa"), withBits(2048)
	for _, e := range [][]byte{{1, 0, 1}, {3}, {1}, {2}, {4}, nil, {0xff}, negate([]byte{3}), {0, 0, 0, 0, 3},
		{0xff, 0xff, 0xff}, {0, 0xff, 0xff, 0xff}, {1, 0, 0, 1}, {0x80, 0, 1}, withBits(24), withBits(25), negate(withBits(24))} {
		blobs = append(blobs, wire(rsaType, e, n))
	}
	for _, n := range [][]byte{nil, {0}, negate(n), withBits(16384), withBits(16385), negate(withBits(16384)), negate(withBits(16385)), {0xff}} {
		blobs = append(blobs, wire(rsaType, []byte{1, 0, 1}, n))
	}
	for _, curve := range []string{"nistp256", "nistp384", "nistp521"} {
		for _, point := range [][]byte{nil, {0}, {4}, {2, 1, 2, 3}, append([]byte{4}, make([]byte, 64)...)} {
			blobs = append(blobs, wire(b("ecdsa-sha2-"+curve), b(curve), point))
		}
		blobs = append(blobs, wire(b("ecdsa-sha2-"+curve), b("nistp999"), []byte{4}))
	}
	for _, n := range []int{0, 31, 32, 33} {
		blobs = append(blobs, wire(b("ssh-ed25519"), make([]byte, n)))
	}
	for _, typ := range []string{"sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", "ssh-rsa-cert-v01@openssh.com",
		"rsa-sha2-256", "ssh-mldsa-44", "foo", "", "ssh-dss\x00"} {
		blobs = append(blobs, wire(b(typ), make([]byte, 32), b("ssh:")))
	}
	return append(blobs, nil, []byte{0, 0, 0}, []byte{0, 0, 0, 7}, wire(b("ssh-ed25519")))
}
