package server

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestShutdownCutsSlowClients: a shutdown waits for the call that is
// working, not for clients that hold connections without one: a body
// trickling in (a byte every 100 ms), headers half sent, an idle
// keep-alive connection.
func TestShutdownCutsSlowClients(t *testing.T) {
	working := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		io.WriteString(w, "got it")
	})
	mux.HandleFunc("GET /work", func(w http.ResponseWriter, r *http.Request) {
		close(working)
		time.Sleep(3 * SlowGrace) // longer than the slow clients are given
		io.WriteString(w, "done")
	})
	h := &HTTP{Handler: mux, Log: slog.New(slog.DiscardHandler), Listeners: []Listener{{Name: "main", Addr: "127.0.0.1:0"}}}
	if err := h.Bind(); err != nil {
		t.Fatal(err)
	}
	h.Start()
	addr := h.Addrs()["main"]
	dial := func(send string) net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		io.WriteString(c, send)
		return c
	}
	slow := dial("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly ten b") // slow body
	stop := make(chan struct{})
	defer close(stop)
	go func() { // trickling: a byte every 100 ms
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				slow.Write([]byte("x"))
			}
		}
	}()
	dial("GET /work HTTP/1.1\r\nHost: x\r\nX-Half: ")        // slow headers
	idle := dial("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n") // then idle
	http.ReadResponse(bufio.NewReader(idle), nil)
	call := dial("GET /work HTTP/1.1\r\nHost: x\r\n\r\n")
	<-working
	// The slow body must be blocked in its read before shutdown starts.
	time.Sleep(100 * time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	if err := h.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown waited for slow clients until its deadline: %v", err)
	}
	t.Logf("shutdown took %v", time.Since(start))
	call.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(call), nil)
	if err != nil {
		t.Fatalf("the working call got no reply: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "done") {
		t.Fatalf("the working call got %q", body)
	}
}

// TestUnreadBodyNotDrained: a handler that answers without reading a large
// body (a refusal) is answered at once, the connection closed, as plain
// net/http does: the drain wrapper must not make net/http wait to drain a
// body that is never sent.
func TestUnreadBodyNotDrained(t *testing.T) {
	h := &HTTP{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "no") }),
		Log: slog.New(slog.DiscardHandler), Listeners: []Listener{{Name: "main", Addr: "127.0.0.1:0"}},
		Timeouts: Timeouts{Read: time.Minute}}
	if err := h.Bind(); err != nil {
		t.Fatal(err)
	}
	h.Start()
	t.Cleanup(func() { h.Shutdown(t.Context()) })
	c, err := net.Dial("tcp", h.Addrs()["main"])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4000000\r\n\r\nabc")
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no reply while net/http waits for the unsent body: %v", err)
	}
	resp.Body.Close()
}
