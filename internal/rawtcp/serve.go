package rawtcp

import (
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"syscall"
	"time"
)

// Accept backoff bounds, as net/http uses: a full file-descriptor table
// must not turn the accept loop into a busy spin.
const (
	minAcceptDelay = 5 * time.Millisecond
	maxAcceptDelay = time.Second
)

// Serve accepts connections on inner until Shutdown (then it returns
// ErrServerClosed) or a permanent accept error (returned as is). The loop
// never waits on a client: each connection within the caps gets its own
// goroutine; one over a cap is closed on the spot. Serve may be called
// for several listeners (IPv4 and IPv6, say): the caps count them together.
func (s *Server) Serve(inner net.Listener) error {
	if err := s.add(inner); err != nil {
		return err
	}
	return s.acceptLoop(inner)
}

// Start serves the listeners given to New in the background, as a front
// end's Start does: a permanent accept error goes to fail (the front
// end's FrontEnv.Fail, nil to ignore it) as "NAME listener: ERR".
func (s *Server) Start(fail func(error)) {
	for _, ln := range s.bound {
		s.ServeBackground(ln, fail)
	}
}

// ServeBackground serves inner as Start does. Shutdown closes inner and
// waits for its loop, which is set up before ServeBackground returns.
func (s *Server) ServeBackground(inner net.Listener, fail func(error)) {
	err := s.add(inner)
	if err == nil {
		go func() { err := s.acceptLoop(inner); report(err, s.cfg.Name, fail) }()
		return
	}
	report(err, s.cfg.Name, fail)
}

func report(err error, name string, fail func(error)) {
	if !errors.Is(err, ErrServerClosed) && fail != nil {
		fail(fmt.Errorf("%s listener: %w", name, err))
	}
}

// add registers inner for Shutdown, or closes it if Shutdown has begun.
func (s *Server) add(inner net.Listener) error {
	if s.cfg.Handler == nil {
		return errors.New(s.cfg.Name + ": rawtcp.Config.Handler is nil")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		inner.Close()
		return ErrServerClosed
	}
	s.listeners[inner] = struct{}{}
	s.loops.Add(1)
	return nil
}

// acceptLoop is Serve once inner is registered.
func (s *Server) acceptLoop(inner net.Listener) error {
	defer func() {
		s.mu.Lock()
		delete(s.listeners, inner)
		s.mu.Unlock()
		s.loops.Done()
	}()
	ln := s.caps.Listen(inner)
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.Closing() {
				return ErrServerClosed
			}
			if !temporary(err) {
				return err
			}
			delay = min(max(2*delay, minAcceptDelay), maxAcceptDelay)
			s.acceptErrors.Add(1)
			s.log.Warn(s.cfg.Name+": accept failed; retrying", "err", err, "delay", delay)
			select {
			case <-time.After(delay):
			case <-s.done:
				return ErrServerClosed
			}
			continue
		}
		delay = 0
		if !s.track(c) {
			c.Close() // Shutdown began: the listener is closed, Accept fails next
			continue
		}
		s.accepted.Add(1)
		go s.serveConn(c)
	}
}

// serveConn runs the Handler for c, then ends c (unless the Handler
// detached it). A panic is the protocol's bug, not the server's end: it
// is logged and c is ended, detached or not.
func (s *Server) serveConn(c net.Conn) {
	defer func() {
		p := recover()
		if p != nil {
			s.panics.Add(1)
			s.log.Error(s.cfg.Name+": panic serving a connection", "peer", c.RemoteAddr().String(), "panic", p,
				"stack", string(debug.Stack()))
		}
		s.release(c, p == nil)
	}()
	s.cfg.Handler(s.ctx, c)
}

// Detach, called by the Handler of c, keeps c open after the Handler
// returns, for a protocol that waits for a long-lived connection's next
// message without a goroutine. c stays counted against the caps and
// tracked: OnShutdown sees it, Shutdown waits for it, and closes it when
// its ctx ends. The protocol calls end (once or more) when c is done; end
// closes c.
func (s *Server) Detach(c net.Conn) (end func()) {
	s.mu.Lock()
	if _, ok := s.conns[c]; ok {
		s.conns[c] = true
	}
	s.mu.Unlock()
	return func() { s.end(c) }
}

// track records c for Shutdown; false once Shutdown has begun.
func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.conns[c] = false
	s.handlers.Add(1)
	return true
}

// end closes c and forgets it, once however often it is called.
func (s *Server) end(c net.Conn) { s.release(c, false) }

// release is end, except that a Handler's return (keepDetached) leaves a
// detached connection open.
func (s *Server) release(c net.Conn, keepDetached bool) {
	s.mu.Lock()
	detached, open := s.conns[c]
	if keepDetached && detached {
		s.mu.Unlock()
		return
	}
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
	if open {
		s.handlers.Done()
	}
}

// temporary reports accept errors worth retrying: out of descriptors or
// memory, and connections that died between SYN and accept.
func temporary(err error) bool {
	if errors.Is(err, net.ErrClosed) {
		return false
	}
	for _, errno := range []syscall.Errno{
		syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM,
		syscall.ECONNABORTED, syscall.ECONNRESET, syscall.EINTR, syscall.EAGAIN, syscall.EPROTO, syscall.EPERM,
	} {
		if errors.Is(err, errno) {
			return true
		}
	}
	var te interface{ Timeout() bool }
	if errors.As(err, &te) && te.Timeout() {
		return true
	}
	var tmp interface{ Temporary() bool } // listeners wrapped by others
	return errors.As(err, &tmp) && tmp.Temporary()
}
