package backup

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"aula/internal/core"
	"aula/internal/store"
	"aula/modules/backup/snapshot"
)

// A boot-time storm: hundreds of admission requests at once, from two
// store handles on the same database (as the server and gate processes
// are), never grant more slots than --backup-max-concurrent.
func TestAdmissionStormNeverExceedsMax(t *testing.T) {
	const maxSlots, nClients, perClient = 3, 60, 5
	h := newHarness(t, "", false, "--backup-max-concurrent=3", "--backup-max-grants=0")
	clients := make([]client, nClients)
	for i := range clients {
		clients[i] = h.register(i)
	}
	other, err := store.Open(context.Background(), store.Options{Dir: h.dir})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	sides := []recordStore{h.mod.store, newSQLiteRecords(other, time.Now)}
	set := h.settings()

	var mu sync.Mutex
	granted := map[string]int{}
	var wg sync.WaitGroup
	for i := 0; i < nClients*perClient; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := clients[i%nClients]
			var ref *refusal
			var err error
			if i%2 == 0 {
				a, aerr := h.admit(AdmitArgs{UUID: c.UID})
				err = aerr
				if !a.Accepted {
					ref = &refusal{reason: a.Reason}
				}
			} else {
				ref, err = sides[1].grant(context.Background(), c.UID, set)
			}
			if err != nil {
				t.Error(err)
				return
			}
			if ref == nil {
				mu.Lock()
				granted[c.UID]++
				mu.Unlock()
			} else if !strings.Contains(ref.reason, "slots taken") {
				t.Errorf("refusal %q", ref.reason)
			}
		}(i)
	}
	wg.Wait()
	if len(granted) != maxSlots {
		t.Fatalf("%d clients admitted, want exactly %d: %v", len(granted), maxSlots, granted)
	}
	live, err := h.mod.store.listSlots(context.Background())
	if err != nil || len(live) != maxSlots {
		t.Fatalf("slots %v %v", live, err)
	}
	// Every admitted client's later asks were answered yes too (its slot).
	for _, s := range live {
		if granted[s.UID] == 0 {
			t.Errorf("slot for %s, which was never told yes", s.UID)
		}
	}
}

