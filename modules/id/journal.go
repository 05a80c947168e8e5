package id

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"aula/internal/store"
	"aula/modules/id/idapi"
)

// The registration journal. A registration is acknowledged once it is
// appended to id_journal: one row at the end of one B-tree, which costs a
// fraction of upserting into id_clients, whose three indexes (uid, serial,
// uuid) are keyed by random values, so every registration would dirty a
// page of each. The journal is folded into id_clients and id_history
// later, many registrations per transaction, by the same rules a
// registration always followed (supersede by serial or uuid, count
// repeats).
//
// Reads never fold and never wait for a fold: they combine the folded
// records with the unfolded registrations this process holds in memory
// (pending.go), replayed by the fold's rules (replay.go), in one snapshot
// of the store (the fold raises a watermark in id_meta in the transaction
// that applies a batch). So a read sees every acknowledged registration,
// writes nothing (it works on a full disk), and an event handler that
// reads cannot wait on the fold that called it.
//
// The server folds in the background: when registrations pause
// (foldIdle), when the oldest unapplied one is foldMaxAge old, when
// foldBacklog wait, and at Stop. Each batch applied is published once, as
// one idapi.Changes.

const (
	// foldIdle is how long registrations must pause before the
	// background fold runs.
	foldIdle = 200 * time.Millisecond
	// foldMaxAge bounds how long a registration may wait to be applied
	// while registrations keep coming, which is how late the other
	// modules (backup's authorized_keys, activation's UUIDs) may hear of
	// it during a storm (reads see it at once). A fold during a storm
	// holds the single writer in turns with the registrations and, in
	// transactions that small, writes about eight times the bytes per
	// row a fold after the storm does, so a storm is left alone for as
	// long as this: a school's storm (each laptop registers once, at
	// about 10,000 a second here) is over long before it, and the
	// backlog bound comes first for a longer one. At 5 s, a 12 s storm's
	// p99 was 1.4–3.8x the durable reference's (docs/BENCHMARKS.md).
	foldMaxAge = time.Minute
	// foldBacklog is how many unfolded registrations make the background
	// fold run even while registrations keep coming: it bounds the
	// journal (about 300 bytes a row) and this process's memory.
	foldBacklog = 100_000
	// foldChunk is how many journal rows the fold reads at a time.
	foldChunk = 2000
	// foldMaxRows bounds one fold transaction while no other write
	// waits: applying a backlog in few large transactions writes each
	// page of id_clients' random-keyed indexes once instead of once per
	// chunk (at 90,000 clients a chunk of 2,000 dirtied nearly every
	// leaf page of each).
	foldMaxRows = 20_000
	// foldYield is how long a fold transaction runs before it gives way
	// to other writes that wait for the writer (registrations during a
	// storm): it commits what it applied and continues in the next one.
	// Without it a chunk held the writer 24–110 ms, more than twice the
	// durable reference's p99 (docs/BENCHMARKS.md).
	foldYield = 5 * time.Millisecond
	// foldKeepApplied is how many applied journal rows (counted as the
	// span of their seqs) fold transactions that did not reach the
	// journal's end may leave for a later one to delete (deleteApplied):
	// a fold runs until it reaches the end, and its last transaction then
	// empties the table at next to no cost, so rows are deleted row by
	// row only when a storm outpaces the fold this long. It bounds the
	// journal's applied rows as foldBacklog bounds the unapplied ones
	// (about 300 bytes a row).
	foldKeepApplied = 100_000
	// foreignEvery is how often a process looks for registrations another
	// process appended (an admin command while the server runs, or the
	// server after such a command registered a client).
	foreignEvery = time.Second
)

// journal is this process's view of id_journal.
type journal struct {
	pend pending

	appended   atomic.Bool  // this process appended a registration
	lastAppend atomic.Int64 // unix nanoseconds of the last append
	lastPoll   atomic.Int64 // unix nanoseconds of the last look for others' rows
	polledTo   atomic.Int64 // every journal row up to this seq was read once

	foldMu sync.Mutex // one fold at a time in this process
	// onApplied is told of each batch a fold applied: for each
	// registration, the registrations it ended because it took their
	// serial or uuid, then the registration itself. Subscribers must not
	// fold (reads do not).
	onApplied func(ctx context.Context, changes idapi.Changes)
	// onBad is told of a journal row that cannot be decoded.
	onBad func(seq int64, rec string, err error)
}

