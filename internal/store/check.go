package store

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"strings"
	"syscall"

	sqlite3 "modernc.org/sqlite/lib"
)

// osError names path and what could not be done with it, and classifies
// the OS error so callers can tell a read-only or full disk apart.
func osError(path, msg string, err error) error {
	kind := KindOther
	switch {
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		kind = KindReadOnly
		msg += " (read-only file system or permission denied)"
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		kind = KindFull
		msg += " (disk full)"
	}
	return &Error{Kind: kind, Path: path, Msg: msg, Err: err}
}

// classifyOpen is classify for errors met while opening, where "cannot
// open" is worth its own message.
func classifyOpen(path string, err error) error {
	if sqliteCode(err) == sqlite3.SQLITE_CANTOPEN {
		return &Error{Path: path, Msg: "cannot open database file", Err: err}
	}
	err = classify(path, err)
	var se *Error
	if errors.As(err, &se) {
		return err
	}
	return &Error{Path: path, Msg: "cannot open database", Err: err}
}

// quickCheck runs PRAGMA quick_check so a damaged file is refused at start
// rather than discovered (and made worse) by the first write that touches
// the damaged page.
func quickCheck(ctx context.Context, conn *sql.DB, path string) error {
	problems, err := checkRows(ctx, conn, "PRAGMA quick_check")
	if err != nil {
		return classifyOpen(path, err)
	}
	if len(problems) == 1 && problems[0] == "ok" {
		return nil
	}
	return &Error{Kind: KindCorrupt, Path: path,
		Msg: "database file is corrupt (quick_check: " + strings.Join(problems, "; ") +
			"); restore it from a backup or move it away"}
}

// IntegrityCheck runs PRAGMA integrity_check (slower and more thorough than
// the quick_check done at Open) and returns nil if the database is sound.
func (db *DB) IntegrityCheck(ctx context.Context) error {
	problems, err := checkRows(ctx, db.reader, "PRAGMA integrity_check")
	if err != nil {
		return classify(db.path, err)
	}
	if len(problems) == 1 && problems[0] == "ok" {
		return nil
	}
	return &Error{Kind: KindCorrupt, Path: db.path, Msg: "integrity_check: " + strings.Join(problems, "; ")}
}

// checkRows returns the first few rows of a check pragma.
func checkRows(ctx context.Context, conn *sql.DB, pragma string) ([]string, error) {
	rows, err := conn.QueryContext(ctx, pragma)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() && len(out) < 10 {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
