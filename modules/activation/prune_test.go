package activation

import (
	"context"
	"database/sql"
	"testing"
	"time"
)

// TestPruneUnknown: old records of serials nobody knows are forgotten;
// recent ones, and old ones of laptops that got a lease, are kept.
func TestPruneUnknown(t *testing.T) {
	h := newHarness(t, "")
	ctx := context.Background()
	now := time.Now()
	old, recent := fmtTime(now.Add(-unknownKeep-time.Hour)), fmtTime(now.Add(-time.Hour))
	rows := []struct{ serial, at, given string }{
		{"OLD00000001", old, givenUnknown},
		{"NEW00000002", recent, givenUnknown},
		{"LEA00000003", old, "lease"},
	}
	err := h.db.Write(ctx, func(tx *sql.Tx) error {
		for _, r := range rows {
			if _, err := tx.Exec(`INSERT INTO activation_requests (serial, first_at, last_at, last_from, last_given, last_lease_at, last_stolen_at, requests)
				VALUES (?, ?, ?, '127.0.0.1', ?, '', '', 1)`, r.serial, r.at, r.at, r.given); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := h.mod.tables.pruneUnknown(ctx, now)
	if err != nil || n != 1 {
		t.Fatalf("pruned %d (%v), want 1", n, err)
	}
	var left []string
	rs, err := h.db.Reader().QueryContext(ctx, "SELECT serial FROM activation_requests ORDER BY serial")
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	for rs.Next() {
		var s string
		rs.Scan(&s)
		left = append(left, s)
	}
	if len(left) != 2 || left[0] != "LEA00000003" || left[1] != "NEW00000002" {
		t.Fatalf("left %v", left)
	}
}
