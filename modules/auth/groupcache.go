package auth

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Every authenticated call needs the caller's groups (certificate, shared
// secret, password and token callers alike). Reading them from the store
// on each call cost a chat echo call half its throughput, so they are
// remembered here.
//
// Freshness: a change this process makes (auth.user_add, user_rm,
// user_groups, which `aula user` calls) empties the cache when its write
// has committed, so it applies to the next call. A change another process
// writes into the same store (the CLI on the data directory while the
// server runs) is seen within groupsTTL: an entry is read again once it is
// that old. SQLite has no cross-process change notification that is cheaper
// than the read itself, and a second is as fast as an operator can act.
const (
	groupsTTL = time.Second
	// maxGroupEntries bounds the memory; a flood of distinct names (one
	// per client certificate) empties the cache rather than growing it.
	maxGroupEntries = 8192
)

type groupEntry struct {
	groups  []string
	gen     uint64
	expires time.Time
}

// groupCache remembers identities' groups. The zero value is ready.
type groupCache struct {
	mu      sync.Mutex
	gen     uint64 // bumped by every local change; older entries are stale
	ttl     time.Duration
	entries map[string]groupEntry
}

// get returns name's groups if remembered and fresh, and the generation
// a read from the store must be stored under.
func (g *groupCache) get(name string, now time.Time) (groups []string, ok bool, gen uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	e, found := g.entries[name]
	if found && e.gen == g.gen && now.Before(e.expires) {
		return e.groups, true, g.gen
	}
	return nil, false, g.gen
}

// put remembers groups read from the store under generation gen: a read
// that raced with a local change (gen is no longer current) is not kept.
func (g *groupCache) put(name string, groups []string, gen uint64, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if gen != g.gen {
		return
	}
	if g.entries == nil || len(g.entries) >= maxGroupEntries {
		g.entries = make(map[string]groupEntry)
	}
	ttl := g.ttl
	if ttl == 0 {
		ttl = groupsTTL
	}
	g.entries[name] = groupEntry{groups: slices.Clip(groups), gen: gen, expires: now.Add(ttl)}
}

// invalidate forgets everything: called once a local change committed.
func (g *groupCache) invalidate() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gen++
	clear(g.entries)
}

// cachedGroupsOf is groupsOf through the cache. The slice is shared by
// every caller of the same identity: it is clipped, so an append copies,
// and nobody changes its elements.
func (m *Module) cachedGroupsOf(ctx context.Context, name string) ([]string, error) {
	now := time.Now()
	groups, ok, gen := m.groups.get(name, now)
	if ok {
		return groups, nil
	}
	groups, err := m.groupsOf(ctx, name)
	if err != nil {
		return nil, err
	}
	m.groups.put(name, groups, gen, now)
	return slices.Clip(groups), nil
}

// changedGroups runs a write that changes identities or groups and
// forgets the cached groups once it is done (committed or not).
func (m *Module) changedGroups(err error) error {
	m.groups.invalidate()
	return err
}
