package store

import (
	"context"
	"database/sql"
	"sync"
)

// A Rider is a write function that rides along with another one: the
// first Write made with a context carrying it (see [DB.WithRider]) runs
// it in the same transaction, right after its own function, so that both
// commit with one fsync or neither does. It lets a layer above a handler
// (the audit of a call) make its row exactly as durable as the handler's
// own change, at no extra commit, without the handler knowing.
//
// The rider's function follows the rules of a Write function (tx only,
// nothing slow, safe to run again after a rollback) and runs on the
// writer goroutine, so everything it can compute beforehand it should.
//
// A failing rider never fails the Write it rides with: that Write's own
// work runs again without the rider and commits, and the rider reports
// its error (Err) and did not commit (Finish), so its owner can write its
// row on its own.
type Rider struct {
	db *DB
	fn func(tx *sql.Tx) error

	mu    sync.Mutex
	state riderState
	err   error         // the rider function's last failure
	taken chan struct{} // while riderTaken: closed when the carrying Write settles
}

type riderState int8

const (
	riderFree      riderState = iota // no Write carries it (yet, or any more: the one that did failed)
	riderTaken                       // a Write in progress carries it
	riderCommitted                   // committed with a Write
	riderFinished                    // Finish was called before any Write committed it
)

type riderKey struct{}

// WithRider returns ctx carrying a rider running fn, and the rider. Only
// a Write on db takes it, only one Write ever commits it, and none after
// Finish.
func (db *DB) WithRider(ctx context.Context, fn func(tx *sql.Tx) error) (context.Context, *Rider) {
	r := &Rider{db: db, fn: fn}
	return context.WithValue(ctx, riderKey{}, r), r
}

// riderFor returns the rider ctx carries for db, now taken by the caller,
// or nil.
func (db *DB) riderFor(ctx context.Context) *Rider {
	r, _ := ctx.Value(riderKey{}).(*Rider)
	if r == nil || r.db != db {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != riderFree {
		return nil
	}
	r.state, r.taken = riderTaken, make(chan struct{})
	return r
}

// settle ends the carrying Write's hold: committed, or free again for a
// later Write made with the same context.
func (r *Rider) settle(committed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if committed {
		r.state = riderCommitted
	} else {
		r.state = riderFree
	}
	close(r.taken)
	r.taken = nil
}

// failed records the rider function's error (writer goroutine).
func (r *Rider) failed(err error) {
	r.mu.Lock()
	r.err = err
	r.mu.Unlock()
}

// Finish reports whether the rider committed with a Write, and stops any
// later Write from taking it. If a Write carrying it is still in
// progress, Finish waits for that Write's outcome.
func (r *Rider) Finish() (committed bool) {
	r.mu.Lock()
	for r.state == riderTaken {
		wait := r.taken
		r.mu.Unlock()
		<-wait
		r.mu.Lock()
	}
	defer r.mu.Unlock()
	if r.state == riderFree {
		r.state = riderFinished
	}
	return r.state == riderCommitted
}

// Err is the rider function's last error, nil if it never failed. A
// failed rider did not commit; the Write it rode with is unaffected.
func (r *Rider) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// riderFailed wraps a rider function's error inside the writer: the
// carrying Write's own work must run again without the rider.
type riderFailed struct{ err error }

func (e *riderFailed) Error() string { return "store: rider: " + e.err.Error() }
func (e *riderFailed) Unwrap() error { return e.err }
