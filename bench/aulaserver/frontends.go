package aulaserver

import (
	"context"
	"log/slog"
	"net"

	"aula/internal/core"
	"aula/internal/limit"
	"aula/internal/server"
)

// startFrontEnds starts the HTTP front end as `aula serve` does: the
// handler of internal/server on the main and XS listeners, each capped at
// --max-conns' default of 1024 connections. It is the one place to change
// when serve starts every registered core.FrontEnd instead
// (core.NewFrontEnds, Bind with a core.FrontEnv, Start; addresses from
// core.Addresser).
func startFrontEnds(ctx context.Context, app *core.App, log *slog.Logger) (addrs map[string]string, stop func(context.Context), err error) {
	h, err := server.Handler(app, false)
	if err != nil {
		return nil, nil, err
	}
	srv := &server.HTTP{Handler: h, Log: log, Listeners: []server.Listener{
		{Name: "main", Addr: "127.0.0.1:0"},
		{Name: "xs", Addr: "127.0.0.1:0"},
	}, ConnLimit: func(ln net.Listener) net.Listener {
		return limit.NewListener(ln, limit.ListenerConfig{MaxConns: 1024})
	}}
	if err := srv.Bind(); err != nil {
		return nil, nil, err
	}
	srv.Start()
	return srv.Addrs(), func(ctx context.Context) { srv.Shutdown(ctx) }, nil
}
