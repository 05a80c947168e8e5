package rawtcp

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"aula/internal/limit"
)

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// start serves srv on a fresh 127.0.0.1 port; the test's end shuts it
// down and checks Serve returned ErrServerClosed.
func start(t *testing.T, srv *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return ln.Addr().String()
}

// dial connects from the loopback address src ("" for any).
func dial(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 10 * time.Second}
	if src != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByServer reports whether the server closed c without a byte (a
// FIN, or a reset when it closed with our bytes unread), not a timeout.
func closedByServer(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := c.Read(make([]byte, 1))
	return n == 0 && err != nil && !errors.Is(err, os.ErrDeadlineExceeded)
}

// ask sends line, half-closes and reads the reply to EOF.
func ask(t *testing.T, src, addr, line string) string {
	t.Helper()
	return reply(send(t, src, addr, line))
}

// waitUntil polls cond for up to 10 s: the kernel and the scheduler
// promise no order, so tests wait on conditions, never on time.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("%s: not reached in 10 s", what)
}

// echo is a one-request protocol: read to the client's FIN (the
// connection is idle meanwhile), mark it busy, answer "ok " and the
// request. A connection shed while silent is dropped quietly and counted.
type echo struct {
	shedSeen atomic.Int32
	busy     atomic.Int32  // requests read in full
	hold     chan struct{} // if set, a busy request waits for it
}

func (e *echo) handle(ctx context.Context, c net.Conn) {
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	req, err := io.ReadAll(c)
	if err != nil {
		if limit.IsShed(c) {
			e.shedSeen.Add(1)
		}
		return
	}
	limit.Busy(c)
	e.busy.Add(1)
	if string(req) == "BOOM" {
		panic("handler bug")
	}
	if e.hold != nil {
		select {
		case <-e.hold:
		case <-ctx.Done():
			return
		}
	}
	io.WriteString(c, "ok "+string(req))
}

// send writes a whole request (up to FIN) and returns the connection, for
// its reply to be read later.
func send(t *testing.T, src, addr, req string) net.Conn {
	t.Helper()
	c := dial(t, src, addr)
	io.WriteString(c, req)
	c.(*net.TCPConn).CloseWrite()
	return c
}

// reply reads what the server sends on c until it closes.
func reply(c net.Conn) string {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, _ := io.ReadAll(c)
	return string(b)
}
