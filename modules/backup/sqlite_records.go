package backup

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"aula/internal/store"
	"aula/modules/backup/snapshot"
)

func insertEvent(ctx context.Context, tx *sql.Tx, d store.Dialect, e Event) error {
	_, err := tx.ExecContext(ctx, d.Rebind("INSERT INTO backup_events (at, uid, kind, detail) VALUES (?, ?, ?, ?)"),
		ms(e.At), e.UID, e.Kind, e.Detail)
	return err
}

func (s *sqliteRecords) addEvent(ctx context.Context, e Event) error {
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		return insertEvent(ctx, tx, s.db.Dialect(), e)
	})
}

func (s *sqliteRecords) pruneEvents(ctx context.Context, cutoff time.Time) error {
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.db.Dialect().Rebind("DELETE FROM backup_events WHERE at < ?"), ms(cutoff))
		return err
	})
}

func (s *sqliteRecords) listEvents(ctx context.Context, uid string, limit int) ([]Event, error) {
	q, args := "SELECT at, uid, kind, detail FROM backup_events", []any{}
	if uid != "" {
		q += " WHERE uid = ?"
		args = append(args, uid)
	}
	q += " ORDER BY at DESC LIMIT ?"
	args = append(args, limit)
	rows, err := s.db.Reader().QueryContext(ctx, s.db.Dialect().Rebind(q), args...)
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

func (s *sqliteRecords) saveResult(ctx context.Context, uid, mode, result string, at time.Time) error {
	col := "last_backup_at"
	if mode == "restore" {
		col = "last_restore_at"
	}
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.db.Dialect().Upsert("backup_clients", []string{"uid"}, []string{col, "last_result"}),
			uid, ms(at), result)
		return err
	})
}

func (s *sqliteRecords) saveUsage(ctx context.Context, uid string, u snapshot.Usage, snaps int, latest string, at time.Time) error {
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.db.Dialect().Upsert("backup_clients", []string{"uid"},
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

func (s *sqliteRecords) clientStats(ctx context.Context, uid string) (ClientStats, bool, error) {
	c, err := scanStats(s.db.Reader().QueryRowContext(ctx, s.db.Dialect().Rebind(
		"SELECT "+statsCols+" FROM backup_clients WHERE uid = ?"), uid))
	if errors.Is(err, sql.ErrNoRows) {
		return ClientStats{}, false, nil
	}
	return c, err == nil, err
}

func (s *sqliteRecords) listStats(ctx context.Context) ([]ClientStats, error) {
	rows, err := s.db.Reader().QueryContext(ctx, "SELECT "+statsCols+" FROM backup_clients ORDER BY last_backup_at DESC, uid")
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
