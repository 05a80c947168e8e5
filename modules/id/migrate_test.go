package id

import (
	"database/sql"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"aula/internal/store"
	"aula/internal/store/storetest"
)

// A data directory written before migration 0005 (id_clients keyed by
// the uid's text), with folded records and registrations still in the
// journal, reads the same after the upgrade, before and after the fold,
// and the fold still counts repeats and supersedes by serial.
func TestMigrationUIDIndexUpgrade(t *testing.T) {
	dir := dataDir(t)
	ctx := t.Context()
	db, err := store.Open(ctx, store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	migrateBefore(t, db, "0005")
	k1, k2, k3, k4 := newKey(t), newKey(t), newKey(t), newKey(t)
	at := func(min int) string { return fmtTime(time.Date(2026, 12, 1, 8, min, 0, 0, time.UTC)) }
	const uuid2 = "22222222-3333-4444-5555-666666666666"
	err = db.Write(ctx, func(tx *sql.Tx) error {
		for _, c := range []struct{ key, uuid, serial, nick, at string }{
			{k1, machineUUID, "SHF706002A7", "uno", at(1)},
			{k2, uuid2, "SHF706002B8", "dos", at(2)},
			{k3, PlaceholderUUID, PlaceholderSerial, "sugar", at(3)},
		} {
			if _, err := tx.Exec("INSERT INTO id_clients ("+strings.Replace(clientCols, "uuid, ", "uuid, uuid_key, ", 1)+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
				UIDOf(c.key), c.uuid, strings.ToLower(c.uuid), c.serial, c.nick, c.key, c.at, c.at, "10.0.0.1"); err != nil {
				return err
			}
		}
		for _, c := range []Client{
			{UID: UIDOf(k1), UUID: machineUUID, Serial: "SHF706002A7", PubKey: k1, LastAddr: "10.0.0.2"},               // a repeat
			{UID: UIDOf(k4), UUID: uuid2, Serial: "SHF706002B8", Nickname: "cuatro", PubKey: k4, LastAddr: "10.0.0.4"}, // k2's laptop, new key
		} {
			if _, err := tx.Exec("INSERT INTO id_journal (rec) VALUES (?)", encodeJournal(c, at(10))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	h := newHarness(t, dir) // applies 0005
	var idx int
	if err := h.db.Reader().QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'id_clients_uid'").Scan(&idx); err != nil || idx != 1 {
		t.Fatalf("after the upgrade: %d indexes id_clients_uid (%v)", idx, err)
	}
	check := func(when string) {
		t.Helper()
		c, ok, err := h.mod.ClientByUID(ctx, UIDOf(k1))
		if err != nil || !ok || c.Registrations != 2 || c.Nickname != "uno" || c.LastAddr != "10.0.0.2" || c.FirstRegistered.Minute() != 1 {
			t.Errorf("%s: k1 %+v %v %v", when, c, ok, err)
		}
		if c, ok, err := h.mod.ClientByUID(ctx, UIDOf(k2)); err != nil || ok {
			t.Errorf("%s: k2 still current: %+v %v", when, c, err)
		}
		if c, ok, err := h.mod.ClientBySerial(ctx, "SHF706002B8"); err != nil || !ok || c.UID != UIDOf(k4) {
			t.Errorf("%s: serial of k2 and k4: %+v %v %v", when, c, ok, err)
		}
		if c, ok, err := h.mod.ClientByUUID(ctx, machineUUID); err != nil || !ok || c.UID != UIDOf(k1) {
			t.Errorf("%s: uuid of k1: %+v %v %v", when, c, ok, err)
		}
		if c, ok, err := h.mod.ClientByUID(ctx, UIDOf(k3)); err != nil || !ok || c.Serial != PlaceholderSerial {
			t.Errorf("%s: k3 %+v %v %v", when, c, ok, err)
		}
		if c, ok, err := h.mod.ClientByUID(ctx, strings.ToUpper(UIDOf(k1))); err != nil || !ok || c.UID != UIDOf(k1) {
			t.Errorf("%s: k1 by its uid in capitals: %+v %v %v", when, c, ok, err)
		}
		if code, body := h.get("/client/status?uid=" + UIDOf(k4)); code != 200 || body["registered"] != true {
			t.Errorf("%s: status of k4: %d %v", when, code, body)
		}
		cs, err := h.mod.Clients(ctx)
		if err != nil || len(cs) != 3 {
			t.Errorf("%s: %d clients, want 3: %v", when, len(cs), err)
		}
		hist, err := h.mod.recs.history(ctx, UIDOf(k2), "", "")
		if err != nil || len(hist) != 1 || hist[0].Reason != "superseded" || hist[0].ReplacedBy != UIDOf(k4) {
			t.Errorf("%s: k2's history %+v %v", when, hist, err)
		}
	}
	check("before the fold")
	h.settle()
	check("after the fold")
	// A repeat after the upgrade is counted on the same record.
	h.register("SHF706002A7", "uno", machineUUID, k1)
	h.settle()
	if c, ok, err := h.mod.ClientByUID(ctx, UIDOf(k1)); err != nil || !ok || c.Registrations != 3 {
		t.Errorf("k1 after another registration: %+v %v %v", c, ok, err)
	}
	var n int
	if err := h.db.Reader().QueryRow("SELECT COUNT(*) FROM id_clients WHERE uid = ?", UIDOf(k1)).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d rows of k1 (%v), want 1", n, err)
	}
}

// migrateBefore applies the id module's migrations older than version
// (as "0006"), as a data directory an older aula wrote has them.
func migrateBefore(t *testing.T, db *store.DB, version string) {
	t.Helper()
	old := fstest.MapFS{}
	all := (&Module{}).Migrations()
	names, err := fs.Glob(all, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if name < version {
			body, err := fs.ReadFile(all, name)
			if err != nil {
				t.Fatal(err)
			}
			old[name] = &fstest.MapFile{Data: body}
		}
	}
	if err := db.Migrate(t.Context(), "id", old); err != nil {
		t.Fatal(err)
	}
}

// A journal written before migration 0006 (seq AUTOINCREMENT) keeps its
// numbering through the upgrade: registrations still waiting in it are
// read and applied, the watermark never goes down, and the next
// registration gets a seq above every seq given before, also when the
// fold had emptied the journal (then the highest seq AUTOINCREMENT gave
// is kept as an empty row, and the watermark rises to it if a fold older
// than migration 0003 had not raised it).
func TestMigrationJournalSeqUpgrade(t *testing.T) {
	at := fmtTime(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC))
	for _, tc := range []struct {
		name string
		// appended rows get seq 1, 2, ...; the first applied of them are
		// deleted, and the watermark is set to folded.
		appended, applied, folded int
		wantFolded                int64 // after the upgrade
	}{
		{name: "waiting", appended: 5, applied: 3, folded: 3, wantFolded: 3},
		{name: "emptied", appended: 4, applied: 4, folded: 4, wantFolded: 4},
		{name: "emptied before 0003", appended: 4, applied: 4, folded: 0, wantFolded: 4},
		{name: "never used", wantFolded: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := dataDir(t)
			ctx := t.Context()
			db, err := store.Open(ctx, store.Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			migrateBefore(t, db, "0006")
			keys := make([]string, tc.appended)
			err = db.Write(ctx, func(tx *sql.Tx) error {
				for i := range keys {
					keys[i] = newKey(t)
					c := Client{UID: UIDOf(keys[i]), UUID: PlaceholderUUID, Serial: PlaceholderSerial, Nickname: fmt.Sprint("n", i), PubKey: keys[i], LastAddr: "10.0.0.1"}
					if _, err := tx.Exec("INSERT INTO id_journal (rec) VALUES (?)", encodeJournal(c, at)); err != nil {
						return err
					}
				}
				if _, err := tx.Exec("DELETE FROM id_journal WHERE seq <= ?", tc.applied); err != nil {
					return err
				}
				_, err := tx.Exec("UPDATE id_meta SET value = ? WHERE name = 'folded'", tc.folded)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}

			h := newHarness(t, dir) // applies 0006
			var auto int
			if err := h.db.Reader().QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE name = 'id_journal' AND sql LIKE '%AUTOINCREMENT%'").Scan(&auto); err != nil || auto != 0 {
				t.Fatalf("id_journal still AUTOINCREMENT after the upgrade (%v)", err)
			}
			var folded int64
			if err := h.db.Reader().QueryRow(qFolded).Scan(&folded); err != nil || folded != tc.wantFolded {
				t.Fatalf("watermark %d after the upgrade (%v), want %d", folded, err, tc.wantFolded)
			}
			for i, k := range keys[tc.applied:] {
				if c, ok, err := h.mod.ClientByUID(ctx, UIDOf(k)); err != nil || !ok || c.Nickname != fmt.Sprint("n", tc.applied+i) {
					t.Errorf("waiting registration %d before the fold: %+v %v %v", tc.applied+i, c, ok, err)
				}
			}
			// Two registrations after the upgrade, with a fold between
			// them (which empties the journal) and after them.
			var seqs []int64
			for range 2 {
				k := newKey(t)
				h.register(PlaceholderSerial, "new", PlaceholderUUID, k)
				var seq int64
				if err := h.db.Reader().QueryRow("SELECT max(seq) FROM id_journal").Scan(&seq); err != nil {
					t.Fatal(err)
				}
				seqs = append(seqs, seq)
				h.settle()
				if c, ok, err := h.mod.ClientByUID(ctx, UIDOf(k)); err != nil || !ok || c.Nickname != "new" {
					t.Errorf("registration after the upgrade: %+v %v %v", c, ok, err)
				}
			}
			if want := int64(tc.appended + 1); seqs[0] != want || seqs[1] != want+1 {
				t.Errorf("registrations after the upgrade got seqs %v, want %d and %d", seqs, want, want+1)
			}
			for i, k := range keys[tc.applied:] {
				if c, ok, err := h.mod.ClientByUID(ctx, UIDOf(k)); err != nil || !ok || c.Nickname != fmt.Sprint("n", tc.applied+i) {
					t.Errorf("waiting registration %d after the fold: %+v %v %v", tc.applied+i, c, ok, err)
				}
			}
			if n := journalRows(t, h); n != 0 {
				t.Errorf("%d journal rows above the watermark after the fold", n)
			}
			if err := h.db.Reader().QueryRow(qFolded).Scan(&folded); err != nil || folded != seqs[1] {
				t.Errorf("watermark %d after the folds (%v), want %d", folded, err, seqs[1])
			}
		})
	}
}

// Every query by uid finds the record through the index of unhex(uid),
// not by reading the whole table.
func TestUIDQueriesUseIndex(t *testing.T) {
	h := newHarness(t, dataDir(t))
	for _, q := range []string{
		"SELECT " + clientCols + " FROM id_clients WHERE " + uidIs,
		"DELETE FROM id_clients WHERE " + uidIs,
	} {
		if p := storetest.QueryPlan(t, h.db, q, UIDOf("k")); !strings.Contains(p, "USING INDEX id_clients_uid") {
			t.Errorf("%s\ndoes not use id_clients_uid: %s", q, p)
		}
	}
}
