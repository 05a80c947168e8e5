package activation

import (
	"strings"
	"testing"
	"time"
)

// TestRTCResetNeverStolenOrUnknown: OLPC's boot script writes any
// non-empty rtcreset reply over the laptop's lease, so an rtcreset request
// gets a signed rtc01 line or zero bytes, whatever --activation-unknown-reply
// says; a stolen laptop never gets an rtc01 line, not even when a
// delegation would let the server sign one. Lease requests keep STOLEN and
// UNKNOWN.
func TestRTCResetNeverStolenOrUnknown(t *testing.T) {
	const (
		stolenDelegated = "SHF7000000A" // delegated, then marked stolen
		stolenOnly      = "SHF7000000C" // marked stolen, nothing else
		leaseOnly       = "SHF706002A8" // an imported lease, nothing to sign with
		unknown         = "SHF7000000B"
	)
	h := newHarness(t, "", trustMaster(t)).serve()
	h.mustCall("activation.keyring_init", nil)
	far := time.Now().Add(100 * 24 * time.Hour)
	h.mustCall("activation.import_delegations", map[string]any{"source": "d",
		"content": delegate(t, h, testSN, testUUID, far) + delegate(t, h, stolenDelegated, testUUID, far)})
	leaseLine := signedLease(t, 1, leaseOnly, testUUID, far)
	h.mustCall("activation.import_leases", map[string]any{"source": "l", "content": leaseLine})
	h.mustCall("activation.stolen_add", map[string]any{"serial": stolenDelegated})
	h.mustCall("activation.stolen_add", map[string]any{"serial": stolenOnly})
	waitFor(t, "the changes to reach the cache", func() bool {
		a, b := h.mod.cache.get(stolenDelegated), h.mod.cache.get(stolenOnly)
		return a != nil && a.stolen && b != nil && b.stolen && h.mod.cache.get(leaseOnly) != nil
	})
	addr := h.tcp()
	rtc := func(sn string) string { return "rtcreset " + sn + " 20110512T003512Z 135" }

	if got := string(ask(t, addr, rtc(testSN))); !strings.HasPrefix(got, "rtc01: "+testSN+" 20110512T003512Z 0000000135 ") {
		t.Errorf("delegated laptop: got %q, want an rtc01 line", got)
	}
	for _, req := range []string{rtc(stolenDelegated), rtc(stolenOnly), rtc(leaseOnly), rtc(unknown),
		"rtcreset " + testSN + " 2011 135", "rtcreset", "rtcreset " + testSN + " 20110512T003512Z 12345678901"} {
		if got := ask(t, addr, req); len(got) != 0 {
			t.Errorf("%q: got %q, want zero bytes", req, got)
		}
	}
	// Lease requests are unchanged.
	for sn, want := range map[string]string{stolenDelegated: "STOLEN", stolenOnly: "STOLEN", unknown: "UNKNOWN", leaseOnly: leaseLine} {
		if got := string(ask(t, addr, sn)); got != want {
			t.Errorf("lease request %s: got %.40q, want %.40q", sn, got, want)
		}
	}
}
