package rawtcp

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// TestShutdownWaitsForHandlers: Shutdown closes the listener at once and
// returns only when the request in progress has been answered.
func TestShutdownWaitsForHandlers(t *testing.T) {
	e := &echo{hold: make(chan struct{})}
	srv := New(Config{Name: "test", Handler: e.handle, Logger: quiet()})
	addr := start(t, srv)
	held := send(t, "", addr, "late")
	waitUntil(t, "busy", func() bool { return e.busy.Load() == 1 })
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(context.Background()) }()
	waitUntil(t, "listener closed", func() bool {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	if !srv.Closing() {
		t.Fatal("Closing is false during Shutdown")
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v while a handler held its request", err)
	default: // the handler is blocked on hold: Shutdown cannot have returned
	}
	close(e.hold)
	if got := reply(held); got != "ok late" {
		t.Fatalf("request in progress got %q", got)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// TestShutdownClosesStragglers: when Shutdown's ctx ends, the handlers'
// ctx ends, every connection left is closed, and Shutdown returns
// ctx.Err() only after their handlers have returned.
func TestShutdownClosesStragglers(t *testing.T) {
	e := &echo{hold: make(chan struct{})}
	srv := New(Config{Name: "test", Handler: e.handle, Logger: quiet()})
	addr := start(t, srv)
	held := send(t, "", addr, "never")
	silent := dial(t, "", addr)
	waitUntil(t, "both accepted, one busy", func() bool { return e.busy.Load() == 1 && srv.Stats().Accepted == 2 })
	ctx, cancel := context.WithCancel(context.Background())
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(ctx) }()
	waitUntil(t, "shutdown begun", srv.Closing)
	cancel()
	if err := <-shut; !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown: %v, want context.Canceled", err)
	}
	if n := srv.Active(); n != 0 {
		t.Fatalf("%d connections still open after Shutdown returned", n)
	}
	if !closedByServer(silent) {
		t.Error("silent straggler not closed")
	}
	if got := reply(held); got != "" {
		t.Errorf("held request answered %q after its ctx ended", got)
	}
}

// TestOnShutdownSeesOpenConnections: a protocol with nothing to wait for
// closes its connections in OnShutdown, and Shutdown does not wait for
// their clients.
func TestOnShutdownSeesOpenConnections(t *testing.T) {
	e := &echo{}
	seen := make(chan net.Conn, 4)
	srv := New(Config{Name: "test", Handler: e.handle, Logger: quiet(),
		OnShutdown: func(c net.Conn) { seen <- c; c.Close() }})
	addr := start(t, srv)
	silent := dial(t, "", addr)
	waitUntil(t, "accepted", func() bool { return srv.Active() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if len(seen) != 1 {
		t.Fatalf("OnShutdown saw %d connections, want 1", len(seen))
	}
	if !closedByServer(silent) {
		t.Error("connection not closed")
	}
}

// TestServeAfterShutdown: a listener given after Shutdown is closed and
// Serve says the server is closed.
func TestServeAfterShutdown(t *testing.T) {
	srv := New(Config{Name: "test", Handler: (&echo{}).handle, Logger: quiet()})
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(ln); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve after Shutdown: %v", err)
	}
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("listener not closed: %v", err)
	}
}
