package id

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// storeConformance is what any clientStore must do, whatever it keeps
// behind it (the SQLite one journals registrations and applies them
// later): every read sees every registration acknowledged before it,
// exactly as if each had been applied at once, before and after fold, in
// this process and in another one on the same data directory.
func storeConformance(t *testing.T, open func(t *testing.T, dir string) clientStore) {
	t.Run("ReadsMatchAppliedState", func(t *testing.T) { testReadsMatchApplied(t, open) })
	t.Run("RemovePending", func(t *testing.T) { testRemovePending(t, open) })
	t.Run("SharedDataDirectory", func(t *testing.T) { testSharedDataDirectory(t, open) })
	t.Run("Epoch", func(t *testing.T) { testEpoch(t, open) })
}

// TestSQLiteStoreConformance runs the suite on the store the module uses.
func TestSQLiteStoreConformance(t *testing.T) {
	storeConformance(t, func(t *testing.T, dir string) clientStore { return newHarness(t, dir).mod.recs })
}

func appendAt(t *testing.T, s clientStore, in ClientArgs) Client {
	t.Helper()
	c, err := checkRegistration(in, false)
	if err != nil {
		t.Fatal(err)
	}
	c.LastRegistered = time.Now()
	if err := s.appendRegistration(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Microsecond) // distinct registration times
	return c
}

// snapshot renders every read of s for the given keys, serials and uuids.
func snapshot(t *testing.T, s clientStore, keys, serials, uuids []string) string {
	ctx := t.Context()
	var b strings.Builder
	cs, err := s.list(ctx)
	fmt.Fprintf(&b, "list %v %v\n", cs, err)
	for _, k := range keys {
		c, ok, err := s.byUID(ctx, UIDOf(k))
		fmt.Fprintf(&b, "uid %v %v %v\n", c, ok, err)
		uid, hasKey, found, err := s.status(ctx, UIDOf(k), false)
		fmt.Fprintf(&b, "status %v %v %v %v\n", uid, hasKey, found, err)
		hist, err := s.history(ctx, UIDOf(k), "", "")
		fmt.Fprintf(&b, "history %v %v\n", hist, err)
	}
	for _, sn := range serials {
		cs, err := s.bySerial(ctx, sn)
		fmt.Fprintf(&b, "serial %s %v %v\n", sn, cs, err)
		if indexedSerial(sn) {
			h, found, err := s.serialHolder(ctx, sn)
			fmt.Fprintf(&b, "holder %s %v %v %v %v\n", sn, h.UID, strings.ToLower(h.UUID), found, err)
			if err == nil && (found != (len(cs) > 0) || found && (cs[0].UID != h.UID || !strings.EqualFold(cs[0].UUID, h.UUID))) {
				t.Errorf("serialHolder(%s) = %v %v, bySerial %v", sn, h, found, cs)
			}
		}
		hist, err := s.history(ctx, "", sn, "")
		fmt.Fprintf(&b, "history %v %v\n", hist, err)
	}
	for _, u := range uuids {
		cs, err := s.byUUID(ctx, strings.ToLower(u))
		fmt.Fprintf(&b, "uuid %s %v %v\n", u, cs, err)
		uid, hasKey, found, err := s.status(ctx, strings.ToLower(u), true)
		fmt.Fprintf(&b, "status %v %v %v %v\n", uid, hasKey, found, err)
		hist, err := s.history(ctx, "", "", u)
		fmt.Fprintf(&b, "history %v %v\n", hist, err)
	}
	return b.String()
}

