package lab

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"aula/internal/config"
	"aula/internal/core"
	"aula/internal/store"
	_ "aula/modules/auth" // the chain's authenticator: agents are known by their certificate
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// harness is one in-process aula with the lab module, booted as
// internal/cli does.
type harness struct {
	t   testing.TB
	dir string
	app *core.App
	mod *Module
	db  *store.DB
}

func newHarness(t testing.TB, dir string, args ...string) *harness {
	t.Helper()
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "data")
	}
	ctx := context.Background()
	app, err := core.NewApp(quietLog, "lab", "auth")
	if err != nil {
		t.Fatal(err)
	}
	set := config.NewSet()
	app.Configure(set)
	if _, err := set.Load(config.Sources{Args: append([]string{"--lab-poll-interval=20ms"}, args...)}); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	mod, _ := app.Module("lab")
	h := &harness{t: t, dir: dir, app: app, mod: mod.(*Module), db: db}
	t.Cleanup(h.close)
	env := &core.Env{App: app, Store: db, Log: quietLog, Events: app.Events, DataDir: dir}
	if err := app.Provision(ctx, env); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h.app.Stop(ctx)
	h.db.Close()
}

// call runs a method as the local admin, as the CLI does.
func (h *harness) call(method string, named map[string]any) (any, error) {
	c := &core.Call{Method: method, Named: named, Transport: "cli",
		Caller: core.LocalCaller()}
	if c.Named == nil {
		c.Named = map[string]any{}
	}
	return h.app.Handle(context.Background(), c)
}

func (h *harness) mustCall(method string, named map[string]any) any {
	h.t.Helper()
	out, err := h.call(method, named)
	if err != nil {
		h.t.Fatalf("%s: %v", method, err)
	}
	return out
}

// agentCall runs an agent method as the agent front end would.
func (h *harness) agentCall(identity, method string, named map[string]any) (any, error) {
	// The front end passes the verified peer certificate; the auth module
	// makes its CN the caller.
	var creds core.Credentials
	if identity != "" {
		creds.PeerCerts = []*x509.Certificate{{Subject: pkix.Name{CommonName: identity}}}
	}
	c := &core.Call{Method: method, Named: named, Transport: "lab", Creds: creds}
	if c.Named == nil {
		c.Named = map[string]any{}
	}
	return h.app.Handle(context.Background(), c)
}
