package linefront

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"aula/internal/config"
	"aula/internal/core"
	_ "aula/modules/echo"
)

// TestLineProtocol boots the echo module and this front end as `aula
// serve` does (configure, load, bind, start, shut down) and talks to it
// over TCP.
func TestLineProtocol(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	app, err := core.NewApp(log, "echo")
	if err != nil {
		t.Fatal(err)
	}
	set := config.NewSet()
	app.Configure(set)
	fronts, err := core.NewFrontEnds("line")
	if err != nil {
		t.Fatal(err)
	}
	fronts.Configure(set)
	if _, err := set.Load(config.Sources{Args: []string{"--line-listen=127.0.0.1:0"}}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := fronts.Bind(ctx, &core.FrontEnv{App: app, Log: log}); err != nil {
		t.Fatal(err)
	}
	if err := fronts.Start(ctx); err != nil {
		t.Fatal(err)
	}
	addr := fronts.Addrs()["line.tcp"]
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	for _, tc := range []struct{ send, want string }{
		{"echo.echo hello world", "OK [hello world]"},
		{"no.such thing", "ERR unknown method no.such"},
		{"echo.hostname extra", "ERR "}, // the core names the bad parameter count
	} {
		if _, err := c.Write([]byte(tc.send + "\n")); err != nil {
			t.Fatal(err)
		}
		got, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%q: got %q, want %q...", tc.send, got, tc.want)
		}
	}
	if _, err := c.Write([]byte(strings.Repeat("x", MaxLine+1) + "\n")); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.ReadString('\n'); !strings.HasPrefix(got, "ERR line longer") {
		t.Errorf("long line: got %q", got)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := fronts.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Error("still accepting after Shutdown")
	}
}
