package id

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"aula/internal/core"
)

// qUnfolded counts the journal rows not applied yet: those above the
// watermark (the journal keeps the row of its highest seq after the fold,
// deleteApplied).
const qUnfolded = "SELECT COUNT(*) FROM id_journal WHERE seq > (" + qFolded + ")"

func journalRows(t *testing.T, h *harness) int {
	t.Helper()
	var n int
	if err := h.db.Reader().QueryRow(qUnfolded).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A registration is only appended; reads see the journal replayed in
// order without writing, and the fold then applies it with the same
// outcome (records, history, events) as applying each registration at
// once, published as one batch.
func TestJournalReplayedOnReadAppliedInOrder(t *testing.T) {
	h := newHarness(t, dataDir(t))
	ka, kb := newKey(t), newKey(t)
	a, b := UIDOf(ka), UIDOf(kb)
	move := func() {
		if err := h.admin("id.allow_move", map[string]any{"serial": "SHF706002A7"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	h.register("SHF706002A7", "a", "11111111-2222-3333-4444-555555555555", ka)
	move()
	h.register("SHF706002A7", "b", "66666666-7777-8888-9999-000000000000", kb) // supersedes a
	move()
	h.register("SHF706002A7", "a", "11111111-2222-3333-4444-555555555555", ka) // and a takes it back
	if n := journalRows(t, h); n != 3 {
		t.Fatalf("journal holds %d rows before any read, want 3", n)
	}
	if _, s := h.get("/client/status?uid=" + b); s["registered"] != false {
		t.Errorf("status of b: %v", s)
	}
	var show ShowReply
	if err := h.admin("id.show", map[string]any{"id": "SHF706002A7"}, &show); err != nil {
		t.Fatal(err)
	}
	if len(show.Clients) != 1 || show.Clients[0].UID != a || show.Clients[0].Registrations != 1 || len(show.History) != 2 {
		t.Errorf("show before the fold %+v", show)
	}
	if n := journalRows(t, h); n != 3 {
		t.Errorf("journal holds %d rows after reads, want 3: reads do not write", n)
	}
	if evs := h.events.take(); len(evs) != 0 {
		t.Errorf("events before the fold: %v", evs)
	}
	h.settle()
	if n := journalRows(t, h); n != 0 {
		t.Errorf("journal holds %d rows after the fold, want 0", n)
	}
	want := []string{
		"registered " + a,
		"removed " + a, "registered " + b,
		"removed " + b, "registered " + a,
	}
	evs := h.events.take()
	if len(evs) != 1 {
		t.Errorf("%d publications, want one batch", len(evs))
	}
	got := clientEvents(t, evs)
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("events %v, want %v", got, want)
		}
	}
	var after ShowReply
	if err := h.admin("id.show", map[string]any{"id": "SHF706002A7"}, &after); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(after) != fmt.Sprint(show) {
		t.Errorf("show after the fold %+v\nbefore %+v", after, show)
	}
}

// Another process on the same data directory (an admin command while the
// server runs) sees registrations this one appended, and this one sees
// what the other did with them.
func TestJournalSharedBetweenProcesses(t *testing.T) {
	dir := dataDir(t)
	server := newHarness(t, dir)
	k := newKey(t)
	server.register("SHF706002A7", "nena", machineUUID, k)

	admin := newHarness(t, dir)
	c, ok, err := admin.mod.ClientBySerial(t.Context(), "SHF706002A7")
	if err != nil || !ok || c.UID != UIDOf(k) {
		t.Fatalf("the other process does not see the registration: %+v %v %v", c, ok, err)
	}
	var rm RemoveReply
	if err := admin.admin("id.remove", map[string]any{"id": UIDOf(k)}, &rm); err != nil {
		t.Fatal(err)
	}
	if _, s := server.get("/client/status?uid=" + UIDOf(k)); s["registered"] != false {
		t.Errorf("the server still reports a client removed by the other process: %v", s)
	}
}

// While the server runs, the journal is folded in the background once
// registrations pause, without any read, and Stop folds what is left.
func TestJournalFoldedInBackgroundAndAtStop(t *testing.T) {
	h := newHarness(t, dataDir(t))
	if err := h.mod.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	k := newKey(t)
	h.register("SHF706002A7", "nena", machineUUID, k)
	// The fold publishes its events once its transaction is durable.
	deadline := time.Now().Add(10 * time.Second)
	var evs []core.Event
	for len(evs) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the background fold did not run")
		}
		time.Sleep(20 * time.Millisecond)
		evs = h.events.take()
	}
	if got := clientEvents(t, evs); len(got) != 1 || got[0] != "registered "+UIDOf(k) {
		t.Errorf("events %v", got)
	}
	if n := journalRows(t, h); n != 0 {
		t.Errorf("journal holds %d rows after the background fold", n)
	}

	h.register("SHF706002B8", "otro", "66666666-7777-8888-9999-000000000000", newKey(t))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := h.mod.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if n := journalRows(t, h); n != 0 {
		t.Errorf("journal holds %d rows after Stop", n)
	}
}

