package core_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"

	"aula/internal/core"
	_ "aula/modules/echo"
)

// accessTestModule has one method of each Access, and an alias.
type accessTestModule struct{}

func (accessTestModule) Methods() []core.Method {
	ok := func(ctx context.Context, _ struct{}) (string, error) { return "ok", nil }
	pub := core.Func("pub", "public", ok)
	pub.Aliases = []string{"pubalias"}
	member := core.Func("member", "authenticated", ok)
	member.Access = core.Authenticated
	adm := core.Func("adm", "admin", ok)
	adm.Access, adm.Mutates = core.Admin, true
	return []core.Method{pub, member, adm}
}

func init() {
	core.Register(core.ModuleInfo{ID: "accesstest", New: func() core.Module { return accessTestModule{} }})
}

func bareApp(t *testing.T) *core.App {
	t.Helper()
	a, err := core.NewApp(slog.New(slog.DiscardHandler), "echo", "accesstest")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestSecureByDefault: an App without an authenticator answers Public
// methods only; whatever identity a front end puts in the caller is not
// believed; the CLI's local caller may call everything.
func TestSecureByDefault(t *testing.T) {
	ctx := context.Background()
	echo, err := core.NewApp(nil, "echo") // the app issue 11 found answering system.metrics to anyone
	if err != nil {
		t.Fatal(err)
	}
	if _, err := echo.Handle(ctx, &core.Call{Method: "system.metrics", Args: []any{}, Transport: "xmlrpc"}); core.KindOf(err) != core.KindUnauthenticated {
		t.Fatalf("NewApp(nil, \"echo\") answers system.metrics: %v", err)
	}
	a := bareApp(t)
	forged := core.Caller{Identity: "mallory", Groups: []string{core.AdminGroup}, Via: "cert"}
	for _, m := range []string{"system.metrics", "accesstest.member", "accesstest.adm"} {
		for _, caller := range []core.Caller{{}, forged} {
			_, err := a.Handle(ctx, &core.Call{Method: m, Args: []any{}, Transport: "xmlrpc", Caller: caller})
			if core.KindOf(err) != core.KindUnauthenticated {
				t.Errorf("%s as %q: %v, want unauthenticated", m, caller.Identity, err)
			}
		}
		// A network call that claims to be local (any transport but the CLI's) is not.
		lc := core.LocalCaller()
		if _, err := a.Handle(ctx, &core.Call{Method: m, Args: []any{}, Transport: "rest", Caller: lc}); core.KindOf(err) != core.KindUnauthenticated {
			t.Errorf("%s as a forged local caller: %v", m, err)
		}
		if _, err := a.Handle(ctx, &core.Call{Method: m, Args: []any{}, Transport: "cli", Caller: lc}); err != nil {
			t.Errorf("%s from the CLI: %v", m, err)
		}
	}
	for _, m := range []string{"echo.echo", "accesstest.pub", "pubalias", "system.listMethods"} {
		if _, err := a.Handle(ctx, &core.Call{Method: m, Args: []any{}, Transport: "xmlrpc"}); err != nil {
			t.Errorf("public %s: %v", m, err)
		}
	}
	if _, err := a.Handle(ctx, &core.Call{Method: "no.such", Args: []any{}}); core.KindOf(err) != core.KindNoMethod {
		t.Errorf("unknown method: %v", err)
	}
}

// TestIntrospectionListsEveryName: system.multicall and aliases are
// methods like the others for listMethods, methodHelp and methodSignature;
// anonymous callers see only what they may call.
func TestIntrospectionListsEveryName(t *testing.T) {
	a := bareApp(t)
	ctx := context.Background()
	call := func(c *core.Call) any {
		t.Helper()
		out, err := a.Handle(ctx, c)
		if err != nil {
			t.Fatalf("%s: %v", c.Method, err)
		}
		return out
	}
	anon := call(&core.Call{Method: "system.listMethods", Args: []any{}}).([]string)
	for _, n := range []string{"system.multicall", "pubalias", "accesstest.pub", "echo.echo"} {
		if !slices.Contains(anon, n) {
			t.Errorf("anonymous listMethods lacks %s: %v", n, anon)
		}
	}
	for _, n := range []string{"system.metrics", "accesstest.adm", "accesstest.member"} {
		if slices.Contains(anon, n) {
			t.Errorf("anonymous listMethods shows %s, which it may not call", n)
		}
	}
	local := call(&core.Call{Method: "system.listMethods", Args: []any{}, Transport: "cli", Caller: core.LocalCaller()}).([]string)
	if !slices.Equal(local, a.MethodNames()) || !slices.Contains(local, "system.metrics") {
		t.Errorf("local listMethods = %v", local)
	}
	if h := call(&core.Call{Method: "system.methodHelp", Args: []any{"system.multicall"}}).(string); h == "" {
		t.Error("no help for system.multicall")
	}
	if h := call(&core.Call{Method: "system.methodHelp", Args: []any{"pubalias"}}).(string); h != "public" {
		t.Errorf("alias help %q", h)
	}
	if s, ok := call(&core.Call{Method: "system.methodSignature", Args: []any{"system.multicall"}}).([][]string); !ok || !slices.Equal(s[0], []string{"array", "array"}) {
		t.Errorf("multicall signature %v", s)
	}
	if s, ok := call(&core.Call{Method: "system.methodSignature", Args: []any{"pubalias"}}).([][]string); !ok || !slices.Equal(s[0], []string{"string"}) {
		t.Errorf("alias signature %v", s)
	}
}

// TestMulticallThroughTheChain: each entry is authorized on its own, so
// an admin method inside a multicall is refused like one called alone.
func TestMulticallThroughTheChain(t *testing.T) {
	a := bareApp(t)
	calls := []any{
		map[string]any{"methodName": "echo.echo", "params": []any{"one"}},
		map[string]any{"methodName": "system.metrics", "params": []any{}},
		map[string]any{"methodName": "system.multicall", "params": []any{[]any{}}},
		"not a struct",
	}
	out, err := a.Handle(context.Background(), &core.Call{Method: "system.multicall", Args: []any{calls}, ID: "mc"})
	if err != nil {
		t.Fatal(err)
	}
	res := out.([]any)
	if len(res) != 4 || !slices.Equal(res[0].([]any)[0].([]any), []any{"one"}) {
		t.Fatalf("results %#v", res)
	}
	for i, code := range map[int]int{1: 401, 2: 400, 3: 400} {
		f, ok := res[i].(map[string]any)
		if !ok || f["faultCode"] != code || f["faultString"] == "" {
			t.Errorf("entry %d = %#v, want fault %d", i, res[i], code)
		}
	}
	// REST's named form.
	out, err = a.Handle(context.Background(), &core.Call{Method: "system.multicall",
		Named: map[string]any{"calls": calls[:1]}})
	if err != nil || len(out.([]any)) != 1 {
		t.Fatalf("named: %v %v", out, err)
	}
}
