package idlepoll

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// pair returns both ends of a TCP connection on 127.0.0.1.
func pair(t *testing.T, ln net.Listener) (server, client net.Conn) {
	t.Helper()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() { c, err := ln.Accept(); ch <- res{c, err} }()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { r.c.Close(); client.Close() })
	return r.c, client
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func newPoller(t *testing.T) *Poller {
	t.Helper()
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// fired waits (generously) for a ready to report.
func fired(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(60 * time.Second):
		t.Fatalf("%s: ready did not run", what)
	}
}

func signal() (func(), chan struct{}) {
	ch := make(chan struct{}, 16)
	return func() { ch <- struct{}{} }, ch
}

// A wait fires for data, for data that came before it, for the peer's end
// and for a reset, and the socket's bytes are still there to read.
func TestWaitFires(t *testing.T) {
	ln := listen(t)
	p := newPoller(t)

	s, c := pair(t, ln)
	ready, ch := signal()
	if _, err := p.Wait(s, ready); err != nil {
		t.Fatal(err)
	}
	if p.Pending() != 1 {
		t.Fatalf("pending %d, want 1", p.Pending())
	}
	c.Write([]byte("hello"))
	fired(t, ch, "data after Wait")
	buf := make([]byte, 16)
	if n, err := s.Read(buf); err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("read %q, %v after the wait: the poller must not read", buf[:n], err)
	}

	// Data already waiting when Wait is called (level-triggered): fires.
	c.Write([]byte("x"))
	time.Sleep(10 * time.Millisecond) // not needed for correctness: makes "already there" likely
	if _, err := p.Wait(s, ready); err != nil {
		t.Fatal(err)
	}
	fired(t, ch, "data before Wait")
	s.Read(buf)

	// The peer closes.
	if _, err := p.Wait(s, ready); err != nil {
		t.Fatal(err)
	}
	c.Close()
	fired(t, ch, "FIN")
	if _, err := s.Read(buf); err == nil {
		t.Fatal("read after the peer closed: want EOF")
	}

	// A reset.
	s2, c2 := pair(t, ln)
	if _, err := p.Wait(s2, ready); err != nil {
		t.Fatal(err)
	}
	c2.(*net.TCPConn).SetLinger(0)
	c2.Close()
	fired(t, ch, "RST")
	if p.Pending() != 0 {
		t.Fatalf("pending %d after every wait fired", p.Pending())
	}
}

// Stop before anything arrives cancels ready for good; the same socket
// can be waited on again, and only the new ready runs.
func TestStopThenWaitAgain(t *testing.T) {
	ln := listen(t)
	p := newPoller(t)
	s, c := pair(t, ln)
	var old atomic.Int32
	w, err := p.Wait(s, func() { old.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	if !w.Stop() {
		t.Fatal("Stop of a pending wait reported false")
	}
	if w.Stop() {
		t.Fatal("second Stop reported true")
	}
	c.Write([]byte("a")) // arrives for the stopped wait's (still armed) entry
	ready, ch := signal()
	w2, err := p.Wait(s, ready)
	if err != nil {
		t.Fatal(err)
	}
	fired(t, ch, "new wait")
	if w2.Stop() {
		t.Fatal("Stop after ready ran reported true")
	}
	if old.Load() != 0 {
		t.Fatal("a stopped wait's ready ran")
	}
	// Many rounds on one socket: each re-arms its entry.
	buf := make([]byte, 8)
	for i := range 200 {
		s.Read(buf)
		if _, err := p.Wait(s, ready); err != nil {
			t.Fatal(err)
		}
		c.Write([]byte{byte(i)})
		fired(t, ch, "re-armed wait")
	}
}

// A socket closed while watched leaves the epoll set (its ready does not
// run), a new socket that gets its descriptor number is watched on its
// own, and Close runs the ready still pending.
func TestClosedWhileWatchedAndReuse(t *testing.T) {
	ln := listen(t)
	p := newPoller(t)
	s, _ := pair(t, ln)
	var closedReady atomic.Int32
	closedCh := make(chan struct{}, 1)
	if _, err := p.Wait(s, func() { closedReady.Add(1); closedCh <- struct{}{} }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := p.Wait(s, func() {}); err == nil {
		t.Fatal("Wait on a closed connection succeeded")
	}
	// New connections: the first usually takes s's descriptor number.
	for range 5 {
		s2, c2 := pair(t, ln)
		ready, ch := signal()
		if _, err := p.Wait(s2, ready); err != nil {
			t.Fatal(err)
		}
		c2.Write([]byte("b"))
		fired(t, ch, "socket after a closed one")
	}
	if closedReady.Load() != 0 {
		t.Fatal("the closed socket's ready ran before Close")
	}
	if p.Pending() != 1 {
		t.Fatalf("pending %d, want the closed socket's wait", p.Pending())
	}
	p.Close()
	fired(t, closedCh, "Close")
	if _, err := p.Wait(s, func() {}); !errors.Is(err, ErrClosed) && err == nil {
		t.Fatal("Wait after Close succeeded")
	}
	s3, _ := pair(t, ln)
	if _, err := p.Wait(s3, func() {}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Wait after Close: %v, want ErrClosed", err)
	}
	p.Close() // twice is fine
}

func TestNotASocket(t *testing.T) {
	p := newPoller(t)
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if _, err := p.Wait(a, func() {}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Wait on a pipe: %v, want ErrUnsupported", err)
	}
}

// Many connections at once, each waited on, fed, stopped or closed by
// several goroutines: every ready runs at most once, exactly once for a
// wait that was neither stopped nor left for Close, and Close runs the
// rest (go test -race).
func TestConcurrentWaitStopClose(t *testing.T) {
	ln := listen(t)
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	servers := make([]net.Conn, n)
	clients := make([]net.Conn, n)
	for i := range n {
		servers[i], clients[i] = pair(t, ln)
	}
	var runs [n]atomic.Int32
	var wg sync.WaitGroup
	stopped := make([]bool, n)
	readyCh := make(chan int, 4*n)
	for i := range n {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			w, err := p.Wait(servers[i], func() { runs[i].Add(1); readyCh <- i })
			if err != nil {
				t.Error(err)
				return
			}
			switch i % 4 {
			case 0: // data
				clients[i].Write([]byte("d"))
			case 1: // the peer ends
				clients[i].Close()
			case 2: // stopped, then closed here (the owner ends it)
				if w.Stop() {
					stopped[i] = true
				}
				servers[i].Close()
			case 3: // stopped while data races in
				go clients[i].Write([]byte("d"))
				stopped[i] = w.Stop()
			}
		}(i)
	}
	wg.Wait()
	want := 0
	for i := range n {
		if !stopped[i] {
			want++
		}
	}
	for range want {
		select {
		case <-readyCh:
		case <-time.After(60 * time.Second):
			t.Fatalf("only some readies ran")
		}
	}
	p.Close()
	for i := range n {
		r := runs[i].Load()
		if r > 1 || (stopped[i] && r != 0) || (!stopped[i] && r != 1) {
			t.Fatalf("conn %d (kind %d, stopped %v): ready ran %d times", i, i%4, stopped[i], r)
		}
	}
}