func raise(v *atomic.Int64, to int64) {
	for {
		cur := v.Load()
		if cur >= to || v.CompareAndSwap(cur, to) {
			return
		}
	}
}

// appendRegistration stores c durably in the journal and makes it
// visible to this process's reads.
func (r *records) appendRegistration(ctx context.Context, c Client) error {
	at := store.FormatTime(c.LastRegistered)              // fmtTime, without time.Format's cost
	c.LastRegistered = store.StoredTime(c.LastRegistered) // parseTime(at): as the fold will store it
	rec := encodeJournal(c, at)
	// Statements in the shared write transaction must not be interrupted
	// when this caller goes away: SQLite may then roll back the whole
	// batch, everyone's writes. ctx still keeps a write that has not
	// started from running.
	txCtx := context.WithoutCancel(ctx)
	var seq int64
	err := r.db.Write(ctx, func(tx *sql.Tx) error {
		st, err := r.db.TxStmt(txCtx, tx, r.qAppend)
		if err != nil {
			return err
		}
		res, err := st.ExecContext(txCtx, rec)
		if err != nil {
			return err
		}
		seq, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return fmt.Errorf("id: storing registration of %s: %w", c.UID, err)
	}
	r.j.pend.add(&journalEntry{seq: seq, c: c, at: at})
	r.statuses.clear()
	r.j.appended.Store(true)
	r.j.lastAppend.Store(time.Now().UnixNano())
	return nil
}

// loadJournal reads the journal rows above polledTo into pending (those
// it does not hold yet) and forgets what another process folded. It
// writes nothing.
func (r *records) loadJournal(ctx context.Context) error {
	// Rows this process holds right after polledTo, its own appends,
	// need not be read again: only past the first seq it lacks can a
	// row be another process's (this saved about 2 µs a registration
	// under load, when each poll read back a second of them).
	from := r.j.pend.heldThrough(r.j.polledTo.Load())
	tx, err := r.db.Reader().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("id: reading the registration journal: %w", err)
	}
	defer tx.Rollback()
	var folded, changed int64
	if err := tx.QueryRowContext(ctx, qFolded).Scan(&folded); err != nil {
		return fmt.Errorf("id: reading the registration journal: %w", err)
	}
	if err := tx.QueryRowContext(ctx, qChanged).Scan(&changed); err != nil {
		return fmt.Errorf("id: reading the registration journal: %w", err)
	}
	if !r.serials.current(folded, changed) {
		// Another process folded or removed: the serial index is read
		// again before pending registrations it may now hold are dropped.
		if err := r.loadSerials(ctx); err != nil {
			return err
		}
	}
	rows, err := tx.QueryContext(ctx, r.qJournalAfter, max(from, folded))
	if err != nil {
		return fmt.Errorf("id: reading the registration journal: %w", err)
	}
	defer rows.Close()
	last := from
	for rows.Next() {
		var seq int64
		var rec string
		if err := rows.Scan(&seq, &rec); err != nil {
			return fmt.Errorf("id: reading the registration journal: %w", err)
		}
		last = max(last, seq)
		if r.j.pend.has(seq) {
			continue
		}
		c, at, err := decodeJournal(rec)
		if err != nil {
			continue // the fold drops it and says so
		}
		r.j.pend.add(&journalEntry{seq: seq, c: c, at: at})
		r.statuses.clear()
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("id: reading the registration journal: %w", err)
	}
	r.j.pend.drop(folded)
	raise(&r.j.polledTo, max(last, folded))
	return nil
}

// pollForeign runs loadJournal at most every foreignEvery.
func (r *records) pollForeign(ctx context.Context) error {
	now := time.Now().UnixNano()
	if now-r.j.lastPoll.Load() < int64(foreignEvery) {
		return nil
	}
	r.j.lastPoll.Store(now)
	return r.loadJournal(ctx)
}

// fold applies the whole journal, batch by batch.
func (r *records) fold(ctx context.Context) error {
	r.j.foldMu.Lock()
	defer r.j.foldMu.Unlock()
	for {
		more, err := r.foldChunk(ctx)
		if err != nil || !more {
			return err
		}
	}
}

// journalEntry is one unfolded registration.
type journalEntry struct {
	seq int64
	c   Client
	at  string
	bad bool // undecodable: deleted without being applied
}

