package activation

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"

	"aula/internal/store"
)

// sqliteLeases is the leaseStore on the server's store (the activation_*
// tables of migrations/), its SQL rebound for the store's dialect once.
type sqliteLeases struct {
	db *store.DB
	d  store.Dialect

	qBump, qGen, qInsertLease, qDeleteSigned, qUpsertStolen, qDeleteStolen string
	qUpsertDeleg, qDelegOf, qUpsertRequest, qPruneRequests                 string
}

var _ leaseStore = (*sqliteLeases)(nil)

func newSQLiteLeases(db *store.DB) *sqliteLeases {
	d := db.Dialect()
	return &sqliteLeases{db: db, d: d,
		qBump: d.Rebind("UPDATE activation_meta SET value = value + 1 WHERE name = 'generation'"),
		qGen:  d.Rebind("SELECT value FROM activation_meta WHERE name = 'generation'"),
		qInsertLease: d.Rebind("INSERT INTO activation_leases (serial, line_hash, line, expires, verified, origin, source, added_at) " +
			"VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (serial, line_hash) DO NOTHING"),
		qDeleteSigned: d.Rebind("DELETE FROM activation_leases WHERE serial = ? AND origin = 'signed' AND expires <> '00000000T000000Z' AND expires <= ?"),
		qUpsertStolen: d.Upsert("activation_stolen", []string{"serial"}, []string{"note", "marked_at", "marked_by"}),
		qDeleteStolen: d.Rebind("DELETE FROM activation_stolen WHERE serial = ?"),
		qUpsertDeleg:  d.Upsert("activation_delegations", []string{"serial"}, []string{"uuid", "line", "expires", "source", "added_at"}),
		qDelegOf:      d.Rebind("SELECT uuid, expires FROM activation_delegations WHERE serial = ?"),
		qUpsertRequest: d.Rebind("INSERT INTO activation_requests (serial, first_at, last_at, last_from, last_given, last_lease_at, last_stolen_at, requests) " +
			"VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (serial) DO UPDATE SET last_at = excluded.last_at, " +
			"last_from = excluded.last_from, last_given = excluded.last_given, " +
			"last_lease_at = CASE WHEN excluded.last_lease_at <> '' THEN excluded.last_lease_at ELSE activation_requests.last_lease_at END, " +
			"last_stolen_at = CASE WHEN excluded.last_stolen_at <> '' THEN excluded.last_stolen_at ELSE activation_requests.last_stolen_at END, " +
			"requests = activation_requests.requests + excluded.requests"),
		qPruneRequests: d.Rebind("DELETE FROM activation_requests WHERE last_given = ? AND last_at < ?"),
	}
}

func lineHash(line string) string {
	sum := sha256.Sum256([]byte(line))
	return hex.EncodeToString(sum[:])
}

// bump advances the generation inside tx and returns the new value.
func (s *sqliteLeases) bump(ctx context.Context, tx *sql.Tx) (int64, error) {
	if _, err := tx.ExecContext(ctx, s.qBump); err != nil {
		return 0, fmt.Errorf("bump generation: %w", err)
	}
	var gen int64
	if err := tx.QueryRowContext(ctx, s.qGen).Scan(&gen); err != nil {
		return 0, fmt.Errorf("read generation: %w", err)
	}
	return gen, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}
