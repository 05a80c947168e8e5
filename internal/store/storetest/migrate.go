package storetest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"aula/internal/store"
)

func file(sql string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(sql)} }

// Each migration depends on the one before, so applying them out of order
// fails.
var orderedMigrations = fstest.MapFS{
	"0002_add_row.sql":    file("INSERT INTO storetest_m (id, note) VALUES (1, 'from 0002');"),
	"0001_create.sql":     file("CREATE TABLE storetest_m (id BIGINT NOT NULL PRIMARY KEY, note TEXT NOT NULL);"),
	"0003_second_row.sql": file("INSERT INTO storetest_m (id, note) SELECT id + 1, 'from 0003' FROM storetest_m WHERE id = 1;"),
	"README.md":           file("not a migration; ignored"),
}

func testMigrateOrder(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	if err := db.Migrate(ctx, "storetest_m", orderedMigrations); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM storetest_m"); n != 2 {
		t.Fatalf("%d rows, want 2", n)
	}
	st, err := db.MigrationStatus(ctx, "storetest_m", orderedMigrations)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"create", "add_row", "second_row"}
	if len(st) != len(want) {
		t.Fatalf("status has %d entries: %+v", len(st), st)
	}
	for i, s := range st {
		if s.Version != i+1 || s.Name != want[i] || !s.Applied || s.AppliedAt.IsZero() || s.Unknown {
			t.Errorf("status[%d] = %+v", i, s)
		}
	}
}

func testMigrateIdempotent(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	for range 3 {
		if err := db.Migrate(ctx, "storetest_m", orderedMigrations); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, db, "SELECT COUNT(*) FROM storetest_m"); n != 2 {
		t.Fatalf("%d rows after three runs, want 2 (a migration ran twice)", n)
	}
	more := fstest.MapFS{"0004_third.sql": file("INSERT INTO storetest_m (id, note) VALUES (3, 'from 0004');")}
	for k, v := range orderedMigrations {
		more[k] = v
	}
	st, err := db.MigrationStatus(ctx, "storetest_m", more)
	if err != nil || len(st) != 4 || st[3].Applied || !st[2].Applied {
		t.Fatalf("status with a new file = %+v, %v; want 0004 pending", st, err)
	}
	if err := db.Migrate(ctx, "storetest_m", more); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM storetest_m"); n != 3 {
		t.Fatalf("%d rows after adding 0004, want 3", n)
	}
}

func testMigrateNewer(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	if err := db.Migrate(ctx, "storetest_m", orderedMigrations); err != nil {
		t.Fatal(err)
	}
	// An older aula: it lacks 0003 but has a 0004 of its own.
	older := fstest.MapFS{
		"0001_create.sql":  orderedMigrations["0001_create.sql"],
		"0002_add_row.sql": orderedMigrations["0002_add_row.sql"],
		"0004_other.sql":   file("CREATE TABLE storetest_never (id BIGINT);"),
	}
	err := db.Migrate(ctx, "storetest_m", older)
	if !store.IsNewerSchema(err) || !strings.Contains(err.Error(), "storetest_m/0003") || !strings.Contains(err.Error(), "newer aula") {
		t.Fatalf("Migrate with older files = %v; want a newer-schema error naming storetest_m/0003", err)
	}
	if _, err := db.Reader().Exec("SELECT COUNT(*) FROM storetest_never"); err == nil {
		t.Errorf("0004 was applied although the database was refused")
	}
	st, err := db.MigrationStatus(ctx, "storetest_m", older)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range st {
		got = append(got, s.ID()+map[bool]string{true: " unknown", false: ""}[s.Unknown]+map[bool]string{true: " applied", false: ""}[s.Applied])
	}
	want := "storetest_m/0001 applied,storetest_m/0002 applied,storetest_m/0003 unknown applied,storetest_m/0004"
	if strings.Join(got, ",") != want {
		t.Errorf("status = %q\nwant     %q", strings.Join(got, ","), want)
	}
}

