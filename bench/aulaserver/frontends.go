package aulaserver

import (
	"context"
	"log/slog"
	"net"

	"aula/internal/config"
	"aula/internal/core"
	"aula/internal/limit"
	"aula/internal/server"
)

// frontEnds are the listeners `aula serve` opens. Everything that depends
// on how serve starts its front ends is in this file: when serve starts
// every registered core.FrontEnd, newFrontEnds becomes core.NewFrontEnds
// plus Configure(set), start becomes Bind (with a core.FrontEnv), Start and
// core.Addresser's Addrs, stop becomes Shutdown.
type frontEnds struct {
	http *server.HTTP
}

// newFrontEnds declares the front ends' options in set, before it loads.
// The HTTP listeners' options are serve's own today (--listen, --max-conns,
// ...), so there is nothing to declare yet.
func newFrontEnds(set *config.Set) (*frontEnds, error) { return &frontEnds{}, nil }

// bind opens the modules' own listeners (TCP 191), as serve does before it
// starts the modules.
func (f *frontEnds) bind(ctx context.Context, app *core.App, log *slog.Logger) error {
	return app.Each(func(info core.ModuleInfo, m core.Module) error {
		if b, ok := m.(core.Binder); ok {
			return b.Bind(ctx)
		}
		return nil
	})
}

// start serves the HTTP handler of internal/server on the main and XS
// listeners (127.0.0.1, any port), each capped at --max-conns' default of
// 1024 connections, and returns the listeners' addresses by name ("main",
// "xs", and "activation" when the activation module is in).
func (f *frontEnds) start(ctx context.Context, app *core.App, log *slog.Logger) (map[string]string, error) {
	h, err := server.Handler(app, false)
	if err != nil {
		return nil, err
	}
	f.http = &server.HTTP{Handler: h, Log: log, Listeners: []server.Listener{
		{Name: "main", Addr: "127.0.0.1:0"},
		{Name: "xs", Addr: "127.0.0.1:0"},
	}, ConnLimit: func(ln net.Listener) net.Listener {
		return limit.NewListener(ln, limit.ListenerConfig{MaxConns: 1024})
	}}
	if err := f.http.Bind(); err != nil {
		return nil, err
	}
	f.http.Start()
	addrs := f.http.Addrs()
	if m, ok := app.Module("activation"); ok {
		if a, ok := m.(interface{ Addr() net.Addr }); ok && a.Addr() != nil {
			addrs["activation"] = a.Addr().String()
		}
	}
	return addrs, nil
}

// stop shuts the listeners, letting calls in progress finish until ctx ends.
func (f *frontEnds) stop(ctx context.Context) {
	if f.http != nil {
		f.http.Shutdown(ctx)
	}
}
