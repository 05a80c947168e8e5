package activation

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"aula/internal/lease"
	"aula/internal/store"
)

// storeConformance is what any leaseStore must do: the module's answers,
// its poller and `aula activation list` rely on exactly this. open gives a
// store on the data directory dir; two opened on one dir are two processes
// (the server and an admin command) on one database.
func storeConformance(t *testing.T, open func(t *testing.T, dir string) leaseStore) {
	t.Run("Generation", func(t *testing.T) { testGeneration(t, open) })
	t.Run("Leases", func(t *testing.T) { testLeases(t, open) })
	t.Run("KeepSigned", func(t *testing.T) { testKeepSigned(t, open) })
	t.Run("Stolen", func(t *testing.T) { testStolen(t, open) })
	t.Run("Delegations", func(t *testing.T) { testDelegations(t, open) })
	t.Run("Requests", func(t *testing.T) { testRequests(t, open) })
	t.Run("SharedDataDirectory", func(t *testing.T) { testSharedLeases(t, open) })
}

// TestSQLiteStoreConformance runs the suite on the store the module uses.
func TestSQLiteStoreConformance(t *testing.T) {
	storeConformance(t, func(t *testing.T, dir string) leaseStore {
		ctx := context.Background()
		db, err := store.Open(ctx, store.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(ctx, "activation", (&Module{}).Migrations()); err != nil {
			t.Fatal(err)
		}
		return newSQLiteLeases(db)
	})
}

func storeDir(t *testing.T) string { return filepath.Join(t.TempDir(), "data") }

// at is a time the store keeps exactly (whole seconds, UTC).
func at(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

func gen(t *testing.T, s leaseStore) int64 {
	t.Helper()
	g, err := s.generation(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func testLeaseRow(sn, line string, exp lease.Stamp, origin string, added time.Time) leaseRow {
	return leaseRow{Serial: sn, Line: line, Expires: string(exp), Verified: origin == originSigned, Origin: origin,
		Source: "test", AddedAt: at(added)}
}

// Changes advance the generation; writes that change nothing do not.
func testGeneration(t *testing.T, open func(t *testing.T, dir string) leaseStore) {
	s, ctx := open(t, storeDir(t)), t.Context()
	exp := lease.StampOf(time.Now().Add(48 * time.Hour))
	steps := []struct {
		what    string
		do      func() error
		advance bool
	}{
		{"new lease", func() error {
			_, err := s.addLeases(ctx, []leaseRow{testLeaseRow("SN1", "l1", exp, originImport, time.Now())})
			return err
		}, true},
		{"same lease again", func() error {
			_, err := s.addLeases(ctx, []leaseRow{testLeaseRow("SN1", "l1", exp, originImport, time.Now())})
			return err
		}, false},
		{"no leases", func() error { _, err := s.addLeases(ctx, nil); return err }, false},
		{"stolen mark", func() error { return s.markStolen(ctx, stolenRow{Serial: "SN1", MarkedAt: time.Now()}) }, true},
		{"unmark unmarked", func() error { _, err := s.unmarkStolen(ctx, "SN2"); return err }, false},
		{"unmark", func() error { _, err := s.unmarkStolen(ctx, "SN1"); return err }, true},
		{"delegation", func() error {
			_, err := s.addDelegations(ctx, []delegationRow{{Serial: "SN1", Line: "d", Expires: string(exp)}})
			return err
		}, true},
		{"older delegation", func() error {
			_, err := s.addDelegations(ctx, []delegationRow{{Serial: "SN1", Line: "d0", Expires: "20200101T000000Z"}})
			return err
		}, false},
		{"bump", func() error { return s.bumpGeneration(ctx) }, true},
		{"request records", func() error {
			return s.recordRequests(ctx, []requestRow{{serial: "SN1", last: time.Now(), given: givenLease, n: 1}})
		}, false},
	}
	for _, st := range steps {
		before := gen(t, s)
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.what, err)
		}
		if after := gen(t, s); (after > before) != st.advance || after < before {
			t.Errorf("%s: generation %d -> %d, advance %v", st.what, before, after, st.advance)
		}
	}
	before := gen(t, s)
	g, err := s.keepSigned(ctx, testLeaseRow("SN1", "s1", exp, originSigned, time.Now()), time.Now())
	if err != nil || g <= before || g != gen(t, s) {
		t.Errorf("keepSigned: generation %d -> %d (%v), now %d", before, g, err, gen(t, s))
	}
	snap, err := s.snapshot(ctx)
	if err != nil || snap.gen != gen(t, s) {
		t.Errorf("snapshot at generation %v (%v), store at %d", snap, err, gen(t, s))
	}
}

// Leases are kept once per serial and line, with every field, and listed
// by serial; the snapshot holds expired ones too.
func testLeases(t *testing.T, open func(t *testing.T, dir string) leaseStore) {
	s, ctx := open(t, storeDir(t)), t.Context()
	now := time.Now()
	rows := []leaseRow{
		testLeaseRow("SN3", "a3", lease.StampOf(now.Add(time.Hour)), originImport, now),
		testLeaseRow("SN1", "a1", lease.NoExpiry, originSigned, now.Add(-time.Minute)),
		testLeaseRow("SN2", "a2", lease.StampOf(now.Add(-time.Hour)), originImport, now), // expired
		testLeaseRow("SN1", "b1", lease.StampOf(now.Add(time.Hour)), originImport, now),
	}
	rows[3].Source = "lease.sig"
	if n, err := s.addLeases(ctx, rows); err != nil || n != 4 {
		t.Fatalf("added %d (%v), want 4", n, err)
	}
	dup := append([]leaseRow{testLeaseRow("SN2", "a3", lease.NoExpiry, originImport, now)}, rows...)
	if n, err := s.addLeases(ctx, dup); err != nil || n != 1 {
		t.Fatalf("added %d of known lines (%v), want 1 (the same line for another laptop)", n, err)
	}
	all, err := s.leases(ctx, nil)
	if err != nil || len(all) != 5 {
		t.Fatalf("leases: %d (%v), want 5", len(all), err)
	}
	bySerial := map[string][]leaseRow{}
	for i, r := range all {
		if i > 0 && all[i-1].Serial > r.Serial {
			t.Errorf("leases not ordered by serial: %s after %s", r.Serial, all[i-1].Serial)
		}
		bySerial[r.Serial] = append(bySerial[r.Serial], r)
	}
	for _, want := range rows {
		found := false
		for _, got := range bySerial[want.Serial] {
			if got.Line == want.Line {
				found = true
				if !got.AddedAt.Equal(want.AddedAt) {
					t.Errorf("%s %s added at %v, want %v", want.Serial, want.Line, got.AddedAt, want.AddedAt)
				}
				got.AddedAt = want.AddedAt
				if got != want {
					t.Errorf("stored %+v, want %+v", got, want)
				}
			}
		}
		if !found {
			t.Errorf("lease %s %s not stored", want.Serial, want.Line)
		}
	}
	some, err := s.leases(ctx, []string{"SN1", "SN9"})
	if err != nil || len(some) != 2 || some[0].Serial != "SN1" || some[1].Serial != "SN1" {
		t.Fatalf("leases of SN1, SN9: %+v (%v)", some, err)
	}
	snap, err := s.snapshot(ctx)
	if err != nil || !reflect.DeepEqual(snap.leases, all) {
		t.Fatalf("snapshot leases %+v (%v), want %+v", snap.leases, err, all)
	}
}

// A signed lease is kept and the laptop's signed leases that ran out are
// dropped; imported ones and ones that never expire stay.
func testKeepSigned(t *testing.T, open func(t *testing.T, dir string) leaseStore) {
	s, ctx := open(t, storeDir(t)), t.Context()
	now := time.Now()
	past, future := lease.StampOf(now.Add(-time.Hour)), lease.StampOf(now.Add(time.Hour))
	if _, err := s.addLeases(ctx, []leaseRow{
		testLeaseRow("SN1", "old-signed", past, originSigned, now),
		testLeaseRow("SN1", "old-import", past, originImport, now),
		testLeaseRow("SN1", "never", lease.NoExpiry, originSigned, now),
		testLeaseRow("SN1", "live-signed", future, originSigned, now),
		testLeaseRow("SN2", "other-old-signed", past, originSigned, now),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.keepSigned(ctx, testLeaseRow("SN1", "new-signed", lease.StampOf(now.Add(48*time.Hour)), originSigned, now), now); err != nil {
		t.Fatal(err)
	}
	all, err := s.leases(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, r := range all {
		lines = append(lines, r.Serial+" "+r.Line)
	}
	want := map[string]bool{"SN1 old-import": true, "SN1 never": true, "SN1 live-signed": true, "SN1 new-signed": true, "SN2 other-old-signed": true}
	if len(lines) != len(want) {
		t.Fatalf("after keepSigned: %v, want %v", lines, want)
	}
	for _, l := range lines {
		if !want[l] {
			t.Fatalf("after keepSigned: %v, want %v", lines, want)
		}
	}
}

// A second mark replaces the first; marks are listed by serial.
func testStolen(t *testing.T, open func(t *testing.T, dir string) leaseStore) {
	s, ctx := open(t, storeDir(t)), t.Context()
	t0 := at(time.Now())
	for _, r := range []stolenRow{
		{Serial: "SN2", Note: "first", MarkedBy: "alice", MarkedAt: t0},
		{Serial: "SN1", Note: "bag", MarkedBy: "bob", MarkedAt: t0},
		{Serial: "SN2", Note: "second", MarkedBy: "carol", MarkedAt: t0.Add(time.Minute)},
	} {
		if err := s.markStolen(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	want := []stolenRow{{Serial: "SN1", Note: "bag", MarkedBy: "bob", MarkedAt: t0},
		{Serial: "SN2", Note: "second", MarkedBy: "carol", MarkedAt: t0.Add(time.Minute)}}
	got, err := s.stolenMarks(ctx)
	if err != nil || len(got) != 2 {
		t.Fatalf("stolen marks %+v (%v)", got, err)
	}
	for i := range got {
		if got[i].Serial != want[i].Serial || got[i].Note != want[i].Note || got[i].MarkedBy != want[i].MarkedBy || !got[i].MarkedAt.Equal(want[i].MarkedAt) {
			t.Errorf("mark %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if snap, err := s.snapshot(ctx); err != nil || len(snap.stolen) != 2 {
		t.Errorf("snapshot stolen %+v (%v)", snap, err)
	}
	if ok, err := s.unmarkStolen(ctx, "SN2"); !ok || err != nil {
		t.Fatalf("unmark SN2: %v %v", ok, err)
	}
	if ok, err := s.unmarkStolen(ctx, "SN2"); ok || err != nil {
		t.Fatalf("unmark SN2 twice: %v %v", ok, err)
	}
	if got, err := s.stolenMarks(ctx); err != nil || len(got) != 1 || got[0].Serial != "SN1" {
		t.Fatalf("after unmark: %+v (%v)", got, err)
	}
}

// Per laptop the delegation that expires last is kept; a bare one (no
// UUID) keeps the UUID a del01 line gave.
func testDelegations(t *testing.T, open func(t *testing.T, dir string) leaseStore) {
	s, ctx := open(t, storeDir(t)), t.Context()
	now := time.Now()
	e1, e2, e3 := lease.StampOf(now.Add(24*time.Hour)), lease.StampOf(now.Add(48*time.Hour)), lease.StampOf(now.Add(72*time.Hour))
	n, err := s.addDelegations(ctx, []delegationRow{
		{Serial: "SN1", UUID: "UUID-1", Line: "del-1", Expires: string(e2), Source: "a", AddedAt: at(now)},
		{Serial: "SN1", UUID: "UUID-X", Line: "del-1-shorter", Expires: string(e1), Source: "a", AddedAt: at(now)},
		{Serial: "SN2", Line: "sig02-2", Expires: string(e1), Source: "b", AddedAt: at(now)},
	})
	if err != nil || n != 2 {
		t.Fatalf("stored %d (%v), want 2", n, err)
	}
	if n, err := s.addDelegations(ctx, []delegationRow{{Serial: "SN1", Line: "sig02-1", Expires: string(e3), Source: "c", AddedAt: at(now)}}); err != nil || n != 1 {
		t.Fatalf("a later bare delegation: stored %d (%v)", n, err)
	}
	if n, err := s.addDelegations(ctx, []delegationRow{{Serial: "SN1", UUID: "UUID-Y", Line: "same-expiry", Expires: string(e3)}}); err != nil || n != 0 {
		t.Fatalf("a delegation expiring as late: stored %d (%v)", n, err)
	}
	snap, err := s.snapshot(ctx)
	if err != nil || len(snap.delegations) != 2 {
		t.Fatalf("delegations %+v (%v)", snap, err)
	}
	d := snap.delegations[0]
	if d.Serial != "SN1" || d.UUID != "UUID-1" || d.Line != "sig02-1" || d.Expires != string(e3) || d.Source != "c" || !d.AddedAt.Equal(at(now)) {
		t.Errorf("SN1's delegation %+v", d)
	}
	uuids, err := s.delegationUUIDs(ctx)
	if err != nil || !reflect.DeepEqual(uuids, map[string]string{"SN1": "UUID-1"}) {
		t.Errorf("delegation UUIDs %v (%v)", uuids, err)
	}
}

// Request records merge: the first request stays, the last replaces, lease
// and stolen times only when set, counts add; pruning forgets old records
// of one reply only.
func testRequests(t *testing.T, open func(t *testing.T, dir string) leaseStore) {
	s, ctx := open(t, storeDir(t)), t.Context()
	t0 := at(time.Now().Add(-40 * 24 * time.Hour))
	t1, t2 := t0.Add(time.Hour), t0.Add(2*time.Hour)
	if err := s.recordRequests(ctx, []requestRow{
		{serial: "SN1", first: t0, last: t1, from: "10.0.0.1", given: givenLease, leaseAt: t1, n: 3},
		{serial: "SN2", first: t0, last: t0, from: "10.0.0.2", given: givenUnknown, n: 1},
		{serial: "SN3", first: t0, last: t0, from: "10.0.0.3", given: givenLease, leaseAt: t0, n: 1},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.recordRequests(ctx, []requestRow{
		{serial: "SN1", first: t2, last: t2, from: "10.0.0.9", given: givenStolen, stolenAt: t2, n: 2},
	}); err != nil {
		t.Fatal(err)
	}
	reqs, err := s.requests(ctx)
	if err != nil || len(reqs) != 3 {
		t.Fatalf("requests %+v (%v)", reqs, err)
	}
	r := reqs[0]
	if r.serial != "SN1" || !r.first.Equal(t0) || !r.last.Equal(t2) || r.from != "10.0.0.9" || r.given != givenStolen ||
		!r.leaseAt.Equal(t1) || !r.stolenAt.Equal(t2) || r.n != 5 {
		t.Errorf("merged record %+v", r)
	}
	if !reqs[1].stolenAt.IsZero() || !reqs[1].leaseAt.IsZero() {
		t.Errorf("unset times read back as %+v", reqs[1])
	}
	n, err := s.pruneRequests(ctx, givenUnknown, t1)
	if err != nil || n != 1 {
		t.Fatalf("pruned %d (%v), want 1", n, err)
	}
	if reqs, err := s.requests(ctx); err != nil || len(reqs) != 2 || reqs[0].serial != "SN1" || reqs[1].serial != "SN3" {
		t.Fatalf("after pruning %+v (%v)", reqs, err)
	}
}

// Two stores on one data directory (the server and `aula stolen add`):
// each sees the other's changes and their generation.
func testSharedLeases(t *testing.T, open func(t *testing.T, dir string) leaseStore) {
	dir := storeDir(t)
	a := open(t, dir)
	b := open(t, dir)
	ctx := t.Context()
	before := gen(t, a)
	if err := b.markStolen(ctx, stolenRow{Serial: "SN1", Note: "cli", MarkedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.addLeases(ctx, []leaseRow{testLeaseRow("SN2", "l2", lease.NoExpiry, originImport, time.Now())}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		snap, err := a.snapshot(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if snap.gen >= before+2 && len(snap.stolen) == 1 && len(snap.leases) == 1 {
			if snap.gen != gen(t, b) {
				t.Fatalf("generations differ: %d and %d", snap.gen, gen(t, b))
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other store still reads generation %d, %d marks, %d leases", snap.gen, len(snap.stolen), len(snap.leases))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
