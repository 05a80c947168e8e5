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

// FuzzLine feeds arbitrary bytes to one connection: every line is
// answered or refused, and the connection ends when the client does.
func FuzzLine(f *testing.F) {
	log := slog.New(slog.DiscardHandler)
	app, err := core.NewApp(log, "echo")
	if err != nil {
		f.Fatal(err)
	}
	fe := &FrontEnd{env: &core.FrontEnv{App: app, Log: log}}
	for _, s := range []string{"echo.echo a b\n", "\n\n", "system.listMethods", "x\x00y z\r\n", strings.Repeat("a ", 3000)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		srv, cli := net.Pipe()
		done := make(chan struct{})
		go func() { fe.serve(context.Background(), srv); srv.Close(); close(done) }() // srv.Close: as rawtcp does
		replies := make(chan string, 1)
		go func() {
			var sb strings.Builder
			r := bufio.NewReader(cli)
			for {
				line, err := r.ReadString('\n')
				sb.WriteString(line)
				if err != nil {
					break
				}
			}
			replies <- sb.String()
		}()
		cli.Write(b)
		cli.Close()
		<-done
		for _, line := range strings.SplitAfter(<-replies, "\n") {
			if line != "" && !strings.HasPrefix(line, "OK ") && !strings.HasPrefix(line, "ERR ") {
				t.Fatalf("reply line %q", line)
			}
		}
	})
}
