// Package console is IVLE's Python console service: console.start gives a
// user a Python 3 console in a jail, console.chat drives it with IVLE's
// commands and replies. See README.md.
package console

import (
	"context"
	_ "embed"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"aula/internal/core"
)

//go:embed README.md
var readme string

func init() {
	core.Register(core.ModuleInfo{ID: "console", New: func() core.Module { return &Module{} }, Help: readme})
}

// Module is the console service.
type Module struct {
	opts *options
	log  *slog.Logger
	app  *core.App
	dir  string

	sandboxOnce sync.Once
	bwrapPath   string // "" when consoles run without namespaces
	sandboxErr  error

	uidMu sync.Mutex

	mu       sync.Mutex
	byHandle map[string]*console
	byID     map[string]*console
	ended    *endedList
	closed   bool
	// starting counts consoles being started (not yet in byID), in total
	// and per user, so the limits hold while they come up.
	starting   int
	startingBy map[string]int
	// spares are consoles started ahead, waiting for a user (spares.go).
	spares    []*console
	refilling int
	refillWG  sync.WaitGroup

	stop chan struct{}
	done chan struct{}
}

// Provision finds the console directory; consoles start on demand.
func (m *Module) Provision(ctx context.Context, env *core.Env) error {
	if m.opts == nil {
		m.opts = defaultOptions()
	}
	m.log, m.app = env.Log, env.App
	if m.log == nil {
		m.log = slog.Default()
	}
	m.dir = m.opts.dir.Get()
	if m.dir == "" {
		m.dir = filepath.Join(env.DataDir, "console")
	}
	m.byHandle, m.byID, m.ended = map[string]*console{}, map[string]*console{}, newEndedList(256, time.Hour)
	return os.MkdirAll(filepath.Join(m.dir, "run"), 0o700)
}

// Start begins ending idle consoles, clears records a previous server
// left (their consoles died with it: the jail dies with its parent) and
// starts the spare consoles (spares.go), so the first console.start is as
// quick as the next.
func (m *Module) Start(ctx context.Context) error {
	m.clearStaleRuns()
	m.stop, m.done = make(chan struct{}), make(chan struct{})
	go m.reap()
	m.fillSpares()
	return nil
}

// Stop ends every console and waits until each is reaped.
func (m *Module) Stop(ctx context.Context) error {
	m.mu.Lock()
	m.closed = true
	all := make([]*console, 0, len(m.byID))
	for _, c := range m.byID {
		all = append(all, c)
	}
	m.mu.Unlock()
	if m.stop != nil {
		close(m.stop)
		<-m.done
		m.stop = nil
	}
	m.refillWG.Wait() // a spare being started ends itself once it sees closed
	all = append(all, m.stopSpares()...)
	for _, c := range all {
		c.end("Server shutting down")
	}
	for _, c := range all {
		select {
		case <-c.exited:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// reap ends consoles idle for longer than --console-idle-timeout.
func (m *Module) reap() {
	defer close(m.done)
	idle := m.opts.idle.Get()
	tick := min(max(idle/4, 100*time.Millisecond), 30*time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
		m.mu.Lock()
		var old []*console
		for _, c := range m.byID {
			if c.idleFor() > idle && c.mu.TryLock() {
				c.mu.Unlock() // not in a request: idle indeed
				old = append(old, c)
			}
		}
		m.mu.Unlock()
		for _, c := range old {
			m.log.Info("console idle: ended", "id", c.id, "user", c.owner, "idle", c.idleFor().Round(time.Second))
			c.end("Timed out due to inactivity")
		}
	}
}

// sandbox decides once whether consoles get bubblewrap's namespaces.
func (m *Module) sandbox() (bool, error) {
	m.sandboxOnce.Do(func() {
		mode := m.opts.sandbox.Get()
		if mode == "none" {
			m.log.Warn("console sandbox off (--console-sandbox none): consoles run with rlimits and a per-user uid only, with the host's file system view and network")
			return
		}
		path, err := exec.LookPath("bwrap")
		if err == nil {
			err = checkBwrap(path)
		}
		if err != nil {
			if mode == "bwrap" {
				m.sandboxErr = core.Errorf(core.KindUnavailable, "console sandbox unavailable: %v", err)
				return
			}
			m.log.Warn("bubblewrap namespaces unavailable: consoles run with rlimits and a per-user uid only (install the bubblewrap package, allow user namespaces)", "err", err)
			return
		}
		m.bwrapPath = path
	})
	return m.bwrapPath != "", m.sandboxErr
}

// ChatKeys offers each running (and recently ended) console's magic to
// the chat front end, so IVLE's {"cmd", "text"} requests signed with it
// reach the console (or learn why it ended).
func (m *Module) ChatKeys(yield func(handle, owner, magic string)) {
	m.mu.Lock()
	for h, c := range m.byHandle {
		yield(h, c.owner, c.magic)
	}
	m.mu.Unlock()
	m.ended.each(yield)
}
