package store

import (
	"context"
	"database/sql"
	"sync/atomic"
)

// A writeReq is one Write waiting for the batch goroutine.
type writeReq struct {
	ctx   context.Context
	fn    func(*sql.Tx) error
	state atomic.Int32 // reqQueued, then reqClaimed by the writer or reqAbandoned by the caller
	done  chan error   // exactly one reply, buffered
	// rider, if the Write's context carried one (rider.go), runs after fn
	// in the same transaction. riderOK says it succeeded in the run that
	// is being committed; riderDropped that it failed, so fn runs without
	// it from then on. Only the writer goroutine sets them, before done.
	rider        *Rider
	riderOK      bool
	riderDropped bool
}

const (
	reqQueued int32 = iota
	reqClaimed
	reqAbandoned
)

// Write runs fn in a transaction and returns once that transaction is
// durably committed (or fn's error, or the commit's error).
//
// Concurrent Writes are batched into one transaction and one fsync. Each fn
// runs inside its own SAVEPOINT: if fn returns an error, only its own
// changes are rolled back, the error is returned to its caller, and the
// other Writes of the batch still commit.
//
// If ctx carries a [Rider] for db that no other Write has taken, its
// function runs right after fn in the same transaction (see Rider).
//
// If ctx ends before fn has started, fn is not run and ctx's error is
// returned. Once fn has started, Write reports the real outcome even if ctx
// ends meanwhile.
//
// fn must only use tx for database work (never Reader, never a nested
// Write, which would deadlock), must not call tx.Commit or tx.Rollback, and
// should not block on anything slow: the whole batch waits for it. In the
// rare case where another fn's failure aborts the shared transaction (a
// disk error, an interrupted statement), fn is run again in a fresh
// transaction, so it must be safe to run twice when the first run's
// database changes were rolled back.
func (db *DB) Write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return db.errClosed()
	}
	db.inflight.Add(1)
	db.mu.RUnlock()
	defer db.inflight.Done()
	db.active.Add(1)
	defer db.active.Add(-1)

	r := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1), rider: db.riderFor(ctx)}
	err := db.await(ctx, r)
	if r.rider != nil {
		r.rider.settle(err == nil && r.riderOK)
	}
	return err
}

// await queues r and waits for its outcome.
func (db *DB) await(ctx context.Context, r *writeReq) error {
	select {
	case db.queue <- r:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		if r.state.CompareAndSwap(reqQueued, reqAbandoned) {
			return ctx.Err()
		}
		// The writer has already started fn: its outcome is the answer.
		return <-r.done
	}
}

// claim reports whether the writer should run r now. A request its caller
// gave up on is dropped; one whose context has ended is answered with the
// context's error without running fn.
func (r *writeReq) claim() bool {
	if !r.state.CompareAndSwap(reqQueued, reqClaimed) && r.state.Load() != reqClaimed {
		return false
	}
	if err := r.ctx.Err(); err != nil {
		r.done <- err
		return false
	}
	return true
}

func (db *DB) errClosed() error {
	return &Error{Kind: KindClosed, Path: db.path, Msg: "write refused", Err: ErrClosed}
}

// OthersWaiting reports, from inside a write function, whether any other
// Write is waiting for the writer: queued, or already run in the current
// batch and waiting for its commit. A write function that applies a long
// backlog in one transaction (the id module's fold) checks it to commit
// what it has done and let them through, instead of holding the single
// writer for its whole length.
func (db *DB) OthersWaiting() bool { return db.active.Load() > 1 }
