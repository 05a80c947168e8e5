package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Options says where the database lives and how writes are batched.
// Only Dir is required.
type Options struct {
	// Dir is the data directory. It is created with mode 0700 if missing,
	// and Open refuses a directory that group or others can access.
	Dir string
	// File is the database file name inside Dir (default "aula.db").
	File string
	// ReadConns is the size of the read connection pool (default 4).
	ReadConns int
	// BusyTimeout is how long a statement waits for another process's
	// lock before failing with KindBusy (default 5s).
	BusyTimeout time.Duration
	// NoGroupCommit makes every Write its own transaction and fsync. It
	// exists to measure what group commit buys; servers leave it off.
	NoGroupCommit bool
	// MaxBatch bounds how many Writes share one transaction (default 256).
	MaxBatch int
	// MaxBatchTime bounds how long a batch keeps taking in newly queued
	// Writes before it commits (default 10ms). A batch never waits for
	// writes that are not already queued.
	MaxBatchTime time.Duration
	// CommitDelay is how long the writer may wait for more writes before
	// committing a batch when the previous batch showed concurrent
	// writers (default 1ms; negative: commit as soon as the queue is
	// empty). Under load, writers arrive a few at a time as their
	// requests are parsed; waiting a little gathers several times as many
	// per commit and fsync, which costs less CPU per write. A lone writer
	// never waits, nor does a batch that holds as many writes as there
	// were Writes in progress at once lately (a closed loop of writers,
	// all in the batch already).
	CommitDelay time.Duration
}

// DefaultCommitDelay is Options.CommitDelay's default. At 500 µs a
// register storm committed 14 writes per transaction; at 1 ms, 18–21,
// about 10 µs less CPU per registration on 2 cores, where the writer and
// the request handlers share the CPU (docs/BENCHMARKS.md, 2026-12-03).
// A closed loop of writers and a lone writer do not wait either way.
const DefaultCommitDelay = time.Millisecond

// DefaultFile is the database file name used when Options.File is empty.
const DefaultFile = "aula.db"

func (o *Options) setDefaults() {
	if o.File == "" {
		o.File = DefaultFile
	}
	if o.ReadConns <= 0 {
		o.ReadConns = 4
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 256
	}
	if o.NoGroupCommit {
		o.MaxBatch = 1
	}
	if o.CommitDelay == 0 {
		o.CommitDelay = DefaultCommitDelay
	}
	if o.NoGroupCommit || o.CommitDelay < 0 {
		o.CommitDelay = 0
	}
	if o.MaxBatchTime <= 0 {
		o.MaxBatchTime = 10 * time.Millisecond
	}
}

// DB is an open aula database: one writer connection fed by the group
// commit goroutine, and a pool of read-only connections.
type DB struct {
	dir, path string
	opts      Options
	dialect   Dialect
	writer    *sql.DB // exactly one connection; only the batch goroutine uses it
	reader    *sql.DB // query_only connections

	queue      chan *writeReq
	mu         sync.RWMutex // guards closed against Writes being admitted
	closed     bool
	inflight   sync.WaitGroup // admitted Writes not yet answered
	quit       chan struct{}
	writerDone chan struct{}
	// carefulUntil is when the writer may go back to running write
	// functions without savepoints (only the writer goroutine uses it).
	carefulUntil time.Time
	// The commit delay's state across batches (batch.go); only the
	// writer goroutine uses it.
	lastBatch int         // writes in the last batch committed
	delay     *time.Timer // reused for every wait
	delayOff  int         // batches left to commit without waiting
	fruitless int         // waits in a row that brought no write
	// Writes in progress (admitted, not yet returned), and the most the
	// writer saw at once in this window of batches and the previous one
	// (knownWriters).
	active            atomic.Int32
	peakNow, peakPrev int
	windowLeft        int // batches left in this window
	stats             writerStats
	stmts             stmtCache

	onceMu    sync.Mutex // serialises Once within the process; flock does it across processes
	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating if needed) the database in opts.Dir, checks that the
