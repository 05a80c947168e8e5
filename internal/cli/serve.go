package cli

import (
	"context"
	"fmt"
	"time"

	"aula/internal/core"
	"aula/internal/server"
)

// shutdownGrace bounds how long in-flight calls may take to finish after
// SIGTERM before the listeners are torn down.
const shutdownGrace = 30 * time.Second

// runServe runs the server in the foreground until SIGINT/SIGTERM.
func runServe(ctx context.Context, st *stdio, args []string) error {
	rt, rest, err := load(args, st.err)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	if err := rt.open(ctx); err != nil {
		return err
	}
	defer rt.close()
	h, err := server.Handler(rt.app, rt.opts.debug.Get())
	if err != nil {
		return err
	}
	srv := &server.HTTP{Handler: h, Log: rt.log, Listeners: []server.Listener{
		{Name: "main", Addr: rt.opts.listen.Get()},
		{Name: "xs", Addr: rt.opts.xsListen.Get()},
	}}
	if err := srv.Bind(); err != nil {
		return err
	}
	if err := rt.app.Each(func(info core.ModuleInfo, m core.Module) error {
		if b, ok := m.(core.Binder); ok {
			return b.Bind(ctx)
		}
		return nil
	}); err != nil {
		srv.Shutdown(context.Background())
		return err
	}
	if err := rt.app.Start(ctx); err != nil {
		srv.Shutdown(context.Background())
		return err
	}
	srv.Start()
	rt.log.Info("aula serving", "version", server.Version, "data-dir", rt.opts.dataDir.Get(), "chain", rt.app.Chain())
	var serveErr error
	select {
	case <-ctx.Done():
		rt.log.Info("shutting down: finishing in-flight calls", "grace", shutdownGrace)
	case serveErr = <-srv.Err():
		rt.log.Error("listener failed; shutting down", "err", serveErr)
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		rt.log.Warn("shutdown", "err", err)
	}
	if err := rt.app.Stop(sctx); err != nil {
		rt.log.Warn("stopping modules", "err", err)
	}
	rt.log.Info("stopped")
	return serveErr
}
