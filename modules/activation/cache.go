package activation

import (
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"aula/internal/lease"
)

// laptop is what the answer cache knows about one serial. A published
// laptop is never modified (only its memoised reply is swapped): a change
// replaces it whole, so the hot path reads it without locks.
type laptop struct {
	serial string
	stolen bool
	leases []cachedLease // expiring last first
	deleg  *lease.Line   // chainable delegation to the server key; nil if none
	delExp lease.Stamp   // the delegation's effective expiry
	uuid   string        // from the del01 line; "" if unknown

	reply atomic.Pointer[memo]
}

type cachedLease struct {
	line    string
	expires lease.Stamp
	end     time.Time
	origin  string
}

// memo is a computed lease reply and the instant it stops being right
// (when the first of the lines it holds expires).
type memo struct {
	text  []byte // nil: no current lease
	until time.Time
}

// leaseReply returns every current lease line, expiring last first, or nil.
// The concatenation is computed once and kept until one of its lines
// expires, so the hot path does no work but a map lookup.
func (l *laptop) leaseReply(now time.Time) []byte {
	if m := l.reply.Load(); m != nil && now.Before(m.until) {
		return m.text
	}
	m := &memo{until: forever}
	var n int
	for _, c := range l.leases {
		if !now.Before(c.end) {
			break // sorted: the rest ended earlier
		}
		n += len(c.line)
		m.until = c.end // the last one kept ends first
	}
	if n > 0 {
		m.text = make([]byte, 0, n)
		for _, c := range l.leases {
			if !now.Before(c.end) {
				break
			}
			m.text = append(m.text, c.line...)
		}
	}
	l.reply.Store(m)
	return m.text
}

// bestEnd is when the longest-lived lease of the given origin ends (zero if
// there is none).
func (l *laptop) bestEnd(origin string) time.Time {
	for _, c := range l.leases {
		if origin == "" || c.origin == origin {
			return c.end
		}
	}
	return time.Time{}
}

// delegationUsable reports whether the laptop has a delegation that has not
// expired at now.
func (l *laptop) delegationUsable(now time.Time) bool {
	return l != nil && l.deleg != nil && now.Before(endOf(l.delExp))
}

func (l *laptop) clone() *laptop {
	c := &laptop{serial: l.serial, stolen: l.stolen, deleg: l.deleg, delExp: l.delExp, uuid: l.uuid}
	c.leases = append([]cachedLease(nil), l.leases...)
	return c
}

func (l *laptop) addLease(c cachedLease) {
	for _, have := range l.leases {
		if have.line == c.line {
			return
		}
	}
	l.leases = append(l.leases, c)
	sort.SliceStable(l.leases, func(i, j int) bool { return l.leases[i].end.After(l.leases[j].end) })
}

// cache maps serials to what they are answered. gen is the store
// generation the contents match.
type cache struct {
	mu       sync.RWMutex
	loaded   bool
	gen      int64
	bySerial map[string]*laptop
}

func (c *cache) get(serial string) *laptop {
	c.mu.RLock()
	l := c.bySerial[serial]
	c.mu.RUnlock()
	return l
}

// all returns the laptops in no particular order.
func (c *cache) all() []*laptop {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*laptop, 0, len(c.bySerial))
	for _, l := range c.bySerial {
		out = append(out, l)
	}
	return out
}

// generation returns the generation the cache holds and whether it was
// ever loaded.
func (c *cache) generation() (int64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen, c.loaded
}

// invalidate makes the next ensureLoaded load the cache again.
func (c *cache) invalidate() {
	c.mu.Lock()
	c.loaded = false
	c.mu.Unlock()
}

// replace installs a fresh build unless the cache already holds a newer
// (or the same) generation through the server's own writes.
func (c *cache) replace(gen int64, m map[string]*laptop) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loaded && gen <= c.gen {
		return false
	}
	c.loaded, c.gen, c.bySerial = true, gen, m
	return true
}

// applyOwn applies a change this process just committed as generation gen.
// It succeeds only when no other change came between (gen follows the
// cache's), so the cache stays exactly the store's state; otherwise the
// caller asks for a full reload.
func (c *cache) applyOwn(gen int64, serial string, change func(l *laptop)) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loaded || c.gen != gen-1 {
		return false
	}
	l := c.bySerial[serial]
	if l == nil {
		l = &laptop{serial: serial}
	} else {
		l = l.clone()
	}
	change(l)
	c.bySerial[serial] = l
	c.gen = gen
	return true
}

// build turns a store snapshot into laptops. Rows that no longer parse are
// logged and left out rather than served.
func build(s *snapshot, log *slog.Logger) map[string]*laptop {
	m := make(map[string]*laptop)
	get := func(sn string) *laptop {
		l := m[sn]
		if l == nil {
			l = &laptop{serial: sn}
			m[sn] = l
		}
		return l
	}
	for _, r := range s.leases {
		exp, err := lease.ParseStamp(r.Expires)
		if err != nil {
			log.Error("activation: stored lease has a bad expiry; not served", "serial", r.Serial, "expires", r.Expires)
			continue
		}
		l := get(r.Serial)
		l.leases = append(l.leases, cachedLease{line: r.Line, expires: exp, end: endOf(exp), origin: r.Origin})
	}
	for _, l := range m {
		sort.SliceStable(l.leases, func(i, j int) bool { return l.leases[i].end.After(l.leases[j].end) })
	}
	for _, r := range s.stolen {
		get(r.Serial).stolen = true
	}
	for _, r := range s.delegations {
		d, err := lease.ParseLine([]byte(r.Line))
		if err != nil {
			log.Error("activation: stored delegation no longer parses; not used", "serial", r.Serial, "err", err)
			continue
		}
		l := get(r.Serial)
		l.deleg, l.delExp, l.uuid = d.Delegation(), effectiveExpiry(d), r.UUID
	}
	return m
}

// currentLeases drops rows whose effective expiry has passed at now.
func currentLeases(rows []leaseRow, now time.Time) []leaseRow {
	out := rows[:0]
	for _, r := range rows {
		if s, err := lease.ParseStamp(r.Expires); err == nil && s.Expired(now) {
			continue
		}
		out = append(out, r)
	}
	return out
}
