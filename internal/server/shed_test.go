package server

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"aula/internal/limit"
)

// TestHTTPIdleConnectionsShed: behind a capped listener with shedding, the
// HTTP server's idle connections (no request yet, or keep-alive between
// requests) make way for a newcomer, which is served.
func TestHTTPIdleConnectionsShed(t *testing.T) {
	var caps *limit.Listener
	h := &HTTP{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") }),
		Log:     slog.New(slog.DiscardHandler), Listeners: []Listener{{Name: "main", Addr: "127.0.0.1:0"}},
		ConnLimit: func(ln net.Listener) net.Listener {
			caps = limit.NewListener(ln, limit.ListenerConfig{MaxConns: 4, ShedAt: 3})
			return caps
		},
	}
	if err := h.Bind(); err != nil {
		t.Fatal(err)
	}
	h.Start()
	t.Cleanup(func() { h.Shutdown(t.Context()) })
	addr := h.Addrs()["main"]
	var idle []net.Conn
	for range 4 { // the fourth already sheds the first
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		idle = append(idle, c)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("newcomer not served: %v %v", resp, err)
	}
	idle[0].SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := idle[0].Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatal("the oldest idle connection was not shed")
	}
	if caps.Conns().Shed() < 2 {
		t.Fatalf("shed %d connections, want at least 2", caps.Conns().Shed())
	}
}
