package storetest

import (
	"strings"
	"testing"

	"aula/internal/store"
)

// QueryPlan is SQLite's plan for query with args (EXPLAIN QUERY PLAN),
// its steps joined by "; ", for tests that check a query uses the index
// it was written for.
func QueryPlan(t testing.TB, db *store.DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.Reader().Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("planning %s: %v", query, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "; ")
}
