package aulaserver

import (
	"context"
	"errors"
	"log/slog"

	"aula/internal/config"
	"aula/internal/core"
	_ "aula/internal/frontend/activationfront" // TCP 191, as cmd/aula imports it
	_ "aula/internal/frontend/httpfront"       // HTTP: main and XS listeners
)

// frontEnds are the front ends `aula serve` starts (core.FrontEnds), with
// every listener on 127.0.0.1 and any port. Everything that depends on how
// serve starts its listeners is in this file.
type frontEnds struct {
	fs *core.FrontEnds
}

// newFrontEnds instantiates the front ends, declares their options in set
// (before it loads) and returns the options that put their listeners on
// 127.0.0.1: the HTTP front end, and TCP 191's when the activation module
// (whose activation.answer it calls) is among modules.
func newFrontEnds(set *config.Set, modules []string) (*frontEnds, []string, error) {
	ids := []string{"http"}
	args := []string{"--listen=127.0.0.1:0", "--xs-listen=127.0.0.1:0"}
	if contains(modules, "activation") {
		ids = append(ids, "activation")
		args = append(args, "--activation-listen=127.0.0.1:0")
	}
	fs, err := core.NewFrontEnds(ids...)
	if err != nil {
		return nil, nil, err
	}
	fs.Configure(set)
	return &frontEnds{fs: fs}, args, nil
}

// bind opens the listeners, as serve does before it starts the modules.
func (f *frontEnds) bind(ctx context.Context, app *core.App, log *slog.Logger) error {
	return f.fs.Bind(ctx, &core.FrontEnv{App: app, Log: log, Fail: func(err error) {
		log.Error("listener failed", "err", err)
	}})
}

// start serves the bound listeners (after the modules started) and returns
// their addresses by name: "main", "xs", and "activation" when TCP 191 is
// served.
func (f *frontEnds) start(ctx context.Context, app *core.App, log *slog.Logger) (map[string]string, error) {
	if err := f.fs.Start(ctx); err != nil {
		return nil, err
	}
	all := f.fs.Addrs()
	addrs := map[string]string{"main": all["http.main"], "xs": all["http.xs"]}
	if a, ok := all["activation.tcp"]; ok {
		addrs["activation"] = a
	}
	if addrs["main"] == "" || addrs["xs"] == "" {
		return nil, errors.New("aulaserver: the HTTP front end bound no main or XS listener")
	}
	return addrs, nil
}

// stop shuts the front ends, letting calls in progress finish until ctx
// ends.
func (f *frontEnds) stop(ctx context.Context) { f.fs.Shutdown(ctx) }
