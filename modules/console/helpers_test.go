package console

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"aula/internal/config"
	"aula/internal/core"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// env is a provisioned, started console module over a temp data dir.
type env struct {
	t   testing.TB
	app *core.App
	m   *Module
	dir string
}

func newEnv(t testing.TB, args ...string) *env {
	t.Helper()
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Fatalf("python3 is needed (scripts/deps.sh installs it): %v", err)
	}
	app, err := core.NewApp(quiet, "console")
	if err != nil {
		t.Fatal(err)
	}
	mod, _ := app.Module("console")
	m := mod.(*Module)
	set := config.NewSet()
	m.Configure(set.Section("console"))
	if _, err := set.Load(config.Sources{Args: args}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx := context.Background()
	if err := m.Provision(ctx, &core.Env{App: app, Log: quiet, DataDir: dir}); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := m.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return &env{t: t, app: app, m: m, dir: dir}
}

func (e *env) call(method string, named map[string]any) (any, error) {
	// As the CLI's local administrator: console methods need an identity.
	return e.app.Handle(context.Background(), &core.Call{Method: method, Named: named, Transport: "cli", Caller: core.LocalCaller()})
}

func (e *env) start(user string) StartReply {
	e.t.Helper()
	out, err := e.call("console.start", map[string]any{"user": user})
	if err != nil {
		e.t.Fatalf("console.start(%s): %v", user, err)
	}
	return out.(StartReply)
}

func (e *env) send(handle, cmd string, text any) map[string]any {
	e.t.Helper()
	out, err := e.call("console.chat", map[string]any{"handle": handle, "cmd": cmd, "text": text})
	if err != nil {
		e.t.Fatalf("console.chat(%s): %v", cmd, err)
	}
	return out.(map[string]any)
}

// session drives a command the way IVLE's Console does: it follows the
// output and input round trips and returns the output and the final reply.
func (e *env) session(handle, cmd string, text any, input ...string) (string, map[string]any) {
	e.t.Helper()
	var out strings.Builder
	r := e.send(handle, cmd, text)
	for {
		if s, ok := r["output"].(string); ok {
			out.WriteString(s)
			r = e.send(handle, "chat", "")
			continue
		}
		if _, ok := r["input"]; ok {
			if len(input) == 0 {
				e.t.Fatalf("console asked for input; the test has none left (output so far %q)", out.String())
			}
			r = e.send(handle, "chat", input[0])
			input = input[1:]
			continue
		}
		return out.String(), r
	}
}
