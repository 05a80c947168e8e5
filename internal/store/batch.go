package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// Stats counts what the writer has done since Open.
type Stats struct {
	Commits uint64 // transactions committed (one fsync each)
	Writes  uint64 // write functions committed; Writes/Commits is the mean batch size
	Aborts  uint64 // batches whose transaction a failing write aborted (others re-run)
	Waits   uint64 // waits for more writes before a commit (Options.CommitDelay)
	// Runouts counts waits that ran out with no write arriving: time the
	// batch's writers spent waiting for nobody.
	Runouts uint64
	// FullDelays counts batches that waited out the whole CommitDelay,
	// writes still arriving.
	FullDelays uint64
	// Riders counts riders (rider.go) committed with the Write they rode
	// with: writes that cost no commit of their own.
	Riders uint64
}

type writerStats struct{ commits, writes, aborts, waits, runouts, fullDelays, riders atomic.Uint64 }

// Stats returns the writer's counters.
func (db *DB) Stats() Stats {
	return Stats{Commits: db.stats.commits.Load(), Writes: db.stats.writes.Load(), Aborts: db.stats.aborts.Load(),
		Waits: db.stats.waits.Load(), Runouts: db.stats.runouts.Load(), FullDelays: db.stats.fullDelays.Load(),
		Riders: db.stats.riders.Load()}
}

// runWriter is the only user of the writer connection. It takes the first
// queued Write, starts a transaction at once, and adds whatever else is
// queued by then (up to MaxBatch and MaxBatchTime) before committing.
// Writes that queue up during the commit's fsync form the next batch; that
// is where the throughput comes from, without ever waiting idly.
func (db *DB) runWriter() {
	defer close(db.writerDone)
	var carry []*writeReq
	for {
		if len(carry) == 0 {
			select {
			case r := <-db.queue:
				carry = append(carry, r)
			case <-db.quit:
				return
			}
		}
		carry = db.runBatch(carry)
		if db.stmts.hasWanted() {
			db.stmts.prepareWanted(db.writer)
		}
	}
}

// errTxEnded is reported when a write function committed or rolled back
// the shared transaction itself, so nobody knows what was kept.
var errTxEnded = errors.New("a write function ended the shared transaction; outcome of this batch unknown")

// runBatch runs carry (requests already taken from the queue) and then
// newly queued ones in one transaction. It returns the requests that must
// be run again because another request aborted the transaction.
func (db *DB) runBatch(carry []*writeReq) []*writeReq {
	bg := context.Background()
	start := time.Now()
	taken := 0
	delayed, gathered := false, false // a wait in this batch ran out; brought a write
	next := func() *writeReq {
		for {
			if len(carry) > 0 {
				r := carry[0]
				carry = carry[1:]
				taken++
				db.noteWriters()
				if r.claim() {
					return r
				}
				continue
			}
			if taken >= db.opts.MaxBatch || time.Since(start) >= db.opts.MaxBatchTime {
				return nil
			}
			select {
			case r := <-db.queue:
				taken++
				db.noteWriters()
				if r.claim() {
					return r
				}
				continue
			default:
			}
			wait, full := db.commitDelay(taken, start, delayed)
			if wait <= 0 {
				return nil
			}
			r := db.awaitWrite(wait, full, gathered)
			if r == nil {
				delayed = true // no more waiting in this batch
				continue
			}
			gathered = true
			taken++
			db.noteWriters()
			if r.claim() {
				return r
			}
		}
	}

	if db.delayOff > 0 {
		db.delayOff--
	}
	if db.windowLeft--; db.windowLeft <= 0 {
		db.peakPrev, db.peakNow, db.windowLeft = db.peakNow, 0, writerWindow
	}
	first := next()
	if first == nil {
		return carry
	}
	tx, err := db.writer.BeginTx(bg, nil)
	if err != nil {
		err = classify(db.path, fmt.Errorf("begin transaction: %w", err))
		first.done <- err
		for _, r := range carry {
			if r.claim() {
				r.done <- err
			}
		}
		return nil
	}
	db.stmts.begin(tx)
	careful := time.Now().Before(db.carefulUntil)
	var ok []*writeReq // fn succeeded; waiting for the commit
	for r := first; r != nil; r = next() {
		aborted, err := db.runOne(tx, r, careful)
		if !aborted {
			if err == nil {
				ok = append(ok, r)
			} else {
				r.done <- err
			}
			continue
		}
		if rf := (*riderFailed)(nil); errors.As(err, &rf) {
			ok = append(ok, r) // only its rider failed: r runs again without it
		} else {
			r.done <- err
		}
		db.stats.aborts.Add(1)
		rbErr := tx.Rollback()
		if errors.Is(err, sql.ErrTxDone) || errors.Is(rbErr, sql.ErrTxDone) {
			for _, o := range ok {
				o.done <- &Error{Path: db.path, Msg: "write failed", Err: errTxEnded}
			}
			return carry
		}
		// Nothing of this batch was kept: run the others again.
		return append(ok, carry...)
	}
	if len(ok) == 0 {
		tx.Rollback() // nothing to keep, so no fsync either
		return nil
	}
	if err := tx.Commit(); err != nil {
		err = classify(db.path, fmt.Errorf("commit: %w", err))
		for _, r := range ok {
			r.done <- err
		}
		return nil
	}
	db.stats.commits.Add(1)
	db.stats.writes.Add(uint64(len(ok)))
	db.lastBatch = len(ok)
	for _, r := range ok {
		if r.riderOK {
			db.stats.riders.Add(1)
		}
		r.done <- nil
	}
	return nil
}

