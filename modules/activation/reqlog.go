package activation

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// requestLog collects who asked for what in memory and writes it in
// batches: a boot storm of thousands of requests a second costs one
// transaction and one fsync per flush, not one per request.
type requestLog struct {
	s   leaseStore
	log *slog.Logger
	max int

	mu      sync.Mutex
	pending map[string]*reqRecord

	dropped atomic.Int64 // requests not recorded: too many distinct serials pending
	invalid atomic.Int64 // malformed or slow requests (not per serial)
}

// reqRecord is what one serial did since the last flush.
type reqRecord struct {
	first, last       time.Time
	from, given       string
	leaseAt, stolenAt time.Time
	n                 int64
}

func newRequestLog(s leaseStore, max int, log *slog.Logger) *requestLog {
	return &requestLog{s: s, log: log, max: max, pending: map[string]*reqRecord{}}
}

// record notes one request; it never blocks on the store.
func (r *requestLog) record(serial, from, given string, at time.Time) {
	if r == nil || serial == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rec := r.pending[serial]
	if rec == nil {
		if len(r.pending) >= r.max {
			r.dropped.Add(1)
			return
		}
		rec = &reqRecord{first: at}
		r.pending[serial] = rec
	}
	rec.merge(reqRecord{first: at, last: at, from: from, given: given, n: 1})
	switch given {
	case givenLease:
		rec.leaseAt = at
	case givenStolen:
		rec.stolenAt = at
	}
}

func (r *requestLog) countInvalid() {
	if r != nil {
		r.invalid.Add(1)
	}
}

// merge folds o (a later or earlier record of the same serial) into rec.
func (rec *reqRecord) merge(o reqRecord) {
	if rec.first.IsZero() || (!o.first.IsZero() && o.first.Before(rec.first)) {
		rec.first = o.first
	}
	if !o.last.Before(rec.last) {
		rec.last, rec.from, rec.given = o.last, o.from, o.given
	}
	if o.leaseAt.After(rec.leaseAt) {
		rec.leaseAt = o.leaseAt
	}
	if o.stolenAt.After(rec.stolenAt) {
		rec.stolenAt = o.stolenAt
	}
	rec.n += o.n
}

// flushChunk bounds the rows written by one recordRequests, so that a huge
// backlog does not hold the store's writer (and every other write) long.
const flushChunk = 2000

// flush writes what is pending. Records that could not be written are put
// back to be tried again at the next flush.
func (r *requestLog) flush(ctx context.Context) error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	batch := r.pending
	if len(batch) == 0 {
		r.mu.Unlock()
		return nil
	}
	r.pending = make(map[string]*reqRecord, len(batch))
	r.mu.Unlock()
	if n := r.dropped.Swap(0); n > 0 {
		r.log.Warn("activation: requests not recorded: too many distinct serials between flushes", "dropped", n, "limit", r.max)
	}
	serials := make([]string, 0, len(batch))
	for sn := range batch {
		serials = append(serials, sn)
	}
	var firstErr error
	for len(serials) > 0 {
		chunk := serials[:min(flushChunk, len(serials))]
		serials = serials[len(chunk):]
		recs := make([]requestRow, len(chunk))
		for i, sn := range chunk {
			rec := batch[sn]
			recs[i] = requestRow{serial: sn, first: rec.first, last: rec.last, from: rec.from, given: rec.given,
				leaseAt: rec.leaseAt, stolenAt: rec.stolenAt, n: rec.n}
		}
		if err := r.s.recordRequests(ctx, recs); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			r.putBack(batch, chunk)
		}
	}
	return firstErr
}

func (r *requestLog) putBack(batch map[string]*reqRecord, serials []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, sn := range serials {
		if rec := r.pending[sn]; rec != nil {
			rec.merge(*batch[sn])
		} else if len(r.pending) < r.max {
			r.pending[sn] = batch[sn]
		} else {
			r.dropped.Add(batch[sn].n)
		}
	}
}
