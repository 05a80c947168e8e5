package id

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"
)

// The fold is housekeeping: a call that folds before its own change
// (id.remove) does not lend the fold its context, so work the chain put
// on the call's context for the call's first write (the audit row, a
// store rider) commits with the removal itself, not with the fold.
func TestFoldWritesWithoutTheCallersContext(t *testing.T) {
	h := newHarness(t, dataDir(t))
	key := newKey(t)
	uid := UIDOf(key)
	h.register("SHF706002A7", "a", "11111111-2222-3333-4444-555555555555", key)
	if n := journalRows(t, h); n != 1 {
		t.Fatalf("journal holds %d rows, want 1 unapplied registration", n)
	}
	// The rider insists that the client is already gone when it runs.
	ctx, rider := h.db.WithRider(context.Background(), func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRow("SELECT COUNT(*) FROM id_clients WHERE uid = ?", uid).Scan(&n); err != nil {
			return err
		}
		if n != 0 {
			return fmt.Errorf("rider ran while %s is still registered", uid)
		}
		return nil
	})
	if _, found, err := h.mod.recs.remove(ctx, uid, time.Now()); err != nil || !found {
		t.Fatalf("remove: found %v, %v", found, err)
	}
	if n := journalRows(t, h); n != 0 {
		t.Fatalf("journal holds %d rows after remove, want 0 (remove folds first)", n)
	}
	if !rider.Finish() || rider.Err() != nil {
		t.Fatalf("rider: committed %v, err %v; want committed with the removal, never run with the fold", rider.Finish(), rider.Err())
	}
}
