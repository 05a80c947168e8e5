package storetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"

	"aula/internal/store"
)

// The rider tests use ids from 1000 up for riders' rows, below for writes'.

func testRiderCommitsWithWrite(t *testing.T, open Opener) {
	db := openItems(t, open)
	ctx, rider := db.WithRider(context.Background(), insertItem(db, 1001))
	if err := db.Write(ctx, insertItem(db, 1)); err != nil {
		t.Fatalf("Write: %v", err)
	}
	// A second Write with the same context does not run the rider again
	// (its row would be a duplicate key, failing nothing but the rider).
	if err := db.Write(ctx, insertItem(db, 2)); err != nil {
		t.Fatalf("second Write: %v", err)
	}
	if !rider.Finish() || rider.Err() != nil {
		t.Fatalf("rider: committed %v, err %v; want committed, no error", rider.Finish(), rider.Err())
	}
	if ids := itemIDs(t, db); !ids[1] || !ids[2] || !ids[1001] || len(ids) != 3 {
		t.Fatalf("rows = %v, want 1, 2 and the rider's 1001", ids)
	}
	db.Close()
	if ids := itemIDs(t, open(t)); !ids[1001] {
		t.Fatalf("the rider's row is gone after reopening: %v", ids)
	}
}

// riderWriters runs n concurrent Writes, each inserting i; writer i
// carries a rider inserting 1000+i, which fails (after inserting) for
// every i%3 == 0. Every Write must succeed, every write's row be there,
// exactly the good riders' rows, and each rider report what happened.
func riderWriters(t *testing.T, db *store.DB, n int) {
	t.Helper()
	riders := make([]*store.Rider, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		insert := insertItem(db, 1000+i)
		ctx, r := db.WithRider(context.Background(), func(tx *sql.Tx) error {
			if err := insert(tx); err != nil {
				return err
			}
			if i%3 == 0 {
				return fmt.Errorf("rider %d: %w", i, errRefused)
			}
			return nil
		})
		riders[i] = r
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = db.Write(ctx, insertItem(db, i))
		}()
	}
	close(start)
	wg.Wait()
	ids := itemIDs(t, db)
	for i := range n {
		if errs[i] != nil {
			t.Errorf("write %d failed: %v (a rider must not fail its write)", i, errs[i])
		}
		if !ids[i] {
			t.Errorf("row %d of an acknowledged write is missing", i)
		}
		committed, bad := riders[i].Finish(), i%3 == 0
		if committed == bad || ids[1000+i] == bad {
			t.Errorf("rider %d (failing: %v): committed %v, row present %v", i, bad, committed, ids[1000+i])
		}
		if err := riders[i].Err(); bad != errors.Is(err, errRefused) {
			t.Errorf("rider %d (failing: %v): Err() = %v", i, bad, err)
		}
	}
}

func testRiderFailingIsolated(t *testing.T, open Opener) {
	riderWriters(t, openItems(t, open), 60)
}

func testRiderUndoneWithItsWrite(t *testing.T, open Opener) {
	db := openItems(t, open)
	ctx, rider := db.WithRider(context.Background(), insertItem(db, 1001))
	err := db.Write(ctx, func(tx *sql.Tx) error {
		if err := insertItem(db, 1)(tx); err != nil {
			return err
		}
		return errRefused
	})
	if !errors.Is(err, errRefused) {
		t.Fatalf("failing Write = %v, want its own error", err)
	}
	if ids := itemIDs(t, db); len(ids) != 0 {
		t.Fatalf("rows after a failed write with a rider = %v, want none", ids)
	}
	// The rider is free again: the next Write with ctx takes it.
	if err := db.Write(ctx, insertItem(db, 2)); err != nil {
		t.Fatal(err)
	}
	if !rider.Finish() {
		t.Fatal("rider not committed with the Write after a failed one")
	}
	if ids := itemIDs(t, db); !ids[2] || !ids[1001] || len(ids) != 2 {
		t.Fatalf("rows = %v, want 2 and 1001", ids)
	}
}

func testRiderFinished(t *testing.T, open Opener) {
	db := openItems(t, open)
	ctx, rider := db.WithRider(context.Background(), insertItem(db, 1001))
	if rider.Finish() {
		t.Fatal("Finish reports a rider no Write took as committed")
	}
	if err := db.Write(ctx, insertItem(db, 1)); err != nil {
		t.Fatal(err)
	}
	if ids := itemIDs(t, db); ids[1001] {
		t.Fatal("a Write took a rider after Finish")
	}
	// A rider made for another database is not taken either (a subtest
	// gets a database of its own).
	ctx, rider = db.WithRider(context.Background(), insertItem(db, 1002))
	t.Run("OtherDatabase", func(t *testing.T) {
		other := openItems(t, open)
		if err := other.Write(ctx, insertItem(other, 3)); err != nil {
			t.Fatal(err)
		}
		if ids := itemIDs(t, other); len(ids) != 1 || !ids[3] {
			t.Fatalf("rows of the other database = %v, want only 3", ids)
		}
	})
	if err := db.Write(ctx, insertItem(db, 2)); err != nil {
		t.Fatal(err)
	}
	if !rider.Finish() || !itemIDs(t, db)[1002] {
		t.Fatal("the rider did not ride with a Write on its own database after one on another")
	}
}
