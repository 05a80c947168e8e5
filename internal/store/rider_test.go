package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"
)

// rowIDs lists the items table.
func rowIDs(t *testing.T, db *DB) string {
	t.Helper()
	rows, err := db.Reader().Query("SELECT id FROM items ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return fmt.Sprint(ids)
}

// A failing rider, in a batch with other writes and riders, fails neither
// its own Write nor anyone else's, and leaves nothing of its own work:
// without savepoints (the batch is aborted and run again), with them
// (only its savepoint is undone), and alone in its transaction.
func TestRiderFailureInBatch(t *testing.T) {
	errRider := errors.New("rider refused")
	for _, tc := range []struct {
		name     string
		opts     Options
		careful  bool
		aborts   uint64
		gateRuns int32
		commits  uint64
	}{
		{"optimistic", Options{MaxBatchTime: time.Hour}, false, 1, 2, 1},
		{"careful", Options{MaxBatchTime: time.Hour}, true, 0, 1, 1},
		{"no group commit", Options{NoGroupCommit: true}, false, 1, 1, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openTest(t, tc.opts)
			// Set before any Write of this test is queued; the writer
			// goroutine reads it after taking one from the queue.
			if tc.careful {
				db.carefulUntil = time.Now().Add(time.Hour)
			}
			before := db.Stats()
			g := newGate()
			out := make(chan result, 4)
			g.start(db, 0, out)
			badCtx, bad := db.WithRider(context.Background(), func(tx *sql.Tx) error {
				if err := insert(1001)(tx); err != nil {
					return err
				}
				return errRider
			})
			goodCtx, good := db.WithRider(context.Background(), insert(1002))
			goWrite(badCtx, db, 1, insert(1), out)
			waitQueued(db, 1)
			goWrite(goodCtx, db, 2, insert(2), out)
			waitQueued(db, min(2, cap(db.queue)))
			goWrite(context.Background(), db, 3, insert(3), out)
			waitQueued(db, min(3, cap(db.queue)))
			close(g.release)
			for range 4 {
				if r := <-out; r.err != nil {
					t.Errorf("write %d: %v", r.id, r.err)
				}
			}
			if got := rowIDs(t, db); got != "[0 1 2 3 1002]" {
				t.Errorf("rows = %s, want [0 1 2 3 1002]", got)
			}
			if bad.Finish() || !errors.Is(bad.Err(), errRider) {
				t.Errorf("failing rider: committed %v, err %v", bad.Finish(), bad.Err())
			}
			if !good.Finish() || good.Err() != nil {
				t.Errorf("good rider: committed %v, err %v", good.Finish(), good.Err())
			}
			st := db.Stats()
			if a, c, r := st.Aborts-before.Aborts, st.Commits-before.Commits, st.Riders-before.Riders; a != tc.aborts ||
				c != tc.commits || r != 1 || g.runs.Load() != tc.gateRuns {
				t.Errorf("aborts %d, commits %d, riders %d, first write ran %d times; want %d, %d, 1, %d",
					a, c, r, g.runs.Load(), tc.aborts, tc.commits, tc.gateRuns)
			}
		})
	}
}

// When another write aborts the shared transaction, a rider runs again
// with its write in the next one and commits once.
func TestRiderRerunWithAbortedBatch(t *testing.T) {
	db := openTest(t, Options{MaxBatchTime: time.Hour})
	g := newGate()
	out := make(chan result, 3)
	ctx, rider := db.WithRider(context.Background(), insert(1000))
	goWrite(ctx, db, 0, func(tx *sql.Tx) error {
		if g.runs.Add(1) == 1 {
			close(g.started)
		}
		<-g.release
		return insert(0)(tx)
	}, out)
	<-g.started
	goWrite(context.Background(), db, 1, interrupted, out)
	waitQueued(db, 1)
	goWrite(context.Background(), db, 2, insert(2), out)
	waitQueued(db, 2)
	// Finish must wait for the Write carrying the rider, held by the gate.
	finished := make(chan bool)
	go func() { finished <- rider.Finish() }()
	close(g.release)
	for range 3 {
		if r := <-out; (r.id == 1) != (r.err != nil) {
			t.Errorf("write %d: %v", r.id, r.err)
		}
	}
	if !<-finished {
		t.Error("Finish did not report the rider committed")
	}
	if got := rowIDs(t, db); got != "[0 2 1000]" {
		t.Errorf("rows = %s, want [0 2 1000]", got)
	}
	if db.Stats().Aborts != 1 || g.runs.Load() != 2 {
		t.Errorf("aborts %d, runs %d; want 1 abort and a re-run", db.Stats().Aborts, g.runs.Load())
	}
}

// A rider whose Write is given up before it runs stays free for the
// context's next Write.
func TestRiderFreedByCanceledWrite(t *testing.T) {
	db := openTest(t, Options{MaxBatchTime: time.Hour})
	g := newGate()
	out := make(chan result, 3)
	g.start(db, 0, out)
	base, cancel := context.WithCancel(context.Background())
	ctx, rider := db.WithRider(base, insert(1000))
	goWrite(ctx, db, 1, insert(1), out)
	waitQueued(db, 1)
	cancel()
	if r := <-out; r.id != 1 || !errors.Is(r.err, context.Canceled) {
		t.Fatalf("canceled write: %d %v", r.id, r.err)
	}
	close(g.release)
	if r := <-out; r.err != nil {
		t.Fatal(r.err)
	}
	if err := db.Write(context.WithoutCancel(ctx), insert(2)); err != nil {
		t.Fatal(err)
	}
	if !rider.Finish() {
		t.Fatal("rider not committed by the Write after the canceled one")
	}
	if got := rowIDs(t, db); got != "[0 2 1000]" {
		t.Errorf("rows = %s, want [0 2 1000]", got)
	}
}
