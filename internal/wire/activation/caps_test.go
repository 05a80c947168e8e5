package activation

import (
	"context"
	"net"
	"testing"
	"time"
)

// TestIdleConnectionsMakeWay: silent connections up to the cap make way
// for a real request: past 7/8 of MaxConns the one idle longest is closed
// (without an Invalid reply), and one source cannot hold more than
// MaxConnsPerIP.
func TestIdleConnectionsMakeWay(t *testing.T) {
	var invalid invalidLog
	s := &Server{
		MaxConns:      8,
		MaxConnsPerIP: 6,
		Answerer: AnswererFunc(func(_ context.Context, req Request, _ net.Addr) []byte {
			return []byte("ok " + req.Serial)
		}),
		Invalid: invalid.hook([]byte("UNKNOWN")),
	}
	addr := startServer(t, s)
	dial := func(src string) net.Conn {
		d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	var silent []net.Conn
	for range 7 {
		silent = append(silent, dial("127.0.0.2"))
	}
	for range 2 {
		silent = append(silent, dial("127.0.0.4"))
	}
	waitUntil(t, func() bool { st := s.Stats(); return st.Accepted == 9 })
	if st := s.Stats(); st.Busy != 1 || st.Shed != 1 {
		t.Fatalf("after 7 + 2 silent connections: %+v, want 1 turned away (per source) and 1 shed (7/8 of 8)", st)
	}
	if got := exchange(t, addr, []byte("A1")); string(got) != "ok A1" {
		t.Fatalf("real request got %q", got)
	}
	// The first connection, idle longest, was shed with no reply at all.
	silent[0].SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := silent[0].Read(make([]byte, 16)); n != 0 || err == nil {
		t.Fatalf("shed connection read %d bytes, %v", n, err)
	}
	invalid.mu.Lock()
	defer invalid.mu.Unlock()
	if len(invalid.errs) != 0 {
		t.Fatalf("shed connections reported as invalid: %v", invalid.errs)
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not reached in 10 s")
}
