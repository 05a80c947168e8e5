package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// OnceLockFile is the file in the data directory that Once locks.
const OnceLockFile = "once.lock"

// Once runs fn unless a previous Once with the same name has succeeded on
// this database, and records that it did. It is once per deployment, not
// per process: an exclusive file lock in the data directory is held around
// "check marker, run fn, record marker", so when several aula processes
// start at once exactly one runs fn and the others see its marker.
//
// ran reports whether fn was called by this Once. If fn fails, nothing is
// recorded and its error is returned, so the next Once tries again. A crash
// while fn runs also leaves no marker: fn should be safe to run again.
func (db *DB) Once(ctx context.Context, name string, fn func(ctx context.Context) error) (ran bool, err error) {
	if err := checkKey("once name", name); err != nil {
		return false, err
	}
	// flock locks belong to the open file, so the file lock would also
	// exclude goroutines of this process; the mutex just spares them
	// from polling it.
	db.onceMu.Lock()
	defer db.onceMu.Unlock()
	unlock, err := lockFile(ctx, filepath.Join(db.dir, OnceLockFile))
	if err != nil {
		return false, err
	}
	defer unlock()

	var doneAt string
	err = db.reader.QueryRowContext(ctx, db.dialect.Rebind(
		"SELECT done_at FROM once_done WHERE name = ?"), name).Scan(&doneAt)
	switch {
	case err == nil:
		return false, nil
	case !errors.Is(err, sql.ErrNoRows):
		return false, classify(db.path, fmt.Errorf("once %q: reading marker: %w", name, err))
	}
	if err := fn(ctx); err != nil {
		return true, fmt.Errorf("once %q: %w", name, err)
	}
	err = db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.dialect.Rebind(
			"INSERT INTO once_done (name, done_at) VALUES (?, ?)"),
			name, time.Now().UTC().Format(time.RFC3339Nano))
		return err
	})
	if err != nil {
		return true, fmt.Errorf("once %q ran but its marker was not recorded, so it will run again: %w", name, err)
	}
	return true, nil
}
