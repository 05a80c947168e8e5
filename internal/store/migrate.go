package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"
)

// CoreModule is the module name under which the store's own tables are
// migrated.
const CoreModule = "store"

//go:embed migrations/*.sql
var coreMigrations embed.FS

// schemaMigrationsSQL creates the one table no migration can create, since
// migrations are recorded in it.
const schemaMigrationsSQL = `CREATE TABLE IF NOT EXISTS schema_migrations (
	module TEXT NOT NULL,
	version BIGINT NOT NULL,
	name TEXT NOT NULL,
	applied_at TEXT NOT NULL,
	PRIMARY KEY (module, version)
)`

// MigrationState is one migration as `aula db status` shows it.
type MigrationState struct {
	Module    string
	Version   int
	Name      string
	Applied   bool
	AppliedAt time.Time // zero unless Applied
	// Unknown marks a migration recorded in the database that this aula's
	// files do not have: the database was written by a newer aula.
	Unknown bool
}

// ID returns "module/NNNN".
func (m MigrationState) ID() string { return migrationID(m.Module, m.Version) }

func (db *DB) bootstrap(ctx context.Context) error {
	err := db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, schemaMigrationsSQL)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: %s: creating schema_migrations: %w", db.path, err)
	}
	core, _ := fs.Sub(coreMigrations, "migrations")
	return db.Migrate(ctx, CoreModule, core)
}

// Migrate applies module's pending migrations from the root of files, in
// version order, each in its own transaction, recording each in
// schema_migrations. Files are named NNNN_description.sql (for every
// dialect) or NNNN_description.<dialect>.sql. If the database records a
// migration of module that files lack, Migrate changes nothing and returns
// a KindNewerSchema error. Running it again applies nothing twice, also
// when several processes migrate at once.
func (db *DB) Migrate(ctx context.Context, module string, files fs.FS) error {
	if module == "" {
		return fmt.Errorf("store: Migrate: empty module name")
	}
	migs, err := parseMigrations(files, db.dialect)
	if err != nil {
		return fmt.Errorf("%w (module %s)", err, module)
	}
	applied, err := db.appliedMigrations(ctx, module)
	if err != nil {
		return err
	}
	if err := db.checkKnown(module, migs, applied); err != nil {
		return err
	}
	for _, m := range migs {
		if _, done := applied[m.version]; done {
			continue
		}
		body, err := fs.ReadFile(files, m.file)
		if err != nil {
			return fmt.Errorf("store: migration %s: %w", migrationID(module, m.version), err)
		}
		if err := db.applyMigration(ctx, module, m, string(body)); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) applyMigration(ctx context.Context, module string, m migration, body string) error {
	d := db.dialect
	err := db.Write(ctx, func(tx *sql.Tx) error {
		var n int
		err := tx.QueryRowContext(ctx, d.Rebind(
			"SELECT COUNT(*) FROM schema_migrations WHERE module = ? AND version = ?"),
			module, m.version).Scan(&n)
		if err != nil || n > 0 {
			return err // n > 0: another process applied it meanwhile
		}
		if strings.TrimSpace(body) != "" {
			if _, err := tx.ExecContext(ctx, body); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, d.Rebind(
			"INSERT INTO schema_migrations (module, version, name, applied_at) VALUES (?, ?, ?, ?)"),
			module, m.version, m.name, time.Now().UTC().Format(time.RFC3339Nano))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: migration %s (%s) failed, nothing of it was applied: %w",
			migrationID(module, m.version), m.file, err)
	}
	return nil
}

// checkKnown refuses a database that has a migration files do not know.
func (db *DB) checkKnown(module string, migs []migration, applied map[int]MigrationState) error {
	known := make(map[int]bool, len(migs))
	for _, m := range migs {
		known[m.version] = true
	}
	var unknown []int
	for v := range applied {
		if !known[v] {
			unknown = append(unknown, v)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Ints(unknown)
	return &Error{Kind: KindNewerSchema, Path: db.path, Msg: fmt.Sprintf(
		"database has migration %s which this aula does not know; was it written by a newer aula?",
		migrationID(module, unknown[0]))}
}

// appliedMigrations reads module's rows of schema_migrations.
func (db *DB) appliedMigrations(ctx context.Context, module string) (map[int]MigrationState, error) {
	rows, err := db.reader.QueryContext(ctx, db.dialect.Rebind(
		"SELECT version, name, applied_at FROM schema_migrations WHERE module = ?"), module)
	if err != nil {
		return nil, classify(db.path, fmt.Errorf("reading schema_migrations: %w", err))
	}
	defer rows.Close()
	out := map[int]MigrationState{}
	for rows.Next() {
		s := MigrationState{Module: module, Applied: true}
		var at string
		if err := rows.Scan(&s.Version, &s.Name, &at); err != nil {
			return nil, fmt.Errorf("store: reading schema_migrations: %w", err)
		}
		s.AppliedAt, _ = time.Parse(time.RFC3339Nano, at)
		out[s.Version] = s
	}
	return out, rows.Err()
}

// MigrationStatus lists module's migrations, applied or pending, in version
// order, including any the database has but files lack (Unknown).
func (db *DB) MigrationStatus(ctx context.Context, module string, files fs.FS) ([]MigrationState, error) {
	migs, err := parseMigrations(files, db.dialect)
	if err != nil {
		return nil, fmt.Errorf("%w (module %s)", err, module)
	}
	applied, err := db.appliedMigrations(ctx, module)
	if err != nil {
		return nil, err
	}
	var out []MigrationState
	for _, m := range migs {
		if s, ok := applied[m.version]; ok {
			out = append(out, s)
			delete(applied, m.version)
			continue
		}
		out = append(out, MigrationState{Module: module, Version: m.version, Name: m.name})
	}
	for _, s := range applied {
		s.Unknown = true
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}
