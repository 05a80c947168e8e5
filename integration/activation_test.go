package integration

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aula/internal/wire/activation"
)

// Laptops of the activation test; the leases and the delegation are made
// with openssl alone (spec §2 and §6), independently of aula's code.
const (
	actSN      = "SHF706002A7" // lease imported from a bare lease.sig
	actUUID    = "8BF9AC40-26F8-4BCC-A699-BE51FD366419"
	actSN2     = "SHF706002A8" // lease imported from a Canonical JSON file
	actSN3     = "SHF706002A9" // delegation only: aula signs a chained lease
	actUUID3   = "1C2D3E4F-5A6B-4C7D-8E9F-A0B1C2D3E4F5"
	actStolen  = "SHF7000000A"
	actUnknown = "SHF7000000B"
)

// actShell runs a bash script in dir and fails the test on error.
func actShell(t *testing.T, dir, script string, env ...string) string {
	t.Helper()
	cmd := exec.Command("bash", "-c", "set -euo pipefail\n"+script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"LC_ALL=C"}, env...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s\n%s", err, script, out)
	}
	return string(out)
}

// actSign signs payload (given as a printf format and args, as in spec §6)
// with a DER private key, salt length 8, and returns the hex signature.
func actSign(t *testing.T, dir, key, printf string, args ...string) string {
	t.Helper()
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = "'" + a + "'"
	}
	return strings.TrimSpace(actShell(t, dir, fmt.Sprintf(`printf '%s' %s > payload
openssl dgst -sha256 -binary payload | openssl pkeyutl -sign -inkey %s -keyform DER \
  -pkeyopt digest:sha256 -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:8 -out sig.bin
xxd -p sig.bin | tr -d '\n'`, printf, strings.Join(quoted, " "), key)))
}

// actVerify checks a hex signature over a printf-made payload with a DER
// public key, exactly as spec §6 says.
func actVerify(t *testing.T, dir, pub, sigHex, printf string, args ...string) bool {
	t.Helper()
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = "'" + a + "'"
	}
	cmd := exec.Command("bash", "-c", fmt.Sprintf(`printf '%s' %s > vpayload
printf '%%s' "$SIGHEX" | xxd -r -p > vsig.bin
openssl dgst -sha256 -binary vpayload > vpayload.sha256
openssl pkeyutl -verify -pubin -inkey %s -keyform DER -in vpayload.sha256 -sigfile vsig.bin \
  -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:8 -pkeyopt digest:sha256`, printf, strings.Join(quoted, " "), pub))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SIGHEX="+sigHex)
	out, err := cmd.CombinedOutput()
	if err == nil && bytes.Contains(out, []byte("Signature Verified Successfully")) {
		return true
	}
	if err != nil && bytes.Contains(out, []byte("Signature Verification Failure")) {
		return false
	}
	t.Fatalf("openssl verify: %v\n%s", err, out)
	return false
}

// actAsk is the XO's exchange: connect, send, half-close, read until the
// server closes.
func actAsk(t *testing.T, addr, request string) string {
	t.Helper()
	b, err := activation.Ask(addr, []byte(request), 30*time.Second)
	if err != nil {
		t.Fatalf("reply to %q: %v (the server must close)", request, err)
	}
	return string(b)
}

// actWait polls cond; it waits for another process, asserting nothing
// about how long that takes.
func actWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

