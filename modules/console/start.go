package console

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"time"

	"aula/internal/core"
)

type startArgs struct {
	User string `json:"user"`
	// Magic is the chat magic for IVLE-style requests to this console;
	// IVLE's web layer chose it (md5 of a uuid4). Made up when empty.
	Magic string `json:"magic,omitempty"`
}

// StartReply is what console.start returns.
type StartReply struct {
	Handle string `json:"handle"`
	Magic  string `json:"magic"`
	ID     string `json:"id"`
}

func (m *Module) startMethod() core.Method {
	me := core.Func("start",
		"Starts a Python 3 console for a user; returns its handle (for console.chat), its chat magic and its id.",
		func(ctx context.Context, in startArgs) (StartReply, error) { return m.start(ctx, in) })
	me.Access, me.Mutates, me.Secret = core.Authenticated, true, []string{"magic"}
	return me
}

func (m *Module) start(ctx context.Context, in startArgs) (StartReply, error) {
	if err := checkUser(in.User); err != nil {
		return StartReply{}, err
	}
	if err := mayUse(ctx, in.User); err != nil {
		return StartReply{}, err
	}
	bwrap, err := m.sandbox()
	if err != nil {
		return StartReply{}, err
	}
	if err := m.reserve(in.User); err != nil {
		return StartReply{}, err
	}
	c, err := m.launch(in, bwrap)
	m.unreserve(in.User)
	if m.spareMode(bwrap) {
		m.refill() // after unreserve: this start no longer counts twice against the cap
	}
	if err != nil {
		return StartReply{}, err
	}
	return StartReply{Handle: c.handle, Magic: c.magic, ID: c.id}, nil
}

// reserve holds a slot for a console being started, within the limits.
func (m *Module) reserve(user string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return core.Errorf(core.KindUnavailable, "console service stopping")
	}
	if m.startingBy == nil {
		m.startingBy = map[string]int{}
	}
	if n := len(m.byID) + m.starting; n >= m.opts.maxConsoles() {
		return core.Errorf(core.KindUnavailable, "all %d consoles are in use (--console-max); try again later", m.opts.maxConsoles())
	}
	per := m.startingBy[user]
	for _, c := range m.byID {
		if c.owner == user {
			per++
		}
	}
	if per >= m.opts.maxPerUser.Get() {
		return core.Errorf(core.KindUnavailable, "user %s already runs %d consoles (--console-max-per-user)", user, per)
	}
	m.starting++
	m.startingBy[user]++
	return nil
}

func (m *Module) unreserve(user string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.starting--
	if m.startingBy[user]--; m.startingBy[user] == 0 {
		delete(m.startingBy, user)
	}
}

func (m *Module) launch(in startArgs, bwrap bool) (*console, error) {
	uid, err := m.uidOf(in.User)
	if err != nil {
		return nil, core.Wrap(core.KindInternal, err, "assigning the console's uid")
	}
	dir, err := m.home(in.User, uid)
	if err != nil {
		return nil, core.Wrap(core.KindInternal, err, "making the console's directory")
	}
	var c *console
	if m.spareMode(bwrap) {
		if c = m.takeSpare(); c == nil {
			if c, err = m.startSpare(); err != nil {
				m.log.Warn("console did not start", "user", in.User, "err", err)
				return nil, core.Wrap(core.KindUnavailable, err, "console did not start")
			}
		}
		if err := c.assign(in.User, uid, "/home/"+in.User, m.opts.startWait.Get()); err != nil {
			m.log.Warn("console did not start", "user", in.User, "err", err)
			return nil, core.Wrap(core.KindUnavailable, err, "console did not start")
		}
	} else {
		spec := jailSpec{user: in.User, uid: uid, bwrap: bwrap, homeDir: dir, limits: m.opts.limits(uid >= 0)}
		cmd, home, err := m.command(spec)
		if err != nil {
			return nil, core.Wrap(core.KindInternal, err, "building the console command")
		}
		if home != nil {
			defer home.Close() // the child has its own copy once started
		}
		c = &console{sandbox: "none", cpuSoft: time.Duration(m.opts.cpuSeconds.Get()) * time.Second, cmd: cmd}
		if bwrap {
			c.sandbox = "bwrap"
		}
		if err := c.launch(m.opts.startWait.Get()); err != nil {
			m.log.Warn("console did not start", "user", in.User, "sandbox", c.sandbox, "err", err)
			return nil, core.Wrap(core.KindUnavailable, err, "console did not start")
		}
	}
	c.id, c.handle, c.magic, c.owner, c.uid, c.started = randomHex(4), randomHex(16), in.Magic, in.User, uid, time.Now()
	if c.magic == "" {
		c.magic = randomHex(16)
	}
	m.mu.Lock()
	m.byID[c.id], m.byHandle[c.handle] = c, c
	m.mu.Unlock()
	m.writeRun(c)
	m.log.Info("console started", "id", c.id, "user", c.owner, "pid", c.cmd.Process.Pid, "uid", uid, "sandbox", c.sandbox)
	go m.forget(c)
	return c, nil
}

// forget drops a console once its process is reaped.
func (m *Module) forget(c *console) {
	<-c.exited
	m.mu.Lock()
	delete(m.byID, c.id)
	delete(m.byHandle, c.handle)
	m.mu.Unlock()
	m.ended.add(c)
	os.Remove(m.runPath(c.id))
	m.log.Info("console ended", "id", c.id, "user", c.owner, "reason", c.reasonText())
	if c.sandbox == "bwrap" && m.spareMode(true) {
		m.refill() // a server that was full has room for a spare again
	}
}

// mayUse allows a caller to start or drive a user's console: the user or
// an admin (the chain has already refused anonymous callers; a call made
// in-process without one passes).
func mayUse(ctx context.Context, user string) error {
	call := core.CallFrom(ctx)
	if call == nil || !call.Caller.Authenticated() || call.Caller.Identity == user || call.Caller.InGroup("admin") {
		return nil
	}
	return core.Errorf(core.KindPermission, "%s may not use %s's console", call.Caller.Identity, user)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
