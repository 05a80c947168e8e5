package backup

import (
	"context"
	"database/sql"
	"fmt"
)

// grant gives uid a slot unless all are taken or too many were granted
// in the window. A client that already holds one keeps it (and its expiry
// is pushed back), so asking twice never takes two.
func (s *sqliteRecords) grant(ctx context.Context, uid string, set Settings) (*refusal, error) {
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
		if err := s.expireSlots(ctx, tx, now); err != nil {
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
		return insertEvent(ctx, tx, d, Event{At: now, UID: uid, Kind: "admitted", Detail: "slot granted"})
	})
	return ref, err
}

// fullFor reports a refusal when every live slot is held and none by uid.
func (s *sqliteRecords) fullFor(ctx context.Context, uid string, set Settings) (*refusal, error) {
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
