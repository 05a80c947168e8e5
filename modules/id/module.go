// Package id is the school server's identity registry: laptops register
// with the XML-RPC `register` call the Sugar shell makes (or the SSK REST
// form), get their Jabber server, backup URL and sugar-client config, and
// ask GET /client/status whether they must register again. Records live in
// the store (tables id_*); registrations taking effect and removals are
// published as idapi.Changes on idapi.TopicChanges, so that the backup
// module can keep authorized_keys in step. Other modules use this one
// through package idapi only.
package id

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"sync"

	"aula/internal/core"
	"aula/modules/id/idapi"
)

//go:embed README.md
var readme string

//go:embed migrations/*.sql
var migrations embed.FS

func init() {
	core.Register(core.ModuleInfo{ID: "id", New: func() core.Module { return &Module{} }, Help: readme})
}

// Module is the identity registry.
type Module struct {
	opts *options

	mu     sync.RWMutex // guards what Provision sets
	env    *core.Env
	log    *slog.Logger
	set    settings
	recs   clientStore
	events *core.Events

	stopFolder context.CancelFunc // set by Start
	folderDone chan struct{}
}

// errNotProvisioned is returned when a method runs before Provision (a
// wiring mistake, not a client's).
var errNotProvisioned = errors.New("id: module used before it was provisioned (no store)")

// Migrations supplies the id_* tables.
func (m *Module) Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err)
	}
	return sub
}

// Provision keeps the store, resolves the registration settings (server
// name, Jabber server, backup URL form, config dict) and prepares the
// queries the hot paths use.
func (m *Module) Provision(ctx context.Context, env *core.Env) error {
	recs, err := newRecords(ctx, env.Store, storeHooks{applied: m.applied, bad: func(seq int64, rec string, err error) {
		m.logger().Error("registration journal row cannot be applied; dropped", "seq", seq, "record", rec, "err", err)
	}})
	if err != nil {
		return err
	}
	set := m.opts.resolve(ctx)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.recs != nil {
		m.recs.close()
	}
	m.env, m.recs, m.set, m.events = env, recs, set, env.Events
	m.log = env.Log
	if m.log == nil {
		m.log = slog.Default()
	}
	m.log.Debug("registration settings", "server", set.serverName, "jabber", set.jabber,
		"backup", set.backupUser+"@"+set.backupHost, "api-url", set.apiURL, "extra-config", len(set.extra))
	return nil
}

// applied publishes a batch of registrations the journal fold applied,
// once: for each, the removal of each registration it superseded, then
// its own.
func (m *Module) applied(ctx context.Context, changes idapi.Changes) {
	for _, ch := range changes {
		if ch.Removed {
			m.logger().Info("registration superseded", "uid", ch.Client.UID, "serial", ch.Client.Serial, "uuid", ch.Client.UUID, "by", ch.ReplacedBy)
		}
	}
	m.publish(ctx, changes)
}

// Start runs the background fold of the registration journal.
func (m *Module) Start(context.Context) error {
	recs, _, err := m.state()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	m.mu.Lock()
	m.stopFolder, m.folderDone = cancel, done
	m.mu.Unlock()
	// A full disk makes every fold attempt (20 a second) fail alike: the
	// server's log handler (internal/logrepeat) keeps that to a line now
	// and then.
	go func() {
		defer close(done)
		recs.runFolder(ctx, func(err error) { m.logger().Error("folding the registration journal", "err", err) })
	}()
	return nil
}

// Stop ends the background fold, if Start ran one, and folds the journal
// when this process served or appended, so a restart (or the next admin
// command) finds the records applied. A crash leaves the journal to the
// next server; every reader replays it meanwhile.
func (m *Module) Stop(ctx context.Context) error {
	m.mu.Lock()
	cancel, done := m.stopFolder, m.folderDone
	m.stopFolder, m.folderDone = nil, nil
	m.mu.Unlock()
	served := cancel != nil
	if cancel != nil {
		cancel()
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	recs, _, err := m.state()
	if err != nil {
		return nil // never provisioned: nothing appended
	}
	if !served && !recs.appended() {
		return nil // a reader: it writes nothing
	}
	return recs.fold(ctx)
}

// state returns what Provision set.
func (m *Module) state() (clientStore, settings, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.recs == nil {
		return nil, settings{}, errNotProvisioned
	}
	return m.recs, m.set, nil
}

func (m *Module) publish(ctx context.Context, changes idapi.Changes) {
	m.mu.RLock()
	ev := m.events
	m.mu.RUnlock()
	if ev != nil {
		ev.Publish(ctx, idapi.TopicChanges, changes)
	}
}

// Methods is the id module's method table.
func (m *Module) Methods() []core.Method {
	return []core.Method{
		m.registerMethod(),
		m.registerClientMethod(),
		m.statusMethod(),
		m.listMethod(),
		m.showMethod(),
		m.removeMethod(),
		m.reregisterAllMethod(),
		m.allowMoveMethod(),
	}
}

// Routes maps the SSK REST paths onto methods.
func (m *Module) Routes() []core.Route {
	return []core.Route{
		{Method: "POST", Path: "/client/register", Call: "id.register_client",
			Help: "register a client: JSON object with uuid, nickname?, serial?, pubkey?"},
		{Method: "GET", Path: "/client/status", Call: "id.status",
			Help: "?uuid=ID or ?uid=ID: registered, stamp, jabber-url, backup-url"},
	}
}