// foldChunk applies journal rows, oldest first, in one transaction that
// also deletes them and raises the watermark, then publishes what changed,
// once. The transaction takes up to foldMaxRows rows while no other write
// waits, and ends after foldYield when one does. It reports whether rows
// may remain.
func (r *records) foldChunk(ctx context.Context) (more bool, err error) {
	txCtx := context.WithoutCancel(ctx)
	var changes idapi.Changes
	var from, last int64
	var n int
	err = r.db.Write(housekeeping{ctx}, func(tx *sql.Tx) error {
		changes, n, last, more = nil, 0, 0, false // the function may run twice; start afresh
		start := time.Now()
		if err := tx.QueryRowContext(txCtx, qFolded).Scan(&from); err != nil {
			return err
		}
		for n < foldMaxRows {
			entries, err := r.readJournal(txCtx, tx, max(last, from))
			if err != nil {
				return err
			}
			if len(entries) == 0 {
				break
			}
			if changes == nil {
				changes = make(idapi.Changes, 0, len(entries))
			}
			yielded := false
			for _, e := range entries {
				if n > 0 && time.Since(start) >= foldYield && r.db.OthersWaiting() {
					yielded = true
					break
				}
				n, last = n+1, e.seq
				if e.bad {
					continue
				}
				old, err := r.apply(txCtx, tx, e)
				if err != nil {
					return err
				}
				for _, o := range old {
					changes = append(changes, idapi.Change{Client: o, Removed: true, ReplacedBy: e.c.UID})
				}
				changes = append(changes, idapi.Change{Client: e.c})
			}
			if yielded || len(entries) < foldChunk {
				more = yielded
				break
			}
			more = true // a full read: there may be more rows
		}
		if n == 0 {
			return nil
		}
		if err := r.deleteApplied(txCtx, tx, last, n); err != nil {
			return err
		}
		_, err := tx.ExecContext(txCtx, r.qSetFolded, last)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("id: applying registrations: %w", err)
	}
	if n == 0 {
		return false, nil
	}
	if !r.serials.foldedBatch(from, last, changes) {
		// Another process folded meanwhile: read the serials again
		// before the pending registrations they reflect are dropped.
		if err := r.loadSerials(ctx); err != nil {
			return false, err
		}
	}
	r.j.pend.drop(last)
	raise(&r.j.polledTo, last)
	r.statuses.clear()
	if r.j.onApplied != nil && len(changes) > 0 {
		r.j.onApplied(ctx, changes)
	}
	return more, nil
}

// qJournalEnds reads the journal's lowest and highest seq: each from one
// end of the B-tree (one query with both aggregates would read the table).
const qJournalEnds = "SELECT (SELECT min(seq) FROM id_journal), (SELECT max(seq) FROM id_journal)"

// deleteApplied deletes the journal rows up to last, which the fold
// applied, except the row of last itself: the journal keeps its highest
// seq so that the next append (a plain INTEGER PRIMARY KEY, one above the
// highest) never reuses a seq (migrations/0006_journal_seq.sql). When
// last is the highest row (the fold applied every row; no other write can
// append while it holds the writer), emptying the table and putting back
// an empty row at last costs next to nothing, where deleting row by row
// cost about 4,400 instructions a row (SQLite's truncate optimisation;
// docs/BENCHMARKS.md, 2026-12-03, "id_journal without AUTOINCREMENT").
// Nothing reads rows at or below the watermark, which the fold raises to
// last in the same transaction.
//
// When rows remain above last (the transaction gave way to other writes,
// or reached foldMaxRows), the applied ones are left to the transaction
// that reaches the end, up to foldKeepApplied of them: deleting them now
// would cost that row-by-row delete, which the fold of a storm's backlog
// paid for nearly every row. Beyond that, the transaction deletes the
// oldest, twice as many as it applied (n): the journal shrinks back
// while no transaction deletes much more than it did before.
func (r *records) deleteApplied(ctx context.Context, tx *sql.Tx, last int64, n int) error {
	var lowest, highest int64
	if err := tx.QueryRowContext(ctx, qJournalEnds).Scan(&lowest, &highest); err != nil {
		return err
	}
	if highest != last {
		if last-lowest < foldKeepApplied {
			return nil
		}
		_, err := tx.ExecContext(ctx, r.qJournalDelete, last, 2*n)
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM id_journal"); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "INSERT INTO id_journal (seq, rec) VALUES (?, '')", last)
	return err
}

// housekeeping is the context of the fold's writes: the caller's
// cancellation and deadline, none of its values. A fold applies
// registrations already acknowledged, whoever runs it; it is not the
// change of the call that happens to run it first (id.remove folds before
// removing), so what the chain attached to that call must not go with it.
type housekeeping struct{ context.Context }

func (housekeeping) Value(any) any { return nil }

// readJournal reads the oldest foldChunk journal rows after seq after. The registrations
// this process holds in pending (nearly all: its own appends, and what it
// loaded at open or polled since) are taken from there; only the others'
// records are read and decoded, which saved about 2 µs a row
// (BenchmarkFold).
func (r *records) readJournal(ctx context.Context, tx *sql.Tx, after int64) ([]journalEntry, error) {
	rows, err := tx.QueryContext(ctx, r.qJournalSeqs, after, foldChunk)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]journalEntry, 0, foldChunk)
	var missing []int // indexes in out of rows pending lacks
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			return nil, err
		}
		e, ok := r.j.pend.get(seq)
		if !ok {
			missing = append(missing, len(out))
			e = journalEntry{seq: seq}
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, i := range missing {
		e := &out[i]
		var rec string
		if err := tx.QueryRowContext(ctx, r.qJournalRec, e.seq).Scan(&rec); err != nil {
			return nil, err
		}
		if e.c, e.at, err = decodeJournal(rec); err != nil {
			// Only damage makes such a row; it cannot be applied, and
			// keeping it would stop every later registration from being
			// applied. Say what it held and go on.
			if r.j.onBad != nil {
				r.j.onBad(e.seq, rec, err)
			}
			e.bad = true
		}
	}
	return out, nil
}

