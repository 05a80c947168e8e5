package id

import (
	"slices"
	"strings"
	"sync"
)

// pending is this process's in-memory copy of the unfolded journal: every
// registration acknowledged (by this process, or found in id_journal at
// open or by a later poll) that the fold may not have applied yet. Reads
// combine the folded records with it (replay.go), so a read never waits
// for the fold, never writes, and sees every acknowledged registration.
//
// Entries are kept in seq order with indexes by uid, uuid key and serial,
// so a point read replays only the few entries that can touch its answer.
type pending struct {
	// retire is held (shared) by each read that combines a snapshot of
	// the records with these entries, for the whole read, and taken by
	// drop: an entry a fold applied after the reader's snapshot began
	// must stay here until that reader is done.
	retire   sync.RWMutex
	mu       sync.RWMutex
	entries  []*journalEntry // ascending seq
	byUID    map[string][]*journalEntry
	byUUID   map[string][]*journalEntry // indexed uuid keys only
	bySerial map[string][]*journalEntry // indexed serials only
}

// indexedSerial reports whether serial is in id_clients' unique serial
// index: it names one machine.
func indexedSerial(s string) bool { return s != "" && s != PlaceholderSerial }

// indexedUUID reports whether a (lowercased) uuid key names one machine.
func indexedUUID(k string) bool { return k != PlaceholderUUID }

func (e *journalEntry) uuidKey() string { return strings.ToLower(e.c.UUID) }

// add inserts e unless its seq is already held. Appends nearly always
// come in seq order; a poll may bring older ones.
func (p *pending) add(e *journalEntry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	i, found := slices.BinarySearchFunc(p.entries, e.seq, func(x *journalEntry, seq int64) int { return cmpSeq(x.seq, seq) })
	if found {
		return
	}
	p.entries = slices.Insert(p.entries, i, e)
	if p.byUID == nil {
		p.byUID, p.byUUID, p.bySerial = map[string][]*journalEntry{}, map[string][]*journalEntry{}, map[string][]*journalEntry{}
	}
	insertBySeq(p.byUID, e.c.UID, e)
	if k := e.uuidKey(); indexedUUID(k) {
		insertBySeq(p.byUUID, k, e)
	}
	if indexedSerial(e.c.Serial) {
		insertBySeq(p.bySerial, e.c.Serial, e)
	}
}

func cmpSeq(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func insertBySeq(m map[string][]*journalEntry, key string, e *journalEntry) {
	l := m[key]
	i, _ := slices.BinarySearchFunc(l, e.seq, func(x *journalEntry, seq int64) int { return cmpSeq(x.seq, seq) })
	m[key] = slices.Insert(l, i, e)
}

// drop forgets every entry up to seq upTo: the fold applied them.
func (p *pending) drop(upTo int64) {
	p.retire.Lock()
	defer p.retire.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for n < len(p.entries) && p.entries[n].seq <= upTo {
		n++
	}
	if n == 0 {
		return
	}
	for _, e := range p.entries[:n] {
		dropFrom(p.byUID, e.c.UID, upTo)
		dropFrom(p.byUUID, e.uuidKey(), upTo)
		dropFrom(p.bySerial, e.c.Serial, upTo)
	}
	p.entries = slices.Clone(p.entries[n:]) // let the dropped ones go
}

func dropFrom(m map[string][]*journalEntry, key string, upTo int64) {
	l, ok := m[key]
	if !ok {
		return
	}
	n := 0
	for n < len(l) && l[n].seq <= upTo {
		n++
	}
	if n == len(l) {
		delete(m, key)
	} else if n > 0 {
		m[key] = l[n:]
	}
}

// heldThrough is the highest seq to such that every seq from from+1 up
// to it is held (from itself when from+1 is not).
func (p *pending) heldThrough(from int64) int64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	i, _ := slices.BinarySearchFunc(p.entries, from+1, func(x *journalEntry, seq int64) int { return cmpSeq(x.seq, seq) })
	for ; i < len(p.entries) && p.entries[i].seq == from+1; i++ {
		from++
	}
	return from
}

// len is how many entries are held.
func (p *pending) len() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.entries)
}

// get returns the entry with seq as the journal row holds it (only the
// fields a journal record carries), if it is held.
func (p *pending) get(seq int64) (journalEntry, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	i, found := slices.BinarySearchFunc(p.entries, seq, func(x *journalEntry, seq int64) int { return cmpSeq(x.seq, seq) })
	if !found {
		return journalEntry{}, false
	}
	e := p.entries[i]
	return journalEntry{seq: e.seq, at: e.at, c: Client{UID: e.c.UID, UUID: e.c.UUID, Serial: e.c.Serial, Nickname: e.c.Nickname,
		PubKey: e.c.PubKey, LastAddr: e.c.LastAddr, LastRegistered: e.c.LastRegistered}}, true
}

// has reports whether an entry with seq is held.
func (p *pending) has(seq int64) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	_, found := slices.BinarySearchFunc(p.entries, seq, func(x *journalEntry, seq int64) int { return cmpSeq(x.seq, seq) })
	return found
}

// after returns every entry with seq above folded, in order.
func (p *pending) after(folded int64) []*journalEntry {
	p.mu.RLock()
	defer p.mu.RUnlock()
	i, _ := slices.BinarySearchFunc(p.entries, folded+1, func(x *journalEntry, seq int64) int { return cmpSeq(x.seq, seq) })
	return slices.Clone(p.entries[i:])
}

// uidsWith returns the uids of entries above folded that carry the
// indexed uuid key or serial (one of them empty): the registrations a
// lookup by that value must consider besides the folded records.
func (p *pending) uidsWith(folded int64, uuidKey, serial string) []string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var l []*journalEntry
	if uuidKey != "" {
		l = p.byUUID[uuidKey]
	} else {
		l = p.bySerial[serial]
	}
	var out []string
	for _, e := range l {
		if e.seq > folded && !slices.Contains(out, e.c.UID) {
			out = append(out, e.c.UID)
		}
	}
	return out
}

// relevant returns, in seq order, the entries above folded that can
// change the records of the given clients (base: their folded records,
// absent ones omitted; uids: all of them): their own registrations, and
// every registration that brings a uuid or serial one of them holds at
// some point, which may supersede it.
func (p *pending) relevant(folded int64, base []Client, uids []string) []*journalEntry {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if len(p.entries) == 0 {
		return nil
	}
	keys, serials := map[string]bool{}, map[string]bool{}
	for _, c := range base {
		if k := strings.ToLower(c.UUID); indexedUUID(k) {
			keys[k] = true
		}
		if indexedSerial(c.Serial) {
			serials[c.Serial] = true
		}
	}
	seen := map[int64]bool{}
	var out []*journalEntry
	take := func(l []*journalEntry) {
		for _, e := range l {
			if e.seq > folded && !seen[e.seq] {
				seen[e.seq] = true
				out = append(out, e)
			}
		}
	}
	for _, uid := range uids {
		for _, e := range p.byUID[uid] {
			if e.seq <= folded {
				continue
			}
			if k := e.uuidKey(); indexedUUID(k) {
				keys[k] = true
			}
			if indexedSerial(e.c.Serial) {
				serials[e.c.Serial] = true
			}
		}
		take(p.byUID[uid])
	}
	for k := range keys {
		take(p.byUUID[k])
	}
	for s := range serials {
		take(p.bySerial[s])
	}
	slices.SortFunc(out, func(a, b *journalEntry) int { return cmpSeq(a.seq, b.seq) })
	return out
}
