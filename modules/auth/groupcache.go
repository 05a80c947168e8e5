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
// has committed, so it applies to the next call. A change anyone else
// writes into the same store (the CLI on the data directory while the
// server runs, sqlite3 by hand) bumps auth_groups_version by trigger
// (migration 0003), and the server reads that counter at most once per
// groupsCheckEvery: a different value empties the cache. So entries need
// no age of their own, and 10,000 lab agents that call once every few
// seconds each are answered from memory, while a revoked membership stops
// working within a second wherever it was revoked.
const (
	groupsCheckEvery = time.Second
	// maxGroupEntries bounds the memory (about 100 bytes an entry); a
	// flood of distinct names (one per client certificate) empties the
	// cache rather than growing it.
	maxGroupEntries = 1 << 16
)

type groupEntry struct {
	groups []string
	gen    uint64
}

// groupCache remembers identities' groups. The zero value is ready.
type groupCache struct {
	mu          sync.Mutex
	gen         uint64 // bumped by every change seen; older entries are stale
	version     int64  // auth_groups_version when last read
	haveVersion bool
	nextCheck   time.Time
	entries     map[string]groupEntry
}

// due reports whether the caller should read the store's version counter
// now: true for one caller each groupsCheckEvery.
func (g *groupCache) due(now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if now.Before(g.nextCheck) {
		return false
	}
	g.nextCheck = now.Add(groupsCheckEvery)
	return true
}

// saw records the store's version counter; a value other than the last
// one seen means groups changed somewhere, and everything is forgotten.
func (g *groupCache) saw(version int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.haveVersion && version == g.version {
		return
	}
	g.version, g.haveVersion = version, true
	g.gen++
	clear(g.entries)
}

// get returns name's groups if remembered, and the generation a read
// from the store must be stored under.
func (g *groupCache) get(name string) (groups []string, ok bool, gen uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	e, found := g.entries[name]
	if found && e.gen == g.gen {
		return e.groups, true, g.gen
	}
	return nil, false, g.gen
}

// put remembers groups read from the store under generation gen: a read
// that raced with a change (gen is no longer current) is not kept.
func (g *groupCache) put(name string, groups []string, gen uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if gen != g.gen {
		return
	}
	if g.entries == nil || len(g.entries) >= maxGroupEntries {
		g.entries = make(map[string]groupEntry)
	}
	g.entries[name] = groupEntry{groups: slices.Clip(groups), gen: gen}
}

// invalidate forgets everything: called once a local change committed,
// or when the version counter could not be read.
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
	if m.groups.due(time.Now()) {
		var v int64
		err := m.db.Reader().QueryRowContext(ctx, `SELECT version FROM auth_groups_version WHERE id = 1`).Scan(&v)
		if err != nil {
			m.groups.invalidate() // and read this caller's groups below
		} else {
			m.groups.saw(v)
		}
	}
	groups, ok, gen := m.groups.get(name)
	if ok {
		return groups, nil
	}
	groups, err := m.groupsOf(ctx, name)
	if err != nil {
		return nil, err
	}
	m.groups.put(name, groups, gen)
	return slices.Clip(groups), nil
}

// changedGroups runs a write that changes identities or groups and
// forgets the cached groups once it is done (committed or not).
func (m *Module) changedGroups(err error) error {
	m.groups.invalidate()
	return err
}
