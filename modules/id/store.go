package id

import (
	"context"
	"time"

	"aula/modules/id/idapi"
)

// clientStore is the id module's storage, all the module knows of it.
// The SQLite implementation (records: records.go, reads.go, journal.go,
// pending.go, replay.go) acknowledges a registration once it is appended
// to a journal and applies it to the records later, in batches; that is
// its own business: every read sees every acknowledged registration, never
// a half-applied batch, and never writes. storeConformance
// (store_test.go) is what any implementation must pass.
type clientStore interface {
	// appendRegistration stores c durably (c.LastRegistered is its time).
	appendRegistration(ctx context.Context, c Client) error
	// byUID, bySerial and byUUID look current registrations up; the
	// lists are most recently registered first. uuidKey is lowercase.
	byUID(ctx context.Context, uid string) (Client, bool, error)
	bySerial(ctx context.Context, serial string) ([]Client, error)
	byUUID(ctx context.Context, uuidKey string) ([]Client, error)
	// list returns every current registration, most recent first.
	list(ctx context.Context) ([]Client, error)
	// history returns ended registrations with the uid, serial or uuid
	// (those non-empty), newest first.
	history(ctx context.Context, uid, serial, uuid string) ([]HistoryEntry, error)
	// status is the hot lookup behind GET /client/status: by uid, or by
	// lowercase machine uuid when byUUID.
	status(ctx context.Context, key string, byUUID bool) (uid string, hasKey, found bool, err error)
	// remove ends uid's registration; found is false if it had none.
	remove(ctx context.Context, uid string, at time.Time) (c Client, found bool, err error)
	// epoch and bumpEpoch are the admin's part of the stamp.
	epoch(ctx context.Context) (int64, error)
	bumpEpoch(ctx context.Context) (int64, error)
	// fold applies everything acknowledged; runFolder does it in the
	// background until ctx ends (the server); appended says whether this
	// process stored a registration (it then folds at Stop).
	fold(ctx context.Context) error
	runFolder(ctx context.Context, log func(error))
	appended() bool
	// serialHolder returns the registration holding an indexed serial
	// (at least its uid and uuid): checked by every registration.
	serialHolder(ctx context.Context, serial string) (Client, bool, error)
	// allowMove lets serial move to another machine once; takeMove
	// consumes that; refuse and refusals keep registrations refused for
	// claiming another machine's serial (moves.go).
	allowMove(ctx context.Context, serial string, at time.Time) error
	takeMove(ctx context.Context, serial string) (bool, error)
	refuse(ctx context.Context, f Refusal) error
	refusals(ctx context.Context, serial string) ([]Refusal, error)
	// dir is the data directory, for messages an admin acts on.
	dir() string
	close()
}

// storeHooks are what the store tells the module.
type storeHooks struct {
	// applied is told of each batch of registrations taking effect, once
	// per batch; it must not call fold (reads are fine).
	applied func(ctx context.Context, changes idapi.Changes)
	// bad is told of a stored registration that cannot be decoded.
	bad func(seq int64, rec string, err error)
}

var _ clientStore = (*records)(nil)

func (r *records) appended() bool { return r.j.appended.Load() }
func (r *records) dir() string    { return r.db.Dir() }

func (r *records) bySerial(ctx context.Context, serial string) ([]Client, error) {
	return r.find(ctx, "serial", serial)
}

func (r *records) byUUID(ctx context.Context, uuidKey string) ([]Client, error) {
	return r.find(ctx, "uuid_key", uuidKey)
}
