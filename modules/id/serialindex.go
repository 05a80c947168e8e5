package id

import (
	"context"
	"fmt"
	"sync"

	"aula/modules/id/idapi"
)

// serialIndex is the folded records' indexed serials in memory: who holds
// each (uid and uuid). Every registration with a serial asks who holds it
// (moves.go); a SQLite query for that cost about 11 µs, most of a
// registration's budget. The index reflects the records at the fold
// watermark `folded`; serialHolder replays the pending registrations above
// it, as reads do.
//
// This process keeps it current through its own folds and removals;
// another process's (an admin's `client rm`, which folds first) show as a
// watermark or a change counter (id_meta 'changed') it did not make, seen
// by the poll about once a second, and the index is then read again.
type serialIndex struct {
	mu       sync.RWMutex
	bySerial map[string]Client // UID, UUID, Serial of the holder
	byUID    map[string]string // uid → its indexed serial
	folded   int64             // the fold watermark the maps reflect
	changed  int64             // the id_meta 'changed' counter they reflect
}

const qChanged = "SELECT value FROM id_meta WHERE name = 'changed'"

// load reads the index from the records, in one snapshot.
func (r *records) loadSerials(ctx context.Context) error {
	tx, err := r.db.Reader().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("id: reading serials: %w", err)
	}
	defer tx.Rollback()
	var folded, changed int64
	if err := tx.QueryRowContext(ctx, qFolded).Scan(&folded); err != nil {
		return fmt.Errorf("id: reading serials: %w", err)
	}
	if err := tx.QueryRowContext(ctx, qChanged).Scan(&changed); err != nil {
		return fmt.Errorf("id: reading serials: %w", err)
	}
	rows, err := tx.QueryContext(ctx, "SELECT uid, uuid, serial FROM id_clients WHERE "+serialIndexed)
	if err != nil {
		return fmt.Errorf("id: reading serials: %w", err)
	}
	defer rows.Close()
	bySerial, byUID := map[string]Client{}, map[string]string{}
	for rows.Next() {
		var c Client
		if err := rows.Scan(&c.UID, &c.UUID, &c.Serial); err != nil {
			return fmt.Errorf("id: reading serials: %w", err)
		}
		bySerial[c.Serial], byUID[c.UID] = c, c.Serial
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("id: reading serials: %w", err)
	}
	x := &r.serials
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.bySerial != nil && (folded < x.folded || changed < x.changed) {
		return nil // a fold or removal of this process is already newer
	}
	x.bySerial, x.byUID, x.folded, x.changed = bySerial, byUID, folded, changed
	return nil
}

// current reports whether the index reflects the store's watermark and
// change counter.
func (x *serialIndex) current(folded, changed int64) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.folded == folded && x.changed == changed
}

// foldedBatch applies a batch this process folded: the records at
// watermark from, changed as changes says, are the records at to. It
// returns false when the index was not at from (another process folded
// meanwhile): it must then be read again.
func (x *serialIndex) foldedBatch(from, to int64, changes idapi.Changes) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.folded != from {
		return false
	}
	for _, ch := range changes {
		c := ch.Client
		if ch.Removed {
			x.drop(c.UID)
			continue
		}
		serial := c.Serial
		if serial == "" { // an empty serial keeps the record's own
			serial = x.byUID[c.UID]
		}
		x.drop(c.UID)
		if indexedSerial(serial) {
			x.bySerial[serial] = Client{UID: c.UID, UUID: c.UUID, Serial: serial}
			x.byUID[c.UID] = serial
		}
	}
	x.folded = to
	return true
}

// removed applies a removal this process made, which raised the change
// counter from `from` to `to`; false when the index was not at from.
func (x *serialIndex) removed(uid string, from, to int64) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.changed != from {
		return false
	}
	x.drop(uid)
	x.changed = to
	return true
}

func (x *serialIndex) drop(uid string) {
	if s, ok := x.byUID[uid]; ok {
		if x.bySerial[s].UID == uid {
			delete(x.bySerial, s)
		}
		delete(x.byUID, uid)
	}
}

// holder returns the folded holder of serial and the watermark.
func (x *serialIndex) holder(serial string) (Client, bool, int64) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	c, ok := x.bySerial[serial]
	return c, ok, x.folded
}
