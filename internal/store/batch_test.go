package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func openTest(t *testing.T, opts Options) *DB {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = filepath.Join(t.TempDir(), "data")
	}
	db, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY)")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return db
}

func insert(id int) func(*sql.Tx) error {
	return func(tx *sql.Tx) error {
		_, err := tx.Exec("INSERT INTO items (id) VALUES (?)", id)
		return err
	}
}

// waitQueued waits until n requests sit in the writer's queue.
func waitQueued(db *DB, n int) {
	for len(db.queue) < n {
		runtime.Gosched()
	}
}

// gate is a write function that blocks the writer until release is
// closed, so the test controls what gets queued behind it.
type gate struct {
	started chan struct{} // closed once fn runs
	release chan struct{}
	runs    atomic.Int32
}

func newGate() *gate { return &gate{started: make(chan struct{}), release: make(chan struct{})} }

// start runs the gate's write (inserting id) and waits until the writer is
// blocked in it.
func (g *gate) start(db *DB, id int, out chan<- result) {
	goWrite(context.Background(), db, id, func(tx *sql.Tx) error {
		if g.runs.Add(1) == 1 {
			close(g.started)
		}
		<-g.release
		return insert(id)(tx)
	}, out)
	<-g.started
}

type result struct {
	id  int
	err error
}

func goWrite(ctx context.Context, db *DB, id int, fn func(*sql.Tx) error, out chan<- result) {
	go func() { out <- result{id, db.Write(ctx, fn)} }()
}

func TestBatchOneTransactionWithIsolatedFailure(t *testing.T) {
	db := openTest(t, Options{MaxBatchTime: time.Hour})
	ctx := context.Background()
	before := db.Stats()
	g := newGate()
	out := make(chan result, 20)
	g.start(db, 0, out)
	errBad := errors.New("bad write")
	for i := 1; i <= 10; i++ {
		fn := insert(i)
		if i == 5 {
			fn = func(tx *sql.Tx) error { insert(5)(tx); return errBad }
		}
		goWrite(ctx, db, i, fn, out)
		waitQueued(db, i)
	}
	close(g.release)
	for range 11 {
		r := <-out
		if r.id == 5 != errors.Is(r.err, errBad) || r.id != 5 && r.err != nil {
			t.Errorf("write %d: %v", r.id, r.err)
		}
	}
	st := db.Stats()
	if c, w := st.Commits-before.Commits, st.Writes-before.Writes; c != 1 || w != 10 {
		t.Errorf("%d commits for %d writes; want all 10 in one transaction", c, w)
	}
	var n int
	db.Reader().QueryRow("SELECT COUNT(*) FROM items WHERE id <> 5").Scan(&n)
	if n != 10 {
		t.Errorf("%d rows committed, want 10", n)
	}
}

func TestBatchBoundedByCount(t *testing.T) {
	for _, tc := range []struct {
		opts    Options
		commits uint64
	}{
		{Options{MaxBatch: 4, MaxBatchTime: time.Hour}, 3}, // 9 writes: 4 + 4 + 1
		{Options{NoGroupCommit: true}, 9},
	} {
		db := openTest(t, tc.opts)
		before := db.Stats()
		g := newGate()
		out := make(chan result, 9)
		g.start(db, 0, out)
		for i := 1; i < 9; i++ {
			goWrite(context.Background(), db, i, insert(i), out)
			waitQueued(db, min(i, cap(db.queue)))
		}
		close(g.release)
		for range 9 {
			if r := <-out; r.err != nil {
				t.Fatal(r.err)
			}
		}
		if c := db.Stats().Commits - before.Commits; c != tc.commits {
			t.Errorf("%+v: %d commits, want %d", tc.opts, c, tc.commits)
		}
	}
}

func TestWriteCanceledWhileQueued(t *testing.T) {
	db := openTest(t, Options{})
	g := newGate()
	out := make(chan result, 2)
	g.start(db, 0, out)
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Bool
	goWrite(ctx, db, 1, func(tx *sql.Tx) error { ran.Store(true); return insert(1)(tx) }, out)
	waitQueued(db, 1)
	cancel()
	if r := <-out; r.id != 1 || !errors.Is(r.err, context.Canceled) {
		t.Fatalf("canceled queued write returned %+v", r)
	}
	close(g.release)
	if r := <-out; r.err != nil {
		t.Fatal(r.err)
	}
	if ran.Load() {
		t.Fatal("a write canceled while queued was run")
	}
}