func TestActivation(t *testing.T) {
	for _, tool := range []string{"openssl", "xxd", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	work := t.TempDir()
	data := filepath.Join(work, "data")
	// The OLPC master key, made as spec §2 says.
	actShell(t, work, `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out master.pem 2>/dev/null
openssl rsa -in master.pem -outform DER -traditional -out master.private 2>/dev/null
openssl rsa -in master.pem -RSAPublicKey_out -outform DER -out master.public 2>/dev/null`)
	masterID := strings.TrimSpace(actShell(t, work, `xxd -p master.public | tr -d '\n' | tail -c 64`))
	trust := "--activation-trusted-key=" + filepath.Join(work, "master.public")
	exp := time.Now().Add(90 * 24 * time.Hour).UTC().Format("20060102T150405Z")

	// Leases as OLPC makes them: a v1 line in a bare file (with a broken
	// line after it) and a v2 line in a Canonical JSON file.
	sig1 := actSign(t, work, "master.private", "%s:%s:K:%s", actSN, actUUID, exp)
	lease1 := fmt.Sprintf("act01: %s K %s sig01: sha256 %s %s\n", actSN, exp, masterID, sig1)
	sig2 := actSign(t, work, "master.private", "%s:%s:%s:%s:K:%s", actSN2, exp, actSN2, actUUID, exp)
	lease2 := fmt.Sprintf("act01: %s K %s sig02: sha256 %s %s %s\n", actSN2, exp, masterID, exp, sig2)
	bare := filepath.Join(work, "lease.sig")
	os.WriteFile(bare, []byte(lease1+"act01: SHF706002A7 K 2027 sig01: sha256 zz yy\n"), 0o644)
	cjson := filepath.Join(work, "leases.cjson")
	os.WriteFile(cjson, []byte(`[1,{"`+actSN2+`":"`+lease2+`"}]`), 0o644)

	out, code := aula(t, "lease", "import", "--data-dir", data, trust, bare, cjson)
	if code != 1 || !strings.Contains(out, bare+":2:") || !strings.Contains(out, "2 lease line(s) imported") {
		t.Fatalf("lease import (one bad line): exit %d\n%s", code, out)
	}

	// The keyring and a del01 delegation from the master key, by openssl.
	out, code = aula(t, "keyring", "init", "--data-dir", data)
	if code != 0 || !strings.Contains(out, "keyid:") {
		t.Fatalf("keyring init: %d %s", code, out)
	}
	if out, code = aula(t, "keyring", "init", "--data-dir", data); code == 0 || !strings.Contains(out, "refusing to overwrite") {
		t.Fatalf("second keyring init: %d %s", code, out)
	}
	serverPub := filepath.Join(data, "keyring", "lease.public")
	serverDER, err := os.ReadFile(serverPub)
	if err != nil {
		t.Fatal(err)
	}
	show, _ := aula(t, "keyring", "show", "--data-dir", data)
	if !strings.Contains(show, "key01: "+hex.EncodeToString(serverDER)+"\n") {
		t.Fatalf("keyring show: %s", show)
	}
	delExp := time.Now().Add(365 * 24 * time.Hour).UTC().Format("20060102T150405Z")
	delSig := actSign(t, work, "master.private", `%s:%s:key01: %s\n`, actSN3, delExp, hex.EncodeToString(serverDER))
	delFile := filepath.Join(work, "deleg.sig")
	os.WriteFile(delFile, []byte(fmt.Sprintf("del01: %s %s sig02: sha256 %s %s %s\n", actSN3, actUUID3, masterID, delExp, delSig)), 0o644)
	if out, code = aula(t, "keyring", "import-delegation", "--data-dir", data, trust, delFile); code != 0 || !strings.Contains(out, "1 delegation(s) imported") {
		t.Fatalf("import-delegation: %d %s", code, out)
	}
	if out, code = aula(t, "stolen", "add", actStolen, "--note", "reported by the school", "--data-dir", data); code != 0 {
		t.Fatalf("stolen add: %d %s", code, out)
	}

	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	s := startServer(t, data, "--activation-listen", addr, "--activation-read-deadline", "500ms", trust)

	if got := actAsk(t, addr, actSN); got != lease1 {
		t.Errorf("lease request: got %q, want the imported line byte for byte", got)
	}
	if got := actAsk(t, addr, actSN2); got != lease2 {
		t.Errorf("lease from CJSON: got %q", got)
	}
	if got := actAsk(t, addr, actStolen); got != "STOLEN" {
		t.Errorf("stolen laptop: got %q, want exactly STOLEN", got)
	}
	if got := actAsk(t, addr, actUnknown); got != "UNKNOWN" {
		t.Errorf("unknown laptop: got %q", got)
	}

	// The delegated laptop gets a chained lease; openssl verifies each link.
	chained := actAsk(t, addr, actSN3)
	f := strings.Fields(chained)
	if len(f) != 13 || f[0] != "act01:" || f[1] != actSN3 || f[4] != "sig02:" || f[6] != masterID || f[7] != delExp ||
		f[8] != delSig || f[10] != hex.EncodeToString(serverDER) || f[11] != f[3] || !strings.HasSuffix(chained, "\n") {
		t.Fatalf("chained lease: %q", chained)
	}
	if !actVerify(t, work, "master.public", f[8], `%s:%s:key01: %s\n`, actSN3, f[7], f[10]) {
		t.Error("openssl: delegation link does not verify")
	}
	actShell(t, work, `printf '%s' "$K" | xxd -r -p > carried.public`, "K="+f[10])
	if !actVerify(t, work, "carried.public", f[12], "%s:%s:%s:%s:K:%s", actSN3, f[3], actSN3, actUUID3, f[3]) {
		t.Error("openssl: lease link does not verify with the carried server key")
	}
	if actVerify(t, work, "carried.public", f[12], "%s:%s:%s:%s:K:%s", actSN3, f[3], actSN3, actUUID, f[3]) {
		t.Error("openssl verifies the lease for another UUID: the check is not real")
	}

	// rtcreset: the delegated laptop gets an rtc01 line openssl verifies;
	// a stolen, an unknown and a lease-only laptop get zero bytes, never
	// STOLEN or UNKNOWN (the boot script would write either over lease.sig).
	rtc := actAsk(t, addr, "rtcreset "+actSN3+" 20110512T003512Z 135")
	f = strings.Fields(rtc)
	if len(f) != 14 || f[0] != "rtc01:" || f[1] != actSN3 || f[2] != "20110512T003512Z" || f[3] != "0000000135" ||
		f[5] != "sig02:" || f[11] != hex.EncodeToString(serverDER) || f[12] != "00000000T000000Z" || !strings.HasSuffix(rtc, "\n") {
		t.Fatalf("rtc01 for the delegated laptop: %q", rtc)
	}
	if !actVerify(t, work, "carried.public", f[13], "%s:00000000T000000Z:%s:%s:%s:%s:%s", actSN3, actSN3, actUUID3, f[2], f[3], f[4]) {
		t.Error("openssl: the rtc01 link does not verify with the carried server key")
	}
	for _, sn := range []string{actStolen, actUnknown, actSN, actSN2} {
		if got := actAsk(t, addr, "rtcreset "+sn+" 20110512T003512Z 135"); got != "" {
			t.Errorf("rtcreset %s: got %q, want zero bytes", sn, got)
		}
	}
	if got := actAsk(t, addr, "rtcreset "+actSN3+" 2011 135"); got != "" {
		t.Errorf("malformed rtcreset: got %q, want zero bytes", got)
	}

	// Slow clients are cut off at the read deadline, answered and closed.
	for _, send := range []string{"", actSN} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(30 * time.Second))
		io.WriteString(c, send)
		got, err := io.ReadAll(c) // never half-closed: only the server ends it
		c.Close()
		if err != nil || string(got) != "UNKNOWN" {
			t.Errorf("client sending %q without FIN: %q, %v", send, got, err)
		}
	}

	// A stolen mark made by the CLI on the data directory reaches the
	// running server (it polls the store's generation).
	if out, code = aula(t, "stolen", "add", actSN, "--data-dir", data); code != 0 {
		t.Fatalf("stolen add while serving: %d %s", code, out)
	}
	actWait(t, "STOLEN for "+actSN, func() bool { return actAsk(t, addr, actSN) == "STOLEN" })
	if out, code = aula(t, "stolen", "rm", actSN, "--data-dir", data); code != 0 {
		t.Fatalf("stolen rm: %d %s", code, out)
	}
	actWait(t, "the lease again for "+actSN, func() bool { return actAsk(t, addr, actSN) == lease1 })
	out, _ = aula(t, "stolen", "list", "--data-dir", data)
	if !strings.Contains(out, actStolen) || strings.Contains(out, actSN+" ") || !strings.Contains(out, "reported by the school") {
		t.Errorf("stolen list: %s", out)
	}

	// The same leases over HTTP.
	get := func(sn string) (int, map[string]string) {
		resp, err := http.Get(s.url() + "client/lease?serial=" + sn)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]string
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	if code, m := get(actSN2); code != 200 || m["success"] != "OK" || m["lease"] != lease2 {
		t.Errorf("GET /client/lease: %d %v", code, m)
	}
	if code, m := get(actStolen); code != 403 || m["success"] != "ERR" {
		t.Errorf("GET /client/lease for a stolen laptop: %d %v", code, m)
	}
	if code, _ := get(actUnknown); code != 404 {
		t.Errorf("GET /client/lease for an unknown laptop: %d", code)
	}

	// Rescue leases, and what each laptop last asked for.
	out, code = aula(t, "lease", "export", "--data-dir", data, "--format", "cjson", "--serial", actSN2, "--serial", actStolen)
	if code != 0 || !strings.HasPrefix(out, `[1,{"`+actSN2+`":"`+lease2+`"}]`) || !strings.Contains(out, "left out (marked stolen)") {
		t.Errorf("lease export: %d %q", code, out)
	}
	actWait(t, "the request records", func() bool {
		out, _ = aula(t, "activation", "list", "--json", "--data-dir", data)
		return strings.Contains(out, `"last_given": "stolen"`) && strings.Count(out, `"last_from": "127.0.0.1"`) >= 5
	})
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("activation list --json: %v\n%s", err, out)
	}
	given := map[string]string{}
	for _, r := range rows {
		given[r["serial"].(string)], _ = r["last_given"].(string)
	}
	// The last requests of SN2 and SN3 were rtcreset: nothing to sign with
	// for SN2's imported lease, an rtc01 line for SN3.
	want := map[string]string{actSN2: "unknown", actSN3: "rtc", actStolen: "stolen", actUnknown: "unknown"}
	for sn, g := range want {
		if given[sn] != g {
			t.Errorf("activation list: %s last given %q, want %q", sn, given[sn], g)
		}
	}
}

