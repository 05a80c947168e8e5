package main

import (
	"crypto/tls"
	"errors"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"aula/internal/agent"
	"aula/internal/wire/labxml"
	"aula/modules/lab/labapi"
)

// fleet is n simulated agents: each holds a TLS connection, announces
// itself, answers every command at once, and reconnects as `aula agent`
// does (jittered exponential backoff from agent.FirstBackoff to 30 s, its
// timeouts, and its TLS session kept for resumption).
type fleet struct {
	addr     string
	certs    []tls.Certificate
	sessions []tls.ClientSessionCache // one per agent, as each `aula agent` keeps its own
	pool     *tlsPool

	resultSize  int  // bytes of filler in every result (an inventory's size)
	wholeWrites bool // write each message at once, not in agent.SendPiece pieces

	welcomed  atomic.Int64 // connections welcomed now
	answered  atomic.Int64
	hsFailed  atomic.Int64 // handshakes that failed other than by refusal
	refused   atomic.Int64
	resumed   atomic.Int64 // welcomed connections that resumed a TLS session
	stop      chan struct{}
	wg        sync.WaitGroup
	welcomeCh chan struct{}
}

type tlsPool struct{ cfg *tls.Config }

func newFleet(addr string, certs []tls.Certificate, cfg *tls.Config) *fleet {
	sessions := make([]tls.ClientSessionCache, len(certs))
	for i := range sessions {
		sessions[i] = tls.NewLRUClientSessionCache(1)
	}
	return &fleet{addr: addr, certs: certs, sessions: sessions, pool: &tlsPool{cfg}, stop: make(chan struct{}), welcomeCh: make(chan struct{}, len(certs))}
}

func (f *fleet) start() {
	for i := range f.certs {
		f.wg.Add(1)
		go f.agent(i)
	}
}

func (f *fleet) close() {
	close(f.stop)
	f.wg.Wait()
}

func (f *fleet) agent(i int) {
	defer f.wg.Done()
	delay := agent.FirstBackoff
	for {
		select {
		case <-f.stop:
			return
		default:
		}
		welcomed := f.session(i)
		if welcomed {
			delay = agent.FirstBackoff
		}
		d := delay/2 + rand.N(delay/2+1)
		select {
		case <-f.stop:
			return
		case <-time.After(d):
		}
		delay = min(2*delay, 30*time.Second)
	}
}

// session is one connection's life; it reports whether it was welcomed.
func (f *fleet) session(i int) bool {
	cfg := f.pool.cfg.Clone()
	cfg.Certificates = []tls.Certificate{f.certs[i]}
	cfg.ClientSessionCache = f.sessions[i]
	d := &net.Dialer{Timeout: agent.ConnectTimeout}
	raw, err := d.Dial("tcp", f.addr)
	if err != nil {
		f.refused.Add(1)
		return false
	}
	c := tls.Client(raw, cfg)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-f.stop:
		case <-done:
		}
		c.Close()
	}()
	c.SetDeadline(time.Now().Add(agent.HandshakeTimeout))
	if err := c.Handshake(); err != nil {
		if !errors.Is(err, syscall.ECONNRESET) && !strings.Contains(err.Error(), "connection reset") {
			f.hsFailed.Add(1)
		} else {
			f.refused.Add(1)
		}
		return false
	}
	hello := &labxml.Message{Kind: labxml.Response, Code: labapi.CodeHello, Result: labxml.Success}
	hello.Add("hostname", "bench")
	if _, err := c.Write(labxml.Encode(hello)); err != nil {
		return false
	}
	r := labxml.NewReader(c, 0)
	welcomed := false
	for {
		m, err := r.Next()
		if err != nil {
			if welcomed {
				f.welcomed.Add(-1)
			}
			return welcomed
		}
		switch {
		case m.Code == labapi.CodeWelcome:
			welcomed = true
			c.SetDeadline(time.Time{})
			if c.ConnectionState().DidResume {
				f.resumed.Add(1)
			}
			f.welcomed.Add(1)
			select {
			case f.welcomeCh <- struct{}{}:
			default:
			}
		case m.Action != 0:
			out := &labxml.Message{Kind: labxml.Response, Code: m.Code, Action: m.Action, Result: labxml.Success}
			out.Add("estado", "idle")
			if f.resultSize > 0 {
				out.Add("inventory", strings.Repeat("x", f.resultSize))
			}
			if err := f.write(c, labxml.Encode(out)); err != nil {
				return welcomed
			}
			f.answered.Add(1)
		}
	}
}

// write sends a message as `aula agent` does, in pieces of at most
// agent.SendPiece, or in one write (-whole-writes, as agents did before).
func (f *fleet) write(c *tls.Conn, b []byte) error {
	piece := agent.SendPiece
	if f.wholeWrites {
		piece = len(b)
	}
	for len(b) > 0 {
		n := min(len(b), piece)
		if _, err := c.Write(b[:n]); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// waitWelcomed waits for n welcomes (from any time since the last drain).
func (f *fleet) waitWelcomed(n int, limit time.Duration) bool {
	deadline := time.After(limit)
	for range n {
		select {
		case <-f.welcomeCh:
		case <-deadline:
			return false
		}
	}
	return true
}
