package activation

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// testLease is a realistic 647-byte sig02 lease line.
var testLease = []byte("act01: SHF706002A7 K 20271231T000000Z sig02: sha256 " + strings.Repeat("ab", 32) +
	" 20271231T000000Z " + strings.Repeat("5a", 256) + "\n")

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// startServer serves s on a fresh 127.0.0.1 port and shuts it down when the
// test ends, checking Serve returned ErrServerClosed.
func startServer(t *testing.T, s *Server) string {
	t.Helper()
	if s.Logger == nil {
		s.Logger = quietLogger()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return ln.Addr().String()
}

// exchange does what the XO does: connect, send, half-close, read to EOF.
func exchange(t *testing.T, addr string, req []byte) []byte {
	t.Helper()
	reply, err := exchangeErr(addr, req, true)
	if err != nil {
		t.Fatalf("exchange %q: %v", req, err)
	}
	return reply
}

func exchangeErr(addr string, req []byte, halfClose bool) ([]byte, error) {
	if halfClose {
		return Ask(addr, req, 0)
	}
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if len(req) > 0 {
		if _, err := c.Write(req); err != nil {
			return nil, err
		}
	}
	return io.ReadAll(c) // the XO reads with no timeout; the server must close
}

// invalidLog records what the Invalid hook was told.
type invalidLog struct {
	mu   sync.Mutex
	errs []error
	raws [][]byte
}

func (l *invalidLog) hook(reply []byte) InvalidFunc {
	return func(_ context.Context, raw []byte, _ net.Addr, err error) []byte {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.errs = append(l.errs, err)
		l.raws = append(l.raws, append([]byte(nil), raw...))
		return reply
	}
}

func (l *invalidLog) last(t *testing.T) (error, []byte) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errs) == 0 {
		t.Fatal("Invalid hook was not called")
	}
	return l.errs[len(l.errs)-1], l.raws[len(l.raws)-1]
}
