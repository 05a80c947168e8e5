package id

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// The read side of records. Every read combines the folded records with
// the unfolded registrations (journal.go): when there are none it is a
// plain query; otherwise it reads the records and the fold's watermark in
// one snapshot (a read transaction) and replays the registrations above
// the watermark (replay.go). Reads never write.

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

// allFolded is the watermark a read uses when nothing is pending: no
// entry is above it.
const allFolded = math.MaxInt64

// view runs read on one snapshot of the records; folded says which
// pending registrations read must replay (those above it).
func (r *records) view(ctx context.Context, read func(q querier, folded int64) error) error {
	if err := r.pollForeign(ctx); err != nil {
		return err
	}
	if r.j.pend.len() == 0 {
		// Anything appended from now on is simply after this read.
		return read(r.db.Reader(), allFolded)
	}
	r.j.pend.retire.RLock()
	defer r.j.pend.retire.RUnlock()
	tx, err := r.db.Reader().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var folded int64
	if err := tx.QueryRowContext(ctx, qFolded).Scan(&folded); err != nil {
		return err
	}
	if err := read(tx, folded); err != nil {
		return err
	}
	return tx.Commit()
}

// replayFor replays onto base (the folded records of uids that exist)
// the pending registrations above folded that can change the records of
// uids.
func (r *records) replayFor(folded int64, base []Client, uids []string) *replay {
	rp := newReplay(base)
	if folded == allFolded {
		return rp
	}
	for _, e := range r.j.pend.relevant(folded, base, uids) {
		rp.apply(e)
	}
	return rp
}

// replayAll replays every pending registration above folded onto every
// folded record.
func (r *records) replayAll(folded int64, all []Client) *replay {
	rp := newReplay(all)
	if folded == allFolded {
		return rp
	}
	for _, e := range r.j.pend.after(folded) {
		rp.apply(e)
	}
	return rp
}

// byUID returns uid's current record.
func (r *records) byUID(ctx context.Context, uid string) (c Client, found bool, err error) {
	err = r.view(ctx, func(q querier, folded int64) error {
		base, err := r.folded(ctx, q, uid)
		if err != nil {
			return err
		}
		c, found = r.replayFor(folded, base, []string{uid}).get(uid)
		return nil
	})
	if err != nil {
		return Client{}, false, fmt.Errorf("id: reading client %s: %w", uid, err)
	}
	return c, found, nil
}

