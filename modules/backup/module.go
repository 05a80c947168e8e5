// Package backup is aula's Journal backup service for Sugar and OLPC
// laptops: rsync over SSH into one directory per registered client, with
// admission control, dated hard-linked snapshots, retention and quotas.
//
// The pieces:
//   - authorized_keys (keys.go): every registered client's key, forced into
//     `aula backup-gate --uid UID`, rewritten from the id module's records
//     on every registration event (coalesced) and at start;
//   - the gate (gate.go): the forced command; it accepts only an rsync
//     server command line (package gate), maps paths into the client's
//     directory, needs an admission slot, runs rsync without a shell and
//     snapshots after a successful backup (package snapshot);
//   - admission (admit.go, control.go): GET /client/backup, the SSK and
//     XS ds-backup availability checks; slots live in the store
//     (recordStore, store.go) because the gate is another process;
//   - admin methods and commands (list.go, status.go).
//
// The gate opens the same data directory as the server, so the backup SSH
// account must be the account `aula serve` runs as (README.md).
package backup

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"aula/internal/core"
	"aula/modules/id/idapi"
)

//go:embed README.md
var readme string

//go:embed migrations/*.sql
var migrations embed.FS

func init() {
	core.Register(core.ModuleInfo{ID: "backup", New: func() core.Module { return &Module{} }, Help: readme})
}

// Module is the backup service.
type Module struct {
	opts *options

	mu      sync.RWMutex // guards the fields below
	app     *core.App
	store   recordStore
	log     *slog.Logger
	reg     idapi.Clients
	set     Settings // effective in this process
	setErr  error    // why this process's own options do not resolve
	keys    *keySync
	serving bool // Start ran: this is `aula serve`

	stop    chan struct{}
	stopped sync.WaitGroup
	now     func() time.Time
}

// Migrations supplies the backup_* tables.
func (m *Module) Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err)
	}
	return sub
}

