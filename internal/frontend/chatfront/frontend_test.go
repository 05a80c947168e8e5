package chatfront

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"aula/internal/wire/chat"
)

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

// Both test vectors of the spec are accepted (a reply comes; a bad digest
// would close without one). {} names no method; {"a": "b"} is an unknown
// usrmgt action: both get IVLE's KeyError error object.
func TestVectors(t *testing.T) {
	s := startServer(t, nil, "--chat-magic", "v1=3EE", "--chat-magic", "v2=AEIOU")
	for _, v := range []struct{ content, digest, want string }{
		{`{}`, `2b59b68e1ac0852b87fb7e64946f2658`, `{"type": "KeyError", "value": "'method'", "traceback": ""}`},
		{`{"a": "b"}`, `eb860a5fe8fdbef19ffb79e3a5c47113`, `{"type": "KeyError", "value": "'a'", "traceback": ""}`},
	} {
		raw := chat.AppendNetstring(nil, chat.EncodeEnvelope(v.content, v.digest))
		if got := reply(t, s.exchange(raw)); got != v.want {
			t.Errorf("%s: reply %s, want %s", v.content, got, v.want)
		}
	}
}

// The 107 captured bytes are accepted under client magic MAGIC; without a
// console of that magic the {"cmd"} shape needs a handle. (The console's
// own reply to them is in modules/console's tests.)
func TestCapturedRequestAccepted(t *testing.T) {
	s := startServer(t, nil, "--chat-magic", "ivle=MAGIC")
	const captured = `102:{"content": "{\"text\": \"1+1\\n\", \"cmd\": \"chat\"}", "digest": "0f1602adc67c5aa26c2934087b4581b7"},`
	if got := reply(t, s.exchange([]byte(captured))); got != `{"type": "KeyError", "value": "'handle'", "traceback": ""}` {
		t.Fatalf("reply %s", got)
	}
}

func TestMethodCall(t *testing.T) {
	s := startServer(t, nil, "--chat-magic", "ivle=MAGIC")
	for content, want := range map[string]string{
		`{"method": "echo.echo", "params": [1, "é", {"k": [true, null]}]}`: `[1, "\u00e9", {"k": [true, null]}]`,
		`{"method":"echo.echo"}`:               `[]`,
		`{"method": "no.such", "params": []}`:  `{"type": "KeyError", "value": "'no.such'", "traceback": ""}`,
		`{"method": "echo.echo", "params": 3}`: `{"type": "TypeError", "value": "params must be an array or an object, got a number", "traceback": ""}`,
		`[1]`:                                  `{"type": "TypeError", "value": "message must be a JSON object, got an array", "traceback": ""}`,
		`{"method": `:                          `{"type": "ValueError", "value": "content is not JSON: unexpected EOF", "traceback": ""}`,
	} {
		if got := reply(t, s.exchange(request(content, "MAGIC"))); got != want {
			t.Errorf("%s:\n got %s\nwant %s", content, got, want)
		}
	}
}

// A bad digest, or an unknown magic, closes without a byte.
func TestBadDigestNoReply(t *testing.T) {
	s := startServer(t, nil, "--chat-magic", "ivle=MAGIC")
	for _, raw := range [][]byte{
		request(`{"method": "echo.echo"}`, "WRONG"),
		chat.AppendNetstring(nil, []byte(`{"content": "{}", "digest": "2b59b68e1ac0852b87fb7e64946f2658"}`)),
		chat.AppendNetstring(nil, []byte(`{"content": "{}", "digest": ""}`)),
	} {
		if got := s.exchange(raw); got != "" {
			t.Errorf("%s: server sent %q, want nothing", raw, got)
		}
	}
}

func TestMalformedRequests(t *testing.T) {
	s := startServer(t, nil, "--chat-magic", "ivle=MAGIC", "--chat-max-length=100")
	for raw, want := range map[string]string{
		`12:{"digest": "`:                       `netstring: body of 12 bytes cut short`,
		`1`:                                     `netstring: length cut short`,
		`101:` + strings.Repeat("x", 101) + ",": `netstring: length 101 over the limit of 100 bytes`,
		`9999:`:                                 `netstring: length has more than 3 digits`,
		`abc`:                                   `netstring: could not decode the length`,
		`2:{},`:                                 `KeyError`,
		`17:{"content": "{}"}xx,`:               `netstring: did not end with ','`,
		`17:{"content": "{}"},`:                 `"type": "KeyError", "value": "'digest'"`,
	} {
		got := s.exchange([]byte(raw))
		if !strings.Contains(got, want) {
			t.Errorf("%q: reply %q, want one containing %q", raw, got, want)
		}
	}
}

// A client that stops sending mid-request is cut off at the idle limit
// with a timeout error object, and other clients are served meanwhile.
func TestSlowClient(t *testing.T) {
	s := startServer(t, nil, "--chat-magic", "ivle=MAGIC", "--chat-idle-timeout=1s")
	slow, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	slow.Write([]byte("50:{\"con"))
	if got := reply(t, s.exchange(request(`{"method": "echo.echo", "params": [1]}`, "MAGIC"))); got != "[1]" {
		t.Fatalf("other client got %s", got)
	}
	slow.SetReadDeadline(time.Now().Add(60 * time.Second))
	p, err := chat.ReadNetstring(bufio.NewReader(slow), 0)
	if err != nil || string(p) != `{"type": "timeout", "value": "timed out", "traceback": ""}` {
		t.Fatalf("slow client: %q, %v", p, err)
	}
}

