// Package activation is the anti-theft activation service of an OLPC school
// server, and the keyring that signs leases for it (spec:
// shared/spec/activation-leases.md).
//
// XO laptops ask on TCP 191 at boot (the activation front end,
// internal/frontend/activationfront, owns that wire and calls
// activation.answer for each request); they are answered from an in-memory cache, serial → reply bytes,
// built from the store: "STOLEN" for a laptop marked stolen, every current
// lease line for a laptop with leases (the one that expires last first),
// else the unknown reply. A laptop without a lease but with a delegation
// from the OLPC master key to this server's key (and a known UUID) gets a
// chained lease signed on its first request, once per serial however many
// ask at once, and signed again in the background before it runs out.
//
// The cache follows the store: the server's own writes are applied to it
// directly; changes by another process (`aula stolen add` on the data
// directory) advance a generation counter in the store that the server
// polls every --activation-reload-interval (1 s) and then reloads. Who asked
// for what is kept in memory and written in one batch every second.
package activation

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"aula/internal/core"
	"aula/internal/lease"
	"aula/modules/id/idapi"
)

//go:embed README.md
var readme string

//go:embed migrations/*.sql
var migrations embed.FS

func init() {
	core.Register(core.ModuleInfo{ID: "activation", New: func() core.Module { return &Module{} }, Help: readme})
}

// KeyringDir is the data directory's subdirectory holding the server key,
// KeyName.private (0600) and KeyName.public.
const (
	KeyringDir = "keyring"
	KeyName    = "lease"
)

// Module is the activation service and keyring.
type Module struct {
	opts *options
	set  settings

	env     *core.Env
	log     *slog.Logger
	store   leaseStore
	trusted *lease.KeySet
	keyBase string        // <data-dir>/keyring/lease
	dir     idapi.Clients // the laptop registry; nil without the id module

	cache      cache
	uuids      uuidBook
	key        atomic.Pointer[lease.PrivateKey]
	reloadMu   sync.Mutex
	lastReload atomic.Value // time.Time of the last reload
	flights    flights
	signed     atomic.Int64 // signatures made: leases and rtc01 replies
	signSem    chan struct{}
	rtcSem     chan struct{}
	reqs       *requestLog

	kick    chan struct{} // asks the poller to reload now
	renew   chan struct{} // asks the renewer to look now
	stop    chan struct{}
	loops   sync.WaitGroup
	started atomic.Bool // serving: loops run, answers loaded
}

// Migrations supplies the activation_* tables.
func (m *Module) Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err)
	}
	return sub
}

// Provision reads the options and the trusted keys. It loads nothing from
// the store: CLI commands provision every module, and the answer cache is
// only needed by a server (it is loaded at Start, or on first use).
func (m *Module) Provision(ctx context.Context, env *core.Env) error {
	m.env, m.log, m.set = env, env.Log, m.opts.resolve()
	if m.log == nil {
		m.log = slog.Default()
	}
	m.store = newSQLiteLeases(env.Store)
	m.keyBase = filepath.Join(env.DataDir, KeyringDir, KeyName)
	m.trusted = lease.NewKeySet()
	for _, path := range m.opts.trusted() {
		k, err := lease.LoadPublicKey(path)
		if err != nil {
			return fmt.Errorf("--activation-trusted-key: %w", err)
		}
		m.trusted.Add(k)
	}
	dir, err := directory(env.App)
	if err != nil {
		m.log.Warn("activation: no laptop directory", "err", err)
	}
	m.dir = dir
	m.signSem = make(chan struct{}, 2)
	m.rtcSem = make(chan struct{}, 1)
	m.kick = make(chan struct{}, 1)
	m.renew = make(chan struct{}, 1)
	m.reqs = newRequestLog(m.store, m.set.maxPending, m.log)
	if env.Events != nil {
		env.Events.Subscribe(idapi.TopicChanges, m.onChanges)
	}
	return nil
}

// errNotProvisioned is a wiring mistake, not a client's.
var errNotProvisioned = errors.New("activation: module used before it was provisioned")

// ensureLoaded loads the cache on first use (CLI processes never start
// the module; a method that answers like the server does loads it then).
func (m *Module) ensureLoaded(ctx context.Context) error {
	if m.store == nil {
		return errNotProvisioned
	}
	if _, ok := m.cache.generation(); ok {
		return nil
	}
	return m.reload(ctx)
}

// reload rebuilds the cache from the store, reloads the server key and
// the UUIDs the id module knows.
func (m *Module) reload(ctx context.Context) error {
	m.reloadMu.Lock()
	defer m.reloadMu.Unlock()
	snap, err := m.store.snapshot(ctx)
	if err != nil {
		return fmt.Errorf("activation: reading leases: %w", err)
	}
	snap.leases = currentLeases(snap.leases, now())
	m.cache.replace(snap.gen, build(snap, m.log))
	m.lastReload.Store(time.Now())
	m.loadKey()
	if m.dir != nil {
		if all, err := machineUUIDs(ctx, m.dir); err != nil {
			m.log.Warn("activation: reading laptop UUIDs from id", "err", err)
		} else {
			m.uuids.replace(all)
		}
	}
	return nil
}

// loadKey (re)reads the server key; a missing key is normal (no keyring
// yet), a bad one is logged and not used.
func (m *Module) loadKey() {
	k, err := lease.LoadKeyPair(m.keyBase)
	switch {
	case err == nil:
		if old := m.key.Load(); old == nil || !old.Public().Equal(k.Public()) {
			m.key.Store(k)
		}
	case errors.Is(err, fs.ErrNotExist):
		m.key.Store(nil)
	default:
		m.log.Error("activation: server key not usable; no leases will be signed", "err", err)
		m.key.Store(nil)
	}
}

// changed asks the running server to reload at once (after an admin
// change made in this process); the poller does it otherwise.
func (m *Module) changed() {
	if m.kick == nil {
		return
	}
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// adminChanged makes an admin change made in this process visible at
// once: a server reloads its answers before the method returns (a mark
// stolen through the server holds for the very next request), and the
// renewer looks for leases it can now sign. A process that is not serving
// (the CLI) only forgets its answers, to load them again if it needs them;
// the servers notice by polling.
func (m *Module) adminChanged(ctx context.Context) {
	if !m.started.Load() {
		m.cache.invalidate()
		return
	}
	if err := m.reload(ctx); err != nil {
		m.log.Error("activation: reloading after a change", "err", err)
		m.changed()
		return
	}
	m.kickRenew()
}

func (m *Module) kickRenew() {
	if m.renew == nil {
		return
	}
	select {
	case m.renew <- struct{}{}:
	default:
	}
}

// Methods is the module's method table.
func (m *Module) Methods() []core.Method {
	return []core.Method{
		m.answerMethod(),
		m.leaseMethod(),
		m.listMethod(),
		m.importMethod(),
		m.exportMethod(),
		m.stolenAddMethod(),
		m.stolenRemoveMethod(),
		m.stolenListMethod(),
		m.keyringInitMethod(),
		m.keyringShowMethod(),
		m.importDelegationsMethod(),
	}
}

// Routes serves the SSK form of the lease request.
func (m *Module) Routes() []core.Route {
	return []core.Route{
		{Method: "GET", Path: "/client/lease", Call: "activation.lease",
			Help: "?serial=SN: the laptop's activation lease text"},
	}
}
