package rawtcp

import (
	"context"
	"errors"
	"net"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestHandlerPanicDoesNotKillServer: a panicking handler's connection is
// closed, the panic counted, and the next connection served.
func TestHandlerPanicDoesNotKillServer(t *testing.T) {
	srv := New(Config{Name: "test", Handler: (&echo{}).handle, Logger: quiet()})
	addr := start(t, srv)
	if got := ask(t, "", addr, "BOOM"); got != "" {
		t.Fatalf("panicking handler's client got %q", got)
	}
	if got := ask(t, "", addr, "fine"); got != "ok fine" {
		t.Fatalf("after a panic: %q", got)
	}
	// The client sees the close before the server's bookkeeping ends.
	waitUntil(t, "connections released", func() bool { return srv.Active() == 0 })
	if st := srv.Stats(); st.Panics != 1 {
		t.Fatalf("stats %+v, want 1 panic", st)
	}
}

// flaky fails its first Accepts with err, then behaves.
type flaky struct {
	net.Listener
	failures atomic.Int32
	err      error
}

func (l *flaky) Accept() (net.Conn, error) {
	if l.failures.Add(-1) >= 0 {
		return nil, l.err
	}
	return l.Listener.Accept()
}

// serveFlaky serves a listener whose first n Accepts fail with err; Serve's
// result arrives on served.
func serveFlaky(t *testing.T, err error, n int32) (srv *Server, addr string, served chan error) {
	t.Helper()
	ln, lerr := net.Listen("tcp", "127.0.0.1:0")
	if lerr != nil {
		t.Fatal(lerr)
	}
	t.Cleanup(func() { ln.Close() })
	fl := &flaky{Listener: ln, err: err}
	fl.failures.Store(n)
	srv = New(Config{Name: "test", Handler: (&echo{}).handle, Logger: quiet()})
	served = make(chan error, 1)
	go func() { served <- srv.Serve(fl) }()
	return srv, ln.Addr().String(), served
}

func acceptErr(errno syscall.Errno) error {
	return &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", errno)}
}

// TestAcceptBacksOffOnTemporaryErrors: EMFILE (a full descriptor table)
// is retried after a pause, and the server then serves.
func TestAcceptBacksOffOnTemporaryErrors(t *testing.T) {
	srv, addr, served := serveFlaky(t, acceptErr(syscall.EMFILE), 3)
	if got := ask(t, "", addr, "x"); got != "ok x" {
		t.Errorf("after EMFILE: %q", got)
	}
	if n := srv.Stats().AcceptErrors; n != 3 {
		t.Errorf("AcceptErrors = %d, want 3", n)
	}
	srv.Shutdown(context.Background())
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
}

// TestShutdownWakesAcceptBackoff: a Shutdown during the pause after an
// accept error ends Serve at once.
func TestShutdownWakesAcceptBackoff(t *testing.T) {
	srv, _, served := serveFlaky(t, acceptErr(syscall.ENFILE), 1<<30)
	waitUntil(t, "backing off", func() bool { return srv.Stats().AcceptErrors >= 1 })
	srv.Shutdown(context.Background())
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve: %v", err)
	}
}

func TestPermanentAcceptErrorEndsServe(t *testing.T) {
	boom := errors.New("listener broke")
	_, _, served := serveFlaky(t, boom, 1)
	if err := <-served; !errors.Is(err, boom) {
		t.Errorf("Serve: %v, want the permanent error", err)
	}
}

func TestServeNeedsAHandler(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := New(Config{Name: "test"}).Serve(ln); err == nil {
		t.Error("Serve without a Handler should fail")
	}
}

// TestNoGoroutineLeft: after Shutdown, with answered, refused, shed,
// panicking and straggling connections, every goroutine the server
// started has ended.
func TestNoGoroutineLeft(t *testing.T) {
	before := runtime.NumGoroutine()
	e := &echo{hold: make(chan struct{})}
	srv := New(Config{Name: "test", MaxConns: 8, MaxPerIP: 6, Handler: e.handle, Logger: quiet()})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	addr := ln.Addr().String()
	var clients []net.Conn
	for range 10 { // the 7th sheds the 1st; the 8th+ from one source are refused
		clients = append(clients, dial(t, "127.0.0.2", addr))
	}
	clients = append(clients, send(t, "127.0.0.3", addr, "held"))
	for _, req := range []string{"a", "BOOM", "b"} { // each sheds one of 127.0.0.2's
		clients = append(clients, send(t, "127.0.0.4", addr, req))
	}
	waitUntil(t, "the requests in hand", func() bool { return e.busy.Load() == 4 && srv.Stats().Panics == 1 })
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // stragglers: the silent ones and the held requests
	if err := srv.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}
	for _, c := range clients {
		c.Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines, %d before the server:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

// TestStartReportsPermanentErrors: Start serves the listeners given to
// New in the background; a permanent accept error reaches fail, named by
// the listener; Shutdown closes a started listener, one never started,
// and one given after it.
func TestStartReportsPermanentErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	fl := &flaky{Listener: ln, err: errors.New("listener broke")}
	fl.failures.Store(1)
	failed := make(chan error, 1)
	srv := New(Config{Name: "test", Handler: (&echo{}).handle, Logger: quiet()}, fl)
	srv.Start(func(err error) { failed <- err })
	if err := <-failed; err == nil || err.Error() != "test listener: listener broke" {
		t.Fatalf("fail got %v", err)
	}

	listen := func() net.Listener {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return ln
	}
	good, never, late := listen(), listen(), listen()
	srv2 := New(Config{Name: "test", Handler: (&echo{}).handle, Logger: quiet()}, good)
	srv2.Start(func(err error) { t.Errorf("fail called: %v", err) })
	if got := ask(t, "", good.Addr().String(), "up"); got != "ok up" {
		t.Fatalf("started server answered %q", got)
	}
	srv3 := New(Config{Name: "test", Handler: (&echo{}).handle, Logger: quiet()}, never)
	for _, srv := range []*Server{srv2, srv3} {
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	srv2.ServeBackground(late, func(err error) { t.Errorf("fail called after Shutdown: %v", err) })
	for name, ln := range map[string]net.Listener{"started": good, "never started": never, "given after Shutdown": late} {
		if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("listener %s not closed by Shutdown: %v", name, err)
		}
	}
}
