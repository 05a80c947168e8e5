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
// Nobody ever reads unfolded state: every read of the records first
// settles the journal (folds what was appended before the read began), so
// readers see exactly what they would have seen had each registration
// been applied at once. While only registrations arrive (a boot storm,
// where the Sugar shell only registers) little is folded; the fold runs
// when registrations pause (foldIdle), when the oldest unapplied one is
// foldMaxAge old, when the journal grows past foldBacklog, on the first
// read, and when the server stops.

const (
	// foldIdle is how long registrations must pause before the
	// background fold runs.
	foldIdle = 200 * time.Millisecond
	// foldMaxAge bounds how long a registration may wait to be applied
	// while registrations keep coming, which is how late the other
	// modules (backup's authorized_keys, activation's UUIDs) may hear of
	// it during a storm.
	foldMaxAge = 5 * time.Second
	// foldBacklog is how many unfolded registrations make the background
	// fold run even while registrations keep coming: it bounds the
	// journal (about 300 bytes a row) and the work a read may have to do
	// first, and is far above what a school's boot storm appends.
	foldBacklog = 100_000
	// foldChunk is how many registrations one fold transaction applies;
	// other writes wait for at most one chunk.
	foldChunk = 2000
	// foreignEvery is how often a process that appended nothing itself
	// checks the database for another process's unfolded registrations
	// before a read (an admin command reading while the server runs, or
	// the server after such a command registered a client).
	foreignEvery = time.Second
)