// TestActivationSignPlainFromRegistration: with --activation-sign-plain a
// laptop that registered through the id module (POST /client/register with
// its serial and machine UUID) gets a sig01 lease signed by the server key.
func TestActivationSignPlainFromRegistration(t *testing.T) {
	for _, tool := range []string{"openssl", "xxd", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	work := t.TempDir()
	data := filepath.Join(work, "data")
	if out, code := aula(t, "keyring", "init", "--data-dir", data); code != 0 {
		t.Fatalf("keyring init: %d %s", code, out)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s := startServer(t, data, "--activation-listen", addr, "--activation-sign-plain")
	if got := actAsk(t, addr, actSN); got != "UNKNOWN" {
		t.Fatalf("before registering: %q", got)
	}
	body := fmt.Sprintf(`{"uuid":%q,"serial":%q,"nickname":"ana"}`, actUUID, actSN)
	resp, err := http.Post(s.url()+"client/register", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"success":"OK"`) {
		t.Fatalf("register: %d %s", resp.StatusCode, b)
	}
	// The activation module learns the UUID when the id module applies
	// its registration journal: once registrations pause (a fraction of
	// a second), long before the laptop's next boot asks for a lease.
	var got string
	waitFor(t, "a lease for the registered laptop", func() bool {
		got = actAsk(t, addr, actSN)
		return got != "UNKNOWN"
	})
	f := strings.Fields(got)
	if len(f) != 8 || f[0] != "act01:" || f[1] != actSN || f[4] != "sig01:" {
		t.Fatalf("want a sig01 lease, got %q", got)
	}
	pub := filepath.Join(data, "keyring", "lease.public")
	if !actVerify(t, work, pub, f[7], "%s:%s:K:%s", actSN, actUUID, f[3]) {
		t.Error("openssl: the lease does not verify with the server key for the registered UUID")
	}
}
