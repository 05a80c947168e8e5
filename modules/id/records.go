package id

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"aula/internal/store"
	"aula/modules/id/idapi"
)

// Client is one registration (defined in idapi, which other modules use).
type Client = idapi.Client

// HistoryEntry is a registration that ended.
type HistoryEntry struct {
	Client
	Ended      time.Time `json:"ended"`
	Reason     string    `json:"reason"`      // "superseded" or "removed"
	ReplacedBy string    `json:"replaced_by"` // uid of the superseding registration
}

// timeLayout is fixed-width so stored times sort as text.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeLayout, s)
	return t
}

const clientCols = "uid, uuid, serial, nickname, pubkey, first_at, last_at, last_addr, registrations"

// uidIs finds a record by its uid, the first parameter, through the
// index of unhex(uid) (migrations/0005_uid_index.sql); the second term
// keeps the match exact.
const uidIs = "unhex(uid) = unhex(?1) AND uid = ?1"

// The WHERE terms of the partial unique indexes on serial and uuid_key:
// queries repeat them so that SQLite uses those indexes.
const (
	serialIndexed = "serial <> '' AND serial <> '" + PlaceholderSerial + "'"
	uuidIndexed   = "uuid_key <> '" + PlaceholderUUID + "'"
)

// records is the module's store: SQL over id_clients, id_history, id_meta.
type records struct {
	db *store.DB

	byUIDStmt, epochStmt, statusUIDStmt, statusUUIDStmt *sql.Stmt
	serials                                             serialIndex
	epochs                                              epochCache
	statuses                                            statusCache
	j                                                   journal

	qConflicts, qUpsert, qToHistory, qDelete, qBump      string
	qAppend, qJournalDelete                              string
	qJournalAfter, qSetFolded, qJournalSeqs, qJournalRec string
}

// qFolded reads the fold's watermark: every journal seq up to it is
// applied to id_clients and id_history.
const qFolded = "SELECT value FROM id_meta WHERE name = 'folded'"

func newRecords(ctx context.Context, db *store.DB, hooks storeHooks) (*records, error) {
	r := &records{db: db,
		qConflicts: "SELECT " + clientCols + " FROM id_clients WHERE uid <> ? AND ((uuid_key = ? AND " + uuidIndexed + ") OR (serial = ? AND " + serialIndexed + "))",
		qUpsert: `INSERT INTO id_clients (uid, uuid, uuid_key, serial, nickname, pubkey, first_at, last_at, last_addr, registrations)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, 1)
ON CONFLICT (unhex(uid)) DO UPDATE SET uuid = excluded.uuid, uuid_key = excluded.uuid_key,
	serial = CASE WHEN excluded.serial = '' THEN id_clients.serial ELSE excluded.serial END,
	nickname = CASE WHEN excluded.nickname = '' THEN id_clients.nickname ELSE excluded.nickname END,
	pubkey = excluded.pubkey, last_at = excluded.last_at, last_addr = excluded.last_addr,
	registrations = id_clients.registrations + 1`,
		qToHistory:     "INSERT INTO id_history (" + clientCols + ", ended_at, reason, replaced_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		qDelete:        "DELETE FROM id_clients WHERE " + uidIs,
		qBump:          "UPDATE id_meta SET value = value + 1 WHERE name = 'epoch'",
		qAppend:        "INSERT INTO id_journal (rec) VALUES (?)",
		qJournalAfter:  "SELECT seq, rec FROM id_journal WHERE seq > ? ORDER BY seq",
		qSetFolded:     "UPDATE id_meta SET value = ? WHERE name = 'folded'",
		qJournalSeqs:   "SELECT seq FROM id_journal WHERE seq > ? ORDER BY seq LIMIT ?",
		qJournalRec:    "SELECT rec FROM id_journal WHERE seq = ?",
		qJournalDelete: "DELETE FROM id_journal WHERE seq IN (SELECT seq FROM id_journal WHERE seq < ? ORDER BY seq LIMIT ?)", // the oldest applied, never the highest: deleteApplied
	}
	prep := []struct {
		dst **sql.Stmt
		q   string
	}{
		{&r.byUIDStmt, "SELECT " + clientCols + " FROM id_clients WHERE " + uidIs},
		{&r.epochStmt, "SELECT value FROM id_meta WHERE name = 'epoch'"},
		{&r.statusUIDStmt, "SELECT uid, pubkey <> '' FROM id_clients WHERE " + uidIs},
		{&r.statusUUIDStmt, "SELECT uid, pubkey <> '' FROM id_clients WHERE uuid_key = ? AND " + uuidIndexed},
	}
	for _, p := range prep {
		st, err := db.Reader().PrepareContext(ctx, p.q)
		if err != nil {
			r.close()
			return nil, fmt.Errorf("id: preparing %q: %w", p.q, err)
		}
		*p.dst = st
	}
	r.j.onApplied, r.j.onBad = hooks.applied, hooks.bad
	// Registrations left unfolded (by a crash, or by another process
	// still running) are visible to this process's reads from the start.
	if err := r.loadSerials(ctx); err != nil {
		r.close()
		return nil, err
	}
	if err := r.loadJournal(ctx); err != nil {
		r.close()
		return nil, err
	}
	r.j.lastPoll.Store(time.Now().UnixNano())
	return r, nil
}