func testMigrateFailure(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	bad := fstest.MapFS{
		"0001_ok.sql":  file("CREATE TABLE storetest_ok (id BIGINT);"),
		"0002_bad.sql": file("CREATE TABLE storetest_half (id BIGINT); THIS IS NOT SQL;"),
	}
	err := db.Migrate(ctx, "storetest_f", bad)
	if err == nil || !strings.Contains(err.Error(), "storetest_f/0002") || !strings.Contains(err.Error(), "0002_bad.sql") {
		t.Fatalf("Migrate with a bad file = %v; want an error naming storetest_f/0002 and its file", err)
	}
	if _, err := db.Reader().Exec("SELECT COUNT(*) FROM storetest_half"); err == nil {
		t.Errorf("the failed migration's first statement was kept")
	}
	st, _ := db.MigrationStatus(ctx, "storetest_f", bad)
	if len(st) != 2 || !st[0].Applied || st[1].Applied {
		t.Fatalf("status after failure = %+v; want 0001 applied, 0002 pending", st)
	}
	bad["0002_bad.sql"] = file("CREATE TABLE storetest_half (id BIGINT);")
	if err := db.Migrate(ctx, "storetest_f", bad); err != nil {
		t.Fatalf("Migrate after fixing the file: %v", err)
	}
}

func testMigrateDialect(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	files := fstest.MapFS{
		"0001_blob.sqlite.sql":   file("CREATE TABLE storetest_d_sqlite (b " + store.SQLite.BlobType() + ");"),
		"0001_blob.postgres.sql": file("CREATE TABLE storetest_d_postgres (b BYTEA);"),
		"0002_generic.sql":       file("CREATE TABLE storetest_d_generic (id BIGINT);"),
	}
	if err := db.Migrate(ctx, "storetest_d", files); err != nil {
		t.Fatal(err)
	}
	count(t, db, "SELECT COUNT(*) FROM storetest_d_"+db.Dialect().Name())
	count(t, db, "SELECT COUNT(*) FROM storetest_d_generic")
	for _, other := range []store.Dialect{store.SQLite, "postgres"} {
		if other == db.Dialect() {
			continue
		}
		if _, err := db.Reader().Exec("SELECT COUNT(*) FROM storetest_d_" + other.Name()); err == nil {
			t.Errorf("the %s migration ran on a %s database", other, db.Dialect())
		}
	}
}

func testMigrateBadName(t *testing.T, open Opener) {
	db := open(t)
	for _, name := range []string{"1-create.sql", "0001create.sql", "0000_zero.sql", "0001_x.mysql.sql"} {
		err := db.Migrate(context.Background(), "storetest_b", fstest.MapFS{name: file("SELECT 1;")})
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("migration file %q: err = %v, want an error naming it", name, err)
		}
	}
	dup := fstest.MapFS{"0001_a.sql": file(""), "0001_b.sql": file("")}
	if err := db.Migrate(context.Background(), "storetest_b", dup); err == nil {
		t.Errorf("two migrations with version 1 were accepted")
	}
}

func testMigrateConcurrent(t *testing.T, open Opener) {
	ctx := context.Background()
	dbs := []*store.DB{open(t), open(t)}
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := dbs[i%2].Migrate(ctx, "storetest_m", orderedMigrations); err != nil {
				t.Errorf("concurrent Migrate: %v", err)
			}
		}()
	}
	wg.Wait()
	if n := count(t, dbs[0], "SELECT COUNT(*) FROM storetest_m"); n != 2 {
		t.Fatalf("%d rows, want 2: a migration ran twice", n)
	}
	if n := count(t, dbs[0], "SELECT COUNT(*) FROM schema_migrations WHERE module = ?", "storetest_m"); n != 3 {
		t.Fatalf("%d schema_migrations rows, want 3", n)
	}
}
