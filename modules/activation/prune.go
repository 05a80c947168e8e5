package activation

import (
	"context"
	"database/sql"
	"time"
)

// unknownKeep is how long the request log keeps serials that were never
// known: long enough to diagnose a laptop that asked without a lease, and
// a bound on what a client sending made-up serials to port 191 can store.
const unknownKeep = 30 * 24 * time.Hour

// pruneUnknown forgets request records of serials that were answered
// "unknown" and have not asked for unknownKeep.
func (t *tables) pruneUnknown(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	cutoff := fmtTime(now.Add(-unknownKeep))
	txCtx := context.WithoutCancel(ctx)
	err := t.db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(txCtx, t.d.Rebind(
			"DELETE FROM activation_requests WHERE last_given = ? AND last_at < ?"), givenUnknown, cutoff)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
