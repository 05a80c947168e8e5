package id

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The read side of records: lookups on the reader pool, each after
// settling the registration journal (journal.go).

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func queryClients(ctx context.Context, q querier, query string, args ...any) ([]Client, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Client
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// byUID returns uid's current record.
func (r *records) byUID(ctx context.Context, uid string) (Client, bool, error) {
	if err := r.settle(ctx); err != nil {
		return Client{}, false, err
	}
	c, err := scanClient(r.byUIDStmt.QueryRowContext(quick(ctx), uid))
	if errors.Is(err, sql.ErrNoRows) {
		return Client{}, false, nil
	}
	if err != nil {
		return Client{}, false, fmt.Errorf("id: reading client %s: %w", uid, err)
	}
	return c, true, nil
}

// find returns current records by serial or (lowercased) uuid, newest first.
func (r *records) find(ctx context.Context, column, value string) ([]Client, error) {
	if err := r.settle(ctx); err != nil {
		return nil, err
	}
	where := column + " = ?"
	switch {
	case column == "serial" && value != "" && value != PlaceholderSerial:
		where += " AND " + serialIndexed
	case column == "uuid_key" && value != PlaceholderUUID:
		where += " AND " + uuidIndexed
	case column != "serial" && column != "uuid_key":
		panic("id: find by " + column)
	}
	// A placeholder is in no index: that query scans, which only admin
	// commands and odd clients make happen.
	cs, err := queryClients(ctx, r.db.Reader(), r.d.Rebind(
		"SELECT "+clientCols+" FROM id_clients WHERE "+where+" ORDER BY last_at DESC, uid"), value)
	if err != nil {
		return nil, fmt.Errorf("id: reading clients by %s: %w", column, err)
	}
	return cs, nil
}

// list returns every current record, most recently registered first.
func (r *records) list(ctx context.Context) ([]Client, error) {
	if err := r.settle(ctx); err != nil {
		return nil, err
	}
	cs, err := queryClients(ctx, r.db.Reader(), "SELECT "+clientCols+" FROM id_clients ORDER BY last_at DESC, uid")
	if err != nil {
		return nil, fmt.Errorf("id: listing clients: %w", err)
	}
	return cs, nil
}

// history returns ended registrations with the given uid, serial or uuid
// (any that is non-empty), newest first.
func (r *records) history(ctx context.Context, uid, serial, uuid string) ([]HistoryEntry, error) {
	if err := r.settle(ctx); err != nil {
		return nil, err
	}
	rows, err := r.db.Reader().QueryContext(ctx, r.d.Rebind("SELECT "+clientCols+", ended_at, reason, replaced_by FROM id_history"+
		" WHERE uid = ? OR (serial = ? AND serial <> '') OR (LOWER(uuid) = ? AND uuid <> '') ORDER BY ended_at DESC, uid"),
		uid, serial, strings.ToLower(uuid))
	if err != nil {
		return nil, fmt.Errorf("id: reading history: %w", err)
	}
	defer rows.Close()
	out := []HistoryEntry{}
	for rows.Next() {
		var h HistoryEntry
		var ended string
		if h.Client, err = scanClient(rows, &ended, &h.Reason, &h.ReplacedBy); err != nil {
			return nil, fmt.Errorf("id: reading history: %w", err)
		}
		h.Ended = parseTime(ended)
		out = append(out, h)
	}
	return out, rows.Err()
}

// status looks a client up for GET /client/status: by uid, or by machine
// uuid when byUUID.
func (r *records) status(ctx context.Context, key string, byUUID bool) (uid string, hasKey, found bool, err error) {
	if err := r.settle(ctx); err != nil {
		return "", false, false, err
	}
	ck := "uid:" + key
	if byUUID {
		ck = "uuid:" + key
	}
	now := time.Now()
	h, gen, ok := r.statuses.get(ck, now)
	if ok {
		return h.uid, h.hasKey, h.found, nil
	}
	uid, hasKey, found, err = r.statusFromDB(ctx, key, byUUID)
	if err == nil {
		r.statuses.put(ck, statusHit{uid, hasKey, found, now}, gen)
	}
	return uid, hasKey, found, err
}

func (r *records) statusFromDB(ctx context.Context, key string, byUUID bool) (uid string, hasKey, found bool, err error) {
	var row *sql.Row
	switch {
	case !byUUID:
		row = r.statusUIDStmt.QueryRowContext(quick(ctx), key)
	case key != PlaceholderUUID:
		row = r.statusUUIDStmt.QueryRowContext(quick(ctx), key)
	default: // shared by many machines, in no index: the latest
		row = r.db.Reader().QueryRowContext(ctx, r.d.Rebind(
			"SELECT uid, pubkey <> '' FROM id_clients WHERE uuid_key = ? ORDER BY last_at DESC LIMIT 1"), key)
	}
	err = row.Scan(&uid, &hasKey)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, false, nil
	}
	if err != nil {
		return "", false, false, fmt.Errorf("id: reading status of %s: %w", key, err)
	}
	return uid, hasKey, true, nil
}
