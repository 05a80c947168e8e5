package activation

import (
	"errors"
	"net"
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
// ErrServerClosed) or a permanent accept error. The accept loop never waits
// on a client: each connection is handed to its own goroutine, or, over
// MaxConns or MaxConnsPerIP, given BusyReply and closed on the spot. Serve
// may be called for several listeners (IPv4 and IPv6 port 191); the caps
// count them together.
func (s *Server) Serve(inner net.Listener) error {
	if s.Answerer == nil {
		return errors.New("activation: Server.Answerer is nil")
	}
	s.init()
	ln := s.caps.Listen(inner)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.listeners[inner] = struct{}{}
	s.loops.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, inner)
		s.mu.Unlock()
		s.loops.Done()
	}()

	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			if !temporaryAcceptError(err) {
				return err
			}
			delay = min(max(2*delay, minAcceptDelay), maxAcceptDelay)
			s.stats.acceptErrors.Add(1)
			s.logger().Warn("activation: accept failed; retrying", "err", err, "delay", delay)
			select {
			case <-time.After(delay):
			case <-s.done:
				return ErrServerClosed
			}
			continue
		}
		delay = 0
		s.stats.accepted.Add(1)
		if !s.trackConn(c) {
			c.Close()
			continue
		}
		go s.handle(c)
	}
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// trackConn registers c for Shutdown; false once shutting down.
func (s *Server) trackConn(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	s.handlers.Add(1)
	return true
}

func (s *Server) untrackConn(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.handlers.Done()
}

// turnAway answers a connection over a cap without reading it (the
// listener closes it next). A fresh socket's send buffer is empty, so the
// short write cannot block the loop.
func (s *Server) turnAway(c net.Conn, reason string) {
	s.stats.accepted.Add(1)
	s.stats.busy.Add(1)
	if len(s.BusyReply) > 0 {
		c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		c.Write(s.BusyReply)
	}
	s.logger().Debug("activation: connection turned away", "peer", c.RemoteAddr(), "why", reason)
}

// temporaryAcceptError reports errors worth retrying: out of descriptors or
// memory, and connections that died between SYN and accept.
func temporaryAcceptError(err error) bool {
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
