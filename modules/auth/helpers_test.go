package auth

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"aula/internal/auth/password"
	"aula/internal/config"
	"aula/internal/core"
	"aula/internal/store"
)

// The test module: one method per access level, mutating ones, a method
// with a secret parameter and one that fails internally.
func init() {
	core.Register(core.ModuleInfo{ID: "authtest", New: func() core.Module { return testModule{} }})
}

type testModule struct{}

type putIn struct {
	Key    string         `json:"key"`
	Secret string         `json:"secret_value,omitempty"`
	Extra  map[string]any `json:"extra,omitempty"`
}

func (testModule) Methods() []core.Method {
	ok := func(ctx context.Context, _ struct{}) (bool, error) { return true, nil }
	pub := core.Func("public", "", ok)
	authd := core.Func("member", "", ok)
	authd.Access = core.Authenticated
	adm := core.Func("admin_only", "", ok)
	adm.Access = core.Admin
	put := core.Func("put", "", func(ctx context.Context, in putIn) (bool, error) { return true, nil })
	put.Access, put.Mutates, put.Secret = core.Admin, true, []string{"secret_value"}
	open := core.Func("open_put", "", func(ctx context.Context, in putIn) (bool, error) { return true, nil })
	open.Mutates = true
	open.Aliases = []string{"open_put"}
	fail := core.Func("fail", "", func(ctx context.Context, _ struct{}) (bool, error) {
		return false, core.Errorf(core.KindConflict, "no way")
	})
	fail.Mutates = true
	return []core.Method{pub, authd, adm, put, open, fail}
}

// env is a provisioned App with the auth and authtest modules on a fresh
// store in a temp dir.
type env struct {
	t   testing.TB
	app *core.App
	m   *Module
	db  *store.DB
	dir string
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// optionsFrom loads the [auth] options from flags such as
// "--auth-login-failures=3".
func optionsFrom(t testing.TB, args ...string) *options {
	t.Helper()
	set := config.NewSet()
	o := declare(set.Section("auth"))
	if _, err := set.Load(config.Sources{Args: args}); err != nil {
		t.Fatal(err)
	}
	return o
}

// newEnv builds the env with the [auth] options given as flags.
func newEnv(t testing.TB, args ...string) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, store.Options{Dir: filepath.Join(dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	app, err := core.NewApp(quiet, "auth", "authtest", "audittest")
	if err != nil {
		t.Fatal(err)
	}
	mod, _ := app.Module("auth")
	m := mod.(*Module)
	m.opts = optionsFrom(t, args...)
	cheap := password.Cheap
	m.opts.params = &cheap
	if err := db.Migrate(ctx, "auth", m.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := m.Provision(ctx, &core.Env{App: app, Store: db, Log: quiet, Events: app.Events, DataDir: dir}); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, app: app, m: m, db: db, dir: dir}
}

// local runs a method as the CLI's local-admin.
func (e *env) local(method string, named map[string]any) (any, error) {
	c := &core.Call{Method: method, Named: named, Transport: "cli",
		Caller: core.Caller{Identity: localAdmin, Groups: []string{"admin"}, Via: "local"}}
	return e.app.Handle(context.Background(), c)
}

func (e *env) mustLocal(method string, named map[string]any) any {
	e.t.Helper()
	out, err := e.local(method, named)
	if err != nil {
		e.t.Fatalf("%s: %v", method, err)
	}
	return out
}

func (e *env) addUser(name, pw string, groups ...string) {
	e.t.Helper()
	g := make([]any, len(groups))
	for i, x := range groups {
		g[i] = x
	}
	e.mustLocal("auth.user_add", map[string]any{"name": name, "password": pw, "groups": g})
}

// netCall is a call as a front end makes it, from addr.
type netCall struct {
	method string
	args   []any
	named  map[string]any
	authz  string
	addr   string
}

func (e *env) call(nc netCall) (*core.Call, any, error) {
	if nc.addr == "" {
		nc.addr = "192.0.2.10"
	}
	c := &core.Call{Method: nc.method, Args: nc.args, Named: nc.named, Transport: "rest",
		Caller: core.Caller{Addr: netip.AddrPortFrom(netip.MustParseAddr(nc.addr), 40000)}}
	if c.Args == nil && c.Named == nil {
		c.Args = []any{}
	}
	c.Creds.Authorization = nc.authz
	out, err := e.app.Handle(context.Background(), c)
	return c, out, err
}

func basic(user, pw string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))
}

func kindOf(err error) string {
	if err == nil {
		return "ok"
	}
	return core.KindOf(err).String()
}

// audit returns every audit entry so far.
func (e *env) audit() []AuditEntry {
	e.t.Helper()
	out := e.mustLocal("auth.audit", map[string]any{})
	return out.([]AuditEntry)
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