func TestAdmissionRules(t *testing.T) {
	h := newHarness(t, "", false, "--backup-max-concurrent=2", "--backup-max-grants=3",
		"--backup-grant-window=5m", "--backup-slot-ttl=2m", "--backup-quota=1M")
	clock := newClock(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC))
	h.useClock(clock)
	a, b, c, d := h.register(1), h.register(2), h.register(3), h.register(4)

	for _, bad := range []AdmitArgs{{}, {UUID: "x y"}, {Serial: "SHF/1"}, {UUID: a.UID, Serial: a.Serial}, {UUID: a.UID, UID: b.UID},
		{UUID: strings.Repeat("a", 65)}} {
		if _, err := h.admit(bad); core.KindOf(err) != core.KindInvalid {
			t.Errorf("%+v: %v, want invalid", bad, err)
		}
	}
	for _, unknown := range []AdmitArgs{{UUID: strings.Repeat("0", 40)}, {Serial: "SHF99999999"}, {UUID: "00000000-0000-0000-0000-000000000001"}} {
		if _, err := h.admit(unknown); core.KindOf(err) != core.KindPermission || !strings.Contains(err.Error(), "unknown client") {
			t.Errorf("%+v: %v, want unknown client", unknown, err)
		}
	}
	// By uid, by machine UUID (any case), by serial: the same client.
	for _, by := range []AdmitArgs{{UUID: a.UID}, {UID: strings.ToUpper(a.UID)}, {UUID: strings.ToUpper(a.UUID)}, {Serial: a.Serial}} {
		if got, err := h.admit(by); err != nil || !got.Accepted {
			t.Fatalf("%+v: %+v %v", by, got, err)
		}
	}
	if got, _ := h.admit(AdmitArgs{Serial: b.Serial}); !got.Accepted {
		t.Fatalf("b: %+v", got)
	}
	got, _ := h.admit(AdmitArgs{Serial: c.Serial})
	if got.Accepted || !strings.Contains(got.Reason, "2 of 2") || got.RetryAfter != 120 {
		t.Fatalf("third client while two hold slots: %+v", got)
	}
	// Slots expire unless used: two minutes later c gets one.
	clock.add(2*time.Minute + time.Second)
	if got, _ := h.admit(AdmitArgs{Serial: c.Serial}); !got.Accepted {
		t.Fatalf("c after expiry: %+v", got)
	}
	// a, b, c were granted in this window: the grant limit (3) refuses d
	// although a slot is free, until the first grant leaves the window.
	clock.add(2*time.Minute + time.Second)
	got, _ = h.admit(AdmitArgs{Serial: d.Serial})
	if got.Accepted || !strings.Contains(got.Reason, "3 backups started") || got.RetryAfter < 50 || got.RetryAfter > 60 {
		t.Fatalf("d over the grant limit: %+v", got)
	}
	clock.add(time.Minute)
	if got, _ := h.admit(AdmitArgs{Serial: d.Serial}); !got.Accepted {
		t.Fatalf("d after the window moved: %+v", got)
	}

	// Quota: a client measured over it is refused outright.
	if err := h.mod.store.saveUsage(context.Background(), b.UID, snapshot.Usage{DiskBytes: 2 << 20}, 1, "", clock.now()); err != nil {
		t.Fatal(err)
	}
	if _, err := h.admit(AdmitArgs{UUID: b.UID}); core.KindOf(err) != core.KindPermission || !strings.Contains(err.Error(), "quota") {
		t.Fatalf("over quota: %v", err)
	}
	if got := h.eventKinds(a.UID); len(got) != 1 || !strings.HasPrefix(got[0], "admitted") {
		t.Fatalf("a's audit: %q", got)
	}
}

func TestAdmissionRefusedUnderLoad(t *testing.T) {
	// 1% of blocks: any real file system holding the test's data is fuller.
	h := newHarness(t, "", false, "--backup-max-disk=1")
	a := h.register(1)
	got, err := h.admit(AdmitArgs{UUID: a.UID})
	if err != nil || got.Accepted || !strings.Contains(got.Reason, "full (blocks)") || got.RetryAfter != 60 {
		t.Skipf("file system under 1%% full? %+v %v", got, err)
	}
	if live, _ := h.mod.store.listSlots(context.Background()); len(live) != 0 {
		t.Fatalf("a busy refusal took a slot: %v", live)
	}
}

func TestKeylessClientHasNoBackup(t *testing.T) {
	h := newHarness(t, "", false)
	var reply map[string]any
	if err := h.call("id.register_client", map[string]any{"uuid": "8bf9ac40-26f8-4bcc-a699-be51fd366419"}, &reply); err != nil {
		t.Fatal(err)
	}
	_, err := h.admit(AdmitArgs{UUID: reply["uid"].(string)})
	if core.KindOf(err) != core.KindPermission || !strings.Contains(err.Error(), "without a public key") {
		t.Fatalf("keyless: %v", err)
	}
}

// BenchmarkAdmitRefusedWhenFull is the storm's common case: every slot is
// taken and clients keep asking.
func BenchmarkAdmitRefusedWhenFull(b *testing.B) {
	h, err := boot(b.TempDir()+"/data", "--backup-max-concurrent=1")
	if err != nil {
		b.Fatal(err)
	}
	defer h.db.Close()
	h.t = b
	first, other := h.register(1), h.register(2)
	if a, err := h.admit(AdmitArgs{UUID: first.UID}); err != nil || !a.Accepted {
		b.Fatal(a, err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if a, err := h.admit(AdmitArgs{Serial: other.Serial}); err != nil || a.Accepted {
				b.Error(a, err)
				return
			}
		}
	})
}
