package activationfront

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"aula/internal/config"
	"aula/internal/core"
	"aula/internal/wire/activation"
)

// recorder stands in for the activation module: a real module whose
// activation.answer reports what the front end called it with.
type recorder struct{}

type answerArgs struct {
	Serial       string `json:"serial"`
	RTCTimestamp string `json:"rtc_timestamp,omitempty"`
	RTCCount     string `json:"rtc_count,omitempty"`
	Invalid      string `json:"invalid,omitempty"`
}

func (recorder) Methods() []core.Method {
	m := core.Func("answer", "test", func(ctx context.Context, in answerArgs) ([]byte, error) {
		c := core.CallFrom(ctx)
		if in.Serial == "NOTHING" {
			return nil, nil
		}
		if in.Invalid != "" {
			in.Invalid = "invalid"
		}
		return []byte(strings.Join([]string{in.Serial, in.RTCTimestamp, in.RTCCount, in.Invalid,
			c.Transport, c.Caller.Addr.Addr().String()}, "|")), nil
	})
	return []core.Method{m}
}

func init() {
	core.Register(core.ModuleInfo{ID: "activation", New: func() core.Module { return recorder{} }})
}

// serve boots the front end on 127.0.0.1:0 in front of app.
func serve(t *testing.T, app *core.App) string {
	t.Helper()
	set := config.NewSet()
	fronts, err := core.NewFrontEnds("activation")
	if err != nil {
		t.Fatal(err)
	}
	fronts.Configure(set)
	if _, err := set.Load(config.Sources{Args: []string{"--activation-listen=127.0.0.1:0", "--activation-read-deadline=2s"}}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := fronts.Bind(ctx, &core.FrontEnv{App: app, Log: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	if err := fronts.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := fronts.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return fronts.Addrs()["activation.tcp"]
}

// Each request is a call of activation.answer through App.Handle, and the
// reply is the method's bytes unchanged.
func TestRequestsAreCalls(t *testing.T) {
	app, err := core.NewApp(slog.New(slog.DiscardHandler), "activation")
	if err != nil {
		t.Fatal(err)
	}
	var limited atomic.Int32
	app.Replace("limit", func(ctx context.Context, c *core.Call, next core.Next) (any, error) {
		if len(c.Args) > 0 && c.Args[0] == "LIMITED" {
			limited.Add(1)
			return nil, core.Errorf(core.KindTooMany, "slow down")
		}
		return next(ctx, c)
	})
	addr := serve(t, app)
	for _, tc := range []struct{ send, want string }{
		{"SHF706002A7", "SHF706002A7||||activation|127.0.0.1"},
		{"rtcreset SHF706002A7 20110512T003512Z 135", "SHF706002A7|20110512T003512Z|135||activation|127.0.0.1"},
		{"not a serial", "|||invalid|activation|127.0.0.1"},
		{"NOTHING", ""},
		{"LIMITED", ""}, // refused by the chain: closed with nothing
	} {
		got, err := activation.Ask(addr, []byte(tc.send), 30*time.Second)
		if err != nil {
			t.Fatalf("%q: %v", tc.send, err)
		}
		if string(got) != tc.want {
			t.Errorf("%q: got %q, want %q", tc.send, got, tc.want)
		}
	}
	if n := limited.Load(); n != 1 {
		t.Errorf("the limit link saw %d LIMITED calls, want 1", n)
	}
}

type other struct{}

func (other) Methods() []core.Method { return nil }

func init() {
	core.Register(core.ModuleInfo{ID: "other", New: func() core.Module { return other{} }})
}

// A binary without the activation module serves no TCP 191.
func TestNoModuleNoListener(t *testing.T) {
	app, err := core.NewApp(slog.New(slog.DiscardHandler), "other")
	if err != nil {
		t.Fatal(err)
	}
	set := config.NewSet()
	fronts, err := core.NewFrontEnds("activation")
	if err != nil {
		t.Fatal(err)
	}
	fronts.Configure(set)
	if _, err := set.Load(config.Sources{Args: []string{"--activation-listen=127.0.0.1:0"}}); err != nil {
		t.Fatal(err)
	}
	if err := fronts.Bind(context.Background(), &core.FrontEnv{App: app, Log: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	defer fronts.Shutdown(context.Background())
	if a := fronts.Addrs(); len(a) != 0 {
		t.Errorf("listening at %v without the activation module", a)
	}
}
