package labfront

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"aula/internal/agent"
	"aula/internal/ca"
	"aula/internal/config"
	"aula/internal/core"
	"aula/internal/store"
	_ "aula/modules/auth"
	"aula/modules/lab"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// rig is the lab module and this front end in one process, driven through
// Bind/Start/Shutdown as `aula serve` does.
type rig struct {
	t   *testing.T
	app *core.App
	fe  *FrontEnd
	dir string
}

func newRig(t *testing.T, args ...string) *rig {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	app, err := core.NewApp(quietLog, "lab", "auth")
	if err != nil {
		t.Fatal(err)
	}
	set := config.NewSet()
	app.Configure(set)
	fe := &FrontEnd{}
	fe.Configure(set.Section("lab"))
	if _, err := set.Load(config.Sources{Args: append([]string{"--lab-listen=127.0.0.1:0", "--lab-poll-interval=20ms"}, args...)}); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Init(filepath.Join(dir, "ca"), "test CA"); err != nil {
		t.Fatal(err)
	}
	if err := app.Provision(ctx, &core.Env{App: app, Store: db, Log: quietLog, Events: app.Events, DataDir: dir}); err != nil {
		t.Fatal(err)
	}
	if err := fe.Bind(ctx, &core.FrontEnv{App: app, Log: quietLog, DataDir: dir}); err != nil {
		t.Fatal(err)
	}
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := fe.Start(ctx); err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, app: app, fe: fe, dir: dir}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := fe.Shutdown(sctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		app.Stop(sctx)
		db.Close()
	})
	return r
}

func (r *rig) call(method string, named map[string]any) any {
	r.t.Helper()
	c := &core.Call{Method: method, Named: named, Transport: "cli", Caller: core.LocalCaller()}
	out, err := r.app.Handle(context.Background(), c)
	if err != nil {
		r.t.Fatalf("%s: %v", method, err)
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// In-process agents (the same code as `aula agent`) enrol, take a launch
// on the lab pushed to their open connections, and are all closed by
// Shutdown.
func TestAgentsThroughFrontEnd(t *testing.T) {
	r := newRig(t)
	r.call("lab.labAdd", map[string]any{"name": "l1"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{}, 3)
	for _, name := range []string{"a", "b", "c"} {
		r.call("lab.computerAdd", map[string]any{"name": name, "lab": "l1"})
		secret := r.call("lab.enrol", map[string]any{"name": name}).(lab.EnrolReply).Secret
		ag, err := agent.New(agent.Config{Server: r.fe.Addrs()["agents"], Dir: filepath.Join(t.TempDir(), name), Token: secret,
			CAFile: filepath.Join(r.dir, "ca", "ca.crt"), Log: quietLog, MaxBackoff: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		go func() { ag.Run(ctx); done <- struct{}{} }()
	}
	waitFor(t, "three idle agents", func() bool {
		n := 0
		for _, s := range statusStates(r) {
			if s == "idle" {
				n++
			}
		}
		return n == 3
	})
	r.call("lab.run", map[string]any{"command": "probe", "lab": "l1"})
	waitFor(t, "three probes", func() bool {
		n := 0
		for _, s := range statusLast(r) {
			if s == "finished" {
				n++
			}
		}
		return n == 3
	})
	cancel()
	for i := 0; i < 3; i++ {
		<-done
	}
}
