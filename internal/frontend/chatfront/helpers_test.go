package chatfront

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"aula/internal/config"
	"aula/internal/core"
	"aula/internal/wire/chat"
	_ "aula/modules/echo"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// server is a chat front end on 127.0.0.1:0 over an App of the given
// modules.
type server struct {
	t    testing.TB
	fe   *FrontEnd
	addr string
	app  *core.App
}

func startServer(t testing.TB, app *core.App, args ...string) *server {
	t.Helper()
	return startServerTLS(t, app, nil, args...)
}

// startServerTLS is startServer with the server's TLS configuration.
func startServerTLS(t testing.TB, app *core.App, tlsConf *tls.Config, args ...string) *server {
	t.Helper()
	if app == nil {
		var err error
		if app, err = core.NewApp(quiet, "echo"); err != nil {
			t.Fatal(err)
		}
	}
	f := &FrontEnd{}
	set := config.NewSet()
	f.Configure(set.Section("chat"))
	if _, err := set.Load(config.Sources{Args: append([]string{"--chat-listen=127.0.0.1:0"}, args...)}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := f.Bind(ctx, &core.FrontEnv{App: app, Log: quiet, TLS: tlsConf, Fail: func(err error) { t.Errorf("listener failed: %v", err) }}); err != nil {
		t.Fatal(err)
	}
	if err := f.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := f.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return &server{t: t, fe: f, addr: f.Addrs()["tcp"], app: app}
}

// request is the bytes IVLE's client sends for content under magic.
func request(content, magic string) []byte {
	return chat.AppendNetstring(nil, chat.EncodeEnvelope(content, chat.MD5Digest(content, magic)))
}

// exchange sends raw and reads everything the server sends until it
// closes; got is "" when it closed without a byte.
func (s *server) exchange(raw []byte) string {
	s.t.Helper()
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		s.t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := c.Write(raw); err != nil {
		s.t.Fatal(err)
	}
	// Half-close, so a truncated request reaches the server as EOF.
	c.(*net.TCPConn).CloseWrite()
	b, err := io.ReadAll(c)
	if err != nil {
		s.t.Fatalf("reading the reply: %v", err)
	}
	return string(b)
}

// reply decodes one netstring reply from raw bytes.
func reply(t testing.TB, raw string) string {
	t.Helper()
	p, err := chat.ReadNetstring(bufio.NewReader(stringsReader(raw)), 0)
	if err != nil {
		t.Fatalf("reply %q: %v", raw, err)
	}
	return string(p)
}
