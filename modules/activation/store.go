package activation

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	"aula/internal/store"
)

// leaseRow is one stored lease line.
type leaseRow struct {
	Serial   string
	Line     string
	Expires  string // effective expiry stamp
	Verified bool
	Origin   string // "import" or "signed"
	Source   string // file name, "chained" or "plain"
	AddedAt  time.Time
}

// Origins of a stored lease.
const (
	originImport = "import"
	originSigned = "signed"
)

// stolenRow is one stolen mark.
type stolenRow struct {
	Serial, Note, MarkedBy string
	MarkedAt               time.Time
}

// delegationRow is one stored delegation.
type delegationRow struct {
	Serial, UUID, Line, Expires, Source string
	AddedAt                             time.Time
}

// tables is the module's SQL, rebound for the store's dialect once.
type tables struct {
	db *store.DB
	d  store.Dialect

	qBump, qGen, qInsertLease, qDeleteSigned, qUpsertStolen, qDeleteStolen string
	qUpsertDeleg, qDelegOf, qUpsertRequest                                 string
}

func newTables(db *store.DB) *tables {
	d := db.Dialect()
	return &tables{db: db, d: d,
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
	}
}

func lineHash(line string) string {
	sum := sha256.Sum256([]byte(line))
	return hex.EncodeToString(sum[:])
}

// bump advances the generation inside tx and returns the new value. Every
// write that changes an answer calls it, so servers notice.
func (t *tables) bump(ctx context.Context, tx *sql.Tx) (int64, error) {
	if _, err := tx.ExecContext(ctx, t.qBump); err != nil {
		return 0, fmt.Errorf("bump generation: %w", err)
	}
	var gen int64
	if err := tx.QueryRowContext(ctx, t.qGen).Scan(&gen); err != nil {
		return 0, fmt.Errorf("read generation: %w", err)
	}
	return gen, nil
}

// generation reads the current generation (the poller's one cheap query).
func (t *tables) generation(ctx context.Context) (int64, error) {
	var gen int64
	err := t.db.Reader().QueryRowContext(ctx, t.qGen).Scan(&gen)
	return gen, err
}

// insertLease stores r unless the same line is already stored; it reports
// whether a row was added.
func (t *tables) insertLease(ctx context.Context, tx *sql.Tx, r leaseRow) (bool, error) {
	verified := 0
	if r.Verified {
		verified = 1
	}
	res, err := tx.ExecContext(ctx, t.qInsertLease, r.Serial, lineHash(r.Line), r.Line, r.Expires, verified,
		r.Origin, r.Source, fmtTime(r.AddedAt))
	if err != nil {
		return false, fmt.Errorf("store lease for %s: %w", r.Serial, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// snapshot is everything the answers depend on, read in one transaction so
// that it matches its generation.
type snapshot struct {
	gen         int64
	leases      []leaseRow
	stolen      []stolenRow
	delegations []delegationRow
}

func (t *tables) snapshot(ctx context.Context, withExpired bool, now time.Time) (*snapshot, error) {
	tx, err := t.db.Reader().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	s := &snapshot{}
	if err := tx.QueryRowContext(ctx, t.qGen).Scan(&s.gen); err != nil {
		return nil, fmt.Errorf("read generation: %w", err)
	}
	if s.leases, err = t.leases(ctx, tx, nil); err != nil {
		return nil, err
	}
	if !withExpired {
		s.leases = currentLeases(s.leases, now)
	}
	if s.stolen, err = t.stolenMarks(ctx, tx); err != nil {
		return nil, err
	}
	if s.delegations, err = t.delegations(ctx, tx); err != nil {
		return nil, err
	}
	return s, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// leases lists stored leases, of the given serials only when serials is
// not empty, ordered by serial.
func (t *tables) leases(ctx context.Context, q querier, serials []string) ([]leaseRow, error) {
	query := "SELECT serial, line, expires, verified, origin, source, added_at FROM activation_leases"
	args := make([]any, len(serials))
	if len(serials) > 0 {
		query += " WHERE serial IN (?" + repeat(", ?", len(serials)-1) + ")"
		for i, s := range serials {
			args[i] = s
		}
	}
	rows, err := q.QueryContext(ctx, t.d.Rebind(query+" ORDER BY serial"), args...)
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

func (t *tables) stolenMarks(ctx context.Context, q querier) ([]stolenRow, error) {
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

func (t *tables) delegations(ctx context.Context, q querier) ([]delegationRow, error) {
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

func repeat(s string, n int) string {
	out := make([]byte, 0, len(s)*n)
	for range n {
		out = append(out, s...)
	}
	return string(out)
}

// requestRow is one serial's request record.
type requestRow struct {
	serial            string
	first, last       time.Time
	from, given       string
	leaseAt, stolenAt time.Time
	n                 int64
}

func (t *tables) requests(ctx context.Context) ([]requestRow, error) {
	rows, err := t.db.Reader().QueryContext(ctx, "SELECT serial, first_at, last_at, last_from, last_given, "+
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

// delegationUUIDs maps serials to the UUIDs their del01 lines gave.
func (t *tables) delegationUUIDs(ctx context.Context) (map[string]string, error) {
	rows, err := t.db.Reader().QueryContext(ctx, "SELECT serial, uuid FROM activation_delegations WHERE uuid <> ''")
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
