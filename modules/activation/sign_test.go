package activation

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"aula/internal/lease"
)

// TestSingleflightOnHotPath: without the renewer (the module is not
// started), concurrent first requests for one serial sign once.
func TestSingleflightOnHotPath(t *testing.T) {
	h := newHarness(t, "", trustMaster(t))
	h.mustCall("activation.keyring_init", nil)
	h.mustCall("activation.import_delegations", map[string]any{"source": "d",
		"content": delegate(t, h, testSN, testUUID, time.Now().Add(100*24*time.Hour))})
	if err := h.mod.ensureLoaded(context.Background()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	replies := make([][]byte, 100)
	for i := range replies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = h.answer(t, testSN)
		}()
	}
	wg.Wait()
	for i, r := range replies {
		if string(r) != string(replies[0]) || len(fields(string(r))) != 13 {
			t.Fatalf("reply %d: %.80q", i, r)
		}
	}
	if n := h.mod.signed.Load(); n != 1 {
		t.Errorf("%d signatures for one serial, want 1", n)
	}
}

// TestRenewal: a lease this server signed is signed again once less than
// half its time is left, and dropped once expired.
func TestRenewal(t *testing.T) {
	t.Cleanup(func() { clockSkew.Store(0) })
	h := newHarness(t, "", trustMaster(t), "--activation-lease-days=2", "--activation-renew-interval=1h").serve()
	h.mustCall("activation.keyring_init", nil)
	h.mustCall("activation.import_delegations", map[string]any{"source": "d",
		"content": delegate(t, h, testSN, testUUID, time.Now().Add(100*24*time.Hour))})
	waitFor(t, "the first lease", func() bool { return h.mod.signed.Load() == 1 })
	first := string(ask(t, h.tcp(), testSN))

	ctx := context.Background()
	clockSkew.Store(int64(20 * time.Hour)) // 28h of 48h left: nothing to do
	h.mod.renewAll(ctx)
	if n := h.mod.signed.Load(); n != 1 {
		t.Fatalf("renewed with more than half left (%d signatures)", n)
	}
	clockSkew.Store(int64(30 * time.Hour)) // 18h left
	h.mod.renewAll(ctx)
	if n := h.mod.signed.Load(); n != 2 {
		t.Fatalf("not renewed with less than half left (%d signatures)", n)
	}
	both := string(ask(t, h.tcp(), testSN))
	if !strings.HasSuffix(both, first) || len(both) != 2*len(first) {
		t.Fatalf("want the new lease first, then the old one; got %d bytes", len(both))
	}
	clockSkew.Store(int64(50 * time.Hour)) // the first has expired
	if got := string(ask(t, h.tcp(), testSN)); got != strings.TrimSuffix(both, first) {
		t.Errorf("expired lease still served")
	}
	clockSkew.Store(int64(60 * time.Hour)) // 18h of the second left: sign a third, drop the first
	h.mod.renewAll(ctx)
	rows, err := h.mod.store.leases(ctx, []string{testSN})
	if err != nil || len(rows) != 2 {
		t.Fatalf("stored leases after the third signature: %d (%v), want 2 (expired one dropped)", len(rows), err)
	}
	for _, r := range rows {
		if r.Line == first {
			t.Error("expired signed lease kept in the store")
		}
	}
}

// TestSignPlainAndUUIDFromID: with --activation-sign-plain a laptop known
// only by its id registration gets a sig01 lease signed by the server key.
func TestSignPlainAndUUIDFromID(t *testing.T) {
	h := newHarness(t, "", "--activation-sign-plain").serve()
	h.mustCall("activation.keyring_init", nil)
	if got := string(ask(t, h.tcp(), testSN)); got != "UNKNOWN" {
		t.Fatalf("unregistered laptop: %q", got)
	}
	h.register(testSN, testUUID)
	h.register("SHF00000000", testUUID) // the shell's placeholder: never signed for
	got := string(ask(t, h.tcp(), testSN))
	f := fields(got)
	if len(f) != 8 || f[0] != "act01:" || f[1] != testSN || f[4] != "sig01:" {
		t.Fatalf("want an 8-field sig01 lease, got %q", got)
	}
	der, _ := os.ReadFile(filepath.Join(h.dir, "keyring", "lease.public"))
	if f[6] != hex.EncodeToString(der[len(der)-32:]) {
		t.Errorf("keyid %s is not the server key's", f[6])
	}
	if !opensslVerify(t, der, testSN+":"+testUUID+":K:"+f[3], f[7]) {
		t.Error("openssl: sig01 lease does not verify with the server key")
	}
	if got := string(ask(t, h.tcp(), "SHF00000000")); got != "UNKNOWN" {
		t.Errorf("placeholder serial: %q", got)
	}
}

// TestRTCReset: an rtcreset request gets an rtc01 line through the
// delegation, setting the clock to the server's time.
func TestRTCReset(t *testing.T) {
	h := newHarness(t, "", trustMaster(t)).serve()
	h.mustCall("activation.keyring_init", nil)
	h.mustCall("activation.import_delegations", map[string]any{"source": "d",
		"content": delegate(t, h, testSN, testUUID, time.Now().Add(100*24*time.Hour))})
	before := lease.StampOf(time.Now())
	got := string(ask(t, h.tcp(), "rtcreset "+testSN+" 20110512T003512Z 135"))
	f := fields(got)
	if len(f) != 14 || f[0] != "rtc01:" || f[2] != "20110512T003512Z" || f[3] != "0000000135" || f[5] != "sig02:" {
		t.Fatalf("want a chained rtc01 line, got %q", got)
	}
	if f[4] < string(before) || f[12] != string(lease.NoExpiry) {
		t.Errorf("NEWRTC %s (want now), last link expiry %s (want none)", f[4], f[12])
	}
	carried, _ := hex.DecodeString(f[11])
	payload := testSN + ":00000000T000000Z:" + testSN + ":" + testUUID + ":20110512T003512Z:0000000135:" + f[4]
	if !opensslVerify(t, carried, payload, f[13]) {
		t.Error("openssl: rtc01 signature does not verify with the server key")
	}
	if got := string(ask(t, h.tcp(), "rtcreset SHF7000000B 20110512T003512Z 1")); got != "" {
		t.Errorf("rtcreset for an unknown laptop: %q", got)
	}
}
