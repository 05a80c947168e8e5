// Package storetest is the conformance suite every aula store backend must
// pass: key-value semantics, group commit, riders, migrations, concurrent writers,
// the once-per-deployment guard and persistence across reopening.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"testing/fstest"

	"aula/internal/store"
)

// Opener returns a database for t. The first call for a given t returns a
// new, empty database; later calls with the same t return another handle
// onto that same database (used to test reopening and several handles at
// once, as several aula processes would). The opener closes each handle
// with t.Cleanup; the suite may close handles earlier itself.
type Opener func(t *testing.T) *store.DB

// Run runs the whole suite against the databases open returns.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"KV/GetPut", testKVGetPut},
		{"KV/Delete", testKVDelete},
		{"KV/List", testKVList},
		{"KV/Namespaces", testKVNamespaces},
		{"KV/InvalidInput", testKVInvalid},
		{"Write/ConcurrentDurable", testWriteConcurrentDurable},
		{"Write/FailingFnIsolated", testWriteFailingIsolated},
		{"Write/ConstraintRollsBackOnlyOwnWork", testWriteConstraint},
		{"Write/VisibleAfterReturn", testWriteVisible},
		{"Write/Serialized", testWriteSerialized},
		{"Write/CanceledBeforeRun", testWriteCanceled},
		{"Write/Panic", testWritePanic},
		{"Write/AfterClose", testWriteAfterClose},
		{"Write/TwoHandles", testWriteTwoHandles},
		{"Rider/CommitsWithWrite", testRiderCommitsWithWrite},
		{"Rider/FailingIsolated", testRiderFailingIsolated},
		{"Rider/UndoneWithItsWrite", testRiderUndoneWithItsWrite},
		{"Rider/Finished", testRiderFinished},
		{"Migrate/Order", testMigrateOrder},
		{"Migrate/Idempotent", testMigrateIdempotent},
		{"Migrate/NewerDatabaseRefused", testMigrateNewer},
		{"Migrate/FailureAppliesNothing", testMigrateFailure},
		{"Migrate/DialectFile", testMigrateDialect},
		{"Migrate/BadFileName", testMigrateBadName},
		{"Migrate/Concurrent", testMigrateConcurrent},
		{"Once/RunsOnce", testOnceRunsOnce},
		{"Once/Concurrent", testOnceConcurrent},
		{"Once/FailureRecordsNothing", testOnceFailure},
		{"Reopen/Persists", testReopen},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

// itemsMigrations creates the table the Write tests use; the DDL is valid
// in every dialect.
var itemsMigrations = fstest.MapFS{
	"0001_items.sql": {Data: []byte(`CREATE TABLE storetest_items (
		id BIGINT NOT NULL PRIMARY KEY,
		val TEXT NOT NULL
	);
	CREATE TABLE storetest_counter (id INTEGER NOT NULL PRIMARY KEY, n BIGINT NOT NULL);
	INSERT INTO storetest_counter (id, n) VALUES (1, 0);`)},
}

func openItems(t *testing.T, open Opener) *store.DB {
	t.Helper()
	db := open(t)
	if err := db.Migrate(context.Background(), "storetest_items", itemsMigrations); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return db
}

// insertItem is a write function adding row id.
func insertItem(db *store.DB, id int) func(tx *sql.Tx) error {
	return func(tx *sql.Tx) error {
		_, err := tx.Exec(db.Dialect().Rebind("INSERT INTO storetest_items (id, val) VALUES (?, ?)"), id, fmt.Sprint("v", id))
		return err
	}
}

// itemIDs returns the ids present in storetest_items.
func itemIDs(t *testing.T, db *store.DB) map[int]bool {
	t.Helper()
	rows, err := db.Reader().Query("SELECT id FROM storetest_items")
	if err != nil {
		t.Fatalf("reading items: %v", err)
	}
	defer rows.Close()
	out := map[int]bool{}
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func count(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Reader().QueryRow(db.Dialect().Rebind(query), args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
