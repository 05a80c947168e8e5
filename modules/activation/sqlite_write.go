package activation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"aula/internal/lease"
)

// Each write is one store.Write, whose function may run again when the
// commit is retried: counts are reset at its start.

func (s *sqliteLeases) addLeases(ctx context.Context, rows []leaseRow) (int, error) {
	var added int
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		added = 0
		for _, r := range rows {
			ok, err := s.insertLease(ctx, tx, r)
			if err != nil {
				return err
			}
			if ok {
				added++
			}
		}
		if added == 0 {
			return nil
		}
		_, err := s.bump(ctx, tx)
		return err
	})
	return added, err
}

func (s *sqliteLeases) keepSigned(ctx context.Context, row leaseRow, t time.Time) (int64, error) {
	var gen int64
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := s.insertLease(ctx, tx, row); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.qDeleteSigned, row.Serial, string(lease.StampOf(t))); err != nil {
			return err
		}
		var err error
		gen, err = s.bump(ctx, tx)
		return err
	})
	return gen, err
}

// insertLease stores r unless the same line is already stored for its
// serial; it reports whether a row was added.
func (s *sqliteLeases) insertLease(ctx context.Context, tx *sql.Tx, r leaseRow) (bool, error) {
	verified := 0
	if r.Verified {
		verified = 1
	}
	res, err := tx.ExecContext(ctx, s.qInsertLease, r.Serial, lineHash(r.Line), r.Line, r.Expires, verified,
		r.Origin, r.Source, fmtTime(r.AddedAt))
	if err != nil {
		return false, fmt.Errorf("store lease for %s: %w", r.Serial, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func (s *sqliteLeases) markStolen(ctx context.Context, r stolenRow) error {
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.qUpsertStolen, r.Serial, r.Note, fmtTime(r.MarkedAt), r.MarkedBy); err != nil {
			return err
		}
		_, err := s.bump(ctx, tx)
		return err
	})
}

func (s *sqliteLeases) unmarkStolen(ctx context.Context, serial string) (bool, error) {
	var removed bool
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		removed = false
		res, err := tx.ExecContext(ctx, s.qDeleteStolen, serial)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			return err
		}
		removed = true
		_, err = s.bump(ctx, tx)
		return err
	})
	return removed, err
}

func (s *sqliteLeases) addDelegations(ctx context.Context, rows []delegationRow) (int, error) {
	var stored int
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		stored = 0
		for _, r := range rows {
			ok, err := s.storeDelegation(ctx, tx, r)
			if err != nil {
				return err
			}
			if ok {
				stored++
			}
		}
		if stored == 0 {
			return nil
		}
		_, err := s.bump(ctx, tx)
		return err
	})
	return stored, err
}

// storeDelegation keeps row unless the laptop already has a delegation
// that expires as late; a bare line keeps the UUID a del01 line gave.
func (s *sqliteLeases) storeDelegation(ctx context.Context, tx *sql.Tx, row delegationRow) (bool, error) {
	var uuid, expires string
	err := tx.QueryRowContext(ctx, s.qDelegOf, row.Serial).Scan(&uuid, &expires)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return false, err
	default:
		if !laterThan(lease.Stamp(row.Expires), lease.Stamp(expires)) {
			return false, nil
		}
		if row.UUID == "" {
			row.UUID = uuid
		}
	}
	_, err = tx.ExecContext(ctx, s.qUpsertDeleg, row.Serial, row.UUID, row.Line, row.Expires, row.Source, fmtTime(row.AddedAt))
	return err == nil, err
}

func (s *sqliteLeases) bumpGeneration(ctx context.Context) error {
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		_, err := s.bump(ctx, tx)
		return err
	})
}
