package limit

import (
	"context"
	"sync"
	"time"
)

// Budget is a server-wide allowance of bytes held by work in progress:
// request bodies being read and decoded, whose decoded values cost a small
// multiple of their size. A per-connection cap alone lets N connections
// hold N bodies at once; the budget bounds their sum.
//
// Unlike the rest of this package, Acquire may wait, briefly and by
// design: a burst of large bodies is better served a moment later than
// refused, but a flood must not queue without end, so the wait is bounded
// and the caller turns "no" into 503 with Retry-After.
type Budget struct {
	total int64

	mu      sync.Mutex
	used    int64
	waiters []*budgetWaiter // in arrival order
}

type budgetWaiter struct {
	n     int64
	ready chan struct{} // closed once granted
}

// NewBudget returns a budget of total bytes; total must be positive.
func NewBudget(total int64) *Budget {
	if total <= 0 {
		panic("limit: NewBudget needs total > 0")
	}
	return &Budget{total: total}
}

// Total is the budget's size in bytes.
func (b *Budget) Total() int64 { return b.total }

// InUse is the number of bytes held now.
func (b *Budget) InUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// Acquire holds n bytes of the budget (n above Total counts as Total, so
// one request as large as the whole budget still runs, alone), waiting at
// most wait, or until ctx ends, for them to be free. It returns the
// function that gives them back (call it exactly once) and true, or nil
// and false when the bytes did not become free in time.
//
// Waiters are granted in arrival order among those that fit: a small
// request does not wait behind a large one that does not fit yet.
func (b *Budget) Acquire(ctx context.Context, n int64, wait time.Duration) (release func(), ok bool) {
	n = min(max(n, 0), b.total)
	b.mu.Lock()
	if len(b.waiters) == 0 && b.used+n <= b.total {
		b.used += n
		b.mu.Unlock()
		return b.releaser(n), true
	}
	w := &budgetWaiter{n: n, ready: make(chan struct{})}
	b.waiters = append(b.waiters, w)
	b.grantLocked() // a smaller request may fit though earlier ones do not
	b.mu.Unlock()

	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-w.ready:
		return b.releaser(n), true
	case <-timer.C:
	case <-ctx.Done():
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-w.ready: // granted while timing out: keep it
		return b.releaser(n), true
	default:
	}
	for i, x := range b.waiters {
		if x == w {
			b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
			break
		}
	}
	return nil, false
}

func (b *Budget) releaser(n int64) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			b.used -= n
			b.grantLocked()
			b.mu.Unlock()
		})
	}
}

// grantLocked hands free bytes to waiters, oldest first, skipping those
// that do not fit.
func (b *Budget) grantLocked() {
	kept := b.waiters[:0]
	for _, w := range b.waiters {
		if b.used+w.n <= b.total {
			b.used += w.n
			close(w.ready)
			continue
		}
		kept = append(kept, w)
	}
	clear(b.waiters[len(kept):])
	b.waiters = kept
}
