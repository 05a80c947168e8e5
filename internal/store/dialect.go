package store

import (
	"strings"
)

// Dialect names the SQL engine. aula has one, SQLite; the type stays as
// the seam where another engine (the PostgreSQL issue brings it back with
// a driver and its tests) keeps the few things that differ: placeholders,
// the blob type, engine-specific migrations (NNNN_name.<dialect>.sql).
// Write SQL as SQLite accepts it with ? placeholders, times passed from
// Go as parameters (no now()), upserts as INSERT ... ON CONFLICT (...)
// DO UPDATE SET col = excluded.col.
type Dialect string

// SQLite is the embedded engine (modernc.org/sqlite).
const SQLite Dialect = "sqlite"

// Name returns the dialect's name, as used in migration file suffixes.
func (d Dialect) Name() string { return string(d) }

// BlobType is the column type for byte strings.
func (d Dialect) BlobType() string { return "BLOB" }

// Rebind returns query with its ? placeholders in the dialect's form,
// which for SQLite is query itself.
func (d Dialect) Rebind(query string) string { return query }

// Upsert returns an INSERT that replaces the row with the same keyCols:
// "INSERT INTO t (k, a) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET a = excluded.a",
// rebound for the dialect. Table and column names are trusted constants.
// With no valueCols the statement does nothing on conflict.
func (d Dialect) Upsert(table string, keyCols, valueCols []string) string {
	cols := append(append([]string{}, keyCols...), valueCols...)
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
	q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES (" + marks +
		") ON CONFLICT (" + strings.Join(keyCols, ", ") + ") DO "
	if len(valueCols) == 0 {
		q += "NOTHING"
	} else {
		sets := make([]string, len(valueCols))
		for i, c := range valueCols {
			sets[i] = c + " = excluded." + c
		}
		q += "UPDATE SET " + strings.Join(sets, ", ")
	}
	return d.Rebind(q)
}
