package id

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestReplayMatchesFold is the journal's conformance test: random
// registrations over a few keys, serials and uuids (supersedes by serial
// and by uuid, placeholders, empty serials and nicknames, repeats) read
// the same — every lookup, the list and the history — replayed from the
// journal before the fold as from the records after it, and after a
// restart of the process.
func TestReplayMatchesFold(t *testing.T) {
	for round := range 4 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			dir := dataDir(t)
			h := newHarness(t, dir)
			rng := rand.New(rand.NewPCG(uint64(round), 7))
			keys := make([]string, 6)
			for i := range keys {
				keys[i] = newKey(t)
			}
			serials := []string{"SHF706002A1", "SHF706002A2", "SHF706002A3", PlaceholderSerial, ""}
			uuids := []string{"11111111-2222-3333-4444-555555555555", "66666666-7777-8888-9999-000000000000",
				"AAAAAAAA-2222-3333-4444-555555555555", PlaceholderUUID}
			nicks := []string{"", "a", "b"}
			// Some registrations folded first, so the replay starts from
			// records that exist.
			for i := range 40 {
				if i == 15 {
					h.settle()
				}
				_, err := h.mod.register(t.Context(), ClientArgs{
					UUID: uuids[rng.IntN(len(uuids))], Serial: serials[rng.IntN(len(serials))],
					Nickname: nicks[rng.IntN(len(nicks))], PubKey: keys[rng.IntN(len(keys))]}, false)
				if err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Microsecond) // distinct registration times
			}
			if h.mod.recs.j.pend.len() == 0 {
				t.Fatal("nothing pending: the test replays nothing")
			}
			lookups := func(h *harness) string {
				var b strings.Builder
				cs, err := h.mod.Clients(t.Context())
				fmt.Fprintf(&b, "list %v %v\n", cs, err)
				for _, k := range keys {
					c, ok, err := h.mod.ClientByUID(t.Context(), UIDOf(k))
					fmt.Fprintf(&b, "uid %v %v %v\n", c, ok, err)
					uid, hasKey, found, err := h.mod.recs.status(t.Context(), UIDOf(k), false)
					fmt.Fprintf(&b, "status %v %v %v %v\n", uid, hasKey, found, err)
					hist, err := h.mod.recs.history(t.Context(), UIDOf(k), "", "")
					fmt.Fprintf(&b, "history %v %v\n", hist, err)
				}
				for _, s := range serials[:4] {
					cs, err := h.mod.recs.find(t.Context(), "serial", s)
					fmt.Fprintf(&b, "serial %s %v %v\n", s, cs, err)
					hist, err := h.mod.recs.history(t.Context(), "", s, "")
					fmt.Fprintf(&b, "history %v %v\n", hist, err)
				}
				for _, u := range uuids {
					cs, err := h.mod.recs.find(t.Context(), "uuid_key", strings.ToLower(u))
					fmt.Fprintf(&b, "uuid %s %v %v\n", u, cs, err)
					uid, hasKey, found, err := h.mod.recs.status(t.Context(), strings.ToLower(u), true)
					fmt.Fprintf(&b, "status %v %v %v %v\n", uid, hasKey, found, err)
					hist, err := h.mod.recs.history(t.Context(), "", "", u)
					fmt.Fprintf(&b, "history %v %v\n", hist, err)
				}
				return b.String()
			}
			replayed := lookups(h)
			if n := journalRows(t, h); n == 0 {
				t.Fatal("a read folded the journal")
			}
			// Another process (started as after a crash) replays the same.
			other := newHarness(t, dir)
			if got := lookups(other); got != replayed {
				t.Errorf("a fresh process reads otherwise:\n%s\nthis one:\n%s", got, replayed)
			}
			h.settle()
			if n := journalRows(t, h); n != 0 {
				t.Fatalf("%d rows left after the fold", n)
			}
			if folded := lookups(h); folded != replayed {
				t.Errorf("replayed reads differ from folded ones:\nreplayed:\n%s\nfolded:\n%s", replayed, folded)
			}
		})
	}
}