// A crash leaves acknowledged registrations in the journal; the next
// start applies them before its first read.
func TestJournalAppliedAfterCrash(t *testing.T) {
	dir := dataDir(t)
	h := newHarness(t, dir)
	k := newKey(t)
	for range 3 {
		h.register("SHF706002A7", "nena", machineUUID, k)
	}
	if n := journalRows(t, h); n != 3 {
		t.Fatalf("journal holds %d rows, want 3", n)
	}
	h.close() // no Stop: as after kill -9

	h = newHarness(t, dir)
	c, ok, err := h.mod.ClientByUID(t.Context(), UIDOf(k))
	if err != nil || !ok || c.Registrations != 3 {
		t.Fatalf("after restart: %+v %v %v", c, ok, err)
	}
}

func TestJournalRecordRoundTrip(t *testing.T) {
	c := Client{UID: UIDOf("k"), UUID: machineUUID, Serial: "SHF706002A7", Nickname: "Ñandú ∑ x", PubKey: "AAAAC3Nz", LastAddr: "2001:db8::1"}
	at := fmtTime(time.Date(2026, 11, 22, 8, 0, 0, 123456000, time.UTC))
	got, gotAt, err := decodeJournal(encodeJournal(c, at))
	c.LastRegistered = parseTime(at)
	if err != nil || got != c || gotAt != at {
		t.Fatalf("round trip: %+v %q %v, want %+v %q", got, gotAt, err, c, at)
	}
	upper := c
	upper.UID = strings.ToUpper(c.UID)
	for _, bad := range []string{"", "a\nb", "1\n2\n3\n4\n5\n6\n7\n8", "1\n2\n3\n4\n5\n6\n7", encodeJournal(upper, at)} {
		if _, _, err := decodeJournal(bad); err == nil {
			t.Errorf("decodeJournal(%q) accepted", bad)
		}
	}
}

