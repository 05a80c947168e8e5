package httpfront

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"aula/internal/config"
	"aula/internal/core"
	"aula/internal/wire/xmlrpc"
	_ "aula/modules/echo"
)

// routed is a module with a route of each reply shape and an extra
// listener, as modules declare them.
type routed struct{}

func (routed) Methods() []core.Method {
	ok := core.Func("check", "test", func(ctx context.Context, in struct {
		Who string `json:"who"`
	}) (map[string]string, error) {
		if in.Who == "busy" {
			return nil, &core.Error{Kind: core.KindUnavailable, Msg: "busy now", RetryAfter: 7 * time.Second}
		}
		if in.Who != "ok" {
			return nil, core.Errorf(core.KindPermission, "unknown %q", in.Who)
		}
		return map[string]string{"who": in.Who}, nil
	})
	return []core.Method{ok}
}

func (routed) Routes() []core.Route {
	return []core.Route{
		{Method: "GET", Path: "/check", Call: "routed.check"},
		{Method: "GET", Path: "/bare/", Prefix: true, PathArg: "who", Query: []string{}, Call: "routed.check", Reply: core.ReplyStatus},
	}
}

func (routed) Listeners() []core.Listener {
	return []core.Listener{{Name: "extra", Addr: "127.0.0.1:0", Routes: routed{}.Routes()[1:]}}
}

func init() {
	core.Register(core.ModuleInfo{ID: "routed", New: func() core.Module { return routed{} }})
}

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// TestFrontEnd binds the front end as `aula serve` does and checks each
// listener serves what it should.
func TestFrontEnd(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	app, err := core.NewApp(log, "echo", "routed")
	if err != nil {
		t.Fatal(err)
	}
	set := config.NewSet()
	fronts, err := core.NewFrontEnds("http")
	if err != nil {
		t.Fatal(err)
	}
	fronts.Configure(set)
	if _, err := set.Load(config.Sources{Args: []string{"--listen=127.0.0.1:0", "--xs-listen="}}); err != nil {
		t.Fatal(err)
	}
	failed := make(chan error, 1)
	if err := fronts.Bind(t.Context(), &core.FrontEnv{App: app, Log: log, Fail: func(err error) { failed <- err }}); err != nil {
		t.Fatal(err)
	}
	if err := fronts.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	addrs := fronts.Addrs()
	main, extra := "http://"+addrs["http.main"], "http://"+addrs["http.extra"]
	if len(addrs) != 2 || addrs["http.main"] == "" || addrs["http.extra"] == "" {
		t.Fatalf("addrs %v: want main and extra (xs turned off)", addrs)
	}

	var body strings.Builder
	xmlrpc.EncodeCall(&body, "echo.echo", []any{"hi"})
	resp, err := http.Post(main+"/RPC2", "text/xml", strings.NewReader(body.String()))
	if err != nil {
		t.Fatal(err)
	}
	out, err := xmlrpc.DecodeResponse(resp.Body, 0)
	resp.Body.Close()
	if err != nil || len(out.([]any)) != 1 || out.([]any)[0] != "hi" {
		t.Fatalf("XML-RPC echo: %v %v", out, err)
	}
	if code, _, b := get(t, main+"/check?who=ok&_=1"); code != 200 || !strings.Contains(b, `"who":"ok"`) {
		t.Errorf("JSON route: %d %s", code, b)
	}
	for _, base := range []string{main, extra} {
		if code, h, b := get(t, base+"/bare/ok"); code != 200 || b != "" || h.Get("Content-Type") != "text/plain" {
			t.Errorf("%s bare ok: %d %q %v", base, code, b, h)
		}
		if code, h, b := get(t, base+"/bare/busy"); code != 503 || h.Get("Retry-After") != "7" || b != "busy now\n" {
			t.Errorf("%s bare busy: %d %q %v", base, code, b, h)
		}
		if code, _, _ := get(t, base+"/bare/someone"); code != 403 {
			t.Errorf("%s bare refused: %d", base, code)
		}
	}
	if code, _, _ := get(t, extra+"/api"); code != 404 {
		t.Errorf("extra listener serves /api: %d", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := fronts.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-failed:
		t.Errorf("listener failed: %v", err)
	default:
	}
}

// A route naming a method nobody has is refused when the handler is built.
func TestUnknownRouteMethod(t *testing.T) {
	app, err := core.NewApp(slog.New(slog.DiscardHandler), "echo")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RoutesHandler(app, false, "x", []core.Route{{Method: "GET", Path: "/x", Call: "no.such"}}); err == nil ||
		!strings.Contains(err.Error(), "unknown method") {
		t.Errorf("got %v", err)
	}
}
