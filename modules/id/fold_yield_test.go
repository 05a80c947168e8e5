package id

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"
)

// TestFoldYields: a fold of a long backlog gives the writer up to a write
// that waits for it (a registration during a storm), instead of holding it
// for the whole backlog. The waiting write counts the journal rows still
// unfolded: the whole backlog if it ran before the fold began, none if the
// fold took everything first (foldMaxRows rows fit one transaction), and
// some in between only if the fold committed part of the backlog and let
// it through.
func TestFoldYields(t *testing.T) {
	h, err := boot(t.TempDir()+"/data", testArgs...)
	if err != nil {
		t.Fatal(err)
	}
	defer h.close()
	r := h.mod.recs.(*records)
	next := uint64(0)
	for attempt := 1; ; attempt++ {
		appendBacklog(t, r, next, foldMaxRows)
		next += foldMaxRows
		done := make(chan error, 1)
		go func() { done <- r.fold(context.Background()) }()
		time.Sleep(50 * time.Millisecond) // likely inside the fold's first transaction
		var left int
		err := r.db.Write(context.Background(), func(tx *sql.Tx) error {
			return tx.QueryRow(qUnfolded).Scan(&left)
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if left > 0 && left < foldMaxRows {
			return // the fold gave way with part of the backlog applied
		}
		if attempt == 5 {
			t.Fatalf("a write waiting during the fold saw %d of %d rows unfolded five times: the fold never gave way", left, foldMaxRows)
		}
		t.Logf("attempt %d: the write saw %d of %d rows unfolded (ran before or after the fold); again", attempt, left, foldMaxRows)
	}
}

// appendBacklog appends n new registrations as the server does, 50
// callers at once.
func appendBacklog(t testing.TB, r *records, from uint64, n int) {
	t.Helper()
	at := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for w := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 50 {
				c := foldBenchClient(from+uint64(i), false)
				c.LastRegistered = at
				if err := r.appendRegistration(context.Background(), c); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
}
