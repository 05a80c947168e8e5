package console

import (
	"os"
	"path/filepath"
	"time"
)

// Spares: with privileged bubblewrap (aula is root) every console starts
// the same (all users' directories mounted, no user yet), so up to
// --console-spares of them are started ahead, and console.start only
// assigns one its user (uid and directory): the jail and Python are
// already up. The pool is filled when the server starts and refilled in
// the background once no start is in progress, and when a console ends
// (not niced: on a busy machine a niced refill waited seconds for a CPU
// and the next start found the pool empty). Spares count against
// --console-max: running, starting and spare consoles together never
// pass it, so a full server holds no spares (a start is then cold) and a
// spare never stands in the way of a start (a start takes a spare or
// starts its own within the cap). Each holds an idle console's memory.

// spareMode reports whether consoles start as spares here.
func (m *Module) spareMode(bwrap bool) bool { return bwrap && os.Geteuid() == 0 }

// takeSpare returns a started spare, or nil.
func (m *Module) takeSpare() *console {
	m.mu.Lock()
	defer m.mu.Unlock()
	for len(m.spares) > 0 {
		c := m.spares[0]
		m.spares = m.spares[1:]
		select {
		case <-c.exited: // died waiting: drop it
			continue
		default:
			return c
		}
	}
	return nil
}

// fillSpares starts the pool at server start, once the sandbox check
// (which runs bubblewrap once) has said spares can be made here; in the
// background, so a server comes up without waiting for Python.
func (m *Module) fillSpares() {
	if m.opts.spares.Get() == 0 || os.Geteuid() != 0 {
		return // not root: no spares (spareMode), and no bubblewrap check before a console is asked for
	}
	m.refillWG.Add(1)
	go func() {
		defer m.refillWG.Done()
		if bwrap, err := m.sandbox(); err == nil && m.spareMode(bwrap) {
			m.refill()
		}
	}()
}

// refill starts spares in the background until --console-spares wait, or
// running, starting and spare consoles reach --console-max. It waits while
// starts are in progress: in a burst larger than the pool, spares started
// then would only take CPU from the starts being served (each started
// without a spare starts its own); the last start to finish refills.
func (m *Module) refill() {
	want := m.opts.spares.Get()
	m.mu.Lock()
	pool := len(m.spares) + m.refilling
	if m.closed || m.starting > 0 || pool >= want || len(m.byID)+m.starting+pool >= m.opts.maxConsoles() {
		m.mu.Unlock()
		return
	}
	m.refilling++
	m.refillWG.Add(1)
	m.mu.Unlock()
	go func() {
		defer m.refillWG.Done()
		c, err := m.startSpare()
		m.mu.Lock()
		m.refilling--
		if err == nil && !m.closed {
			m.spares = append(m.spares, c)
			c = nil
		}
		m.mu.Unlock()
		if err != nil {
			m.log.Warn("spare console did not start", "err", err)
			return
		}
		if c != nil { // stopping meanwhile
			c.end("Server shutting down")
			<-c.exited
			return
		}
		m.refill()
	}()
}

// startSpare starts one console that waits for its user.
func (m *Module) startSpare() (*console, error) {
	root := filepath.Join(m.dir, "home")
	if err := os.MkdirAll(root, 0o711); err != nil {
		return nil, err
	}
	spec := jailSpec{spare: true, homeRoot: root, uid: 0, limits: m.opts.limits(true)}
	cmd, _, err := m.command(spec)
	if err != nil {
		return nil, err
	}
	c := &console{sandbox: "bwrap", cpuSoft: time.Duration(m.opts.cpuSeconds.Get()) * time.Second, cmd: cmd}
	if err := c.launch(m.opts.startWait.Get()); err != nil {
		return nil, err
	}
	return c, nil
}

// stopSpares ends the waiting spares (at Stop).
func (m *Module) stopSpares() []*console {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.spares
	m.spares = nil
	return out
}
