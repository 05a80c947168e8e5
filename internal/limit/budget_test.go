package limit

import (
	"context"
	"testing"
	"time"
)

func TestBudgetHoldsAndGivesBack(t *testing.T) {
	b := NewBudget(10)
	r1, ok := b.Acquire(context.Background(), 6, time.Second)
	if !ok || b.InUse() != 6 {
		t.Fatalf("first acquire: ok=%v in use %d", ok, b.InUse())
	}
	// 6 more do not fit: refused once the (short) wait is over.
	if _, ok := b.Acquire(context.Background(), 6, 10*time.Millisecond); ok {
		t.Fatal("acquired beyond the budget")
	}
	if b.InUse() != 6 {
		t.Fatalf("a refused waiter holds bytes: in use %d", b.InUse())
	}
	r1()
	r1() // a second call gives nothing back twice
	if b.InUse() != 0 {
		t.Fatalf("in use after release: %d", b.InUse())
	}
	// A request larger than the whole budget runs alone.
	r2, ok := b.Acquire(context.Background(), 100, time.Second)
	if !ok || b.InUse() != 10 {
		t.Fatalf("oversized acquire: ok=%v in use %d", ok, b.InUse())
	}
	r2()
}

func TestBudgetWaiterIsGrantedOnRelease(t *testing.T) {
	b := NewBudget(10)
	r1, _ := b.Acquire(context.Background(), 10, time.Second)
	got := make(chan bool)
	go func() {
		r, ok := b.Acquire(context.Background(), 4, time.Minute)
		if ok {
			r()
		}
		got <- ok
	}()
	waitFor(t, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return len(b.waiters) == 1 })
	r1()
	if !<-got {
		t.Fatal("waiter not granted after release")
	}
}

func TestBudgetSmallPassesLargeThatDoesNotFit(t *testing.T) {
	b := NewBudget(10)
	r1, _ := b.Acquire(context.Background(), 7, time.Second)
	defer r1()
	large := make(chan bool)
	go func() {
		_, ok := b.Acquire(context.Background(), 8, time.Minute)
		large <- ok
	}()
	waitFor(t, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return len(b.waiters) == 1 })
	r, ok := b.Acquire(context.Background(), 3, time.Second)
	if !ok {
		t.Fatal("a small request that fits waited behind a large one")
	}
	r()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := b.Acquire(ctx, 8, time.Minute); ok {
		t.Fatal("acquired with a cancelled context and no room")
	}
	r1()
	if !<-large {
		t.Fatal("large waiter not granted")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not reached in 10 s")
}