// After fruitlessWaits waits in a row in which no write arrived, the next
// delayProbeEvery batches commit without waiting, then waiting is tried
// again.
const (
	fruitlessWaits  = 3
	delayProbeEvery = 64
)

// writerWindow is how many batches the writer remembers the most Writes
// it saw in progress at once (knownWriters): two windows of it.
const writerWindow = 32

// noteWriters records how many Writes are in progress now (admitted and
// not yet returned to their callers), for knownWriters.
func (db *DB) noteWriters() {
	if n := int(db.active.Load()); n > db.peakNow {
		db.peakNow = n
	}
}

// knownWriters is the most Writes the writer saw in progress at once over
// the last one to two windows of writerWindow batches: how many writers
// there are lately, whether each is a long-lived goroutine in a closed
// loop or a request being served.
func (db *DB) knownWriters() int { return max(db.peakNow, db.peakPrev) }

// commitDelay is how long the writer may wait now for one more write
// before committing a batch that has taken so far, and whether that wait
// reaches the end of the batch's CommitDelay. No wait unless the previous
// batch showed concurrent writers and fewer writes are in this batch than
// there have been writers in progress at once lately; never past
// CommitDelay from the batch's start, never longer than a quarter of it
// for one write, and not again in this batch once a wait ran out.
//
// Waiting pays when writers arrive one by one (requests being parsed on
// other cores). When every writer is already in the batch waiting for its
// commit (a closed loop: a handful of goroutines, each writing again once
// its write returns), nobody can come, so the batch commits at once: as
// many writes in the batch as there were writers lately is the sign.
// When that sign misleads (a writer went away), the quarter bounds what a
// wait costs, and waits that bring nobody batch after batch switch
// waiting off for a while.
func (db *DB) commitDelay(taken int, start time.Time, delayed bool) (wait time.Duration, full bool) {
	if db.opts.CommitDelay <= 0 || db.lastBatch < 2 || delayed || db.delayOff > 0 || taken >= db.opts.MaxBatch ||
		taken >= db.knownWriters() {
		return 0, false
	}
	left, gap := db.opts.CommitDelay-time.Since(start), db.opts.CommitDelay/4
	if left <= gap {
		return left, true
	}
	return gap, false
}

