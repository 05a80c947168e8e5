package backup

import (
	"context"
	"time"

	"aula/modules/backup/snapshot"
)

// recordStore keeps the backup module's records: the admission slots and
// recent grants, each client's last transfers and measured size, the
// event trail, and what the server saves for the other processes (its
// settings and the outcome of its last authorized_keys rewrite). It is all
// the module knows of its storage: the SQLite implementation is in
// sqlite*.go; storeConformance (store_test.go) is what any implementation
// must pass.
//
// The server and every backup gate (other processes, started by sshd) use
// one store at once, so each slot decision is atomic across processes: two
// stores on one data directory never hold more than MaxConcurrent slots.
type recordStore interface {
	// grant gives uid a slot (recording an "admitted" event) unless all
	// are taken or MaxGrants were granted in GrantWindow; a client
	// holding one keeps it, its expiry pushed to SlotTTL from now.
	grant(ctx context.Context, uid string, set Settings) (*refusal, error)
	// acquire marks uid's slot running for the gate process pid: a backup
	// needs a granted slot, a restore takes a free one when it has none;
	// a live other gate on the slot refuses this one.
	acquire(ctx context.Context, uid, mode string, pid int, set Settings) (*refusal, error)
	// renew pushes pid's running slot's expiry to ttl from now, taking
	// the slot back if it was lost.
	renew(ctx context.Context, uid, mode string, pid int, ttl time.Duration) error
	// release ends pid's hold on uid's slot: granted for linger more, or
	// freed at once when linger is 0.
	release(ctx context.Context, uid string, pid int, linger time.Duration) error
	// listSlots returns the unexpired slots, oldest grant first; holds
	// reports whether uid has one.
	listSlots(ctx context.Context) ([]Slot, error)
	holds(ctx context.Context, uid string) (bool, error)

	// addEvent appends to the event trail; listEvents returns the newest
	// (of one client when uid is set), newest first; pruneEvents drops
	// those before cutoff.
	addEvent(ctx context.Context, e Event) error
	listEvents(ctx context.Context, uid string, limit int) ([]Event, error)
	pruneEvents(ctx context.Context, cutoff time.Time) error

	// saveResult records a transfer's outcome (mode backup or restore),
	// saveUsage a client directory's measured size; clientStats and
	// listStats (most recent backup first) read them back.
	saveResult(ctx context.Context, uid, mode, result string, at time.Time) error
	saveUsage(ctx context.Context, uid string, u snapshot.Usage, snaps int, latest string, at time.Time) error
	clientStats(ctx context.Context, uid string) (ClientStats, bool, error)
	listStats(ctx context.Context) ([]ClientStats, error)

	// saveSettings and loadSettings keep the server's effective settings;
	// saveKeyState and loadKeyState its last authorized_keys outcome. ok
	// is false when nothing was saved yet.
	saveSettings(ctx context.Context, s Settings) error
	loadSettings(ctx context.Context) (s Settings, ok bool, err error)
	saveKeyState(ctx context.Context, st keyState) error
	loadKeyState(ctx context.Context) (st keyState, ok bool, err error)

	// dir is the data directory, for the gate command and messages.
	dir() string
}
