package console

import (
	"os"
	"path/filepath"
	"time"
)

// Spares: with privileged bubblewrap (aula is root) every console starts
// the same (all users' directories mounted, no user yet), so up to
// --console-spares of them are started ahead, and console.start only
// assigns one its user: the jail and Python are already up. The first
// console.start starts them (a server serving no consoles runs none).
// They are not counted in --console-max; each holds an idle console's
// memory.

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

// refill starts spares in the background until --console-spares wait.
func (m *Module) refill() {
	want := m.opts.spares.Get()
	m.mu.Lock()
	if m.closed || len(m.spares)+m.refilling >= want {
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