// awaitWrite waits up to wait for a queued write; nil if none came. A
// wait that runs out while the batch has gathered nobody counts towards
// switching waiting off.
func (db *DB) awaitWrite(wait time.Duration, full, gathered bool) *writeReq {
	db.stats.waits.Add(1)
	db.delay.Reset(wait)
	select {
	case r := <-db.queue:
		db.delay.Stop()
		db.fruitless = 0
		return r
	case <-db.delay.C:
	}
	db.stats.runouts.Add(1)
	if full {
		db.stats.fullDelays.Add(1)
	}
	if !gathered {
		if db.fruitless++; db.fruitless >= fruitlessWaits {
			// Nobody came, again and again: the writers are all in the
			// batch (a closed loop), so stop waiting for a while.
			db.delayOff, db.fruitless = delayProbeEvery, 0
		}
	}
	return nil
}

// carefulFor is how long the writer keeps savepoints on after a write
// function failed: failures come in runs (a storm of conflicting
// registrations), and each optimistic failure costs a batch re-run.
const carefulFor = time.Second

// runOne runs r.fn (and r's rider, if any). aborted reports that the
// whole transaction is gone (SQLite rolls back everything on some errors,
// such as a full disk or an interrupted statement), not only r's work;
// the batch's other functions are then run again.
//
// Write functions almost never fail, so by default they run without a
// savepoint (two statements fewer per write): a failure then aborts the
// batch like a disk error would, and the writer turns careful, running
// every function inside its own SAVEPOINT for a while, so one failure
// costs only its own work.
//
// A failing rider is a failure like any other, except that it is not
// r's: without a savepoint the batch is aborted and r runs again in the
// next one, its rider dropped (a *riderFailed error, which runBatch does
// not answer r with); inside r's savepoint, r's work is undone and fn
// runs again alone.
func (db *DB) runOne(tx *sql.Tx, r *writeReq, careful bool) (aborted bool, err error) {
	bg := context.Background()
	if db.opts.MaxBatch == 1 || !careful {
		// Alone in its transaction (MaxBatch 1), a failure rolls the whole
		// transaction back, which holds nobody else's work, so no
		// savepoint is needed.
		err := db.runFns(tx, r)
		if err == nil {
			return false, nil
		}
		var rf *riderFailed
		if !errors.As(err, &rf) {
			err = classify(db.path, err)
			if db.opts.MaxBatch == 1 {
				return false, err
			}
		}
		if db.opts.MaxBatch > 1 {
			db.carefulUntil = time.Now().Add(carefulFor)
		}
		return true, err
	}
	if _, err := db.txExec(bg, tx, "SAVEPOINT aula_write"); err != nil {
		return true, classify(db.path, err)
	}
	fnErr := db.runFns(tx, r)
	var rf *riderFailed
	if errors.As(fnErr, &rf) {
		if _, err := db.txExec(bg, tx, "ROLLBACK TO aula_write"); err != nil {
			return true, fnErr // the transaction is gone: r runs again
		}
		fnErr = db.runFns(tx, r) // the rider is dropped now
	}
	if fnErr == nil {
		if _, err := db.txExec(bg, tx, "RELEASE aula_write"); err != nil {
			return true, classify(db.path, err)
		}
		return false, nil
	}
	if _, err := db.txExec(bg, tx, "ROLLBACK TO aula_write"); err != nil {
		return true, classify(db.path, fnErr)
	}
	if _, err := db.txExec(bg, tx, "RELEASE aula_write"); err != nil {
		return true, classify(db.path, fnErr)
	}
	return false, classify(db.path, fnErr)
}

// runFns runs r.fn, then r's rider unless it failed before. A rider's
// failure is returned as a *riderFailed: the caller must undo the work
// of both and run r again, which then runs fn alone.
func (db *DB) runFns(tx *sql.Tx, r *writeReq) error {
	r.riderOK = false
	if err := callFn(r.fn, tx); err != nil {
		return err
	}
	if r.rider == nil || r.riderDropped {
		return nil
	}
	if err := callFn(r.rider.fn, tx); err != nil {
		r.riderDropped = true
		r.rider.failed(err)
		return &riderFailed{err: err}
	}
	r.riderOK = true
	return nil
}

// callFn turns a panic in fn into an error for fn's caller, so one bad
// write cannot take the writer goroutine (and every other write) down.
func callFn(fn func(*sql.Tx) error, tx *sql.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: write function panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return fn(tx)
}