func (r *records) close() {
	for _, st := range []*sql.Stmt{r.byUIDStmt, r.epochStmt, r.statusUIDStmt, r.statusUUIDStmt} {
		if st != nil {
			st.Close()
		}
	}
}

// quick detaches a short indexed query from its caller's cancellation.
// With a cancellable context both database/sql (for rows) and the SQLite
// driver (for every statement) start a goroutine to watch it, which costs
// more than the query; these queries finish in microseconds anyway.
func quick(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

type scanner interface{ Scan(dst ...any) error }

func scanClient(s scanner, extra ...any) (Client, error) {
	var c Client
	var first, last string
	err := s.Scan(append([]any{&c.UID, &c.UUID, &c.Serial, &c.Nickname, &c.PubKey, &first, &last, &c.LastAddr, &c.Registrations}, extra...)...)
	c.FirstRegistered, c.LastRegistered = parseTime(first), parseTime(last)
	return c, err
}

// end moves a current record to the history.
func (r *records) end(ctx context.Context, tx *sql.Tx, c Client, now, reason, by string) error {
	_, err := tx.ExecContext(ctx, r.qToHistory, c.UID, c.UUID, c.Serial, c.Nickname, c.PubKey,
		fmtTime(c.FirstRegistered), fmtTime(c.LastRegistered), c.LastAddr, c.Registrations, now, reason, by)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, r.qDelete, c.UID)
	return err
}

// remove ends uid's registration; found is false if it had none. It
// folds the journal first, so a registration still waiting there is
// removed too and not brought back by a later fold.
func (r *records) remove(ctx context.Context, uid string, at time.Time) (c Client, found bool, err error) {
	if err := r.fold(ctx); err != nil {
		return Client{}, false, err
	}
	txCtx := context.WithoutCancel(ctx)
	defer r.statuses.clear()
	var changed int64
	err = r.db.Write(ctx, func(tx *sql.Tx) error {
		found = false
		cs, err := queryClients(txCtx, tx, "SELECT "+clientCols+" FROM id_clients WHERE "+uidIs, uid)
		if err != nil || len(cs) == 0 {
			return err
		}
		c, found = cs[0], true
		if err := r.end(txCtx, tx, c, fmtTime(at), "removed", ""); err != nil {
			return err
		}
		if _, err := tx.ExecContext(txCtx, "UPDATE id_meta SET value = value + 1 WHERE name = 'changed'"); err != nil {
			return err
		}
		return tx.QueryRowContext(txCtx, qChanged).Scan(&changed)
	})
	if err != nil {
		return Client{}, false, fmt.Errorf("id: removing %s: %w", uid, err)
	}
	if found && !r.serials.removed(c.UID, changed-1, changed) {
		if err := r.loadSerials(ctx); err != nil {
			return c, found, err
		}
	}
	return c, found, nil
}
