package activation

import (
	"context"
	"time"
)

// unknownKeep is how long the request log keeps serials that were never
// known: long enough to diagnose a laptop that asked without a lease, and
// a bound on what a client sending made-up serials to port 191 can store.
const unknownKeep = 30 * 24 * time.Hour

// pruneUnknown forgets request records of serials that were answered
// "unknown" and have not asked for unknownKeep.
func pruneUnknown(ctx context.Context, s leaseStore, now time.Time) (int64, error) {
	return s.pruneRequests(ctx, givenUnknown, now.Add(-unknownKeep))
}
