package id

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"aula/internal/store"
)

// Client is one registration: current, or ended when it is part of a
// HistoryEntry.
type Client struct {
	UID             string    `json:"uid"`
	UUID            string    `json:"uuid"`
	Serial          string    `json:"serial"`
	Nickname        string    `json:"nickname"`
	PubKey          string    `json:"pubkey"` // base64 blob without type prefix; "" when registered without one
	FirstRegistered time.Time `json:"first_registered"`
	LastRegistered  time.Time `json:"last_registered"`
	LastAddr        string    `json:"last_addr"` // peer address of the last registration
	Registrations   int64     `json:"registrations"`
}

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

// The WHERE terms of the partial unique indexes on serial and uuid_key:
// queries repeat them so that both engines use those indexes.
const (
	serialIndexed = "serial <> '' AND serial <> '" + PlaceholderSerial + "'"
	uuidIndexed   = "uuid_key <> '" + PlaceholderUUID + "'"
)

// records is the module's store: SQL over id_clients, id_history, id_meta.
type records struct {
	db *store.DB
	d  store.Dialect

	byUIDStmt, epochStmt, statusUIDStmt, statusUUIDStmt, journalMaxStmt *sql.Stmt
	epochs                                                              epochCache
	statuses                                                            statusCache
	j                                                                   journal

	qConflicts, qUpsert, qToHistory, qDelete, qBump string
	qAppend, qJournalRead, qJournalDelete           string
}

func newRecords(ctx context.Context, db *store.DB) (*records, error) {
	d := db.Dialect()
	r := &records{db: db, d: d,
		qConflicts: d.Rebind("SELECT " + clientCols + " FROM id_clients WHERE uid <> ? AND ((uuid_key = ? AND " + uuidIndexed + ") OR (serial = ? AND " + serialIndexed + "))"),
		qUpsert: d.Rebind(`INSERT INTO id_clients (uid, uuid, uuid_key, serial, nickname, pubkey, first_at, last_at, last_addr, registrations)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
ON CONFLICT (uid) DO UPDATE SET uuid = excluded.uuid, uuid_key = excluded.uuid_key,
	serial = CASE WHEN excluded.serial = '' THEN id_clients.serial ELSE excluded.serial END,
	nickname = CASE WHEN excluded.nickname = '' THEN id_clients.nickname ELSE excluded.nickname END,
	pubkey = excluded.pubkey, last_at = excluded.last_at, last_addr = excluded.last_addr,
	registrations = id_clients.registrations + 1`),
		qToHistory:     d.Rebind("INSERT INTO id_history (" + clientCols + ", ended_at, reason, replaced_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		qDelete:        d.Rebind("DELETE FROM id_clients WHERE uid = ?"),
		qBump:          d.Rebind("UPDATE id_meta SET value = value + 1 WHERE name = 'epoch'"),
		qAppend:        d.Rebind(appendQuery(d)),
		qJournalRead:   d.Rebind("SELECT seq, rec FROM id_journal ORDER BY seq LIMIT ?"),
		qJournalDelete: d.Rebind("DELETE FROM id_journal WHERE seq <= ?"),
	}
	prep := []struct {
		dst **sql.Stmt
		q   string
	}{
		{&r.byUIDStmt, "SELECT " + clientCols + " FROM id_clients WHERE uid = ?"},
		{&r.epochStmt, "SELECT value FROM id_meta WHERE name = 'epoch'"},
		{&r.statusUIDStmt, "SELECT uid, pubkey <> '' FROM id_clients WHERE uid = ?"},
		{&r.statusUUIDStmt, "SELECT uid, pubkey <> '' FROM id_clients WHERE uuid_key = ? AND " + uuidIndexed},
		{&r.journalMaxStmt, "SELECT MAX(seq) FROM id_journal"},
	}
	for _, p := range prep {
		st, err := db.Reader().PrepareContext(ctx, d.Rebind(p.q))
		if err != nil {
			r.close()
			return nil, fmt.Errorf("id: preparing %q: %w", p.q, err)
		}
		*p.dst = st
	}
	return r, nil
}

// appendQuery appends a registration to the journal; PostgreSQL's driver
// has no LastInsertId, so there the new seq comes back as a row.
func appendQuery(d store.Dialect) string {
	q := "INSERT INTO id_journal (rec) VALUES (?)"
	if d == store.Postgres {
		q += " RETURNING seq"
	}
	return q
}

func (r *records) close() {
	for _, st := range []*sql.Stmt{r.byUIDStmt, r.epochStmt, r.statusUIDStmt, r.statusUUIDStmt, r.journalMaxStmt} {
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

// remove ends uid's registration; found is false if it had none.
func (r *records) remove(ctx context.Context, uid string, at time.Time) (c Client, found bool, err error) {
	if err := r.settle(ctx); err != nil {
		return Client{}, false, err
	}
	txCtx := context.WithoutCancel(ctx)
	defer r.statuses.clear()
	err = r.db.Write(ctx, func(tx *sql.Tx) error {
		found = false
		cs, err := queryClients(txCtx, tx, r.d.Rebind("SELECT "+clientCols+" FROM id_clients WHERE uid = ?"), uid)
		if err != nil || len(cs) == 0 {
			return err
		}
		c, found = cs[0], true
		return r.end(txCtx, tx, c, fmtTime(at), "removed", "")
	})
	if err != nil {
		return Client{}, false, fmt.Errorf("id: removing %s: %w", uid, err)
	}
	return c, found, nil
}
