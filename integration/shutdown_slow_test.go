package integration

import (
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestShutdownNotHeldBySlowClients: SIGTERM with a body trickling in, a
// request's headers half sent, an idle keep-alive connection and a silent
// TCP 191 connection: aula exits well before its 30 s grace. Before, the
// slow body held it for the whole grace.
func TestShutdownNotHeldBySlowClients(t *testing.T) {
	act := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s := startServer(t, "", "--activation-listen", act, "--activation-read-deadline", "60s")
	dial := func(addr, send string) net.Conn {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		io.WriteString(c, send)
		return c
	}
	main := fmt.Sprintf("127.0.0.1:%d", s.port)
	body := dial(main, "POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 100000\r\n\r\n<?xml version=\"1.0\"?><methodCall>")
	dial(main, "POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Le")
	dial(act, "SHF70")
	// Keep the body trickling, a byte a second, as a slow client would.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Second):
				body.Write([]byte(" "))
			}
		}
	}()
	time.Sleep(500 * time.Millisecond) // the server has the requests in hand
	start := time.Now()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("aula serve still running 20 s after SIGTERM (grace 30 s): slow clients hold the shutdown\n%s", s.log.String())
	}
	t.Logf("aula serve exited %v after SIGTERM", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(s.log.String(), "stopped") {
		t.Fatalf("no clean stop in the log:\n%s", s.log.String())
	}
}
