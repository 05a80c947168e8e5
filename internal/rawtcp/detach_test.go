package rawtcp

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"testing"
)

// detacher reads a greeting line, then detaches its connection and hands
// it over, as a protocol that waits for idle connections without a
// goroutine does.
type detacher struct {
	srv    *Server
	handed chan handed
}

type handed struct {
	c   net.Conn
	end func()
}

func (d *detacher) handle(ctx context.Context, c net.Conn) {
	if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
		return
	}
	d.handed <- handed{c, d.srv.Detach(c)}
}

func newDetacher(t *testing.T) (*detacher, string) {
	d := &detacher{handed: make(chan handed, 4)}
	d.srv = New(Config{Name: "test", MaxConns: 8, Handler: d.handle, Logger: quiet()})
	return d, start(t, d.srv)
}

// TestDetachKeepsConnectionOpen: a detached connection outlives its
// Handler, stays counted, and is closed by end.
func TestDetachKeepsConnectionOpen(t *testing.T) {
	d, addr := newDetacher(t)
	c := dial(t, "", addr)
	io.WriteString(c, "hello\n")
	h := <-d.handed
	waitUntil(t, "handler returned", func() bool { return d.srv.Active() == 1 })
	io.WriteString(h.c, "later")
	h.end()
	h.end() // ending twice is harmless
	if got := reply(c); got != "later" {
		t.Fatalf("detached connection got %q", got)
	}
	waitUntil(t, "slot given back", func() bool { return d.srv.Active() == 0 })
}

// TestShutdownWaitsForDetached: Shutdown waits for a detached connection
// to end; when its ctx ends first, it ends the connection itself.
func TestShutdownWaitsForDetached(t *testing.T) {
	d, addr := newDetacher(t)
	io.WriteString(dial(t, "", addr), "hello\n")
	h := <-d.handed
	shut := make(chan error, 1)
	go func() { shut <- d.srv.Shutdown(context.Background()) }()
	waitUntil(t, "shutdown begun", d.srv.Closing)
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v before the detached connection ended", err)
	default: // nothing has ended it: Shutdown cannot have returned
	}
	h.end()
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}

	d, addr = newDetacher(t)
	c := dial(t, "", addr)
	io.WriteString(c, "hello\n")
	h = <-d.handed
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.srv.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("forced Shutdown: %v", err)
	}
	if !closedByServer(c) || d.srv.Active() != 0 {
		t.Fatalf("detached connection left open by a forced Shutdown (%d active)", d.srv.Active())
	}
	h.end() // the protocol's own end, later, is harmless
}
