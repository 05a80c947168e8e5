package store

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Kind says what went wrong with the database, for callers that must react
// differently (refuse to start, report "disk full", ...).
type Kind int

const (
	KindOther       Kind = iota // not one of the kinds below
	KindFull                    // the disk (or the database's size limit) is full
	KindReadOnly                // the data directory or database file cannot be written
	KindCorrupt                 // the database file is damaged or not a database
	KindNotPrivate              // the data directory is readable or writable by others
	KindNewerSchema             // the database was migrated by a newer aula
	KindBusy                    // another process holds the database lock for too long
	KindClosed                  // the DB has been closed
	KindIO                      // the operating system reported an I/O error
)

var kindNames = [...]string{"other", "full", "read-only", "corrupt", "not private", "newer schema", "busy", "closed", "I/O error"}

func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// Error is a database problem that names the file and what is wrong with it.
// It unwraps to the underlying driver or OS error.
type Error struct {
	Kind Kind
	Path string // the database file or data directory concerned
	Dir  string // the data directory holding Path, when Path is the database file
	Msg  string // what is wrong, in words an admin can act on
	Err  error  // underlying error, may be nil
}

func (e *Error) Error() string {
	s := "store: " + e.Path + ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// ErrClosed is returned (wrapped in *Error) by operations on a closed DB.
var ErrClosed = errors.New("database is closed")

// ErrInvalid is matched (errors.Is) by errors about the caller's argument
// rather than the database: a key too long, a value too big.
var ErrInvalid = errors.New("invalid argument")

// invalidError is an error about the caller's argument; its text is safe
// to show the caller.
type invalidError struct{ msg string }

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

func invalidf(format string, args ...any) error {
	return &invalidError{fmt.Sprintf(format, args...)}
}

// KindOf classifies err: a *Error gives its Kind, a SQLite error is mapped
// from its result code, an operating system error from its errno (ENOSPC,
// EDQUOT: full; EROFS: read-only), anything else is KindOther.
func KindOf(err error) Kind {
	var se *Error
	if errors.As(err, &se) {
		return se.Kind
	}
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return KindFull
	case errors.Is(err, syscall.EROFS):
		return KindReadOnly
	}
	switch sqliteCode(err) {
	case sqlite3.SQLITE_FULL:
		return KindFull
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM:
		return KindReadOnly
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return KindCorrupt
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return KindBusy
	case sqlite3.SQLITE_IOERR:
		return KindIO
	}
	return KindOther
}

// IsFull reports whether err means the disk or database is full.
func IsFull(err error) bool { return KindOf(err) == KindFull }

// IsReadOnly reports whether err means the database cannot be written.
func IsReadOnly(err error) bool { return KindOf(err) == KindReadOnly }

// IsCorrupt reports whether err means the database file is damaged.
func IsCorrupt(err error) bool { return KindOf(err) == KindCorrupt }

// IsConstraint reports whether err is a constraint violation (a UNIQUE
// index, NOT NULL, ...). SQLite undoes only the failing statement; the
// transaction goes on.
func IsConstraint(err error) bool { return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT }

// WhereOf names the place err concerns, for messages: the data directory
// of a database error, the file of an operating system error, or "".
func WhereOf(err error) string {
	var se *Error
	if errors.As(err, &se) {
		if se.Dir != "" {
			return se.Dir
		}
		return se.Path
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Path
	}
	return ""
}

// IsNotPrivate reports whether err means the data directory is not private.
func IsNotPrivate(err error) bool { return KindOf(err) == KindNotPrivate }

// IsNewerSchema reports whether err means a newer aula wrote the database.
func IsNewerSchema(err error) bool { return KindOf(err) == KindNewerSchema }

// IsClosed reports whether err means the DB was already closed.
func IsClosed(err error) bool { return KindOf(err) == KindClosed }

// sqliteCode returns the primary SQLite result code in err, or 0. The driver
// turns on extended result codes, so the low byte is the primary code.
func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code() & 0xff
	}
	return 0
}

// classify wraps err in an *Error naming path when it is one of the kinds an
// admin must act on (full, read-only, corrupt, busy, I/O); other errors are
// returned unchanged so callers keep seeing their own errors.
func classify(path string, err error) error {
	if err == nil {
		return nil
	}
	var se *Error
	if errors.As(err, &se) {
		return err
	}
	dir := filepath.Dir(path)
	switch k := KindOf(err); k {
	case KindFull:
		return &Error{Kind: k, Path: path, Dir: dir, Msg: "disk full (or database size limit reached); nothing was written", Err: err}
	case KindReadOnly:
		return &Error{Kind: k, Path: path, Dir: dir, Msg: "database cannot be written (read-only file, directory or file system)", Err: err}
	case KindCorrupt:
		return &Error{Kind: k, Path: path, Dir: dir, Msg: "database file is corrupt or not a SQLite database; restore it from a backup or move it away", Err: err}
	case KindBusy:
		return &Error{Kind: k, Path: path, Dir: dir, Msg: "database is locked by another process", Err: err}
	case KindIO:
		return &Error{Kind: k, Path: path, Dir: dir, Msg: "disk I/O error; check the disk and the system log", Err: err}
	}
	return err
}
