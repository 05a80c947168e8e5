package agent

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"aula/internal/wire/labxml"
	"aula/modules/lab/labapi"
)

// session is one connection: hello, then commands until it breaks. It
// reports whether the server welcomed the agent.
func (a *Agent) session(ctx context.Context) (bool, error) {
	c, err := a.dial(ctx, true, "")
	if err != nil {
		return false, err
	}
	s := &conn{a: a, c: c}
	defer c.Close()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { <-sctx.Done(); c.Close() }()

	id := identify()
	hello := &labxml.Message{Kind: labxml.Response, Code: labapi.CodeHello, Text: "hola", Result: labxml.Success, IP: firstIP(id.IPs)}
	hello.Add("hostname", id.Hostname).Add("mac", id.MACs).Add("ip", id.IPs).Add("os", id.OS).Add("version", id.Version)
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if err := s.send(hello); err != nil {
		return false, err
	}
	r := labxml.NewReader(c, 0)
	welcomed := false
	var running sync.WaitGroup
	defer running.Wait()
	defer cancel() // a command still running is killed: its result has nowhere to go
	for {
		m, err := r.Next()
		if err != nil {
			if labxml.IsMessageError(err) {
				a.log.Warn("bad message from the server", "err", err)
				continue
			}
			return welcomed, err
		}
		if m.Kind != labxml.Command {
			continue
		}
		switch m.Code {
		case labapi.CodeError:
			a.log.Warn("the server reports an error", "accion", m.Action, "error", m.Get("error"))
			if !welcomed {
				return false, refused(m.Get("error"))
			}
			continue
		case labapi.CodeWelcome:
			welcomed = true
			c.SetDeadline(time.Time{})
			a.log.Info("connected", "server", a.cfg.Server, "computer", m.Get("computer"))
			continue
		}
		if m.Action == 0 {
			continue
		}
		if m.Code == labapi.CodeProbe {
			s.reply(m, s.probe())
			continue
		}
		if !s.busy.CompareAndSwap(false, true) {
			s.reply(m, result{text: "busy: one command at a time"})
			continue
		}
		running.Add(1)
		go func() {
			defer running.Done()
			defer s.busy.Store(false)
			s.run(sctx, m)
		}()
	}
}

// refused words the server's refusal. Run retries it: the admin may
// still add or re-enrol the computer.
func refused(msg string) error {
	return fmt.Errorf("refused by the server: %s", msg)
}

// conn is one session's connection.
type conn struct {
	a    *Agent
	c    *tls.Conn
	wmu  sync.Mutex
	busy atomic.Bool
}

// SendPiece is the most the agent hands crypto/tls in one write (and
// bench/labbench's simulated agents), so no TLS
// record it sends is larger. The server's crypto/tls keeps a read buffer
// as large as the largest record a connection brought, for the rest of
// the connection, and crypto/tls makes records up to 16 KiB once a dozen
// have gone out (it grows them from one TCP segment, record by record): a
// single inventory would leave ~17 KiB of buffer on the server for an
// agent that then sits idle for days, where pieces of 1 KiB keep it at 2
// KiB. A large message costs a few more writes.
const SendPiece = 1024

func (s *conn) send(m *labxml.Message) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	for b := labxml.Encode(m); len(b) > 0; {
		n := min(len(b), SendPiece)
		if _, err := s.c.Write(b[:n]); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// result is a command's outcome.
type result struct {
	ok     bool
	text   string
	params []labxml.Param
}

func (s *conn) reply(m *labxml.Message, r result) error {
	out := &labxml.Message{Kind: labxml.Response, Code: m.Code, Action: m.Action, Text: r.text, IP: firstIP(identify().IPs), Params: r.params}
	if r.ok {
		out.Result = labxml.Success
	}
	return s.send(out)
}

// run executes one command and reports it.
func (s *conn) run(ctx context.Context, m *labxml.Message) {
	a := s.a
	start := time.Now()
	a.log.Info("running", "command", m.Name, "codigo", m.Code, "accion", m.Action)
	var r result
	switch m.Code {
	case labapi.CodeHardware:
		r = hardware()
	case labapi.CodeSoftware:
		r = software(ctx)
	case labapi.CodeScript:
		r = a.script(ctx, m)
	case labapi.CodePowerOff, labapi.CodeReboot:
		// Report first (OpenGnsys does so too): once the machine is going
		// down there is no one left to.
		cmd := a.cfg.PowerOff
		if m.Code == labapi.CodeReboot {
			cmd = a.cfg.Reboot
		}
		if cmd == "" {
			s.reply(m, result{text: "this agent has no command for " + m.Name})
			return
		}
		if err := s.reply(m, result{ok: true, text: "running " + cmd}); err != nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
		out := a.shell(context.Background(), cmd, nil, a.cfg.Timeout)
		a.log.Info("ran", "command", m.Name, "ok", out.ok, "text", out.text)
		return
	case labapi.CodeAdminCmd:
		r = a.adminCommand(ctx, m)
	default:
		r = result{text: fmt.Sprintf("unknown command %s (codigo %d)", m.Name, m.Code)}
	}
	if ctx.Err() != nil {
		return
	}
	if err := s.reply(m, r); err != nil && !errors.Is(err, context.Canceled) {
		a.log.Warn("reporting a result", "accion", m.Action, "err", err)
	}
	a.log.Info("done", "command", m.Name, "accion", m.Action, "ok", r.ok, "took", time.Since(start).Round(time.Millisecond))
}

func (s *conn) probe() result {
	state := "idle"
	if s.busy.Load() {
		state = "busy"
	}
	return result{ok: true, params: []labxml.Param{{Name: "estado", Value: state}, {Name: "uptime", Value: readTrim("/proc/uptime")},
		{Name: "load", Value: readTrim("/proc/loadavg")}}}
}