// Provision finds the id module, resolves the settings (the running
// server's, saved in the store, when there are any) and subscribes to the
// client events that change authorized_keys.
func (m *Module) Provision(ctx context.Context, env *core.Env) error {
	if env.App == nil || env.Store == nil {
		return errors.New("backup: provisioned without an app or a store")
	}
	reg, err := idapi.From(env.App)
	if err != nil {
		return fmt.Errorf("backup: %w (backups are for registered clients)", err)
	}
	log := env.Log
	if log == nil {
		log = slog.Default()
	}
	st := newSQLiteRecords(env.Store, m.clock)
	set, setErr := m.opts.resolve(st.dir())
	if saved, ok, err := savedSettings(ctx, st); err != nil {
		log.Warn("ignoring the saved backup settings", "err", err)
	} else if ok {
		set, setErr = saved, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.now == nil {
		m.now = time.Now
	}
	m.app, m.store, m.log, m.reg, m.set, m.setErr = env.App, st, log, reg, set, setErr
	m.keys = &keySync{m: m, kickc: make(chan struct{}, 1)}
	env.Events.Subscribe(idapi.TopicChanges, m.onChanges)
	return nil
}

func (m *Module) clock() time.Time {
	m.mu.RLock()
	now := m.now
	m.mu.RUnlock()
	return now()
}

// state returns what Provision set.
func (m *Module) state() (Settings, recordStore, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.store == nil {
		return Settings{}, nil, errors.New("backup: module used before it was provisioned")
	}
	return m.set, m.store, nil
}

// onChanges rewrites authorized_keys once per batch of registration
// changes: in the server through the coalescing writer, in any other
// process (`aula client rm` on the data directory) at once, since that
// process may exit right after. The rewrite reads the registrations,
// which never waits for the id module's fold that published the batch.
func (m *Module) onChanges(ctx context.Context, _ core.Event) {
	m.mu.RLock()
	serving, keys, log := m.serving, m.keys, m.log
	m.mu.RUnlock()
	if serving {
		keys.kick()
		return
	}
	if err := keys.rewrite(ctx, false); err != nil {
		log.Warn("authorized_keys not updated; `aula serve` rewrites it at start", "err", err)
	}
}

// Start makes this process's options the effective settings and saves
// them for the gate, creates the backup directories, writes
// authorized_keys and starts the key writer and the housekeeping loop.
func (m *Module) Start(ctx context.Context) error {
	_, recs, err := m.state()
	if err != nil {
		return err
	}
	set, setErr := m.opts.resolve(recs.dir())
	if setErr != nil {
		// Keep serving everything else: backups stay off until fixed.
		m.log.Error("backups disabled: authorized_keys is not written", "err", setErr)
	}
	if err := prepareDirs(set); err != nil {
		return err
	}
	if err := recs.saveSettings(ctx, set); err != nil {
		return fmt.Errorf("backup: save settings: %w", err)
	}
	m.mu.Lock()
	m.set, m.setErr, m.serving = set, setErr, true
	stop := make(chan struct{})
	m.stop = stop
	m.mu.Unlock()
	if setErr == nil {
		if err := m.keys.rewrite(ctx, true); err != nil {
			m.log.Error("authorized_keys", "err", err)
		}
	}
	m.stopped.Add(1)
	go m.loop(stop) // stop handed over here: a Stop racing the goroutine's start must still reach it
	return nil
}

// Stop ends the loops.
func (m *Module) Stop(ctx context.Context) error {
	m.mu.Lock()
	stop := m.stop
	m.stop, m.serving = nil, false
	m.mu.Unlock()
	if stop != nil {
		close(stop)
	}
	m.stopped.Wait()
	return nil
}

// housekeeping is how often the server re-checks authorized_keys against
// the records (catching changes made by other processes) and trims the
// audit trail.
const housekeeping = 5 * time.Minute

// keyRest is how long the authorized_keys writer rests after a rewrite,
// as a multiple of the rewrite's own time, and keyRestMax its bound. A
// rewrite reads every client and renders every line, so its cost grows
// with the school, not with the change; after a boot storm the id module
// applies the journal in batches, each an event. Resting lets the batches
// that land meanwhile share one rewrite, so keeping the file current
// costs at most a quarter of a core however fast they come (more only
// once a rewrite takes longer than keyRestMax/keyRest). The bound keeps
// the wait for a new laptop's key (the rest and at most two rewrites)
// near keyWait, the time an admission waits for it, in a large school.
const (
	keyRest    = 3
	keyRestMax = 2 * time.Second
)

// restAfter is the rest after a rewrite that took d.
func restAfter(d time.Duration) time.Duration {
	return min(keyRest*d, keyRestMax)
}

// loop runs the coalescing authorized_keys writer: a rewrite per wake-up,
// at most one in flight; events during a rewrite or the rest after it make
// exactly one more.
func (m *Module) loop(stop <-chan struct{}) {
	defer m.stopped.Done()
	m.mu.RLock()
	keys, set, setErr := m.keys, m.set, m.setErr
	m.mu.RUnlock()
	tick := time.NewTicker(housekeeping)
	defer tick.Stop()
	ctx := context.Background()
	for {
		select {
		case <-stop:
			return
		case <-keys.kickc:
		case <-tick.C:
			if err := m.store.pruneEvents(ctx, m.clock().Add(-eventRetention)); err != nil {
				m.log.Warn("backup events not pruned", "err", err)
			}
		}
		if setErr != nil {
			continue
		}
		began := time.Now()
		if err := keys.rewrite(ctx, true); err != nil {
			m.log.Error("authorized_keys", "path", set.AuthorizedKeys, "err", err)
		}
		rest := time.NewTimer(restAfter(time.Since(began)))
		select {
		case <-stop:
			rest.Stop()
			return
		case <-rest.C:
		}
	}
}

// Methods is the backup module's method table.
func (m *Module) Methods() []core.Method {
	return []core.Method{m.admitMethod(), m.availableMethod(), m.listMethod(), m.statusMethod()}
}

// Commands are `aula backup-gate`, `aula backup list` and `aula backup status`.
func (m *Module) Commands() []core.Command {
	return []core.Command{gateCommand(), listCommand(), statusCommand()}
}
