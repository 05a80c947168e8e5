package activation

import (
	"context"
	"net"
	"testing"
	"time"
)

// TestShutdownCutsSilentClients: a connection that has not sent its whole
// request does not hold Shutdown for its read deadline; it is closed
// unanswered after ShutdownReadGrace.
func TestShutdownCutsSilentClients(t *testing.T) {
	s := &Server{Logger: quietLogger(), ReadDeadline: time.Minute,
		Answerer: AnswererFunc(func(context.Context, Request, net.Addr) []byte { return []byte("ok") })}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("SHF7060")) // part of a serial, no FIN
	waitUntil(t, func() bool { return s.Stats().Accepted == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown waited for a silent client until its deadline: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 16)); n != 0 || err == nil {
		t.Fatalf("cut connection read %d bytes, %v; want closed unanswered", n, err)
	}
}