// apply is one registration's effect on id_clients and id_history: every
// other current record of the same machine (same uuid or serial,
// placeholders excepted) moves to the history, then the record is
// inserted or, for a repeat of the same uid, updated and counted.
// replay.go does the same in memory.
func (r *records) apply(ctx context.Context, tx *sql.Tx, e journalEntry) (superseded []Client, err error) {
	uuidKey := strings.ToLower(e.c.UUID)
	upsert := func() error {
		st, err := r.db.TxStmt(ctx, tx, r.qUpsert)
		if err != nil {
			return err
		}
		_, err = st.ExecContext(ctx, e.c.UID, e.c.UUID, uuidKey, e.c.Serial, e.c.Nickname, e.c.PubKey, e.at, e.c.LastAddr)
		return err
	}
	// Nearly every registration supersedes nothing: try the upsert, which
	// the serial and uuid indexes refuse when it would. SQLite then undoes
	// only that statement.
	if err := upsert(); err == nil || !store.IsConstraint(err) {
		return nil, err
	}
	superseded, err = queryClients(ctx, tx, r.qConflicts, e.c.UID, uuidKey, e.c.Serial)
	if err != nil {
		return nil, err
	}
	for _, o := range superseded {
		if err := r.end(ctx, tx, o, e.at, "superseded", e.c.UID); err != nil {
			return nil, err
		}
	}
	return superseded, upsert()
}

// runFolder folds in the background while the server runs: when
// registrations pause, or when too many wait, or when they wait too long;
// and it picks up other processes' registrations. It returns when ctx
// ends.
func (r *records) runFolder(ctx context.Context, log func(error)) {
	tick := time.NewTicker(foldIdle / 4)
	defer tick.Stop()
	var pendingSince time.Time // when this loop first saw unapplied registrations
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		pollErr := r.pollForeign(ctx)
		if pollErr != nil && ctx.Err() == nil {
			log(pollErr)
		}
		waiting := r.j.pend.len()
		now := time.Now()
		if waiting == 0 {
			pendingSince = time.Time{}
		} else if pendingSince.IsZero() {
			pendingSince = now
		}
		idle := now.Sub(time.Unix(0, r.j.lastAppend.Load())) >= foldIdle
		var err error
		if waiting > 0 && (idle || waiting >= foldBacklog || now.Sub(pendingSince) >= foldMaxAge) {
			err = r.fold(ctx)
			pendingSince = time.Time{} // what came during the fold waits its own turn
		}
		if err != nil && ctx.Err() == nil {
			log(err)
		}
	}
}
