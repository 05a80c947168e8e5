package rawtcp

import (
	"net"
	"sync"
	"testing"
)

// TestCapsTotalAndPerSource: one source cannot open more than MaxPerIP;
// at MaxConns with nothing idle a newcomer is refused at once; the
// connections held are served, and a refused source is served again once
// its connections end.
func TestCapsTotalAndPerSource(t *testing.T) {
	e := &echo{hold: make(chan struct{})}
	var mu sync.Mutex
	var refused []string
	srv := New(Config{Name: "test", MaxConns: 4, MaxPerIP: 2, Handler: e.handle, Logger: quiet(),
		OnReject: func(c net.Conn, reason string) {
			mu.Lock()
			refused = append(refused, reason)
			mu.Unlock()
		}})
	addr := start(t, srv)
	a1, a2 := send(t, "127.0.0.2", addr, "a1"), send(t, "127.0.0.2", addr, "a2")
	waitUntil(t, "two busy from 127.0.0.2", func() bool { return e.busy.Load() == 2 })
	if c := dial(t, "127.0.0.2", addr); !closedByServer(c) {
		t.Fatal("a third connection from 127.0.0.2 (MaxPerIP 2) was not closed")
	}
	b1, b2 := send(t, "127.0.0.3", addr, "b1"), send(t, "127.0.0.3", addr, "b2")
	waitUntil(t, "four busy", func() bool { return e.busy.Load() == 4 })
	if c := dial(t, "127.0.0.4", addr); !closedByServer(c) {
		t.Fatal("a fifth connection (MaxConns 4, none idle) was not closed")
	}
	st := srv.Stats()
	if st.Rejected != 2 || st.Shed != 0 || st.Active != 4 || st.Accepted != 4 {
		t.Fatalf("stats %+v, want 2 rejected, none shed, 4 active and accepted", st)
	}
	// OnReject runs in the accept loop, before the refused connection is
	// closed: both have run by now.
	mu.Lock()
	defer mu.Unlock()
	if len(refused) != 2 || refused[0] != "too many connections from 127.0.0.2" || refused[1] != "too many connections" {
		t.Fatalf("OnReject saw %q", refused)
	}
	close(e.hold)
	for i, c := range []net.Conn{a1, a2, b1, b2} {
		if got, want := reply(c), "ok "+[]string{"a1", "a2", "b1", "b2"}[i]; got != want {
			t.Errorf("held request got %q, want %q", got, want)
		}
	}
	waitUntil(t, "slots given back", func() bool { return srv.Active() == 0 })
	if got := ask(t, "127.0.0.2", addr, "again"); got != "ok again" {
		t.Fatalf("127.0.0.2 after its connections ended: %q", got)
	}
}

// TestShedsOldestIdle: past 7/8 of MaxConns each newcomer closes the
// connection idle longest; connections whose request is in hand are never
// shed; the handler of a shed connection sees limit.IsShed.
func TestShedsOldestIdle(t *testing.T) {
	e := &echo{hold: make(chan struct{})}
	srv := New(Config{Name: "test", MaxConns: 8, Handler: e.handle, Logger: quiet()}) // sheds from 7 open
	addr := start(t, srv)
	busy := []net.Conn{send(t, "", addr, "b1"), send(t, "", addr, "b2")}
	waitUntil(t, "two busy", func() bool { return e.busy.Load() == 2 })
	var silent []net.Conn
	for i := range 5 {
		silent = append(silent, dial(t, "", addr))
		waitUntil(t, "silent connection accepted", func() bool { return srv.Stats().Accepted == uint64(3+i) })
	}
	// 7 open: each newcomer now sheds the oldest silent one, not b1 or b2.
	newer := dial(t, "", addr)
	if !closedByServer(silent[0]) {
		t.Fatal("the connection idle longest was not shed")
	}
	real := send(t, "", addr, "r1")
	if !closedByServer(silent[1]) {
		t.Fatal("the next idle one was not shed for a real request")
	}
	waitUntil(t, "handlers saw the shedding", func() bool { return e.shedSeen.Load() == 2 })
	if st := srv.Stats(); st.Shed != 2 || st.Rejected != 0 || st.Active != 7 {
		t.Fatalf("stats %+v, want 2 shed, none refused, 7 active", st)
	}
	close(e.hold)
	for i, c := range append(busy, real) {
		if got, want := reply(c), "ok "+[]string{"b1", "b2", "r1"}[i]; got != want {
			t.Errorf("busy or real request got %q, want %q", got, want)
		}
	}
	newer.Close()
	for _, c := range silent[2:] {
		c.Close()
	}
	waitUntil(t, "every slot back", func() bool { return srv.Active() == 0 })
}

// TestCapsSpanListeners: the caps count every listener a Server serves.
func TestCapsSpanListeners(t *testing.T) {
	e := &echo{hold: make(chan struct{})}
	srv := New(Config{Name: "test", MaxConns: 16, MaxPerIP: 1, Handler: e.handle, Logger: quiet()})
	one, two := start(t, srv), start(t, srv)
	held := send(t, "127.0.0.2", one, "x")
	waitUntil(t, "busy", func() bool { return e.busy.Load() == 1 })
	if c := dial(t, "127.0.0.2", two); !closedByServer(c) {
		t.Fatal("the second listener did not count the first one's connection")
	}
	close(e.hold)
	if got := reply(held); got != "ok x" {
		t.Fatalf("held request got %q", got)
	}
}
