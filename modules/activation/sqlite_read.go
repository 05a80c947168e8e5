package activation

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

func (s *sqliteLeases) generation(ctx context.Context) (int64, error) {
	var gen int64
	err := s.db.Reader().QueryRowContext(ctx, s.qGen).Scan(&gen)
	return gen, err
}

// snapshot reads in one read-only transaction, so that what it returns
// matches its generation.
func (s *sqliteLeases) snapshot(ctx context.Context) (*snapshot, error) {
	tx, err := s.db.Reader().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	snap := &snapshot{}
	if err := tx.QueryRowContext(ctx, s.qGen).Scan(&snap.gen); err != nil {
		return nil, fmt.Errorf("read generation: %w", err)
	}
	if snap.leases, err = s.leasesOf(ctx, tx, nil); err != nil {
		return nil, err
	}
	if snap.stolen, err = s.stolenOf(ctx, tx); err != nil {
		return nil, err
	}
	if snap.delegations, err = s.delegationsOf(ctx, tx); err != nil {
		return nil, err
	}
	return snap, nil
}

func (s *sqliteLeases) leases(ctx context.Context, serials []string) ([]leaseRow, error) {
	return s.leasesOf(ctx, s.db.Reader(), serials)
}

func (s *sqliteLeases) stolenMarks(ctx context.Context) ([]stolenRow, error) {
	return s.stolenOf(ctx, s.db.Reader())
}

func (s *sqliteLeases) leasesOf(ctx context.Context, q querier, serials []string) ([]leaseRow, error) {
	query := "SELECT serial, line, expires, verified, origin, source, added_at FROM activation_leases"
	args := make([]any, len(serials))
	if len(serials) > 0 {
		query += " WHERE serial IN (?" + strings.Repeat(", ?", len(serials)-1) + ")"
		for i, sn := range serials {
			args[i] = sn
		}
	}
	rows, err := q.QueryContext(ctx, s.d.Rebind(query+" ORDER BY serial"), args...)
	if err != nil {
		return nil, fmt.Errorf("list leases: %w", err)
	}
	defer rows.Close()
	var out []leaseRow
	for rows.Next() {
		var r leaseRow
		var verified int
		var added string
		if err := rows.Scan(&r.Serial, &r.Line, &r.Expires, &verified, &r.Origin, &r.Source, &added); err != nil {
			return nil, fmt.Errorf("list leases: %w", err)
		}
		r.Verified, r.AddedAt = verified != 0, parseTime(added)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *sqliteLeases) stolenOf(ctx context.Context, q querier) ([]stolenRow, error) {
	rows, err := q.QueryContext(ctx, "SELECT serial, note, marked_at, marked_by FROM activation_stolen ORDER BY serial")
	if err != nil {
		return nil, fmt.Errorf("list stolen: %w", err)
	}
	defer rows.Close()
	var out []stolenRow
	for rows.Next() {
		var r stolenRow
		var at string
		if err := rows.Scan(&r.Serial, &r.Note, &at, &r.MarkedBy); err != nil {
			return nil, fmt.Errorf("list stolen: %w", err)
		}
		r.MarkedAt = parseTime(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *sqliteLeases) delegationsOf(ctx context.Context, q querier) ([]delegationRow, error) {
	rows, err := q.QueryContext(ctx, "SELECT serial, uuid, line, expires, source, added_at FROM activation_delegations ORDER BY serial")
	if err != nil {
		return nil, fmt.Errorf("list delegations: %w", err)
	}
	defer rows.Close()
	var out []delegationRow
	for rows.Next() {
		var r delegationRow
		var at string
		if err := rows.Scan(&r.Serial, &r.UUID, &r.Line, &r.Expires, &r.Source, &at); err != nil {
			return nil, fmt.Errorf("list delegations: %w", err)
		}
		r.AddedAt = parseTime(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *sqliteLeases) delegationUUIDs(ctx context.Context) (map[string]string, error) {
	rows, err := s.db.Reader().QueryContext(ctx, "SELECT serial, uuid FROM activation_delegations WHERE uuid <> ''")
	if err != nil {
		return nil, fmt.Errorf("list delegation UUIDs: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var sn, u string
		if err := rows.Scan(&sn, &u); err != nil {
			return nil, fmt.Errorf("list delegation UUIDs: %w", err)
		}
		out[sn] = u
	}
	return out, rows.Err()
}

func (s *sqliteLeases) requests(ctx context.Context) ([]requestRow, error) {
	rows, err := s.db.Reader().QueryContext(ctx, "SELECT serial, first_at, last_at, last_from, last_given, "+
		"last_lease_at, last_stolen_at, requests FROM activation_requests ORDER BY serial")
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	defer rows.Close()
	var out []requestRow
	for rows.Next() {
		var r requestRow
		var first, last, leaseAt, stolenAt string
		if err := rows.Scan(&r.serial, &first, &last, &r.from, &r.given, &leaseAt, &stolenAt, &r.n); err != nil {
			return nil, fmt.Errorf("list requests: %w", err)
		}
		r.first, r.last, r.leaseAt, r.stolenAt = parseTime(first), parseTime(last), parseTime(leaseAt), parseTime(stolenAt)
		out = append(out, r)
	}
	return out, rows.Err()
}
