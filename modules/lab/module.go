// Package lab is the lab management service (OpenGnsys's admin server,
// spec: shared/spec/lab-agents.md): centres, labs, groups and computers;
// commands launched on a computer, a group or a lab, one action row per
// computer; agents' results and inventories.
//
// The module never sees an agent's connection. The agent front end
// (internal/frontend/labfront) holds them and calls the lab.agent* methods
// (Transport "lab") to announce an agent, claim its next action, report a
// result or a disconnection; the module tells it about new actions through
// the labapi.TopicQueued event. Actions queued by another process (`aula
// run` on the data directory) are noticed by polling a generation row.
package lab

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"aula/internal/config"
	"aula/internal/core"
	"aula/internal/store"
	"aula/modules/lab/labapi"
)

//go:embed README.md
var readme string

//go:embed migrations/*.sql
var migrations embed.FS

func init() {
	core.Register(core.ModuleInfo{ID: "lab", New: func() core.Module { return &Module{} }, Help: readme})
}

// Module is the lab service.
type Module struct {
	actionTTL, pollEvery, enrolTTL *config.Opt[time.Duration]
	bootTimeout                    *config.Opt[time.Duration]
	wolAddr                        *config.Opt[string]

	env *core.Env
	log *slog.Logger
	t   *tables

	stop    chan struct{}
	loops   sync.WaitGroup
	lastGen int64
	idents  identCache
}

// Configure declares [lab] action-ttl, poll-interval, enrol-ttl,
// boot-timeout and wol-addr.
func (m *Module) Configure(s *config.Section) {
	m.actionTTL = s.Duration("action-ttl", 15*time.Minute, "a queued action not delivered within this time expires (an agent that is off gets its actions when it connects, until then)")
	m.pollEvery = s.Duration("poll-interval", 500*time.Millisecond, "how often the server looks for actions queued by other processes (`aula run` on the data directory) and for expired ones")
	m.enrolTTL = s.Duration("enrol-ttl", 24*time.Hour, "how long a one-time enrolment token (`aula computer enrol`) stays valid")
	m.bootTimeout = s.Duration("boot-timeout", 5*time.Minute, "a computer woken (`aula computer wake`) is booting until its agent connects or this time passes, then off").Validate(config.PositiveDuration)
	m.wolAddr = s.String("wol-addr", "", "HOST:PORT every Wake-on-LAN packet goes to (a relay); empty: each computer's lab broadcast (its IP with the lab's --netmask), port 9").Validate(checkWolAddr)
}

// Migrations supplies the lab_* tables.
func (m *Module) Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err)
	}
	return sub
}

// Provision keeps the store.
func (m *Module) Provision(ctx context.Context, env *core.Env) error {
	m.env, m.log = env, env.Log
	if m.log == nil {
		m.log = slog.Default()
	}
	m.t = newTables(env.Store)
	return nil
}

// Start runs in `aula serve` only. No agent is connected yet, so every
// computer is off, and an action sent before the last stop has lost its
// agent's connection: it is failed with that reason rather than left
// "sent" forever. Queued actions stay queued.
func (m *Module) Start(ctx context.Context) error {
	n, err := m.t.restarted(ctx, now())
	if err != nil {
		return storeError(err, "marking in-flight actions after a restart")
	}
	if n > 0 {
		m.log.Warn("lab: actions in flight at the last stop marked failed", "count", n, "reason", reasonRestart)
	}
	if m.lastGen, err = m.t.generation(ctx); err != nil {
		return storeError(err, "reading the launch generation")
	}
	m.stop = make(chan struct{})
	m.loops.Add(1)
	go m.poll()
	return nil
}

// Stop ends the poller.
func (m *Module) Stop(ctx context.Context) error {
	if m.stop == nil {
		return nil
	}
	close(m.stop)
	m.loops.Wait()
	m.stop = nil
	return nil
}

const reasonRestart = "server restarted"

// poll notices launches by other processes and expires old actions.
func (m *Module) poll() {
	defer m.loops.Done()
	tick := time.NewTicker(max(m.pollEvery.Get(), 10*time.Millisecond))
	defer tick.Stop()
	var lastExpire time.Time
	for {
		select {
		case <-m.stop:
			return
		case <-tick.C:
		}
		ctx := context.Background()
		if time.Since(lastExpire) > time.Second {
			lastExpire = time.Now()
			if n, err := m.t.expire(ctx, now()); err != nil {
				m.log.Error("lab: expiring actions", "err", err)
			} else if n > 0 {
				m.log.Info("lab: queued actions expired", "count", n)
			}
			if n, err := m.t.requeueUnsent(ctx); err != nil {
				m.log.Error("lab: queueing again actions of agents gone", "err", err)
			} else if n > 0 {
				m.log.Info("lab: actions of agents gone before delivery queued again", "count", n)
			}
		}
		gen, err := m.t.generation(ctx)
		if err != nil || gen == m.lastGen {
			continue
		}
		m.lastGen = gen
		comps, err := m.t.queuedComputers(ctx)
		if err != nil {
			m.log.Error("lab: reading queued actions", "err", err)
			continue
		}
		if len(comps) > 0 {
			m.env.Events.Publish(ctx, labapi.TopicQueued, labapi.QueuedEvent{Computers: comps})
		}
	}
}

// storeError hides store internals behind a message the admin can act on.
func storeError(err error, what string) error {
	if store.IsFull(err) {
		return core.Wrap(core.KindUnavailable, err, what+": disk full")
	}
	return core.Wrap(core.KindInternal, err, what)
}

// now is the clock, UTC.
func now() time.Time { return time.Now().UTC() }

// stamp formats times as stored: fixed width, so they sort as text.
const stamp = "2006-01-02T15:04:05.000Z"

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(stamp)
}

// Methods is the module's method table.
func (m *Module) Methods() []core.Method {
	ms := []core.Method{
		m.labAddMethod(), m.labRemoveMethod(), m.labListMethod(), m.statusMethod(),
		m.computerAddMethod(), m.computerRemoveMethod(), m.computerMoveMethod(), m.computerListMethod(),
		m.computerShowMethod(), m.computerImportMethod(), m.maintenanceMethod(), m.enrolMethod(),
		m.runMethod(), m.actionsMethod(), m.inventoryShowMethod(), m.inventoryDiffMethod(),
	}
	ms = append(ms, m.opsMethods()...)
	for i := range ms {
		ms[i].Access = core.Admin
	}
	return append(ms, m.agentMethods()...)
}
