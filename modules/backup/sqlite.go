package backup

import (
	"time"

	"aula/internal/store"
)

// sqliteRecords is the recordStore on the server's store: the backup_*
// tables of migrations/ and the store's key-value namespace "backup". Slot
// decisions each run in one write transaction, which SQLite serialises
// across processes. Times are Unix milliseconds.
type sqliteRecords struct {
	db  *store.DB
	now func() time.Time // the slots' clock
}

var _ recordStore = (*sqliteRecords)(nil)

func newSQLiteRecords(db *store.DB, now func() time.Time) *sqliteRecords {
	return &sqliteRecords{db: db, now: now}
}

func (s *sqliteRecords) dir() string { return s.db.Dir() }

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}
