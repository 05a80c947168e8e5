package activation

import (
	"context"
	"testing"
	"time"
)

// TestPruneUnknown: old records of serials nobody knows are forgotten;
// recent ones, and old ones of laptops that got a lease, are kept.
func TestPruneUnknown(t *testing.T) {
	h := newHarness(t, "")
	ctx := context.Background()
	now := time.Now()
	old, recent := now.Add(-unknownKeep-time.Hour), now.Add(-time.Hour)
	err := h.mod.store.recordRequests(ctx, []requestRow{
		{serial: "OLD00000001", first: old, last: old, from: "127.0.0.1", given: givenUnknown, n: 1},
		{serial: "NEW00000002", first: recent, last: recent, from: "127.0.0.1", given: givenUnknown, n: 1},
		{serial: "LEA00000003", first: old, last: old, from: "127.0.0.1", given: givenLease, leaseAt: old, n: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := pruneUnknown(ctx, h.mod.store, now)
	if err != nil || n != 1 {
		t.Fatalf("pruned %d (%v), want 1", n, err)
	}
	reqs, err := h.mod.store.requests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 2 || reqs[0].serial != "LEA00000003" || reqs[1].serial != "NEW00000002" {
		t.Fatalf("left %+v", reqs)
	}
}
