package backup

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"aula/internal/store"
	"aula/modules/backup/snapshot"
)

// opener gives a recordStore on the data directory dir whose slots follow
// the clock now; two opened on one dir are two processes (the server and
// a gate) on one database.
type opener func(t *testing.T, dir string, now func() time.Time) recordStore

// storeConformance is what any recordStore must do: admission, the gate,
// `aula backup status` and the other processes rely on exactly this.
func storeConformance(t *testing.T, open opener) {
	t.Run("GrantSlots", func(t *testing.T) { testGrantSlots(t, open) })
	t.Run("GrantWindow", func(t *testing.T) { testGrantWindow(t, open) })
	t.Run("AcquireRelease", func(t *testing.T) { testAcquireRelease(t, open) })
	t.Run("Renew", func(t *testing.T) { testRenew(t, open) })
	t.Run("Events", func(t *testing.T) { testEvents(t, open) })
	t.Run("ClientStats", func(t *testing.T) { testClientStats(t, open) })
	t.Run("Saved", func(t *testing.T) { testSaved(t, open) })
	t.Run("SharedDataDirectory", func(t *testing.T) { testSharedSlots(t, open) })
}

// TestSQLiteStoreConformance runs the suite on the store the module uses.
func TestSQLiteStoreConformance(t *testing.T) {
	storeConformance(t, func(t *testing.T, dir string, now func() time.Time) recordStore {
		ctx := context.Background()
		db, err := store.Open(ctx, store.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(ctx, "backup", (&Module{}).Migrations()); err != nil {
			t.Fatal(err)
		}
		return newSQLiteRecords(db, now)
	})
}

func recordsDir(t *testing.T) string { return filepath.Join(t.TempDir(), "data") }

// slotClock starts on a whole millisecond, which the store keeps exactly.
func slotClock() *testClock { return newClock(time.Now().Truncate(time.Millisecond)) }

var slotSet = Settings{MaxConcurrent: 2, GrantWindow: 5 * time.Minute, SlotTTL: time.Minute}

func slotUIDs(t *testing.T, s recordStore) string {
	t.Helper()
	live, err := s.listSlots(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, sl := range live {
		out = append(out, fmt.Sprintf("%s:%s:%s:%d", sl.UID, sl.State, sl.Mode, sl.PID))
	}
	return strings.Join(out, " ")
}

func mustGrant(t *testing.T, s recordStore, uid string, set Settings) {
	t.Helper()
	if ref, err := s.grant(t.Context(), uid, set); ref != nil || err != nil {
		t.Fatalf("grant %s: %+v %v", uid, ref, err)
	}
}

// At most MaxConcurrent slots; asking twice takes one; slots expire.
func testGrantSlots(t *testing.T, open opener) {
	c := slotClock()
	s, ctx := open(t, recordsDir(t), c.now), t.Context()
	mustGrant(t, s, "a", slotSet)
	c.add(time.Second)
	mustGrant(t, s, "a", slotSet)
	mustGrant(t, s, "b", slotSet)
	ref, err := s.grant(ctx, "c", slotSet)
	if err != nil || ref == nil || !strings.Contains(ref.reason, "2 of 2 backup slots taken") || ref.retryAfter < time.Second {
		t.Fatalf("third client: %+v %v", ref, err)
	}
	if got := slotUIDs(t, s); got != "a:granted::0 b:granted::0" {
		t.Fatalf("slots %q", got)
	}
	live, _ := s.listSlots(ctx)
	if !live[0].GrantedAt.Equal(c.now().Add(-time.Second)) || !live[0].ExpiresAt.Equal(c.now().Add(slotSet.SlotTTL)) {
		t.Errorf("a's slot %+v: granted a second ago, expiring a SlotTTL from now (asked again)", live[0])
	}
	if held, err := s.holds(ctx, "a"); !held || err != nil {
		t.Fatalf("holds a: %v %v", held, err)
	}
	if held, err := s.holds(ctx, "c"); held || err != nil {
		t.Fatalf("holds c: %v %v", held, err)
	}
	evs, err := s.listEvents(ctx, "a", 10)
	if err != nil || len(evs) != 1 || evs[0].Kind != "admitted" || !evs[0].At.Equal(c.now().Add(-time.Second)) {
		t.Fatalf("a's events %+v %v: one admission", evs, err)
	}
	c.add(slotSet.SlotTTL)
	if got := slotUIDs(t, s); got != "" {
		t.Fatalf("expired slots still listed: %q", got)
	}
	if held, _ := s.holds(ctx, "a"); held {
		t.Fatal("expired slot still held")
	}
	mustGrant(t, s, "c", slotSet)
}

// At most MaxGrants grants in GrantWindow.
func testGrantWindow(t *testing.T, open opener) {
	c := slotClock()
	s := open(t, recordsDir(t), c.now)
	set := slotSet
	set.MaxConcurrent, set.MaxGrants = 10, 2
	mustGrant(t, s, "a", set)
	mustGrant(t, s, "b", set)
	c.add(time.Minute)
	ref, err := s.grant(t.Context(), "c", set)
	if err != nil || ref == nil || !strings.Contains(ref.reason, "2 backups started in the last 5m0s") || ref.retryAfter != 4*time.Minute {
		t.Fatalf("third grant in the window: %+v %v", ref, err)
	}
	c.add(4 * time.Minute)
	mustGrant(t, s, "c", set)
}

// deadPID is the id of a process that has exited.
func deadPID(t *testing.T) int {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("cannot run true:", err)
	}
	return cmd.Process.Pid
}

// A backup needs a granted slot, a restore takes a free one; a live gate
// keeps its slot from another, a dead one does not; release lingers or
// frees.
func testAcquireRelease(t *testing.T, open opener) {
	c := slotClock()
	s, ctx := open(t, recordsDir(t), c.now), t.Context()
	me, dead := os.Getpid(), deadPID(t)
	ref, err := s.acquire(ctx, "a", "backup", me, slotSet)
	if err != nil || ref == nil || ref.reason != errNoSlot.Error() {
		t.Fatalf("backup without a slot: %+v %v", ref, err)
	}
	mustGrant(t, s, "a", slotSet)
	if ref, err := s.acquire(ctx, "a", "backup", dead, slotSet); ref != nil || err != nil {
		t.Fatalf("acquire a: %+v %v", ref, err)
	}
	if ref, err := s.acquire(ctx, "a", "backup", me, slotSet); ref != nil || err != nil {
		t.Fatalf("a slot held by a dead gate: %+v %v", ref, err)
	}
	if ref, err := s.acquire(ctx, "a", "backup", me+1, slotSet); err != nil || ref == nil || !strings.Contains(ref.reason, "another transfer") {
		t.Fatalf("a slot held by a live gate: %+v %v", ref, err)
	}
	if ref, err := s.acquire(ctx, "b", "restore", me, slotSet); ref != nil || err != nil {
		t.Fatalf("restore takes a free slot: %+v %v", ref, err)
	}
	if ref, err := s.acquire(ctx, "c", "restore", me, slotSet); err != nil || ref == nil || !strings.Contains(ref.reason, "server busy") {
		t.Fatalf("restore with no free slot: %+v %v", ref, err)
	}
	want := fmt.Sprintf("a:running:backup:%d b:running:restore:%d", me, me)
	if got := slotUIDs(t, s); got != want {
		t.Fatalf("slots %q, want %q", got, want)
	}
	if err := s.release(ctx, "a", me+1, 0); err != nil {
		t.Fatal(err)
	}
	if got := slotUIDs(t, s); got != want {
		t.Fatalf("another pid's release changed the slots: %q", got)
	}
	if err := s.release(ctx, "a", me, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := s.release(ctx, "b", me, 0); err != nil {
		t.Fatal(err)
	}
	if got := slotUIDs(t, s); got != "a:granted::0" {
		t.Fatalf("after release: %q", got)
	}
	c.add(30 * time.Second)
	if got := slotUIDs(t, s); got != "" {
		t.Fatalf("lingering slot outlived its linger: %q", got)
	}
}

// Renewing pushes the expiry back, and takes a lost slot back.
func testRenew(t *testing.T, open opener) {
	c := slotClock()
	s, ctx := open(t, recordsDir(t), c.now), t.Context()
	me := os.Getpid()
	if ref, err := s.acquire(ctx, "a", "restore", me, slotSet); ref != nil || err != nil {
		t.Fatalf("acquire: %+v %v", ref, err)
	}
	c.add(50 * time.Second)
	if err := s.renew(ctx, "a", "restore", me, time.Minute); err != nil {
		t.Fatal(err)
	}
	c.add(50 * time.Second)
	if got := slotUIDs(t, s); got != fmt.Sprintf("a:running:restore:%d", me) {
		t.Fatalf("renewed slot: %q", got)
	}
	c.add(time.Hour)
	if got := slotUIDs(t, s); got != "" {
		t.Fatalf("slot did not expire: %q", got)
	}
	if err := s.renew(ctx, "a", "restore", me, time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := slotUIDs(t, s); got != fmt.Sprintf("a:running:restore:%d", me) {
		t.Fatalf("lost slot not taken back: %q", got)
	}
}

// Events are listed newest first, per client or all, and pruned by age.
func testEvents(t *testing.T, open opener) {
	s, ctx := open(t, recordsDir(t), time.Now), t.Context()
	t0 := time.Now().Truncate(time.Millisecond).UTC()
	in := []Event{
		{At: t0, UID: "a", Kind: "refused", Detail: "over the backup quota"},
		{At: t0.Add(time.Second), UID: "b", Kind: "backup", Detail: "ok in 1s: current"},
		{At: t0.Add(2 * time.Second), UID: "a", Kind: "backup", Detail: strings.Repeat("x", 2*maxDetail)},
		{At: t0.Add(3 * time.Second), UID: "", Kind: "refused", Detail: "bad client id"},
	}
	for _, e := range in {
		if err := s.addEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.listEvents(ctx, "", 10)
	if err != nil || len(all) != 4 {
		t.Fatalf("events %+v %v", all, err)
	}
	for i, e := range all {
		if w := in[3-i]; e != w {
			t.Errorf("event %d: %+v, want %+v", i, e, w)
		}
	}
	if got, err := s.listEvents(ctx, "a", 1); err != nil || len(got) != 1 || got[0] != in[2] {
		t.Fatalf("a's newest: %+v %v", got, err)
	}
	if err := s.pruneEvents(ctx, t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.listEvents(ctx, "", 10); err != nil || len(got) != 2 || got[1] != in[2] {
		t.Fatalf("after pruning: %+v %v", got, err)
	}
}

// Transfer outcomes and sizes are kept per client.
func testClientStats(t *testing.T, open opener) {
	s, ctx := open(t, recordsDir(t), time.Now), t.Context()
	if _, ok, err := s.clientStats(ctx, "a"); ok || err != nil {
		t.Fatalf("no record yet: %v %v", ok, err)
	}
	t0 := time.Now().Truncate(time.Millisecond).UTC()
	steps := []error{
		s.saveResult(ctx, "a", "backup", "ok", t0),
		s.saveResult(ctx, "a", "restore", "rsync exit 23", t0.Add(time.Second)),
		s.saveUsage(ctx, "a", snapshot.Usage{Bytes: 10, DiskBytes: 4096, Inodes: 3}, 2, "2026-12-03_0800", t0.Add(2*time.Second)),
		s.saveUsage(ctx, "b", snapshot.Usage{Bytes: 1}, 0, "", t0),
		s.saveResult(ctx, "c", "backup", "ok", t0.Add(-time.Hour)),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	want := ClientStats{UID: "a", LastBackup: t0, LastRestore: t0.Add(time.Second), LastResult: "rsync exit 23",
		LastSnapshot: "2026-12-03_0800", Snapshots: 2, Bytes: 10, DiskBytes: 4096, Inodes: 3, Measured: t0.Add(2 * time.Second)}
	if got, ok, err := s.clientStats(ctx, "a"); !ok || err != nil || got != want {
		t.Fatalf("a: %+v %v %v\nwant %+v", got, ok, err, want)
	}
	all, err := s.listStats(ctx)
	if err != nil || len(all) != 3 || all[0].UID != "a" || all[1].UID != "c" || all[2].UID != "b" || !all[2].LastBackup.IsZero() {
		t.Fatalf("all, most recent backup first: %+v %v", all, err)
	}
}

// Settings and the authorized_keys outcome read back as saved.
func testSaved(t *testing.T, open opener) {
	s, ctx := open(t, recordsDir(t), time.Now), t.Context()
	if _, ok, err := s.loadSettings(ctx); ok || err != nil {
		t.Fatalf("settings before any were saved: %v %v", ok, err)
	}
	if _, ok, err := s.loadKeyState(ctx); ok || err != nil {
		t.Fatalf("key state before any was saved: %v %v", ok, err)
	}
	set := Settings{Root: "/srv/backup", AuthorizedKeys: "/srv/keys", GateCommand: "/usr/bin/aula", Rsync: "/usr/bin/rsync",
		MaxConcurrent: 5, MaxGrants: 10, GrantWindow: 5 * time.Minute, SlotTTL: 2 * time.Minute, Quota: 1 << 30,
		Policy: snapshot.DefaultPolicy(), SnapshotOn: "every", AllowRoot: true}
	set.Limits.MaxLoad1 = 4
	if err := s.saveSettings(ctx, set); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := s.loadSettings(ctx); !ok || err != nil || fmt.Sprint(got) != fmt.Sprint(set) {
		t.Fatalf("settings %+v %v %v\nwant %+v", got, ok, err, set)
	}
	st := keyState{OK: false, Error: "disk full", Since: time.Now().UTC(), Entries: 3, Failures: 2}
	if err := s.saveKeyState(ctx, st); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := s.loadKeyState(ctx); !ok || err != nil || !got.Since.Equal(st.Since) || got.Error != st.Error || got.Entries != 3 || got.Failures != 2 {
		t.Fatalf("key state %+v %v %v", got, ok, err)
	}
}

// Two stores on one data directory (the server and gates), granting at
// once, never hold more than MaxConcurrent slots.
func testSharedSlots(t *testing.T, open opener) {
	dir := recordsDir(t)
	sides := []recordStore{open(t, dir, time.Now), open(t, dir, time.Now)}
	set := slotSet
	set.MaxConcurrent, set.SlotTTL = 3, time.Hour
	var mu sync.Mutex
	granted := map[string]bool{}
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Go(func() {
			uid := fmt.Sprintf("c%02d", i%20)
			ref, err := sides[i%2].grant(context.Background(), uid, set)
			if err != nil {
				t.Error(err)
				return
			}
			if ref == nil {
				mu.Lock()
				granted[uid] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(granted) != set.MaxConcurrent {
		t.Errorf("%d clients granted, want %d: %v", len(granted), set.MaxConcurrent, granted)
	}
	for _, s := range sides {
		if live, err := s.listSlots(t.Context()); err != nil || len(live) != set.MaxConcurrent {
			t.Errorf("slots seen: %d (%v), want %d", len(live), err, set.MaxConcurrent)
		}
	}
}
