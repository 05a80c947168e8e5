package activation

import (
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"aula/internal/core"
	"aula/internal/lease"
)

func TestKeyringInit(t *testing.T) {
	h := newHarness(t, "")
	k := h.mustCall("activation.keyring_init", nil).(KeyInfo)
	priv := filepath.Join(h.dir, "keyring", "lease.private")
	pub := filepath.Join(h.dir, "keyring", "lease.public")
	if k.PrivateFile != priv || k.PublicFile != pub {
		t.Errorf("files: %+v", k)
	}
	st, err := os.Stat(priv)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key file: %v %v", st, err)
	}
	der, err := os.ReadFile(pub)
	if err != nil || len(der) != lease.PublicKeyDERSize {
		t.Fatalf("public key file: %d bytes, %v", len(der), err)
	}
	if want := hex.EncodeToString(der[len(der)-32:]); k.KeyID != want {
		t.Errorf("keyid %s, want %s (last 32 bytes of the .public file)", k.KeyID, want)
	}
	if want := "key01: " + hex.EncodeToString(der) + "\n"; k.Key01 != want {
		t.Errorf("key01 line %q", k.Key01)
	}
	shown := h.mustCall("activation.keyring_show", nil).(KeyInfo)
	if shown != k {
		t.Errorf("show %+v, init %+v", shown, k)
	}
	_, err = h.call("activation.keyring_init", nil)
	if core.KindOf(err) != core.KindConflict {
		t.Errorf("second init: %v, want a conflict", err)
	}
	if again, _ := os.ReadFile(pub); string(again) != string(der) {
		t.Error("second init changed the key")
	}
	// openssl reads both files as the spec's openssl-made ones.
	if _, err := exec.LookPath("openssl"); err == nil {
		out, err := exec.Command("openssl", "rsa", "-inform", "DER", "-in", priv, "-check", "-noout", "-text").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "RSA key ok") || !strings.Contains(string(out), "Private-Key: (2048 bit") ||
			!strings.Contains(string(out), "publicExponent: 65537") {
			t.Errorf("openssl rsa -check: %v\n%s", err, out)
		}
		out, err = exec.Command("openssl", "rsa", "-RSAPublicKey_in", "-inform", "DER", "-in", pub, "-noout", "-text").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Public-Key: (2048 bit") {
			t.Errorf("openssl rsa -RSAPublicKey_in: %v\n%s", err, out)
		}
	}
}

func TestKeyringShowWithoutKey(t *testing.T) {
	h := newHarness(t, "")
	if _, err := h.call("activation.keyring_show", nil); core.KindOf(err) != core.KindNotFound {
		t.Errorf("got %v, want not found", err)
	}
}

