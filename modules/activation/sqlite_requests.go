package activation

import (
	"context"
	"database/sql"
	"time"
)

// recordRequests writes the records in one transaction, through one
// prepared statement (the request log's flush sends up to flushChunk).
func (s *sqliteLeases) recordRequests(ctx context.Context, recs []requestRow) error {
	return s.db.Write(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, s.qUpsertRequest)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, r := range recs {
			if _, err := stmt.ExecContext(ctx, r.serial, fmtTime(r.first), fmtTime(r.last), r.from, r.given,
				fmtTime(r.leaseAt), fmtTime(r.stolenAt), r.n); err != nil {
				return err
			}
		}
		return nil
	})
}

// pruneRequests: ctx bounds the wait for the writer; once there, the
// delete is not cancelled half way by a stopping server.
func (s *sqliteLeases) pruneRequests(ctx context.Context, given string, cutoff time.Time) (int64, error) {
	var n int64
	txCtx := context.WithoutCancel(ctx)
	err := s.db.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(txCtx, s.qPruneRequests, given, fmtTime(cutoff))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
