package activation

import (
	"context"
	"time"
)

// leaseStore keeps what the activation answers depend on (leases, stolen
// marks, delegations, and a generation counter that moves with each of
// their changes) and the request log (who asked for what). It is all the
// module knows of its storage: the SQLite implementation is in sqlite*.go;
// storeConformance (store_test.go) is what any implementation must pass.
//
// Every write is atomic; a write that changes an answer advances the
// generation in the same transaction, so a reader that sees the new
// generation sees the change (servers poll it to notice other processes'
// changes).
type leaseStore interface {
	// generation is the change counter (the poller's one cheap read).
	generation(ctx context.Context) (int64, error)
	// snapshot reads every lease (expired ones too), stolen mark and
	// delegation, ordered by serial, at one generation.
	snapshot(ctx context.Context) (*snapshot, error)
	// leases lists the stored leases of the given serials (every one when
	// serials is empty), ordered by serial.
	leases(ctx context.Context, serials []string) ([]leaseRow, error)
	// stolenMarks lists the stolen marks, ordered by serial.
	stolenMarks(ctx context.Context) ([]stolenRow, error)
	// delegationUUIDs maps serials to the UUIDs their del01 lines gave.
	delegationUUIDs(ctx context.Context) (map[string]string, error)
	// requests lists the request records, ordered by serial.
	requests(ctx context.Context) ([]requestRow, error)

	// addLeases stores the rows whose line is not yet stored for their
	// serial; it returns how many were added.
	addLeases(ctx context.Context, rows []leaseRow) (int, error)
	// keepSigned stores a lease this server signed and forgets the
	// laptop's signed leases that ran out by t (not imported ones, not
	// ones that never expire); it returns the new generation.
	keepSigned(ctx context.Context, row leaseRow, t time.Time) (int64, error)
	// markStolen marks a laptop stolen, replacing an earlier mark.
	markStolen(ctx context.Context, r stolenRow) error
	// unmarkStolen removes a mark; false when the laptop had none.
	unmarkStolen(ctx context.Context, serial string) (bool, error)
	// addDelegations keeps each row unless its laptop's stored delegation
	// expires as late or later; a row without a UUID keeps the stored
	// one's. It returns how many were stored.
	addDelegations(ctx context.Context, rows []delegationRow) (int, error)
	// bumpGeneration advances the generation alone (a new server key).
	bumpGeneration(ctx context.Context) error

	// recordRequests merges records into the request log: per serial the
	// first request is kept, the last one's time, peer and reply replace
	// the stored, lease and stolen times replace the stored when set, and
	// the counts add up. It does not touch the generation.
	recordRequests(ctx context.Context, recs []requestRow) error
	// pruneRequests forgets the records of serials last given given whose
	// last request was before cutoff; it returns how many.
	pruneRequests(ctx context.Context, given string, cutoff time.Time) (int64, error)
}

// leaseRow is one stored lease line.
type leaseRow struct {
	Serial   string
	Line     string
	Expires  string // effective expiry stamp
	Verified bool
	Origin   string // "import" or "signed"
	Source   string // file name, "chained" or "plain"
	AddedAt  time.Time
}

// Origins of a stored lease.
const (
	originImport = "import"
	originSigned = "signed"
)

// stolenRow is one stolen mark.
type stolenRow struct {
	Serial, Note, MarkedBy string
	MarkedAt               time.Time
}

// delegationRow is one stored delegation.
type delegationRow struct {
	Serial, UUID, Line, Expires, Source string
	AddedAt                             time.Time
}

// requestRow is one serial's request record.
type requestRow struct {
	serial            string
	first, last       time.Time
	from, given       string
	leaseAt, stolenAt time.Time
	n                 int64
}

// snapshot is everything the answers depend on, read at one generation.
type snapshot struct {
	gen         int64
	leases      []leaseRow
	stolen      []stolenRow
	delegations []delegationRow
}