// directory is private and the file is sound (PRAGMA quick_check), and
// applies the store's own migrations (kv, once).
func Open(ctx context.Context, opts Options) (*DB, error) {
	opts.setDefaults()
	if opts.Dir == "" {
		return nil, errors.New("store: no data directory given")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("store: data directory %q: %w", opts.Dir, err)
	}
	path := filepath.Join(dir, opts.File)
	if strings.ContainsAny(path, "?#") {
		return nil, &Error{Path: path, Msg: "database path must not contain '?' or '#'"}
	}
	if err := prepareDir(dir); err != nil {
		return nil, err
	}
	if err := precreate(path); err != nil {
		return nil, err
	}
	db := &DB{dir: dir, path: path, opts: opts, dialect: SQLite, delay: stoppedTimer(),
		queue: make(chan *writeReq, opts.MaxBatch), quit: make(chan struct{}), writerDone: make(chan struct{})}
	if err := db.openConnsRetrying(ctx); err != nil {
		return nil, err
	}
	go db.runWriter()
	if err := db.bootstrap(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func stoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}

// prepareDir creates dir if missing, then insists it is private and writable.
func prepareDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return osError(dir, "cannot create data directory", err)
	}
	if err := CheckPrivate(dir); err != nil {
		return err
	}
	// SQLite needs to create the -wal and -shm files beside the database;
	// find out now rather than at the first write.
	f, err := os.CreateTemp(dir, ".write-probe-*")
	if err != nil {
		return osError(dir, "cannot create files in data directory", err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// precreate makes the database file with mode 0600 before SQLite opens it:
// SQLite would use 0644, and it gives the -wal and -shm files the mode of
// the database file.
func precreate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return osError(path, "cannot open database file for writing", err)
	}
	return f.Close()
}

func (db *DB) dsn(readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", db.opts.BusyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	// A 32 MiB page cache per connection (SQLite's default is 2 MiB): a
	// school's whole registry stays in memory, so a write or lookup with a
	// random key does not go back to the file for its index pages.
	q.Add("_pragma", "cache_size(-32768)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		// FULL: every commit fsyncs the WAL, so acknowledged writes
		// survive power loss, not only a process crash.
		q.Add("_pragma", "synchronous(FULL)")
		// IMMEDIATE takes the write lock at BEGIN, so a batch never
		// fails halfway with SQLITE_BUSY because another process wrote.
		q.Set("_txlock", "immediate")
	}
	return db.path + "?" + q.Encode()
}

// openConnsRetrying is openConns, tried again while the database is busy.
// Several aula processes opening one file at once (serve starting while an
// admin runs `aula client list`) can meet SQLITE_BUSY where SQLite does not
// call the busy handler: while another connection switches a new file to
// WAL or recovers the WAL. Those windows are short, so waiting out the busy
// timeout turns a spurious "database is locked" into a slower start.
func (db *DB) openConnsRetrying(ctx context.Context) error {
	deadline := time.Now().Add(db.opts.BusyTimeout)
	for pause := 5 * time.Millisecond; ; pause = min(2*pause, 200*time.Millisecond) {
		err := db.openConns(ctx)
		if err == nil {
			return nil
		}
		db.closeConns()
		db.reader, db.writer = nil, nil
		if KindOf(err) != KindBusy || time.Now().Add(pause).After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
	}
}

func (db *DB) openConns(ctx context.Context) error {
	var err error
	if db.writer, err = sql.Open("sqlite", db.dsn(false)); err != nil {
		return classifyOpen(db.path, err)
	}
	db.writer.SetMaxOpenConns(1)
	db.writer.SetMaxIdleConns(1)
	db.writer.SetConnMaxLifetime(0)
	db.writer.SetConnMaxIdleTime(0)
	var mode string
	if err := db.writer.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return classifyOpen(db.path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return &Error{Path: db.path, Msg: fmt.Sprintf("database is in journal mode %q, not WAL (is the file system without shared memory support?)", mode)}
	}
	if err := quickCheck(ctx, db.writer, db.path); err != nil {
		return err
	}
	if db.reader, err = sql.Open("sqlite", db.dsn(true)); err != nil {
		return classifyOpen(db.path, err)
	}
	db.reader.SetMaxOpenConns(db.opts.ReadConns)
	db.reader.SetMaxIdleConns(db.opts.ReadConns)
	if err := db.reader.PingContext(ctx); err != nil {
		return classifyOpen(db.path, err)
	}
	return nil
}

// Close waits for admitted writes to finish, stops the writer and closes
// the connections. It is safe to call more than once.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.mu.Lock()
		db.closed = true
		db.mu.Unlock()
		db.inflight.Wait()
		close(db.quit)
		<-db.writerDone
		db.closeErr = db.closeConns()
	})
	return db.closeErr
}

func (db *DB) closeConns() error {
	var errs []error
	// The reader goes first so the writer is the last connection: SQLite
	// then checkpoints the WAL into the database file and removes it.
	if db.reader != nil {
		errs = append(errs, db.reader.Close())
	}
	if db.writer != nil {
		db.stmts.close()
		errs = append(errs, db.writer.Close())
	}
	return errors.Join(errs...)
}

// Reader returns the pool of read-only connections. Writes through it fail;
// use Write.
func (db *DB) Reader() *sql.DB { return db.reader }

// Dialect returns the SQL dialect of this database.
func (db *DB) Dialect() Dialect { return db.dialect }

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Dir returns the data directory.
func (db *DB) Dir() string { return db.dir }
