package activation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"aula/internal/limit"
)

// drainLimit bounds how much of an oversized request is read and thrown
// away so the client (which has usually half-closed by then) still gets the
// reply instead of a reset caused by unread data.
const drainLimit = 64 << 10

// handle serves one connection: read to FIN, answer, close. The read
// deadline is absolute from accept, so a client dripping bytes cannot
// stretch it. ctx ends at a forced Shutdown; rawtcp closes c when handle
// returns, and recovers a panic.
func (s *Server) handle(ctx context.Context, c net.Conn) {
	peer := c.RemoteAddr()
	raw, err := s.readRequest(c)
	if err != nil && (limit.IsShed(c) || errors.Is(err, ErrReadTimeout) && s.isClosed()) {
		return // closed to make room, or cut by Shutdown: never sent a whole request
	}
	limit.Busy(c)
	ctx, cancel := context.WithTimeout(ctx, orDefault(s.AnswerTimeout, DefaultAnswerTimeout))
	defer cancel()
	var reply []byte
	if err == nil {
		var req Request
		if req, err = ParseRequest(raw); err == nil {
			s.answered.Add(1)
			reply = s.Answerer.Answer(ctx, req, peer)
		}
	}
	if err != nil {
		s.invalid.Add(1)
		reply = s.invalidReply(ctx, raw, peer, err)
	}
	if len(reply) == 0 {
		return
	}
	c.SetWriteDeadline(time.Now().Add(orDefault(s.WriteDeadline, DefaultWriteDeadline)))
	if _, err := c.Write(reply); err != nil {
		s.logger().Debug("activation: writing reply failed", "peer", peer, "err", err)
	}
}

// readRequest reads until EOF. It fails with ErrRequestTooLarge past
// MaxRequest bytes, ErrReadTimeout at the read deadline, or the read error.
func (s *Server) readRequest(c net.Conn) ([]byte, error) {
	limit := orDefault(s.MaxRequest, DefaultMaxRequest)
	deadline := time.Now().Add(orDefault(s.ReadDeadline, DefaultReadDeadline))
	c.SetReadDeadline(deadline)
	if s.isClosed() { // Shutdown began before the deadline above was set
		if cut := time.Now().Add(ShutdownReadGrace); cut.Before(deadline) {
			c.SetReadDeadline(cut)
		}
	}
	buf := make([]byte, limit+1)
	n := 0
	for {
		m, err := c.Read(buf[n:])
		n += m
		if n > limit {
			io.CopyN(io.Discard, c, drainLimit)
			return buf[:n], fmt.Errorf("%w: more than %d bytes", ErrRequestTooLarge, limit)
		}
		switch {
		case err == io.EOF:
			return buf[:n], nil
		case errors.Is(err, os.ErrDeadlineExceeded):
			return buf[:n], fmt.Errorf("%w (%d bytes received)", ErrReadTimeout, n)
		case err != nil:
			return buf[:n], fmt.Errorf("read request: %w", err)
		}
	}
}

func (s *Server) invalidReply(ctx context.Context, raw []byte, peer net.Addr, err error) []byte {
	if s.Invalid != nil {
		return s.Invalid(ctx, raw, peer, err)
	}
	s.logger().Debug("activation: invalid request", "peer", peer, "err", err, "raw", fmt.Sprintf("%.64q", raw))
	return []byte(DefaultInvalidReply)
}
