package limit

import (
	"math"
	"slices"
	"sync"
	"time"
)

// Config configures a Limiter: each key may do Burst things at once, and
// then one more every Every.
type Config struct {
	Burst   int           // bucket size; at least 1
	Every   time.Duration // time to earn one token back; > 0
	MaxKeys int           // keys tracked at most; 0 means DefaultMaxKeys
	Now     func() time.Time
}

// DefaultMaxKeys bounds a Limiter's memory (about 100 bytes per key).
const DefaultMaxKeys = 100_000

// Limiter is a token bucket per key (source address, user name, ...).
//
// Memory is bounded. A bucket that has refilled completely behaves exactly
// like a key never seen, so such buckets are dropped by a periodic sweep.
// If MaxKeys keys are still tracked when a new one arrives, the fullest
// buckets are evicted first (down to 7/8 of MaxKeys, so the O(n log n)
// eviction is paid once per n/8 new keys). An evicted key starts afresh,
// but the keys being throttled hardest are the last to go, so flooding the
// limiter with new keys does not reset them.
type Limiter struct {
	burst   float64
	every   time.Duration
	maxKeys int
	now     func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewLimiter returns a limiter; it panics on a Burst below 1 or a
// non-positive Every, which are programming errors.
func NewLimiter(cfg Config) *Limiter {
	if cfg.Burst < 1 || cfg.Every <= 0 {
		panic("limit: Config needs Burst >= 1 and Every > 0")
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = DefaultMaxKeys
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Limiter{
		burst:   float64(cfg.Burst),
		every:   cfg.Every,
		maxKeys: cfg.MaxKeys,
		now:     cfg.Now,
		buckets: make(map[string]*bucket),
	}
}

// Allow takes one token for key. If there is none it returns false and how
// long until there will be one, and takes nothing (a refused request does
// not push the wait further out).
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	return l.do(key, true)
}

// Peek reports what Allow would, without taking a token.
func (l *Limiter) Peek(key string) (ok bool, retryAfter time.Duration) {
	return l.do(key, false)
}

// Reset forgets key: its bucket is full again.
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	delete(l.buckets, key)
	l.mu.Unlock()
}

// Len is the number of keys tracked.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

func (l *Limiter) do(key string, take bool) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.maybeSweep(now)
	b := l.buckets[key]
	tokens := l.burst
	if b != nil {
		tokens = l.level(b, now)
	}
	if tokens < 1 {
		wait := time.Duration((1 - tokens) * float64(l.every))
		return false, max(wait, time.Millisecond) // never "retry after 0"
	}
	if !take {
		return true, 0
	}
	if b == nil {
		if len(l.buckets) >= l.maxKeys {
			l.evict(now)
		}
		b = &bucket{}
		l.buckets[key] = b
	}
	b.tokens, b.last = tokens-1, now
	return true, 0
}

// level is the bucket's token count at now.
func (l *Limiter) level(b *bucket, now time.Time) float64 {
	elapsed := now.Sub(b.last)
	if elapsed < 0 { // clock stepped back: do not refill, do not drain
		elapsed = 0
	}
	return min(l.burst, b.tokens+float64(elapsed)/float64(l.every))
}

// maybeSweep drops full buckets once per refill period (at least once a
// second at most), so idle keys cost nothing for long.
func (l *Limiter) maybeSweep(now time.Time) {
	full := l.burst * float64(l.every)
	period := time.Duration(math.MaxInt64)
	if full < float64(math.MaxInt64) {
		period = max(time.Duration(full), time.Second)
	}
	if now.Sub(l.lastSweep) < period {
		return
	}
	l.lastSweep = now
	l.sweepFull(now)
}

func (l *Limiter) sweepFull(now time.Time) {
	for k, b := range l.buckets {
		if l.level(b, now) >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// evict makes room for new keys: full buckets first, then the fullest.
func (l *Limiter) evict(now time.Time) {
	l.sweepFull(now)
	target := l.maxKeys - max(l.maxKeys/8, 1)
	if len(l.buckets) <= target {
		return
	}
	type entry struct {
		key    string
		tokens float64
	}
	all := make([]entry, 0, len(l.buckets))
	for k, b := range l.buckets {
		all = append(all, entry{k, l.level(b, now)})
	}
	slices.SortFunc(all, func(a, b entry) int {
		switch {
		case a.tokens > b.tokens:
			return -1
		case a.tokens < b.tokens:
			return 1
		}
		return 0
	})
	for _, e := range all[:len(all)-target] {
		delete(l.buckets, e.key)
	}
}
