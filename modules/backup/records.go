package backup

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"aula/internal/store"
	"aula/modules/backup/snapshot"
)

// maxDetail bounds an event's detail text (reasons quote client bytes).
const maxDetail = 400

// eventRetention is how long backup_events rows are kept.
const eventRetention = 90 * 24 * time.Hour

// Event is one row of the backup audit trail.
type Event struct {
	At     time.Time `json:"at"`
	UID    string    `json:"uid"`
	Kind   string    `json:"kind"` // admitted, refused, backup, restore, snapshot, error
	Detail string    `json:"detail"`
}

func addEvent(ctx context.Context, tx *sql.Tx, d store.Dialect, at time.Time, uid, kind, detail string) error {
	if len(detail) > maxDetail {
		detail = detail[:maxDetail] + "..."
	}
	_, err := tx.ExecContext(ctx, d.Rebind("INSERT INTO backup_events (at, uid, kind, detail) VALUES (?, ?, ?, ?)"),
		ms(at), uid, kind, detail)
	return err
}

// record writes one audit event in its own transaction.
func record(ctx context.Context, db *store.DB, uid, kind, detail string) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		return addEvent(ctx, tx, db.Dialect(), time.Now(), uid, kind, detail)
	})
}

// pruneEvents drops audit rows older than the retention.
func pruneEvents(ctx context.Context, db *store.DB, now time.Time) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.Dialect().Rebind("DELETE FROM backup_events WHERE at < ?"), ms(now.Add(-eventRetention)))
		return err
	})
}

// events returns the newest audit rows (of one client when uid is set).
func events(ctx context.Context, db *store.DB, uid string, limit int) ([]Event, error) {
	q, args := "SELECT at, uid, kind, detail FROM backup_events", []any{}
	if uid != "" {
		q += " WHERE uid = ?"
		args = append(args, uid)
	}
	q += " ORDER BY at DESC LIMIT ?"
	args = append(args, limit)
	rows, err := db.Reader().QueryContext(ctx, db.Dialect().Rebind(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at int64
		if err := rows.Scan(&at, &e.UID, &e.Kind, &e.Detail); err != nil {
			return nil, err
		}
		e.At = time.UnixMilli(at).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// ClientStats is what the gate last recorded about a client.
type ClientStats struct {
	UID           string    `json:"uid"`
	LastBackup    time.Time `json:"last_backup"`
	LastRestore   time.Time `json:"last_restore"`
	LastResult    string    `json:"last_result"`
	LastSnapshot  string    `json:"last_snapshot"`
	Snapshots     int64     `json:"snapshots"`
	Bytes         int64     `json:"bytes"`      // apparent size, hard links once
	DiskBytes     int64     `json:"disk_bytes"` // allocated, what the quota counts
	Inodes        int64     `json:"inodes"`
	Measured      time.Time `json:"measured"`
	Serial        string    `json:"serial,omitempty"`
	Nickname      string    `json:"nickname,omitempty"`
	NotRegistered bool      `json:"not_registered,omitempty"`
}

// saveResult records the outcome of one transfer.
func saveResult(ctx context.Context, db *store.DB, uid, mode, result string, at time.Time) error {
	col := "last_backup_at"
	if mode == "restore" {
		col = "last_restore_at"
	}
	return db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.Dialect().Upsert("backup_clients", []string{"uid"}, []string{col, "last_result"}),
			uid, ms(at), result)
		return err
	})
}

// saveUsage records a client directory's measured size.
func saveUsage(ctx context.Context, db *store.DB, uid string, u snapshot.Usage, snaps int, latest string, at time.Time) error {
	return db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.Dialect().Upsert("backup_clients", []string{"uid"},
			[]string{"bytes", "disk_bytes", "inodes", "snapshots", "last_snapshot", "measured_at"}),
			uid, u.Bytes, u.DiskBytes, u.Inodes, snaps, latest, ms(at))
		return err
	})
}

const statsCols = "uid, last_backup_at, last_restore_at, last_result, last_snapshot, snapshots, bytes, disk_bytes, inodes, measured_at"

func scanStats(sc interface{ Scan(...any) error }) (ClientStats, error) {
	var c ClientStats
	var lb, lr, m int64
	err := sc.Scan(&c.UID, &lb, &lr, &c.LastResult, &c.LastSnapshot, &c.Snapshots, &c.Bytes, &c.DiskBytes, &c.Inodes, &m)
	c.LastBackup, c.LastRestore, c.Measured = fromMS(lb), fromMS(lr), fromMS(m)
	return c, err
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// stats returns one client's record (ok false when it has none yet).
func stats(ctx context.Context, db *store.DB, uid string) (ClientStats, bool, error) {
	c, err := scanStats(db.Reader().QueryRowContext(ctx, db.Dialect().Rebind(
		"SELECT "+statsCols+" FROM backup_clients WHERE uid = ?"), uid))
	if errors.Is(err, sql.ErrNoRows) {
		return ClientStats{}, false, nil
	}
	return c, err == nil, err
}

// allStats returns every client's record, most recent backup first.
func allStats(ctx context.Context, db *store.DB) ([]ClientStats, error) {
	rows, err := db.Reader().QueryContext(ctx, "SELECT "+statsCols+" FROM backup_clients ORDER BY last_backup_at DESC, uid")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ClientStats
	for rows.Next() {
		c, err := scanStats(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