// journal is this process's view of id_journal.
type journal struct {
	// Seqs only grow (AUTOINCREMENT, or an identity column) and rows are
	// committed in seq order (one writer at a time), so one watermark
	// says what is folded.
	appended    atomic.Int64 // highest seq this process appended
	folded      atomic.Int64 // every seq up to this one is folded
	lastAppend  atomic.Int64 // unix nanoseconds of the last append
	lastForeign atomic.Int64 // unix nanoseconds of the last check for others' rows

	foldMu sync.Mutex // one fold at a time in this process
	// onApplied is told of each registration a fold applied, in order,
	// with the registrations it ended because it took their serial or
	// uuid. The events of a registration are published from here, so
	// subscribers see them in the order the records changed.
	onApplied func(ctx context.Context, c Client, superseded []Client)
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

// appendRegistration stores c durably in the journal.
func (r *records) appendRegistration(ctx context.Context, c Client) error {
	rec := encodeJournal(c, fmtTime(c.LastRegistered))
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
		if r.d == store.Postgres {
			return st.QueryRowContext(txCtx, rec).Scan(&seq)
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
	raise(&r.j.appended, seq)
	r.j.lastAppend.Store(time.Now().UnixNano())
	return nil
}

// settle folds every registration appended before it was called, so that
// a read that follows sees them applied.
func (r *records) settle(ctx context.Context) error {
	if target := r.j.appended.Load(); target > r.j.folded.Load() {
		return r.foldTo(ctx, target)
	}
	return r.foldForeign(ctx)
}

// foldForeign folds registrations another process appended, checking for
// them at most every foreignEvery.
func (r *records) foldForeign(ctx context.Context) error {
	now := time.Now().UnixNano()
	if now-r.j.lastForeign.Load() < int64(foreignEvery) {
		return nil
	}
	r.j.lastForeign.Store(now)
	var last sql.NullInt64
	if err := r.journalMaxStmt.QueryRowContext(quick(ctx)).Scan(&last); err != nil {
		return fmt.Errorf("id: reading the registration journal: %w", err)
	}
	if !last.Valid || last.Int64 <= r.j.folded.Load() {
		return nil
	}
	return r.foldTo(ctx, last.Int64)
}

// foldTo folds the journal until every registration up to seq target (a
// committed one) is applied.
func (r *records) foldTo(ctx context.Context, target int64) error {
	r.j.foldMu.Lock()
	defer r.j.foldMu.Unlock()
	for r.j.folded.Load() < target {
		// Appended (and acknowledged) by this process before the fold
		// transaction starts, so a fold that empties the journal has
		// applied it, whoever folded it.
		before := r.j.appended.Load()
		n, last, err := r.foldChunk(ctx)
		if err != nil {
			return err
		}
		raise(&r.j.folded, last)
		if n < foldChunk {
			// The journal is empty now, so everything committed before
			// this fold is applied.
			raise(&r.j.folded, max(before, target))
		}
	}
	return nil
}

// fold applies every registration this process appended.
func (r *records) fold(ctx context.Context) error {
	return r.foldTo(ctx, r.j.appended.Load())
}

// journalEntry is one unfolded registration.
type journalEntry struct {
	seq int64
	c   Client
	at  string
	bad bool // undecodable: deleted without being applied
}

// foldChunk applies up to foldChunk journal rows, oldest first, in one
// transaction, and deletes them. It returns how many it applied and the
// last seq.
func (r *records) foldChunk(ctx context.Context) (n int, last int64, err error) {
	txCtx := context.WithoutCancel(ctx)
	var applied []application
	err = r.db.Write(ctx, func(tx *sql.Tx) error {
		applied, n, last = nil, 0, 0 // the function may run twice; start afresh
		entries, err := r.readJournal(txCtx, tx)
		if err != nil || len(entries) == 0 {
			return err
		}
		for _, e := range entries {
			if e.bad {
				continue
			}
			old, err := r.apply(txCtx, tx, e)
			if err != nil {
				return err
			}
			applied = append(applied, application{c: e.c, superseded: old})
		}
		n, last = len(entries), entries[len(entries)-1].seq
		_, err = tx.ExecContext(txCtx, r.qJournalDelete, last)
		return err
	})
	r.statuses.clear() // also when the write fails: it may have been applied
	if err != nil {
		return 0, 0, fmt.Errorf("id: applying registrations: %w", err)
	}
	if r.j.onApplied != nil {
		for _, a := range applied {
			r.j.onApplied(ctx, a.c, a.superseded)
		}
	}
	return n, last, nil
}

type application struct {
	c          Client
	superseded []Client
}

func (r *records) readJournal(ctx context.Context, tx *sql.Tx) ([]journalEntry, error) {
	rows, err := tx.QueryContext(ctx, r.qJournalRead, foldChunk)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []journalEntry
	for rows.Next() {
		var e journalEntry
		var rec string
		if err := rows.Scan(&e.seq, &rec); err != nil {
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
		out = append(out, e)
	}
	return out, rows.Err()
}

// apply is one registration's effect on id_clients and id_history: every
// other current record of the same machine (same uuid or serial,
// placeholders excepted) moves to the history, then the record is
// inserted or, for a repeat of the same uid, updated and counted.
func (r *records) apply(ctx context.Context, tx *sql.Tx, e journalEntry) (superseded []Client, err error) {
	uuidKey := strings.ToLower(e.c.UUID)
	upsert := func() error {
		st, err := r.db.TxStmt(ctx, tx, r.qUpsert)
		if err != nil {
			return err
		}
		_, err = st.ExecContext(ctx, e.c.UID, e.c.UUID, uuidKey, e.c.Serial, e.c.Nickname, e.c.PubKey, e.at, e.at, e.c.LastAddr)
		return err
	}
	// Nearly every registration supersedes nothing: try the upsert, which
	// the serial and uuid indexes refuse when it would. SQLite then undoes
	// only that statement. (PostgreSQL would abort the transaction, so
	// there the other records are always looked for first.)
	if r.d == store.SQLite {
		err := upsert()
		if err == nil || !store.IsConstraint(err) {
			return nil, err
		}
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
// registrations pause, or when too many wait. It returns when ctx ends.
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
		pending := r.j.appended.Load() - r.j.folded.Load()
		now := time.Now()
		if pending <= 0 {
			pendingSince = time.Time{}
		} else if pendingSince.IsZero() {
			pendingSince = now
		}
		idle := now.Sub(time.Unix(0, r.j.lastAppend.Load())) >= foldIdle
		var err error
		switch {
		case pending > 0 && (idle || pending >= foldBacklog || now.Sub(pendingSince) >= foldMaxAge):
			err = r.fold(ctx)
			pendingSince = time.Time{} // what came during the fold waits its own turn
		case pending <= 0:
			// Rows another process appended (or this one before a
			// restart) are folded within about a second too.
			err = r.foldForeign(ctx)
		}
		if err != nil && ctx.Err() == nil {
			log(err)
		}
	}
}
