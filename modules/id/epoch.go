package id

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"time"
)

// epochTTL is how long a read epoch is trusted. Another process (`aula
// client reregister-all` on the data directory, another instance on a
// shared database) may raise it; this process then reports the new stamp
// within epochTTL. Reading it at every register and status call would
// cost a database read each for a value that changes a few times a year.
var epochTTL = time.Second

// epochCache holds the last epoch read and when it was read.
type epochCache struct {
	last atomic.Pointer[epochRead]
}

type epochRead struct {
	value int64
	at    time.Time
}

func (c *epochCache) store(v int64) { c.last.Store(&epochRead{value: v, at: time.Now()}) }

// epoch is the admin's part of the stamp.
func (r *records) epoch(ctx context.Context) (int64, error) {
	if e := r.epochs.last.Load(); e != nil && time.Since(e.at) < epochTTL {
		return e.value, nil
	}
	var n int64
	if err := r.epochStmt.QueryRowContext(quick(ctx)).Scan(&n); err != nil {
		return 0, fmt.Errorf("id: reading the registration epoch: %w", err)
	}
	r.epochs.store(n)
	return n, nil
}

// bumpEpoch starts a new registration epoch and returns it.
func (r *records) bumpEpoch(ctx context.Context) (int64, error) {
	var n int64
	txCtx := context.WithoutCancel(ctx)
	err := r.db.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(txCtx, r.qBump); err != nil {
			return err
		}
		return tx.QueryRowContext(txCtx, "SELECT value FROM id_meta WHERE name = 'epoch'").Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("id: starting a new registration epoch: %w", err)
	}
	r.epochs.store(n)
	return n, nil
}
