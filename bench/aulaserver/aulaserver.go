// Package aulaserver boots aula inside a benchmark the way `aula serve`
// does (internal/cli/serve.go): the modules instantiated and configured
// from options, the store opened in a data directory, every module
// provisioned (so the auth module fills the chain's authenticate,
// authorize, limit and audit links), the front ends bound (HTTP, and TCP
// 191 with the activation module) on 127.0.0.1, modules started (the id
// module's background fold runs), then the front ends started. Benchmarks
// measure the chain a school's server runs.
package aulaserver

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"aula/internal/config"
	"aula/internal/core"
	"aula/internal/store"
)

// UnlimitedDriver are the options that keep the auth module's anonymous
// rate limit (a token bucket per source address, --auth-anon-rate 50/s
// after a burst of 200) from refusing the load driver, which makes tens
// of thousands of anonymous calls a second from 127.0.0.1: the bucket
// stays in the chain, and is paid on every call as in production, but
// refills faster than any driver here can drain it.
var UnlimitedDriver = []string{"--auth-anon-rate=1000000000", "--auth-anon-burst=1000000000"}

// Options say what to boot.
type Options struct {
	// Modules are the module ids (the auth module is added when missing).
	Modules []string
	// Args are command-line options as `aula serve` takes them (module
	// options such as --id-server-name); UnlimitedDriver is prepended.
	Args []string
	// DataDir is the data directory (created 0700).
	DataDir string
	// Log receives the server's log; nil discards it.
	Log *slog.Logger
}

// Server is a running in-process aula.
type Server struct {
	App *core.App
	DB  *store.DB
	// Addrs are the listeners' addresses on 127.0.0.1: "main" and "xs",
	// as `aula serve` opens them (--listen, --xs-listen), and "activation"
	// (TCP 191's, --activation-listen) when that module is in.
	Addrs map[string]string
	stops []func(context.Context)
}

// Start boots the server.
func Start(ctx context.Context, o Options) (s *Server, err error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	mods := o.Modules
	if !contains(mods, "auth") {
		mods = append([]string{"auth"}, mods...)
	}
	app, err := core.NewApp(log, mods...)
	if err != nil {
		return nil, err
	}
	set := config.NewSet()
	app.Configure(set)
	fronts, listen, err := newFrontEnds(set, mods)
	if err != nil {
		return nil, err
	}
	args := append(append(append([]string{}, UnlimitedDriver...), listen...), o.Args...)
	if _, err := set.Load(config.Sources{Args: args}); err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, store.Options{Dir: o.DataDir})
	if err != nil {
		return nil, err
	}
	s = &Server{App: app, DB: db}
	s.stops = append(s.stops, func(context.Context) { db.Close() })
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	env := &core.Env{App: app, Store: db, Log: log, Events: app.Events, DataDir: o.DataDir}
	if err := app.Provision(ctx, env); err != nil {
		return nil, err
	}
	if err := fronts.bind(ctx, app, log); err != nil {
		return nil, err
	}
	s.stops = append(s.stops, fronts.stop) // also unbinds when Start fails
	if err := app.Start(ctx); err != nil {
		return nil, err
	}
	s.stops = append(s.stops[:len(s.stops)-1], func(ctx context.Context) { app.Stop(ctx) }, fronts.stop)
	if s.Addrs, err = fronts.start(ctx, app, log); err != nil {
		return nil, err
	}
	if s.Addrs["main"] == "" || s.Addrs["xs"] == "" {
		return nil, fmt.Errorf("aulaserver: listeners bound at %v, want main and xs", s.Addrs)
	}
	return s, nil
}

// Stop shuts the front ends, then the modules, then the store.
func (s *Server) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := len(s.stops) - 1; i >= 0; i-- {
		s.stops[i](ctx)
	}
	s.stops = nil
}

// Count returns how many rows a table holds.
func (s *Server) Count(ctx context.Context, table string) (n int64, err error) {
	err = s.DB.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n)
	return n, err
}

// JournalApplied reports whether the id module applied every registration
// in its journal: no row of id_journal is above the fold's watermark (the
// journal keeps the row of its highest seq once applied, so it is never
// empty). It reads at most two rows, so polling it costs the server under
// test next to nothing, where COUNT(*) walks the whole table each time.
func (s *Server) JournalApplied(ctx context.Context) (applied bool, err error) {
	var waiting bool
	err = s.DB.Reader().QueryRowContext(ctx,
		"SELECT EXISTS (SELECT 1 FROM id_journal WHERE seq > (SELECT value FROM id_meta WHERE name = 'folded'))").Scan(&waiting)
	return !waiting, err
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
