package lease

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const (
	testSN   = "SHF706002A7"
	testUUID = "8BF9AC40-26F8-4BCC-A699-BE51FD366419"
	testEXP  = Stamp("20271231T000000Z")
	testDEL  = Stamp("20300101T000000Z")
)

// Generating RSA-2048 keys is slow, so each test binary makes two, once.
var (
	masterKey = sync.OnceValue(func() *PrivateKey { return mustGenerate() })
	serverKey = sync.OnceValue(func() *PrivateKey { return mustGenerate() })
)

func mustGenerate() *PrivateKey {
	k, err := GenerateKey()
	if err != nil {
		panic(err)
	}
	return k
}

func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
}

// shell runs script with bash in dir with env added; it returns stdout
// (stderr appended on failure) and whether it exited 0.
func shell(t *testing.T, dir, script string, env map[string]string) (string, bool) {
	t.Helper()
	cmd := exec.Command("bash", "-c", "set -o pipefail\n"+script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("run bash: %v", err)
		}
		return string(out) + stderr.String(), false
	}
	return string(out), true
}

// writeFile writes b to dir/name, failing the test on error.
func writeFile(t *testing.T, dir, name string, b []byte, perm os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, perm); err != nil {
		t.Fatal(err)
	}
	return p
}

// opensslVerify verifies sigHex over the payload that payloadCmd (a shell
// printf from spec §6) writes, with the DER public key pub, using exactly
// the spec's openssl pkeyutl invocation. It reports openssl's verdict.
func opensslVerify(t *testing.T, pub []byte, payloadCmd string, env map[string]string, sigHex string) bool {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "lease.public", pub, 0o644)
	e := map[string]string{"SIGHEX": sigHex}
	for k, v := range env {
		e[k] = v
	}
	out, ok := shell(t, dir, payloadCmd+` > payload
printf '%s' "$SIGHEX" | xxd -r -p > sig.bin
openssl dgst -sha256 -binary payload > payload.sha256
openssl pkeyutl -verify -pubin -inkey lease.public -keyform DER \
  -in payload.sha256 -sigfile sig.bin \
  -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:8 -pkeyopt digest:sha256`, e)
	switch {
	case ok && strings.Contains(out, "Signature Verified Successfully"):
		return true
	case !ok && strings.Contains(out, "Signature Verification Failure"):
		return false
	}
	t.Fatalf("unexpected openssl output (exit ok=%v): %s", ok, out)
	return false
}

// opensslSign signs the payload payloadCmd writes with the DER private key,
// as spec §6 "Signing compatibly" does, with the given PSS salt length.
func opensslSign(t *testing.T, priv []byte, payloadCmd string, env map[string]string, saltLen string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "lease.private", priv, 0o600)
	out, ok := shell(t, dir, payloadCmd+` > payload
openssl dgst -sha256 -binary payload | openssl pkeyutl -sign -inkey lease.private -keyform DER \
  -pkeyopt digest:sha256 -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:`+saltLen+` -out sig.bin
xxd -p sig.bin | tr -d '\n'`, env)
	if !ok {
		t.Fatalf("openssl sign: %s", out)
	}
	return out
}

func mustParse(t *testing.T, s string) *Line {
	t.Helper()
	l, err := ParseLine([]byte(s))
	if err != nil {
		t.Fatalf("ParseLine(%.60q...): %v", s, err)
	}
	return l
}
