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

// writeAll runs fns concurrently, one Write each, and returns their errors.
func writeAll(db *store.DB, fns []func(*sql.Tx) error) []error {
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = db.Write(context.Background(), fn)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

func testWriteConcurrentDurable(t *testing.T, open Opener) {
	db := openItems(t, open)
	const n = 64
	fns := make([]func(*sql.Tx) error, n)
	for i := range fns {
		fns[i] = insertItem(db, i)
	}
	for i, err := range writeAll(db, fns) {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	if got := len(itemIDs(t, db)); got != n {
		t.Fatalf("%d rows visible after %d acknowledged writes", got, n)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := len(itemIDs(t, open(t))); got != n {
		t.Fatalf("%d rows after reopening, want %d", got, n)
	}
}

var errRefused = errors.New("storetest: refused on purpose")

func testWriteFailingIsolated(t *testing.T, open Opener) {
	db := openItems(t, open)
	const n = 60
	fns := make([]func(*sql.Tx) error, n)
	for i := range fns {
		insert := insertItem(db, i)
		fns[i] = func(tx *sql.Tx) error {
			if err := insert(tx); err != nil {
				return err
			}
			if i%5 == 0 {
				return fmt.Errorf("item %d: %w", i, errRefused)
			}
			return nil
		}
	}
	errs := writeAll(db, fns)
	ids := itemIDs(t, db)
	for i, err := range errs {
		if i%5 == 0 {
			if !errors.Is(err, errRefused) {
				t.Errorf("writer %d got %v, want its own error", i, err)
			}
			if ids[i] {
				t.Errorf("row %d of a failed write was committed", i)
			}
			continue
		}
		if err != nil {
			t.Errorf("writer %d: %v (another writer's failure leaked)", i, err)
		}
		if !ids[i] {
			t.Errorf("row %d of a successful write is missing", i)
		}
	}
}

func testWriteConstraint(t *testing.T, open Opener) {
	db := openItems(t, open)
	if err := db.Write(context.Background(), insertItem(db, 1)); err != nil {
		t.Fatal(err)
	}
	// One fn inserts 2 and then a duplicate 1: both its rows must go,
	// while a concurrent fn inserting 3 commits.
	bad := func(tx *sql.Tx) error {
		if err := insertItem(db, 2)(tx); err != nil {
			return err
		}
		return insertItem(db, 1)(tx)
	}
	errs := writeAll(db, []func(*sql.Tx) error{bad, insertItem(db, 3)})
	if errs[0] == nil {
		t.Errorf("duplicate primary key was accepted")
	}
	if errs[1] != nil {
		t.Errorf("concurrent good write failed: %v", errs[1])
	}
	ids := itemIDs(t, db)
	if ids[2] || !ids[1] || !ids[3] {
		t.Errorf("rows after constraint failure = %v, want 1 and 3", ids)
	}
}

func testWriteVisible(t *testing.T, open Opener) {
	ctx := context.Background()
	kv := open(t).KV("visible")
	for i := range 50 {
		key := fmt.Sprint("k", i)
		if err := kv.Put(ctx, key, []byte(key)); err != nil {
			t.Fatal(err)
		}
		if v, ok, err := kv.Get(ctx, key); err != nil || !ok || string(v) != key {
			t.Fatalf("Get right after Put %s = %q, %v, %v", key, v, ok, err)
		}
	}
}

func testWriteSerialized(t *testing.T, open Opener) {
	db := openItems(t, open)
	const writers, each = 8, 25
	incr := func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRow("SELECT n FROM storetest_counter WHERE id = 1").Scan(&n); err != nil {
			return err
		}
		_, err := tx.Exec(db.Dialect().Rebind("UPDATE storetest_counter SET n = ? WHERE id = 1"), n+1)
		return err
	}
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if err := db.Write(context.Background(), incr); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if n := count(t, db, "SELECT n FROM storetest_counter WHERE id = 1"); n != writers*each {
		t.Fatalf("counter = %d after %d read-modify-write increments", n, writers*each)
	}
}

func testWriteCanceled(t *testing.T, open Opener) {
	db := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	err := db.Write(ctx, func(*sql.Tx) error { called = true; return nil })
	if !errors.Is(err, context.Canceled) || called {
		t.Fatalf("Write with canceled context: err=%v, fn called=%v; want context.Canceled, not called", err, called)
	}
}

func testWritePanic(t *testing.T, open Opener) {
	db := openItems(t, open)
	err := db.Write(context.Background(), func(tx *sql.Tx) error {
		if err := insertItem(db, 7)(tx); err != nil {
			return err
		}
		panic("boom")
	})
	if err == nil {
		t.Fatal("a panicking write function reported success")
	}
	if err := db.Write(context.Background(), insertItem(db, 8)); err != nil {
		t.Fatalf("write after a panic: %v", err)
	}
	if ids := itemIDs(t, db); ids[7] || !ids[8] {
		t.Fatalf("rows = %v, want only 8", ids)
	}
}

func testWriteAfterClose(t *testing.T, open Opener) {
	db := open(t)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	err := db.Write(context.Background(), func(*sql.Tx) error { return nil })
	if !store.IsClosed(err) {
		t.Fatalf("Write after Close = %v, want a closed error", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func testWriteTwoHandles(t *testing.T, open Opener) {
	ctx := context.Background()
	dbs := []*store.DB{open(t), open(t)}
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("k%02d", i)
			if err := dbs[i%2].KV("two").Put(ctx, key, []byte(key)); err != nil {
				t.Errorf("Put %s through handle %d: %v", key, i%2, err)
			}
		}()
	}
	wg.Wait()
	for h, db := range dbs {
		if l, err := db.KV("two").List(ctx, ""); err != nil || len(l) != 32 {
			t.Errorf("handle %d lists %d entries (%v), want 32", h, len(l), err)
		}
	}
}
