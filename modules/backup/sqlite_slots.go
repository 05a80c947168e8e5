package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// acquire marks uid's slot running for the gate process pid. A backup
// needs a granted slot. A restore uses the client's slot if it has one,
// else takes a free one on the spot (restores are not admitted ahead),
// and is refused when none is free. Another live gate on the same slot
// refuses this one.
func (s *sqliteRecords) acquire(ctx context.Context, uid, mode string, pid int, set Settings) (*refusal, error) {
	var ref *refusal
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		ref = nil
		now := s.now()
		d := s.db.Dialect()
		if err := s.expireSlots(ctx, tx, now); err != nil {
			return err
		}
		var state string
		var holder int
		err := tx.QueryRowContext(ctx, d.Rebind("SELECT state, pid FROM backup_slots WHERE uid = ?"), uid).Scan(&state, &holder)
		exp := ms(now.Add(set.SlotTTL))
		switch {
		case err == nil:
			if state == "running" && holder != pid && processAlive(holder) {
				ref = &refusal{"another transfer for this client is running", set.SlotTTL}
				return nil
			}
			_, err = tx.ExecContext(ctx, d.Rebind(
				"UPDATE backup_slots SET state = 'running', mode = ?, pid = ?, expires_at = ? WHERE uid = ?"), mode, pid, exp, uid)
			return err
		case !errors.Is(err, sql.ErrNoRows):
			return err
		case mode == "backup":
			ref = &refusal{errNoSlot.Error(), 0}
			return nil
		}
		var taken int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM backup_slots").Scan(&taken); err != nil {
			return err
		}
		if taken >= set.MaxConcurrent {
			ref = &refusal{fmt.Sprintf("server busy: %d of %d backup slots taken, try again later", taken, set.MaxConcurrent), set.SlotTTL}
			return nil
		}
		_, err = tx.ExecContext(ctx, d.Rebind(
			"INSERT INTO backup_slots (uid, state, mode, pid, granted_at, expires_at) VALUES (?, 'running', ?, ?, ?, ?)"),
			uid, mode, pid, ms(now), exp)
		return err
	})
	return ref, err
}

// renew pushes the running slot's expiry back. If the slot was lost (the
// gate stalled past its expiry and it was freed), it is taken back: rsync
// is running either way.
func (s *sqliteRecords) renew(ctx context.Context, uid, mode string, pid int, ttl time.Duration) error {
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		now := s.now()
		d := s.db.Dialect()
		res, err := tx.ExecContext(ctx, d.Rebind(
			"UPDATE backup_slots SET expires_at = ? WHERE uid = ? AND pid = ?"), ms(now.Add(ttl)), uid, pid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, d.Upsert("backup_slots", []string{"uid"},
			[]string{"state", "mode", "pid", "granted_at", "expires_at"}),
			uid, "running", mode, pid, ms(now), ms(now.Add(ttl)))
		return err
	})
}

// release ends the gate's hold on uid's slot. linger > 0 keeps the slot
// granted that long for the client's next rsync of the same run; 0 frees
// it at once.
func (s *sqliteRecords) release(ctx context.Context, uid string, pid int, linger time.Duration) error {
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		d := s.db.Dialect()
		if linger > 0 {
			_, err := tx.ExecContext(ctx, d.Rebind(
				"UPDATE backup_slots SET state = 'granted', mode = '', pid = 0, expires_at = ? WHERE uid = ? AND pid = ?"),
				ms(s.now().Add(linger)), uid, pid)
			return err
		}
		_, err := tx.ExecContext(ctx, d.Rebind("DELETE FROM backup_slots WHERE uid = ? AND pid = ?"), uid, pid)
		return err
	})
}

// listSlots returns the slots not yet expired.
func (s *sqliteRecords) listSlots(ctx context.Context) ([]Slot, error) {
	rows, err := s.db.Reader().QueryContext(ctx, s.db.Dialect().Rebind(
		"SELECT uid, state, mode, pid, granted_at, expires_at FROM backup_slots WHERE expires_at > ? ORDER BY granted_at, uid"),
		ms(s.now()))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Slot
	for rows.Next() {
		var sl Slot
		var g, e int64
		if err := rows.Scan(&sl.UID, &sl.State, &sl.Mode, &sl.PID, &g, &e); err != nil {
			return nil, err
		}
		sl.GrantedAt, sl.ExpiresAt = time.UnixMilli(g).UTC(), time.UnixMilli(e).UTC()
		out = append(out, sl)
	}
	return out, rows.Err()
}

// holds reports whether uid holds an unexpired slot.
func (s *sqliteRecords) holds(ctx context.Context, uid string) (bool, error) {
	var n int
	err := s.db.Reader().QueryRowContext(ctx, s.db.Dialect().Rebind(
		"SELECT COUNT(*) FROM backup_slots WHERE uid = ? AND expires_at > ?"), uid, ms(s.now())).Scan(&n)
	return n > 0, err
}

// expireSlots frees the slots whose gate has not been renewed in time
// (a session that died without releasing its slot), before a write that
// counts or takes slots.
func (s *sqliteRecords) expireSlots(ctx context.Context, tx *sql.Tx, now time.Time) error {
	_, err := tx.ExecContext(ctx, s.db.Dialect().Rebind("DELETE FROM backup_slots WHERE expires_at <= ?"), ms(now))
	return err
}