// A damaged journal row is dropped with an error in the log; the rows
// after it are still applied.
func TestJournalSkipsDamagedRow(t *testing.T) {
	h := newHarness(t, dataDir(t))
	h.register("SHF706002A7", "a", machineUUID, newKey(t))
	if err := h.db.Write(t.Context(), func(tx *sql.Tx) error {
		_, err := tx.Exec("INSERT INTO id_journal (rec) VALUES ('garbage')")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	k := newKey(t)
	h.register("SHF706002B8", "b", "66666666-7777-8888-9999-000000000000", k)
	if c, ok, err := h.mod.ClientByUID(t.Context(), UIDOf(k)); err != nil || !ok {
		t.Fatalf("the registration after a damaged row: %+v %v %v", c, ok, err)
	}
	h.settle()
	if n := journalRows(t, h); n != 0 {
		t.Errorf("journal holds %d rows", n)
	}
}

// A process that registered without starting the background fold (an
// admin command calling register on the data directory) applies what it
// appended when it stops.
func TestStopFoldsWithoutStart(t *testing.T) {
	h := newHarness(t, dataDir(t))
	h.register("SHF706002A7", "nena", machineUUID, newKey(t))
	if err := h.mod.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := journalRows(t, h); n != 0 {
		t.Errorf("journal holds %d rows after Stop", n)
	}
}

// The fold never lets a seq be used twice: after it applied every row the
// journal holds one empty row at the watermark, and a row another process
// then appends (a plain INSERT, as the store numbers it) comes above it
// and is applied.
func TestFoldKeepsHighestSeq(t *testing.T) {
	h := newHarness(t, dataDir(t))
	for range 3 {
		h.register(PlaceholderSerial, "a", PlaceholderUUID, newKey(t))
	}
	h.settle()
	rows := func() (n, highest int64, rec string) {
		t.Helper()
		err := h.db.Reader().QueryRow("SELECT COUNT(*), max(seq), (SELECT rec FROM id_journal ORDER BY seq DESC LIMIT 1) FROM id_journal").Scan(&n, &highest, &rec)
		if err != nil {
			t.Fatal(err)
		}
		return n, highest, rec
	}
	var folded int64
	if err := h.db.Reader().QueryRow(qFolded).Scan(&folded); err != nil {
		t.Fatal(err)
	}
	if n, highest, rec := rows(); n != 1 || highest != folded || rec != "" || folded != 3 {
		t.Fatalf("after the fold: %d rows, highest seq %d (%q), watermark %d; want one empty row at 3", n, highest, rec, folded)
	}
	k := newKey(t)
	c := Client{UID: UIDOf(k), UUID: PlaceholderUUID, Serial: PlaceholderSerial, Nickname: "other", PubKey: k, LastAddr: "10.0.0.9"}
	if err := h.db.Write(t.Context(), func(tx *sql.Tx) error {
		_, err := tx.Exec("INSERT INTO id_journal (rec) VALUES (?)", encodeJournal(c, fmtTime(time.Now())))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, highest, _ := rows(); highest != 4 {
		t.Fatalf("another process's append got seq %d, want 4", highest)
	}
	if err := h.mod.recs.(*records).loadJournal(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.settle()
	if got, ok, err := h.mod.ClientByUID(t.Context(), c.UID); err != nil || !ok || got.Nickname != "other" {
		t.Fatalf("another process's registration after the fold: %+v %v %v", got, ok, err)
	}
	if n, highest, rec := rows(); n != 1 || highest != 4 || rec != "" {
		t.Fatalf("after the second fold: %d rows, highest seq %d (%q); want one empty row at 4", n, highest, rec)
	}
}

// A fold transaction that stops before the journal's end (here at
// foldMaxRows) leaves the rows it applied for the transaction that
// reaches the end, which empties the table, unless they would then span
// foldKeepApplied seqs or more: then it deletes the oldest, up to twice
// as many as it applied (here all but the last it applied).
func TestFoldLeavesAppliedRowsToTheEnd(t *testing.T) {
	for _, tc := range []struct {
		name string
		gap  int64 // the rows' seqs start this far above the kept row
		want int   // rows left after the first transaction
	}{
		{"close", 0, foldMaxRows + 2}, // the kept row, the applied ones, one waiting
		{"beyond foldKeepApplied", foldKeepApplied, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, dataDir(t))
			r := h.mod.recs.(*records)
			h.register(PlaceholderSerial, "a", PlaceholderUUID, newKey(t))
			h.settle() // the journal keeps an empty row at seq 1
			// Appended by another process, with seqs of its own choosing
			// (a gap the store would only leave after many folds). The
			// rows are damaged, which the fold counts and deletes without
			// applying them: what is tested here is only which rows it
			// deletes, and applying 20,000 registrations took 10 s with
			// -race.
			err := h.db.Write(t.Context(), func(tx *sql.Tx) error {
				for i := range foldMaxRows + 1 {
					if _, err := tx.Exec("INSERT INTO id_journal (seq, rec) VALUES (?, 'damaged')", tc.gap+2+int64(i)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			count := func() (n int) {
				t.Helper()
				if err := h.db.Reader().QueryRow("SELECT COUNT(*) FROM id_journal").Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			more, err := r.foldChunk(t.Context())
			if err != nil || !more {
				t.Fatalf("first transaction: more %v, %v", more, err)
			}
			if n, left := count(), journalRows(t, h); n != tc.want || left != 1 {
				t.Fatalf("after the first transaction: %d rows, %d above the watermark; want %d and 1", n, left, tc.want)
			}
			h.settle()
			if n, left := count(), journalRows(t, h); n != 1 || left != 0 {
				t.Fatalf("after the fold: %d rows, %d above the watermark; want one kept row", n, left)
			}
		})
	}
}