// Random registrations over a few keys, serials and uuids (supersedes by
// serial and by uuid, placeholders, empty serials and nicknames, repeats)
// read the same before the fold, in a fresh process, and after the fold.
func testReadsMatchApplied(t *testing.T, open func(t *testing.T, dir string) clientStore) {
	for round := range 4 {
		dir := dataDir(t)
		s := open(t, dir)
		rng := rand.New(rand.NewPCG(uint64(round), 7))
		keys := make([]string, 6)
		for i := range keys {
			keys[i] = newKey(t)
		}
		serials := []string{"SHF706002A1", "SHF706002A2", "SHF706002A3", PlaceholderSerial, ""}
		uuids := []string{"11111111-2222-3333-4444-555555555555", "66666666-7777-8888-9999-000000000000",
			"AAAAAAAA-2222-3333-4444-555555555555", PlaceholderUUID}
		nicks := []string{"", "a", "b"}
		for i := range 40 {
			if i == 15 { // some applied first, so later ones meet records
				if err := s.fold(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			appendAt(t, s, ClientArgs{UUID: uuids[rng.IntN(len(uuids))], Serial: serials[rng.IntN(len(serials))],
				Nickname: nicks[rng.IntN(len(nicks))], PubKey: keys[rng.IntN(len(keys))]})
		}
		before := snapshot(t, s, keys, serials[:4], uuids)
		if other := snapshot(t, open(t, dir), keys, serials[:4], uuids); other != before {
			t.Errorf("round %d: a fresh process reads otherwise:\n%s\nthis one:\n%s", round, other, before)
		}
		if err := s.fold(t.Context()); err != nil {
			t.Fatal(err)
		}
		if after := snapshot(t, s, keys, serials[:4], uuids); after != before {
			t.Errorf("round %d: reads before the fold differ from after:\nbefore:\n%s\nafter:\n%s", round, before, after)
		}
	}
}

// A registration not yet applied can be removed, and stays removed.
func testRemovePending(t *testing.T, open func(t *testing.T, dir string) clientStore) {
	s := open(t, dataDir(t))
	c := appendAt(t, s, ClientArgs{UUID: machineUUID, Serial: "SHF706002A7", PubKey: newKey(t)})
	got, found, err := s.remove(t.Context(), c.UID, time.Now())
	if err != nil || !found || got.UID != c.UID {
		t.Fatalf("remove: %+v %v %v", got, found, err)
	}
	if err := s.fold(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.byUID(t.Context(), c.UID); ok || err != nil {
		t.Fatalf("removed registration still found (%v)", err)
	}
	if h, err := s.history(t.Context(), c.UID, "", ""); err != nil || len(h) != 1 || h[0].Reason != "removed" {
		t.Fatalf("history %+v %v", h, err)
	}
}

// Two stores on one data directory (the server and an admin command):
// each sees the other's registrations and removals, within a second.
func testSharedDataDirectory(t *testing.T, open func(t *testing.T, dir string) clientStore) {
	dir := dataDir(t)
	a := open(t, dir)
	c1 := appendAt(t, a, ClientArgs{UUID: machineUUID, Serial: "SHF706002A7", PubKey: newKey(t)})
	b := open(t, dir)
	if _, ok, err := b.byUID(t.Context(), c1.UID); !ok || err != nil {
		t.Fatalf("the other store does not see a registration: %v", err)
	}
	c2 := appendAt(t, b, ClientArgs{UUID: "66666666-7777-8888-9999-000000000000", Serial: "SHF706002B8", PubKey: newKey(t)})
	if _, found, err := b.remove(t.Context(), c1.UID, time.Now()); !found || err != nil {
		t.Fatalf("remove in the other store: %v %v", found, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, has1, err1 := a.byUID(context.Background(), c1.UID)
		_, has2, err2 := a.byUID(context.Background(), c2.UID)
		h1, held1, err3 := a.serialHolder(context.Background(), c1.Serial)
		h2, held2, err4 := a.serialHolder(context.Background(), c2.Serial)
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
			t.Fatal(err1, err2, err3, err4)
		}
		if !has1 && has2 && !held1 && held2 && h2.UID == c2.UID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first store still sees removed=%v (serial held by %q: %v), new=%v (serial held: %v)", has1, h1.UID, held1, has2, held2)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func testEpoch(t *testing.T, open func(t *testing.T, dir string) clientStore) {
	s := open(t, dataDir(t))
	e, err := s.epoch(t.Context())
	if err != nil || e != 1 {
		t.Fatalf("first epoch %d %v", e, err)
	}
	if n, err := s.bumpEpoch(t.Context()); err != nil || n != 2 {
		t.Fatalf("bump %d %v", n, err)
	}
	if e, err := s.epoch(t.Context()); err != nil || e != 2 {
		t.Fatalf("epoch after bump %d %v", e, err)
	}
}
