package activation

import (
	"errors"
	"net"
	"time"
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
	return s.srv.Serve(inner)
}

// Start is Serve in the background, for a front end: a permanent accept
// error goes to fail as "activation listener: ERR".
func (s *Server) Start(inner net.Listener, fail func(error)) error {
	if s.Answerer == nil {
		return errors.New("activation: Server.Answerer is nil")
	}
	s.init()
	s.srv.ServeBackground(inner, fail)
	return nil
}

func (s *Server) isClosed() bool { return s.srv.Closing() }

// turnAway answers a connection over a cap without reading it (the
// listener closes it next). A fresh socket's send buffer is empty, so the
// short write cannot block the loop.
func (s *Server) turnAway(c net.Conn, reason string) {
	if len(s.BusyReply) > 0 {
		c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		c.Write(s.BusyReply)
	}
	s.logger().Debug("activation: connection turned away", "peer", c.RemoteAddr(), "why", reason)
}
