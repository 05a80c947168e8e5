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
	retire  sync.RWMutex
	mu      sync.RWMutex
	entries []*journalEntry // ascending seq
	// Each index maps a key to the first of its entries, in seq order,
	// the others linked through the entry's node: one allocation per
	// entry, where a slice per key and index cost three (and the maps'
	// slots hold a pointer instead of a slice header).
	byUID    map[string]*pnode
	byUUID   map[string]*pnode // indexed uuid keys only
	bySerial map[string]*pnode // indexed serials only
}

// pnode is an entry's place in the three indexes: the next entry with
// the same uid, uuid key and serial.
type pnode struct {
	e                             *journalEntry
	nextUID, nextUUID, nextSerial *pnode
}

// link selects one index's next pointer of a node.
type link func(n *pnode) **pnode

func uidLink(n *pnode) **pnode    { return &n.nextUID }
func uuidLink(n *pnode) **pnode   { return &n.nextUUID }
func serialLink(n *pnode) **pnode { return &n.nextSerial }

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
	if n := len(p.entries); n == 0 || p.entries[n-1].seq < e.seq {
		p.entries = append(p.entries, e) // the usual case: this process's own append
	} else {
		i, found := slices.BinarySearchFunc(p.entries, e.seq, func(x *journalEntry, seq int64) int { return cmpSeq(x.seq, seq) })
		if found {
			return
		}
		p.entries = slices.Insert(p.entries, i, e)
	}
	if p.byUID == nil {
		p.byUID, p.byUUID, p.bySerial = map[string]*pnode{}, map[string]*pnode{}, map[string]*pnode{}
	}
	n := &pnode{e: e}
	insertBySeq(p.byUID, e.c.UID, n, uidLink)
	if k := e.uuidKey(); indexedUUID(k) {
		insertBySeq(p.byUUID, k, n, uuidLink)
	}
	if indexedSerial(e.c.Serial) {
		insertBySeq(p.bySerial, e.c.Serial, n, serialLink)
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

// insertBySeq puts n in key's list of m, in seq order.
func insertBySeq(m map[string]*pnode, key string, n *pnode, next link) {
	head := m[key]
	if head == nil || n.e.seq < head.e.seq {
		*next(n) = head
		m[key] = n
		return
	}
	at := head
	for after := *next(at); after != nil && after.e.seq < n.e.seq; after = *next(at) {
		at = after
	}
	*next(n), *next(at) = *next(at), n
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
		dropFrom(p.byUID, e.c.UID, upTo, uidLink)
		dropFrom(p.byUUID, e.uuidKey(), upTo, uuidLink)
		dropFrom(p.bySerial, e.c.Serial, upTo, serialLink)
	}
	p.entries = slices.Clone(p.entries[n:]) // let the dropped ones go
}

// dropFrom forgets key's entries up to seq upTo.
func dropFrom(m map[string]*pnode, key string, upTo int64, next link) {
	head, ok := m[key]
	if !ok {
		return
	}
	for head != nil && head.e.seq <= upTo {
		head = *next(head)
	}
	if head == nil {
		delete(m, key)
	} else {
		m[key] = head
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
	head, next := p.bySerial[serial], link(serialLink)
	if uuidKey != "" {
		head, next = p.byUUID[uuidKey], uuidLink
	}
	var out []string
	for n := head; n != nil; n = *next(n) {
		if e := n.e; e.seq > folded && !slices.Contains(out, e.c.UID) {
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
	take := func(head *pnode, next link) {
		for n := head; n != nil; n = *next(n) {
			if e := n.e; e.seq > folded && !seen[e.seq] {
				seen[e.seq] = true
				out = append(out, e)
			}
		}
	}
	for _, uid := range uids {
		for n := p.byUID[uid]; n != nil; n = n.nextUID {
			e := n.e
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
		take(p.byUID[uid], uidLink)
	}
	for k := range keys {
		take(p.byUUID[k], uuidLink)
	}
	for s := range serials {
		take(p.bySerial[s], serialLink)
	}
	slices.SortFunc(out, func(a, b *journalEntry) int { return cmpSeq(a.seq, b.seq) })
	return out
}
