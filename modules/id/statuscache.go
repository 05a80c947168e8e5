package id

import (
	"sync"
	"time"
)

// statusTTL bounds how stale a cached status may be when another process
// (an admin command on the data directory) changed the records: the same
// second the registration epoch is re-read at.
const statusTTL = time.Second

// statusCacheMax bounds the cache; past it the cache starts over.
const statusCacheMax = 200_000

// statusCache remembers status lookups briefly, because laptops poll
// status far more often than anything changes. Writes made by this process
// clear it at once (with a generation, so a lookup that raced a write
// cannot put back what the write made stale).
type statusCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[string]statusHit
}

type statusHit struct {
	uid           string
	hasKey, found bool
	at            time.Time
}

func (c *statusCache) get(key string, now time.Time) (statusHit, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.m[key]
	if ok && now.Sub(h.at) < statusTTL {
		return h, c.gen, true
	}
	return statusHit{}, c.gen, false
}

func (c *statusCache) put(key string, h statusHit, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) >= statusCacheMax {
		c.m = make(map[string]statusHit)
	}
	c.m[key] = h
}

// clear forgets everything; every write to the records calls it.
func (c *statusCache) clear() {
	c.mu.Lock()
	c.gen++
	c.m = nil
	c.mu.Unlock()
}
