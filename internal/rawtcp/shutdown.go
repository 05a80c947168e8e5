package rawtcp

import (
	"context"
	"net"
)

// Shutdown stops accepting (closing every listener it was given), shows
// each open connection to OnShutdown, and waits for the handlers to
// return (and detached connections to end). If ctx ends first it ends the
// handlers' ctx, closes the connections left (ending detached ones),
// waits for their handlers (which now fail at their next read or write)
// and returns ctx.Err(). It may be called more than once; Serve returns
// ErrServerClosed afterwards.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	var open []net.Conn
	if !s.closing {
		s.closing = true
		close(s.done)
		for ln := range s.listeners {
			ln.Close()
		}
		for _, ln := range s.bound { // if Start never ran
			ln.Close()
		}
		for c := range s.conns {
			open = append(open, c)
		}
	}
	s.mu.Unlock()
	if s.cfg.OnShutdown != nil {
		for _, c := range open {
			s.cfg.OnShutdown(c)
		}
	}
	finished := make(chan struct{})
	go func() {
		s.loops.Wait()
		s.handlers.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		s.cancel()
		return nil
	case <-ctx.Done():
	}
	s.cancel()
	var detached []net.Conn
	s.mu.Lock()
	for c, d := range s.conns {
		if d {
			detached = append(detached, c) // no goroutine of theirs will return
		} else {
			c.Close()
		}
	}
	s.mu.Unlock()
	for _, c := range detached {
		s.end(c)
	}
	<-finished
	return ctx.Err()
}