// 500 connections at once, each one call, all answered.
func TestManyConnections(t *testing.T) {
	s := startServer(t, nil, "--chat-magic", "ivle=MAGIC", "--chat-max-conns-per-ip=1000")
	const n = 500
	conns := make([]net.Conn, n)
	for i := range conns {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.SetDeadline(time.Now().Add(120 * time.Second))
			if _, err := c.Write(request(fmt.Sprintf(`{"method": "echo.echo", "params": [%d]}`, i), "MAGIC")); err != nil {
				errs <- err
				return
			}
			p, err := chat.ReadNetstring(bufio.NewReader(c), 0)
			if err != nil || string(p) != fmt.Sprintf("[%d]", i) {
				errs <- fmt.Errorf("conn %d: %q, %v", i, p, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// Secure mode: the server speaks first with a nonce; a request signed
// under it is answered; the same bytes on a new connection (a replay) are
// closed without a byte.
func TestHMACReplayRefused(t *testing.T) {
	s := startServer(t, nil, "--chat-magic", "ivle=MAGIC", "--chat-auth=hmac-sha256")
	const content = `{"method": "echo.echo", "params": ["hi"]}`
	dial := func() (net.Conn, *bufio.Reader, string) {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(60 * time.Second))
		r := bufio.NewReader(c)
		p, err := chat.ReadNetstring(r, 0)
		if err != nil {
			t.Fatal(err)
		}
		g, err := chat.DecodeGreeting(p)
		if err != nil {
			t.Fatal(err)
		}
		return c, r, g.Nonce
	}
	c, r, nonce := dial()
	defer c.Close()
	raw := chat.AppendNetstring(nil, chat.EncodeEnvelope(content, chat.HMACDigest(nonce, content, "MAGIC")))
	c.Write(raw)
	if p, err := chat.ReadNetstring(r, 0); err != nil || string(p) != `["hi"]` {
		t.Fatalf("signed request: %q, %v", p, err)
	}
	c2, r2, _ := dial()
	defer c2.Close()
	c2.Write(raw)
	if rest, _ := r2.ReadString(0); rest != "" {
		t.Fatalf("replayed request answered: %q", rest)
	}
	// IVLE's MD5 digest is refused in this mode too.
	c3, r3, _ := dial()
	defer c3.Close()
	c3.Write(request(content, "MAGIC"))
	if rest, _ := r3.ReadString(0); rest != "" {
		t.Fatalf("md5 request answered in hmac mode: %q", rest)
	}
}

// Rotating one client's magic in the file leaves the other clients'
// working; a file others can read is refused.
func TestMagicFileRotation(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "magics")
	os.WriteFile(file, []byte("# clients\na = first-a\nb = first-b\n"), 0o600)
	s := startServer(t, nil, "--chat-magic-file", file, "--chat-magic", "c=fixed-c")
	call := func(magic string) string {
		return s.exchange(request(`{"method": "echo.echo", "params": [1]}`, magic))
	}
	for _, m := range []string{"first-a", "first-b", "fixed-c"} {
		if call(m) == "" {
			t.Fatalf("magic %s refused", m)
		}
	}
	os.WriteFile(file, []byte("a = second-a\nb = first-b\n# rotated a\n"), 0o600)
	deadline := time.Now().Add(30 * time.Second)
	for call("second-a") == "" {
		if time.Now().After(deadline) {
			t.Fatal("rotated magic never accepted")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if call("first-a") != "" {
		t.Error("old magic of a still accepted")
	}
	if call("first-b") == "" || call("fixed-c") == "" {
		t.Error("rotating a dropped another client")
	}
	bad := filepath.Join(dir, "open")
	os.WriteFile(bad, []byte("a = x\n"), 0o644)
	if _, err := newKeyring(nil, bad, quiet.Warn); err == nil || !strings.Contains(err.Error(), "want 0600") {
		t.Errorf("world-readable file: %v", err)
	}
}

// Off unless a magic is configured.
func TestOffWithoutMagic(t *testing.T) {
	s := startServer(t, nil)
	if s.addr != "" {
		t.Fatalf("listening on %s without a magic", s.addr)
	}
}

// Over the per-source cap a connection is closed at once; the others are
// served, and a slot frees when one ends.
func TestPerSourceCap(t *testing.T) {
	s := startServer(t, nil, "--chat-magic", "ivle=MAGIC", "--chat-max-conns-per-ip=2")
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte("5:")) // a request begun, not finished
		held = append(held, c)
	}
	deadline := time.Now().Add(30 * time.Second)
	for s.fe.srv.Active() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("held connections never accepted")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The third is closed at once: EOF, or a reset when the close found
	// the request unread; never a reply.
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(60 * time.Second))
	c.Write(request(`{"method": "echo.echo"}`, "MAGIC"))
	if got, _ := io.ReadAll(c); len(got) != 0 {
		t.Fatalf("third connection answered %q", got)
	}
	c.Close()
	held[0].Close()
	for s.fe.srv.Active() > 1 {
		if time.Now().After(deadline) {
			t.Fatal("closed connection never released")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := reply(t, s.exchange(request(`{"method": "echo.echo", "params": [7]}`, "MAGIC"))); got != "[7]" {
		t.Fatalf("after a slot freed: %q", got)
	}
}

// A client trickling a byte at a time never trips the idle limit but is
// cut off at the read timeout for the whole request.
func TestTrickleClient(t *testing.T) {
	s := startServer(t, nil, "--chat-magic", "ivle=MAGIC", "--chat-read-timeout=1s", "--chat-idle-timeout=30s")
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, b := range []byte("999:" + strings.Repeat("x", 995)) {
			if _, err := c.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	c.SetReadDeadline(time.Now().Add(60 * time.Second))
	p, err := chat.ReadNetstring(bufio.NewReader(c), 0)
	if err != nil || string(p) != `{"type": "timeout", "value": "timed out", "traceback": ""}` {
		t.Fatalf("trickling client: %q, %v", p, err)
	}
	c.Close()
	<-done
}
