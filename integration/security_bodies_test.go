package integration

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// largeHead is the header of an XML-RPC POST declaring an n-byte body,
// followed by the first bytes of that body.
func largeHead(port, n int) string {
	return fmt.Sprintf("POST /RPC2 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n"+
		"<?xml version=\"1.0\"?><methodCall><methodName>echo.echo</methodName><params><param><value><array><data>", port, n)
}

// sendHead connects and sends head; the body never follows.
func sendHead(t *testing.T, port int, head string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, head); err != nil {
		t.Fatal(err)
	}
	return c
}

// replyWithin reads an HTTP reply on c, or returns nil when none comes
// within d (the server is still waiting for the body).
func replyWithin(c net.Conn, d time.Duration) (*http.Response, string) {
	c.SetReadDeadline(time.Now().Add(d))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return nil, ""
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	return resp, string(body)
}

// TestAnonymousLimitedBeforeBody: an anonymous source over its rate is
// answered 429 without the server waiting for (or reading) its 3.9 MB body.
func TestAnonymousLimitedBeforeBody(t *testing.T) {
	s := startServer(t, "", "--auth-anon-burst=1", "--auth-anon-rate=1")
	// The bucket refills in a second: drain it and probe at once, a few
	// times over should the machine be slow enough to refill in between.
	for attempt := 1; ; attempt++ {
		st, _, _ := httpDo(t, "POST", s.url()+"api/echo.echo", `[]`)
		c := sendHead(t, s.port, largeHead(s.port, 3_900_000))
		resp, body := replyWithin(c, 10*time.Second)
		c.Close()
		if resp != nil && resp.StatusCode == 200 && strings.Contains(body, "<int>429</int>") {
			return
		}
		if attempt == 5 {
			t.Fatalf("no 429 before the body was sent (drain call: %d; reply: %v %q)", st, resp, body)
		}
		time.Sleep(1500 * time.Millisecond) // a full bucket for the next drain
	}
}

// TestBodyBudget: with the default budget (4 bodies of the 4 MiB cap),
// six large requests whose bodies never come make two of them wait briefly
// and get 503 with Retry-After, instead of all six waiting for their bodies
// (and, had they sent them, all six being decoded at once). Once they go,
// small and large calls are served again.
func TestBodyBudget(t *testing.T) {
	s := startServer(t, "")
	var slow []net.Conn
	for range 6 {
		slow = append(slow, sendHead(t, s.port, largeHead(s.port, 4_000_000)))
	}
	type reply struct {
		resp *http.Response
		body string
	}
	replies := make(chan reply, len(slow))
	for _, c := range slow {
		go func() {
			resp, body := replyWithin(c, 10*time.Second)
			replies <- reply{resp, body}
		}()
	}
	refused := 0
	for i := range slow {
		r := <-replies
		switch {
		case r.resp == nil: // held: waiting for its body
		case r.resp.StatusCode == http.StatusServiceUnavailable && r.resp.Header.Get("Retry-After") != "":
			refused++
		default:
			t.Fatalf("reply %d: %v %q, want 503 with Retry-After or none", i, r.resp, r.body)
		}
	}
	if refused != 2 {
		t.Fatalf("%d of 6 large requests refused, want 2 (4 fit the budget); log:\n%s", refused, s.log.String())
	}
	for _, c := range slow {
		c.Close()
	}
	// The budget is given back: a real client is served, large call included.
	out := python(t, `
import os, xmlrpc.client as x
p = x.ServerProxy(os.environ["URL"])
assert p.echo.echo(1) == [1]
big = list(range(40000))
assert p.echo.echo(big) == [big]
print("ALL OK")
`, "URL="+s.url())
	if !strings.Contains(out, "ALL OK") {
		t.Fatalf("python: %s", out)
	}
}
