package storetest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"aula/internal/store"
)

func testOnceRunsOnce(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	calls := 0
	fn := func(context.Context) error { calls++; return nil }
	if ran, err := db.Once(ctx, "init", fn); !ran || err != nil {
		t.Fatalf("first Once = %v, %v; want true, nil", ran, err)
	}
	if ran, err := db.Once(ctx, "init", fn); ran || err != nil {
		t.Fatalf("second Once = %v, %v; want false, nil", ran, err)
	}
	if ran, err := db.Once(ctx, "other", fn); !ran || err != nil {
		t.Fatalf("Once with another name = %v, %v; want true, nil", ran, err)
	}
	if calls != 2 {
		t.Fatalf("fn called %d times, want 2", calls)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if ran, err := open(t).Once(ctx, "init", fn); ran || err != nil {
		t.Fatalf("Once after reopening = %v, %v; want false, nil", ran, err)
	}
}

func testOnceConcurrent(t *testing.T, open Opener) {
	ctx := context.Background()
	dbs := []*store.DB{open(t), open(t)}
	var calls, rans atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ran, err := dbs[i%2].Once(ctx, "race", func(context.Context) error {
				calls.Add(1)
				return nil
			})
			if err != nil {
				t.Errorf("Once: %v", err)
			}
			if ran {
				rans.Add(1)
			}
		}()
	}
	wg.Wait()
	if calls.Load() != 1 || rans.Load() != 1 {
		t.Fatalf("fn called %d times, ran reported %d times; want 1 and 1", calls.Load(), rans.Load())
	}
}

func testOnceFailure(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	ran, err := db.Once(ctx, "flaky", func(context.Context) error { return errRefused })
	if !ran || !errors.Is(err, errRefused) {
		t.Fatalf("failing Once = %v, %v; want true and fn's error", ran, err)
	}
	ran, err = db.Once(ctx, "flaky", func(context.Context) error { return nil })
	if !ran || err != nil {
		t.Fatalf("Once after a failure = %v, %v; want it to run again", ran, err)
	}
	ran, err = db.Once(ctx, "flaky", func(context.Context) error { return nil })
	if ran || err != nil {
		t.Fatalf("Once after success = %v, %v; want false, nil", ran, err)
	}
	if _, err := db.Once(ctx, "", func(context.Context) error { return nil }); err == nil {
		t.Errorf("Once with an empty name succeeded")
	}
}

func testReopen(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openItems(t, open)
	if err := db.KV("persist").Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := db.Write(ctx, insertItem(db, 42)); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openItems(t, open) // migrating again must be a no-op
	if v, ok, err := db.KV("persist").Get(ctx, "k"); err != nil || !ok || string(v) != "v" {
		t.Fatalf("KV after reopening = %q, %v, %v", v, ok, err)
	}
	if !itemIDs(t, db)[42] {
		t.Fatal("row written before reopening is missing")
	}
	if n := count(t, db, "SELECT COUNT(*) FROM schema_migrations WHERE module = ?", "storetest_items"); n != 1 {
		t.Fatalf("%d migration rows after reopening, want 1", n)
	}
}
