package limit

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// serve accepts from l in the background and hands accepted conns out.
func serve(t *testing.T, l net.Listener) <-chan net.Conn {
	t.Helper()
	ch := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				close(ch)
				return
			}
			ch <- c
		}
	}()
	t.Cleanup(func() { l.Close() })
	return ch
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func dialFrom(t *testing.T, local, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByServer reports whether the server closed c without sending data.
func closedByServer(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := c.Read(make([]byte, 1))
	return n == 0 && err != nil && !isTimeout(err)
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func TestListenerMaxConns(t *testing.T) {
	var mu sync.Mutex
	var reasons []string
	l := NewListener(listen(t), ListenerConfig{MaxConns: 2, OnReject: func(c net.Conn, reason string) {
		mu.Lock()
		reasons = append(reasons, reason)
		mu.Unlock()
		io.WriteString(c, "busy\n")
	}})
	accepted := serve(t, l)
	addr := l.Addr().String()

	dialFrom(t, "", addr)
	dialFrom(t, "", addr)
	s1, s2 := <-accepted, <-accepted
	third := dialFrom(t, "", addr)
	third.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, _ := io.ReadAll(third) // the server writes "busy" and closes
	if string(b) != "busy\n" {
		t.Fatalf("over-cap connection got %q", b)
	}
	if l.Rejected() != 1 || l.Active() != 2 {
		t.Fatalf("Rejected=%d Active=%d", l.Rejected(), l.Active())
	}
	mu.Lock()
	if len(reasons) != 1 || reasons[0] != "too many connections" {
		t.Errorf("OnReject reasons %q", reasons)
	}
	mu.Unlock()

	s1.Close()
	s1.Close() // a second Close must not free a second slot
	if l.Active() != 1 {
		t.Fatalf("Active=%d after closing one", l.Active())
	}
	dialFrom(t, "", addr)
	s3 := <-accepted
	extra := dialFrom(t, "", addr)
	extra.SetReadDeadline(time.Now().Add(10 * time.Second))
	if b, _ := io.ReadAll(extra); string(b) != "busy\n" {
		t.Fatalf("connection over the cap after a double Close got %q", b)
	}
	if l.Rejected() != 2 {
		t.Fatalf("Rejected=%d", l.Rejected())
	}
	if _, ok := s3.(interface{ NetConn() net.Conn }).NetConn().(*net.TCPConn); !ok {
		t.Error("NetConn is not the *net.TCPConn")
	}
	s2.Close()
	s3.Close()
	if l.Active() != 0 {
		t.Fatalf("Active=%d after closing all", l.Active())
	}
}

func TestListenerMaxPerIP(t *testing.T) {
	var reason string
	var mu sync.Mutex
	l := NewListener(listen(t), ListenerConfig{MaxPerIP: 1, OnReject: func(_ net.Conn, r string) {
		mu.Lock()
		reason = r
		mu.Unlock()
	}})
	accepted := serve(t, l)
	addr := l.Addr().String()
	dialFrom(t, "127.0.0.1", addr)
	first := <-accepted
	if !closedByServer(dialFrom(t, "127.0.0.1", addr)) {
		t.Fatal("second connection from 127.0.0.1 accepted")
	}
	mu.Lock()
	if !strings.Contains(reason, "from 127.0.0.1") {
		t.Errorf("reason %q", reason)
	}
	mu.Unlock()
	// Another loopback source address is another IP (Linux routes all of
	// 127/8 to lo).
	dialFrom(t, "127.0.0.2", addr)
	select {
	case <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("connection from 127.0.0.2 not accepted")
	}
	first.Close()
	dialFrom(t, "127.0.0.1", addr)
	select {
	case <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("127.0.0.1 not accepted again after its connection closed")
	}
}
