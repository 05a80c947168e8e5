package limit

import (
	"strconv"
	"testing"
	"time"
)

// fakeClock is advanced by hand, so no test depends on real timing.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time          { return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.t = c.t.Add(d) }

func newFake() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)} }

func TestLimiterBurstAndRefill(t *testing.T) {
	clk := newFake()
	l := NewLimiter(Config{Burst: 3, Every: 10 * time.Second, Now: clk.Now})
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("request %d refused within burst", i)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait != 10*time.Second {
		t.Fatalf("4th: ok=%v wait=%v, want refused, 10s", ok, wait)
	}
	clk.Advance(4 * time.Second)
	// A refused Allow takes nothing, so the wait shrinks with time.
	if ok, wait := l.Allow("a"); ok || wait != 6*time.Second {
		t.Fatalf("after 4s: ok=%v wait=%v", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("other key refused")
	}
	clk.Advance(6 * time.Second)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("refused after a token was earned back")
	}
	if ok, _ := l.Allow("a"); ok {
		t.Fatal("allowed beyond the earned token")
	}
	clk.Advance(time.Hour) // refill caps at Burst
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("after an hour, request %d refused", i)
		}
	}
	if ok, _ := l.Allow("a"); ok {
		t.Fatal("bucket refilled beyond Burst")
	}
}

func TestLimiterPeekAndReset(t *testing.T) {
	clk := newFake()
	l := NewLimiter(Config{Burst: 1, Every: time.Minute, Now: clk.Now})
	for range 5 {
		if ok, _ := l.Peek("k"); !ok {
			t.Fatal("Peek refused a fresh key")
		}
	}
	if l.Len() != 0 {
		t.Fatalf("Peek created state: Len=%d", l.Len())
	}
	l.Allow("k")
	if ok, wait := l.Peek("k"); ok || wait != time.Minute {
		t.Fatalf("Peek on empty bucket: %v %v", ok, wait)
	}
	l.Reset("k")
	if ok, _ := l.Allow("k"); !ok {
		t.Fatal("refused after Reset")
	}
}

func TestLimiterClockBackwards(t *testing.T) {
	clk := newFake()
	l := NewLimiter(Config{Burst: 1, Every: time.Minute, Now: clk.Now})
	l.Allow("k")
	clk.Advance(-time.Hour)
	if ok, wait := l.Allow("k"); ok || wait != time.Minute {
		t.Fatalf("after clock step back: %v %v", ok, wait)
	}
}

func TestLimiterDropsIdleKeys(t *testing.T) {
	clk := newFake()
	l := NewLimiter(Config{Burst: 2, Every: time.Second, Now: clk.Now})
	for i := range 100 {
		l.Allow(strconv.Itoa(i))
	}
	if l.Len() != 100 {
		t.Fatalf("Len = %d", l.Len())
	}
	clk.Advance(2 * time.Second) // every bucket is full again
	l.Allow("new")
	if l.Len() != 1 {
		t.Fatalf("idle keys kept: Len = %d", l.Len())
	}
}

func TestLimiterMaxKeysKeepsThrottledKeys(t *testing.T) {
	clk := newFake()
	l := NewLimiter(Config{Burst: 5, Every: time.Hour, MaxKeys: 64, Now: clk.Now})
	for range 5 {
		l.Allow("victim") // drained
	}
	for i := range 10_000 {
		l.Allow("flood-" + strconv.Itoa(i)) // each spends 1 of 5
		if n := l.Len(); n > 64 {
			t.Fatalf("Len = %d exceeds MaxKeys", n)
		}
	}
	if ok, _ := l.Allow("victim"); ok {
		t.Fatal("a flood of new keys reset a drained bucket")
	}
}

func TestNewLimiterPanicsOnBadConfig(t *testing.T) {
	for _, cfg := range []Config{{Burst: 0, Every: time.Second}, {Burst: 1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewLimiter(%+v) did not panic", cfg)
				}
			}()
			NewLimiter(cfg)
		}()
	}
}

func BenchmarkLimiterAllow(b *testing.B) {
	l := NewLimiter(Config{Burst: 100, Every: time.Millisecond})
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "10.0." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256)
	}
	i := 0
	for b.Loop() {
		l.Allow(keys[i%len(keys)])
		i++
	}
}
