package sshfront

import (
	"context"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"aula/internal/limit"
)

// serveConn runs one SSH connection: handshake within handshakeTimeout,
// then its session channels; no other channel type, no global request.
// Until its login succeeds the connection is idle, and may be shed for a
// newcomer when the endpoint is nearly full. ctx ends at a forced
// shutdown; rawtcp closes c when serveConn returns.
func (f *FrontEnd) serveConn(ctx context.Context, c net.Conn) {
	src := sourceOf(c.RemoteAddr())
	if ok, _ := f.rate.Allow(src.String()); !ok {
		f.log.Debug("backup SSH connection refused", "addr", c.RemoteAddr().String(), "reason", "too many new connections from this address")
		return
	}
	if ok, _ := f.fails.Check(src, ""); !ok {
		f.log.Debug("backup SSH connection refused", "addr", c.RemoteAddr().String(), "reason", "too many refused keys from this address")
		return
	}
	c.SetDeadline(time.Now().Add(handshakeTimeout))
	sc, chans, reqs, err := ssh.NewServerConn(c, f.cfg)
	if err != nil {
		f.log.Debug("backup SSH handshake failed", "addr", c.RemoteAddr().String(), "err", err)
		return
	}
	defer sc.Close()
	limit.Busy(c) // logged in: a laptop, not a flood
	c.SetDeadline(time.Time{})
	uid := sc.Permissions.Extensions[permUID]
	f.log.Debug("backup SSH login", "login", sc.User(), "uid", uid, "addr", c.RemoteAddr().String(),
		"client", string(sc.ClientVersion()))
	go ssh.DiscardRequests(reqs)
	idle := newIdleWatch(f.idleTimeout.Get(), func() {
		f.log.Debug("backup SSH connection idle; closed", "addr", c.RemoteAddr().String())
		sc.Close()
	})
	defer idle.stop()
	var sessions sync.WaitGroup
	defer sessions.Wait()
	open := make(chan struct{}, maxChannels)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.Prohibited, "only sessions running rsync are allowed")
			continue
		}
		select {
		case open <- struct{}{}:
		default:
			nc.Reject(ssh.ResourceShortage, "too many sessions on this connection")
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			<-open
			continue
		}
		sessions.Add(1)
		go func() {
			defer sessions.Done()
			defer func() { <-open }()
			f.session(ctx, uid, ch, chReqs, idle)
		}()
	}
}

// session waits for the one exec (or shell) request of a session channel,
// runs it through the backend and reports its exit status. pty, env, X11,
// agent and subsystem requests are declined.
func (f *FrontEnd) session(ctx context.Context, uid string, ch ssh.Channel, reqs <-chan *ssh.Request, idle *idleWatch) {
	defer ch.Close()
	for req := range reqs {
		var command string
		switch req.Type {
		case "exec":
			var p struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &p); err != nil {
				req.Reply(false, nil)
				continue
			}
			command = p.Command
		case "shell":
			command = "" // the gate refuses it: no interactive login
		default:
			req.Reply(false, nil)
			continue
		}
		req.Reply(true, nil)
		go ssh.DiscardRequests(reqs) // one command per session
		idle.busy()
		code := f.run(ctx, uid, command, ch)
		idle.done()
		ch.CloseWrite()
		ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(code)}))
		return
	}
}

// run hands the command to the backend. rsync's standard input is a real
// pipe fed from the channel, so that when rsync exits nothing waits for
// the client to close its side first.
func (f *FrontEnd) run(ctx context.Context, uid, command string, ch ssh.Channel) int {
	pr, pw, err := os.Pipe()
	if err != nil {
		f.log.Error("backup SSH session: pipe", "err", err)
		return 1
	}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		io.Copy(pw, ch)
		pw.Close()
	}()
	code := f.backend.RunBackupCommand(ctx, uid, command, pr, ch, ch.Stderr())
	// A copy still blocked writing fails now; one blocked reading ends
	// when the session closes the channel.
	pr.Close()
	return code
}

// idleWatch closes a connection once no command has run on it for the
// timeout: a login that never runs one, or is kept open after it, would
// otherwise hold one of the source's connections for good.
type idleWatch struct {
	mu      sync.Mutex
	running int
	timer   *time.Timer
	timeout time.Duration
}

func newIdleWatch(timeout time.Duration, onIdle func()) *idleWatch {
	return &idleWatch{timer: time.AfterFunc(timeout, onIdle), timeout: timeout}
}

// busy notes a command starting: the connection is not idle while it runs.
func (w *idleWatch) busy() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.running++
	w.timer.Stop()
}

// done notes a command ending; the last one restarts the clock.
func (w *idleWatch) done() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.running--; w.running == 0 {
		w.timer.Reset(w.timeout)
	}
}

func (w *idleWatch) stop() { w.timer.Stop() }