func TestWriteCanceledWhileRunningReportsOutcome(t *testing.T) {
	db := openTest(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	err := db.Write(ctx, func(tx *sql.Tx) error {
		cancel() // the caller gives up while fn runs
		return insert(1)(tx)
	})
	if err != nil {
		t.Fatalf("Write = %v; want fn's real outcome (nil)", err)
	}
	var n int
	db.Reader().QueryRow("SELECT COUNT(*) FROM items").Scan(&n)
	if n != 1 {
		t.Fatalf("%d rows; the write reported as done was not committed", n)
	}
}

// An interrupted INSERT makes SQLite roll back the whole transaction, not
// only the savepoint: the other writes of the batch must be run again and
// committed, and only the interrupted one fails.
func TestBatchAbortedTransactionRerunsOthers(t *testing.T) {
	db := openTest(t, Options{MaxBatchTime: time.Hour})
	g := newGate()
	out := make(chan result, 3)
	g.start(db, 0, out)
	goWrite(context.Background(), db, 1, interrupted, out)
	waitQueued(db, 1)
	goWrite(context.Background(), db, 2, insert(2), out)
	waitQueued(db, 2)
	close(g.release)
	for range 3 {
		r := <-out
		if (r.id == 1) != (r.err != nil) {
			t.Errorf("write %d: %v", r.id, r.err)
		}
	}
	var ids []int
	rows, _ := db.Reader().Query("SELECT id FROM items ORDER BY id")
	for rows.Next() {
		var id int
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	if fmt.Sprint(ids) != "[0 2]" {
		t.Errorf("rows = %v, want [0 2]", ids)
	}
	if db.Stats().Aborts != 1 || g.runs.Load() != 2 {
		t.Errorf("aborts = %d, first write ran %d times; want 1 abort and a re-run", db.Stats().Aborts, g.runs.Load())
	}
}

// With a commit delay, writers that arrive one after another share a
// commit; writers that are all waiting in the batch already (a closed
// loop) soon stop the writer from waiting for nobody.
func TestCommitDelay(t *testing.T) {
	ctx := context.Background()
	t.Run("gathers", func(t *testing.T) {
		db := openTest(t, Options{CommitDelay: 200 * time.Millisecond})
		// As if writers had been concurrent lately (the writer goroutine
		// is idle here: it reads these only while running a batch).
		db.lastBatch, db.peakNow, db.windowLeft = 2, 8, 1000
		done := make(chan error, 5)
		for i := range 5 {
			go func() { done <- db.Write(ctx, insert(100+i)) }()
			time.Sleep(5 * time.Millisecond) // one by one, well within the delay
		}
		before := db.Stats()
		for range 5 {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		if st := db.Stats(); st.Commits-before.Commits > 2 {
			t.Errorf("5 writers arriving 5 ms apart took %d commits; the 200 ms delay should gather them", st.Commits-before.Commits)
		}
	})
	t.Run("closed loop", func(t *testing.T) {
		// Eight writers, each waiting for its own commit: once all are
		// in the batch nobody else can come, so no batch may wait out
		// the whole delay (at most seven stragglers, each within a
		// quarter of it, can arrive).
		db := openTest(t, Options{CommitDelay: 40 * time.Millisecond})
		before := db.Stats()
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 50 {
					if err := db.Write(ctx, insert(1000+w*1000+i)); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		st := db.Stats()
		if n := st.FullDelays - before.FullDelays; n != 0 {
			t.Errorf("%d batches of a closed loop waited out the whole delay for writers that were all in the batch", n)
		}
		var n int
		if err := db.Reader().QueryRow("SELECT count(*) FROM items WHERE id >= 1000").Scan(&n); err != nil || n != 400 {
			t.Fatalf("rows %d, %v; want 400", n, err)
		}
	})
	t.Run("closed loop does not wait", func(t *testing.T) {
		// Eight writers in a closed loop with a delay whose quarter (500
		// ms) dwarfs a commit: once all eight are in the batch, nobody
		// else can come, and the batch must commit at once rather than
		// wait for a ninth. Before that rule every batch ran out one
		// wait. Counted while all eight still write (their exits at the
		// end may cost a wait each, which the rule cannot know about).
		// The old rule ran out a wait in every batch until three in a row
		// switched waiting off for a while.
		db := openTest(t, Options{CommitDelay: 2 * time.Second})
		const writers, batches = 8, 30
		var stop atomic.Bool
		var wg sync.WaitGroup
		var id atomic.Int64
		id.Store(1 << 20)
		for range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !stop.Load() {
					if err := db.Write(ctx, insert(int(id.Add(1)))); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		before := db.Stats()
		for db.Stats().Commits-before.Commits < batches && !t.Failed() {
			time.Sleep(time.Millisecond)
		}
		st := db.Stats()
		stop.Store(true)
		wg.Wait()
		commits, runouts := st.Commits-before.Commits, st.Runouts-before.Runouts
		// One is allowed for a writer the scheduler held back for half a
		// second.
		if runouts > 1 {
			t.Errorf("%d of %d batches of a closed loop of %d writers waited for a writer who never came", runouts, commits, writers)
		}
		if st.Writes-before.Writes < commits*2 {
			t.Errorf("%d writes in %d commits: the writers were not batched", st.Writes-before.Writes, commits)
		}
	})
	t.Run("lone writer", func(t *testing.T) {
		db := openTest(t, Options{CommitDelay: time.Hour})
		for i := range 3 {
			if err := db.Write(ctx, insert(i)); err != nil {
				t.Fatal(err)
			}
		}
		if st := db.Stats(); st.Waits != 0 {
			t.Errorf("a lone writer waited %d times", st.Waits)
		}
	})
}

// interrupted is a write whose statement is interrupted 50 ms in, which
// makes SQLite roll back the whole shared transaction.
func interrupted(tx *sql.Tx) error {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	// Counts forever, inserting nothing, until interrupted.
	_, err := tx.ExecContext(ctx, `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)
		INSERT INTO items (id) SELECT x FROM c WHERE x < 0`)
	return err
}
