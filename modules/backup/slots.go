package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"syscall"
	"time"

	"aula/internal/store"
)

// Slot is one admission slot: a client allowed to run rsync now.
type Slot struct {
	UID       string    `json:"uid"`
	State     string    `json:"state"` // granted or running
	Mode      string    `json:"mode"`  // backup or restore while running
	PID       int       `json:"pid"`
	GrantedAt time.Time `json:"granted_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// lingerMax bounds how long a slot stays granted after a successful
// transfer: long enough for the next rsync of the same run (ds-backup
// sends three directories and a marker one after the other), short enough
// not to hold capacity for long.
const lingerMax = 30 * time.Second

// refusal is a "not now" answer: the client should ask again later.
type refusal struct {
	reason     string
	retryAfter time.Duration
}

// slots is the slot table, shared by `aula serve` and the gate processes
// through the store: every decision runs inside one write transaction,
// which SQLite serialises across processes.
type slots struct {
	db  *store.DB
	now func() time.Time
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// grant gives uid a slot unless all are taken or too many were granted
// in the window. A client that already holds one keeps it (and its expiry
// is pushed back), so asking twice never takes two.
func (s *slots) grant(ctx context.Context, uid string, set Settings) (*refusal, error) {
	// The storm's common case, all slots taken by others, is answered from
	// a read: no write transaction, no fsync. A "no" from it is only ever
	// early by the moment a slot frees; a "maybe" is decided below.
	if ref, err := s.fullFor(ctx, uid, set); ref != nil || err != nil {
		return ref, err
	}
	var ref *refusal
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		ref = nil
		now := s.now()
		d := s.db.Dialect()
		if _, err := tx.ExecContext(ctx, d.Rebind("DELETE FROM backup_slots WHERE expires_at <= ?"), ms(now)); err != nil {
			return err
		}
		exp := ms(now.Add(set.SlotTTL))
		res, err := tx.ExecContext(ctx, d.Rebind(
			"UPDATE backup_slots SET expires_at = CASE WHEN expires_at < ? THEN ? ELSE expires_at END WHERE uid = ?"), exp, exp, uid)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		var taken int
		var soonest sql.NullInt64
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*), MIN(expires_at) FROM backup_slots").Scan(&taken, &soonest); err != nil {
			return err
		}
		if taken >= set.MaxConcurrent {
			ref = &refusal{fmt.Sprintf("server busy: %d of %d backup slots taken", taken, set.MaxConcurrent),
				untilMS(now, soonest.Int64, set.SlotTTL)}
			return nil
		}
		if set.MaxGrants > 0 {
			cut := ms(now.Add(-set.GrantWindow))
			if _, err := tx.ExecContext(ctx, d.Rebind("DELETE FROM backup_grants WHERE at <= ?"), cut); err != nil {
				return err
			}
			var n int
			var oldest sql.NullInt64
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*), MIN(at) FROM backup_grants").Scan(&n, &oldest); err != nil {
				return err
			}
			if n >= set.MaxGrants {
				ref = &refusal{fmt.Sprintf("server busy: %d backups started in the last %v", n, set.GrantWindow),
					untilMS(now, oldest.Int64+set.GrantWindow.Milliseconds(), set.GrantWindow)}
				return nil
			}
			if _, err := tx.ExecContext(ctx, d.Rebind("INSERT INTO backup_grants (uid, at) VALUES (?, ?)"), uid, ms(now)); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, d.Rebind(
			"INSERT INTO backup_slots (uid, state, mode, pid, granted_at, expires_at) VALUES (?, 'granted', '', 0, ?, ?)"),
			uid, ms(now), exp)
		if err != nil {
			return err
		}
		return addEvent(ctx, tx, d, now, uid, "admitted", "slot granted")
	})
	return ref, err
}

// fullFor reports a refusal when every live slot is held and none by uid.
func (s *slots) fullFor(ctx context.Context, uid string, set Settings) (*refusal, error) {
	now := s.now()
	var taken, mine int
	var soonest sql.NullInt64
	err := s.db.Reader().QueryRowContext(ctx, s.db.Dialect().Rebind(
		"SELECT COUNT(*), COALESCE(SUM(CASE WHEN uid = ? THEN 1 ELSE 0 END), 0), MIN(expires_at) FROM backup_slots WHERE expires_at > ?"),
		uid, ms(now)).Scan(&taken, &mine, &soonest)
	if err != nil || mine > 0 || taken < set.MaxConcurrent {
		return nil, err
	}
	return &refusal{fmt.Sprintf("server busy: %d of %d backup slots taken", taken, set.MaxConcurrent),
		untilMS(now, soonest.Int64, set.SlotTTL)}, nil
}

// untilMS is how long until the Unix-millisecond time at, at least a
// second; fallback when at is unknown.
func untilMS(now time.Time, at int64, fallback time.Duration) time.Duration {
	if at <= 0 {
		return fallback
	}
	d := time.UnixMilli(at).Sub(now).Round(time.Second)
	return max(d, time.Second)
}

// errNoSlot refuses a backup whose client was not admitted.
var errNoSlot = errors.New("no admission slot: ask the server first (GET /backup/1/available/SERIAL, /backup/uuid/available/UID or /client/backup?uuid=UID)")

// acquire marks uid's slot running for the gate process pid. A backup
// needs a granted slot. A restore uses the client's slot if it has one,
// else takes a free one on the spot (restores are not admitted ahead),
// and is refused when none is free. Another live gate on the same slot
// refuses this one.
func (s *slots) acquire(ctx context.Context, uid, mode string, pid int, set Settings) (*refusal, error) {
	var ref *refusal
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		ref = nil
		now := s.now()
		d := s.db.Dialect()
		if _, err := tx.ExecContext(ctx, d.Rebind("DELETE FROM backup_slots WHERE expires_at <= ?"), ms(now)); err != nil {
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
func (s *slots) renew(ctx context.Context, uid, mode string, pid int, ttl time.Duration) error {
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
func (s *slots) release(ctx context.Context, uid string, pid int, linger time.Duration) error {
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

// list returns the slots not yet expired.
func (s *slots) list(ctx context.Context) ([]Slot, error) {
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
func (s *slots) holds(ctx context.Context, uid string) (bool, error) {
	var n int
	err := s.db.Reader().QueryRowContext(ctx, s.db.Dialect().Rebind(
		"SELECT COUNT(*) FROM backup_slots WHERE uid = ? AND expires_at > ?"), uid, ms(s.now())).Scan(&n)
	return n > 0, err
}

// processAlive reports whether pid names a live process (a gate of the
// same account: signal 0 checks without sending anything).
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
