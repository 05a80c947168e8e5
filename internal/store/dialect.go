package store

import (
	"strconv"
	"strings"
)

// Dialect names a SQL engine and holds the few things that differ between
// them. Everything else must be written once, in SQL both engines accept:
// times are passed from Go as parameters (no now()), upserts use
// INSERT ... ON CONFLICT (...) DO UPDATE SET col = excluded.col, and
// migrations that need engine-specific DDL come as NNNN_name.sqlite.sql and
// NNNN_name.postgres.sql.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Name returns the dialect's name, as used in migration file suffixes.
func (d Dialect) Name() string { return string(d) }

// BlobType is the column type for byte strings.
func (d Dialect) BlobType() string {
	if d == Postgres {
		return "BYTEA"
	}
	return "BLOB"
}

// Rebind rewrites the ? placeholders of query into the dialect's form
// ($1, $2, ... for PostgreSQL). Question marks inside string literals,
// quoted identifiers and comments are left alone.
func (d Dialect) Rebind(query string) string {
	if d != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			end := skipQuoted(query, i, c)
			b.WriteString(query[i:end])
			i = end - 1
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			end := strings.IndexByte(query[i:], '\n')
			if end < 0 {
				end = len(query) - i
			}
			b.WriteString(query[i : i+end])
			i += end - 1
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			end := strings.Index(query[i+2:], "*/")
			if end < 0 {
				end = len(query) - i
			} else {
				end += 4
			}
			b.WriteString(query[i : i+end])
			i += end - 1
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// skipQuoted returns the index just past the quoted run that starts at
// query[i] with quote q; a doubled quote is an escaped quote.
func skipQuoted(query string, i int, q byte) int {
	for j := i + 1; j < len(query); j++ {
		if query[j] == q {
			if j+1 < len(query) && query[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(query)
}

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
