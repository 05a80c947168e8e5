package auth

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"aula/internal/auth/password"
	"aula/internal/core"
	"aula/internal/store"
)

// sharedSecretCall makes a call as the chat front end does for a client
// it proved with its magic.
func (e *env) sharedSecretCall(name, method string) (*core.Call, error) {
	c := &core.Call{Method: method, Args: []any{}, Transport: "chat",
		Caller: core.Caller{Addr: netip.MustParseAddrPort("127.0.0.1:40000")},
		Creds:  core.Credentials{SharedSecret: name, SharedSecretVia: "magic"}}
	_, err := e.app.Handle(context.Background(), c)
	return c, err
}

// otherProcess is a second App with its own auth module and its own store
// connections on e's data directory: what `aula user ...` run on the data
// directory while the server runs amounts to.
func (e *env) otherProcess() *env {
	e.t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{Dir: filepath.Join(e.dir, "data")})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	app, err := core.NewApp(quiet, "auth", "authtest")
	if err != nil {
		e.t.Fatal(err)
	}
	mod, _ := app.Module("auth")
	m := mod.(*Module)
	m.opts = optionsFrom(e.t)
	cheap := password.Cheap
	m.opts.params = &cheap
	if err := m.Provision(ctx, &core.Env{App: app, Store: db, Log: quiet, Events: app.Events, DataDir: e.dir}); err != nil {
		e.t.Fatal(err)
	}
	return &env{t: e.t, app: app, m: m, db: db, dir: e.dir}
}

// A group revoked through this process's methods stops access at the next
// call, though the groups were remembered.
func TestRevokedGroupStopsAccessAtOnce(t *testing.T) {
	e := newEnv(t)
	e.mustLocal("auth.user_groups", map[string]any{"name": "ivle-web", "groups": []any{"admin"}})
	for range 3 { // remembered after the first
		if _, err := e.sharedSecretCall("ivle-web", "authtest.admin_only"); err != nil {
			t.Fatalf("admin client refused: %v", err)
		}
	}
	e.mustLocal("auth.user_groups", map[string]any{"name": "ivle-web", "groups": []any{"staff"}})
	c, err := e.sharedSecretCall("ivle-web", "authtest.admin_only")
	if kindOf(err) != "permission denied" {
		t.Fatalf("after the revocation: %v, want permission denied", err)
	}
	if !c.Caller.InGroup("staff") || c.Caller.InGroup("admin") {
		t.Fatalf("groups %v", c.Caller.Groups)
	}
	// Granted again, and removed with the user: both at once too.
	e.mustLocal("auth.user_groups", map[string]any{"name": "ivle-web", "groups": []any{"admin"}})
	if _, err := e.sharedSecretCall("ivle-web", "authtest.admin_only"); err != nil {
		t.Fatalf("granted again: %v", err)
	}
	e.mustLocal("auth.user_rm", map[string]any{"name": "ivle-web"})
	if _, err := e.sharedSecretCall("ivle-web", "authtest.admin_only"); kindOf(err) != "permission denied" {
		t.Fatalf("after user_rm: %v, want permission denied", err)
	}
	// A password user added now gets its groups at its first call.
	e.addUser("ann", "ann-password", "admin")
	if _, _, err := e.call(netCall{method: "authtest.admin_only", authz: basic("ann", "ann-password")}); err != nil {
		t.Fatalf("new admin user: %v", err)
	}
}

// A revocation written by another process into the same store (the CLI on
// the data directory) stops access within the cache's lifetime.
func TestRevokedGroupByOtherProcessStopsAccess(t *testing.T) {
	e := newEnv(t)
	e.mustLocal("auth.user_groups", map[string]any{"name": "ivle-web", "groups": []any{"admin"}})
	if _, err := e.sharedSecretCall("ivle-web", "authtest.admin_only"); err != nil {
		t.Fatalf("admin client refused: %v", err)
	}
	cli := e.otherProcess()
	cli.mustLocal("auth.user_groups", map[string]any{"name": "ivle-web", "groups": []any{}})
	// No timing is asserted: the refusal must come, well within a
	// deadline far longer than groupsCheckEvery on any machine.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := e.sharedSecretCall("ivle-web", "authtest.admin_only")
		if kindOf(err) == "permission denied" {
			break
		}
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("a revocation by another process never took effect")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// And a grant by the other process is seen the same way.
	cli.mustLocal("auth.user_groups", map[string]any{"name": "ivle-web", "groups": []any{"admin"}})
	for {
		_, err := e.sharedSecretCall("ivle-web", "authtest.admin_only")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a grant by another process never took effect: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A read that raced with a local change is not remembered.
func TestGroupCacheDropsRacingRead(t *testing.T) {
	var g groupCache
	g.saw(7)
	_, ok, gen := g.get("x")
	if ok {
		t.Fatal("empty cache hit")
	}
	g.invalidate() // a change committed while the read ran
	g.put("x", []string{"admin"}, gen)
	if _, ok, _ := g.get("x"); ok {
		t.Fatal("a read older than a change was remembered")
	}
	_, _, gen = g.get("x")
	g.put("x", []string{"staff"}, gen)
	if got, ok, _ := g.get("x"); !ok || len(got) != 1 || got[0] != "staff" {
		t.Fatalf("got %v %v", got, ok)
	}
	g.saw(7) // nothing changed anywhere
	if _, ok, _ := g.get("x"); !ok {
		t.Fatal("an unchanged version counter emptied the cache")
	}
	_, _, gen = g.get("y")
	g.saw(8) // another process changed groups while y was read
	g.put("y", []string{"admin"}, gen)
	if _, ok, _ := g.get("x"); ok {
		t.Fatal("an entry was served after another process changed groups")
	}
	if _, ok, _ := g.get("y"); ok {
		t.Fatal("a read older than another process's change was remembered")
	}
	now := time.Now()
	if !g.due(now) || g.due(now) || !g.due(now.Add(groupsCheckEvery)) {
		t.Fatal("the version counter is not read once per groupsCheckEvery")
	}
}