// delegate makes a del01 line from the master key to the server key.
func delegate(t *testing.T, h *harness, sn, uuid string, exp time.Time) string {
	t.Helper()
	pub, err := lease.LoadPublicKey(filepath.Join(h.dir, "keyring", "lease.public"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := lease.SignServerDelegation(masterKey(), sn, uuid, lease.StampOf(exp), pub)
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// TestChainedLease: a delegated laptop asking without a lease gets a
// chained lease exactly as make-lease.sh --chain writes it, which openssl
// verifies link by link with the spec §6 commands.
func TestChainedLease(t *testing.T) {
	h := newHarness(t, "", trustMaster(t)).serve()
	h.mustCall("activation.keyring_init", nil)
	delExp := time.Now().Add(365 * 24 * time.Hour)
	del := delegate(t, h, testSN, testUUID, delExp)
	r := h.mustCall("activation.import_delegations", map[string]any{"source": "del.sig", "content": del}).(ImportReply)
	if r.Imported != 1 || len(r.Problems) != 0 {
		t.Fatalf("import: %+v", r)
	}
	reply := string(ask(t, h.tcp(), testSN))
	f := fields(reply)
	if len(f) != 13 || strings.Count(reply, "\n") != 1 || !strings.HasSuffix(reply, "\n") {
		t.Fatalf("want one 13-field line, got %q", reply)
	}
	serverDER, _ := os.ReadFile(filepath.Join(h.dir, "keyring", "lease.public"))
	df := fields(del)
	exp := f[3]
	want := []string{"act01:", testSN, "K", exp, "sig02:", "sha256", masterKey().Public().KeyID(), df[6], df[7],
		"sha256", hex.EncodeToString(serverDER), exp}
	for i, w := range want {
		if f[i] != w {
			t.Errorf("field %d: %.70q, want %.70q", i+1, f[i], w)
		}
	}
	expT, err := time.Parse("20060102T150405Z", exp)
	if err != nil || expT.Sub(time.Now()) > 7*24*time.Hour || expT.Sub(time.Now()) < 7*24*time.Hour-time.Minute {
		t.Errorf("EXP %s: want --activation-lease-days (7) from now", exp)
	}
	// Link 1: the delegation, with the master key.
	delPayload := testSN + ":" + df[6] + ":key01: " + hex.EncodeToString(serverDER) + "\n"
	if !opensslVerify(t, masterKey().Public().DER(), delPayload, f[8]) {
		t.Error("openssl: delegation signature does not verify with the master key")
	}
	// Link 2: the lease, with the key carried in the line.
	carried, _ := hex.DecodeString(f[10])
	leasePayload := testSN + ":" + exp + ":" + testSN + ":" + testUUID + ":K:" + exp
	if !opensslVerify(t, carried, leasePayload, f[12]) {
		t.Error("openssl: lease signature does not verify with the carried server key")
	}
	if opensslVerify(t, carried, leasePayload+"x", f[12]) {
		t.Error("openssl verifies a wrong payload: the check is not real")
	}
	if got := ask(t, h.tcp(), testSN); string(got) != reply {
		t.Errorf("second request got a different lease: %q", got)
	}
	if n := h.mod.signed.Load(); n != 1 {
		t.Errorf("%d signatures for one laptop, want 1", n)
	}
}

// TestChainedLeaseNeverPastDelegation caps EXP at the delegation's expiry.
func TestChainedLeaseNeverPastDelegation(t *testing.T) {
	h := newHarness(t, "", trustMaster(t)).serve()
	h.mustCall("activation.keyring_init", nil)
	delExp := time.Now().Add(50 * time.Hour).Truncate(time.Second)
	h.mustCall("activation.import_delegations", map[string]any{"source": "d", "content": delegate(t, h, testSN, testUUID, delExp)})
	f := fields(string(ask(t, h.tcp(), testSN)))
	if len(f) != 13 || f[3] != string(lease.StampOf(delExp)) || f[11] != f[3] {
		t.Errorf("EXP %v / SIGEXP %v, want the delegation's expiry %s", f[3:4], f[11:12], lease.StampOf(delExp))
	}
}

// TestStormOfOneSerialSignsOnce: many laptops asking at once for the same
// unsigned serial share one signature.
func TestStormOfOneSerialSignsOnce(t *testing.T) {
	h := newHarness(t, "", trustMaster(t), "--activation-renew-interval=1h").serve()
	h.mustCall("activation.keyring_init", nil)
	h.mustCall("activation.import_delegations", map[string]any{"source": "d",
		"content": delegate(t, h, testSN, testUUID, time.Now().Add(100*24*time.Hour))})
	var wg sync.WaitGroup
	replies := make([]string, 64)
	for i := range replies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = string(ask(t, h.tcp(), testSN))
		}()
	}
	wg.Wait()
	for i, r := range replies {
		if r != replies[0] || len(fields(r)) != 13 {
			t.Fatalf("reply %d differs or is not a chained lease: %.80q", i, r)
		}
	}
	if n := h.mod.signed.Load(); n != 1 {
		t.Errorf("%d signatures, want 1", n)
	}
}