// folded reads the folded records of uids (those that have one).
func (r *records) folded(ctx context.Context, q querier, uids ...string) ([]Client, error) {
	var out []Client
	for _, uid := range uids {
		var row *sql.Row
		if db, ok := q.(*sql.DB); ok && db == r.db.Reader() {
			row = r.byUIDStmt.QueryRowContext(quick(ctx), uid)
		} else {
			row = q.(*sql.Tx).QueryRowContext(ctx, "SELECT "+clientCols+" FROM id_clients WHERE "+uidIs, uid)
		}
		c, err := scanClient(row)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// find returns current records by serial or (lowercased) uuid, newest first.
func (r *records) find(ctx context.Context, column, value string) ([]Client, error) {
	var match func(c Client) bool
	var indexed bool
	switch column {
	case "serial":
		match, indexed = func(c Client) bool { return c.Serial == value }, indexedSerial(value)
	case "uuid_key":
		match, indexed = func(c Client) bool { return strings.ToLower(c.UUID) == value }, indexedUUID(value)
	default:
		panic("id: find by " + column)
	}
	if !indexed {
		// A placeholder is in no index and may be shared by many: only
		// admin commands and odd clients look one up.
		all, err := r.list(ctx)
		if err != nil {
			return nil, err
		}
		return slices.DeleteFunc(all, func(c Client) bool { return !match(c) }), nil
	}
	var out []Client
	err := r.view(ctx, func(q querier, folded int64) error {
		where := column + " = ? AND " + serialIndexed
		if column == "uuid_key" {
			where = column + " = ? AND " + uuidIndexed
		}
		base, err := queryClients(quick(ctx), q, "SELECT "+clientCols+" FROM id_clients WHERE "+where, value)
		if err != nil || folded == allFolded {
			out = base
			return err
		}
		uids := make([]string, 0, len(base))
		for _, c := range base {
			uids = append(uids, c.UID)
		}
		var more []string
		if column == "serial" {
			more = r.j.pend.uidsWith(folded, "", value)
		} else {
			more = r.j.pend.uidsWith(folded, value, "")
		}
		more = slices.DeleteFunc(more, func(u string) bool { return slices.Contains(uids, u) })
		extra, err := r.folded(ctx, q, more...)
		if err != nil {
			return err
		}
		base, uids = append(base, extra...), append(uids, more...)
		rp := r.replayFor(folded, base, uids)
		out = nil
		for _, uid := range uids {
			if c, ok := rp.get(uid); ok && match(c) {
				out = append(out, c)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("id: reading clients by %s: %w", column, err)
	}
	sortClients(out)
	return out, nil
}

// sortClients orders records most recently registered first.
func sortClients(cs []Client) {
	slices.SortFunc(cs, func(a, b Client) int {
		if c := b.LastRegistered.Compare(a.LastRegistered); c != 0 {
			return c
		}
		return strings.Compare(a.UID, b.UID)
	})
}

// list returns every current record, most recently registered first.
func (r *records) list(ctx context.Context) ([]Client, error) {
	cs, _, err := r.snapshotAll(ctx, false, "", "", "")
	return cs, err
}

// snapshotAll reads every current record and, when withHistory, the
// ended ones with the given uid, serial or uuid, in one snapshot with
// the pending registrations replayed.
func (r *records) snapshotAll(ctx context.Context, withHistory bool, uid, serial, uuid string) (cs []Client, hist []HistoryEntry, err error) {
	err = r.view(ctx, func(q querier, folded int64) error {
		all, err := queryClients(ctx, q, "SELECT "+clientCols+" FROM id_clients")
		if err != nil {
			return err
		}
		rp := r.replayAll(folded, all)
		cs = make([]Client, 0, len(rp.cur))
		for _, c := range rp.cur {
			cs = append(cs, *c)
		}
		if !withHistory {
			return nil
		}
		if hist, err = r.historyRows(ctx, q, uid, serial, uuid); err != nil {
			return err
		}
		for _, h := range rp.ended {
			if h.UID == uid || (serial != "" && h.Serial == serial) || (uuid != "" && strings.ToLower(h.UUID) == uuid) {
				hist = append(hist, h)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("id: listing clients: %w", err)
	}
	sortClients(cs)
	slices.SortStableFunc(hist, func(a, b HistoryEntry) int {
		if c := b.Ended.Compare(a.Ended); c != 0 {
			return c
		}
		return strings.Compare(a.UID, b.UID)
	})
	return cs, hist, nil
}

// history returns ended registrations with the given uid, serial or uuid
// (any that is non-empty), newest first.
func (r *records) history(ctx context.Context, uid, serial, uuid string) ([]HistoryEntry, error) {
	_, hist, err := r.snapshotAll(ctx, true, uid, serial, strings.ToLower(uuid))
	if hist == nil && err == nil {
		hist = []HistoryEntry{}
	}
	return hist, err
}

func (r *records) historyRows(ctx context.Context, q querier, uid, serial, uuid string) ([]HistoryEntry, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+clientCols+", ended_at, reason, replaced_by FROM id_history"+
		" WHERE uid = ? OR (serial = ? AND serial <> '') OR (LOWER(uuid) = ? AND uuid <> '')", uid, serial, uuid)
	if err != nil {
		return nil, fmt.Errorf("reading history: %w", err)
	}
	defer rows.Close()
	out := []HistoryEntry{}
	for rows.Next() {
		var h HistoryEntry
		var ended string
		if h.Client, err = scanClient(rows, &ended, &h.Reason, &h.ReplacedBy); err != nil {
			return nil, fmt.Errorf("reading history: %w", err)
		}
		h.Ended = parseTime(ended)
		out = append(out, h)
	}
	return out, rows.Err()
}

// status looks a client up for GET /client/status: by uid, or by machine
// uuid when byUUID.
func (r *records) status(ctx context.Context, key string, byUUID bool) (uid string, hasKey, found bool, err error) {
	ck := "uid:" + key
	if byUUID {
		ck = "uuid:" + key
	}
	now := time.Now()
	h, gen, ok := r.statuses.get(ck, now)
	if ok {
		return h.uid, h.hasKey, h.found, nil
	}
	if err := r.pollForeign(ctx); err != nil {
		return "", false, false, err
	}
	if r.j.pend.len() == 0 {
		uid, hasKey, found, err = r.statusFromDB(ctx, key, byUUID)
	} else {
		var c Client
		if byUUID {
			var cs []Client
			if cs, err = r.find(ctx, "uuid_key", key); err == nil && len(cs) > 0 {
				c, found = cs[0], true
			}
		} else {
			c, found, err = r.byUID(ctx, key)
		}
		uid, hasKey = c.UID, c.PubKey != ""
	}
	if err == nil {
		r.statuses.put(ck, statusHit{uid, hasKey, found, now}, gen)
	}
	return uid, hasKey, found, err
}

// statusFromDB is status when nothing is pending: one indexed query.
func (r *records) statusFromDB(ctx context.Context, key string, byUUID bool) (uid string, hasKey, found bool, err error) {
	var row *sql.Row
	switch {
	case !byUUID:
		row = r.statusUIDStmt.QueryRowContext(quick(ctx), key)
	case key != PlaceholderUUID:
		row = r.statusUUIDStmt.QueryRowContext(quick(ctx), key)
	default: // shared by many machines, in no index: the latest
		row = r.db.Reader().QueryRowContext(ctx,
			"SELECT uid, pubkey <> '' FROM id_clients WHERE uuid_key = ? ORDER BY last_at DESC LIMIT 1", key)
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

// serialHolder returns the current registration holding an indexed
// serial (uid and machine uuid only): the check every registration with
// a serial makes (moves.go). It asks the in-memory index of the folded
// records (serialindex.go) and replays the pending registrations that can
// touch the serial, as reads do; no query.
func (r *records) serialHolder(ctx context.Context, serial string) (holder Client, found bool, err error) {
	r.j.pend.retire.RLock()
	defer r.j.pend.retire.RUnlock()
	h, ok, folded := r.serials.holder(serial)
	if r.j.pend.len() == 0 {
		return h, ok, nil
	}
	var base []Client
	uids := r.j.pend.uidsWith(folded, "", serial)
	if ok {
		base = []Client{h}
		if !slices.Contains(uids, h.UID) {
			uids = append(uids, h.UID)
		}
	}
	if len(uids) == 0 {
		return Client{}, false, nil
	}
	rp := r.replayFor(folded, base, uids)
	for _, u := range uids {
		if c, ok := rp.get(u); ok && c.Serial == serial {
			return c, true, nil
		}
	}
	return Client{}, false, nil
}
