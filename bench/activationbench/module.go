package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"aula/internal/config"
	"aula/internal/core"
	_ "aula/internal/frontend/activationfront" // the "activation" front end
	"aula/internal/store"
	activationmod "aula/modules/activation"
)

// moduleServer is the real activation module answering on 127.0.0.1
// through its TCP 191 front end: its
// own store in a temp directory, leases imported through its admin
// method, started as `aula serve` starts it. Every answer goes through the
// module's hot path: cache lookup, memoised reply, request record.
type moduleServer struct {
	Addr    string
	Serials []string
	Lease   func(serial string) []byte
	stop    func()
}

// benchLease is a syntactically valid 647-byte sig02 act01 line for sn.
// Its signature is not real: with no trusted key configured the module
// stores it unverified, which is all the hot path needs.
func benchLease(sn string) string {
	return "act01: " + sn + " K 20991231T000000Z sig02: sha256 " + strings.Repeat("ab", 32) +
		" 20991231T000000Z " + strings.Repeat("5a", 256) + "\n"
}

// startModule boots the activation module with n laptops that have a lease.
func startModule(n int) (*moduleServer, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "activationbench-")
	if err != nil {
		return nil, err
	}
	cleanup := []func(){func() { os.RemoveAll(dir) }}
	fail := func(err error) (*moduleServer, error) {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	app, err := core.NewApp(log, "activation")
	if err != nil {
		return fail(err)
	}
	set := config.NewSet()
	mod, _ := app.Module("activation")
	m := mod.(*activationmod.Module)
	m.Configure(set.Section("activation"))
	fronts, err := core.NewFrontEnds("activation")
	if err != nil {
		return fail(err)
	}
	fronts.Configure(set)
	if _, err := set.Load(config.Sources{Args: []string{"--activation-listen=127.0.0.1:0"}}); err != nil {
		return fail(err)
	}
	db, err := store.Open(ctx, store.Options{Dir: dir + "/data"})
	if err != nil {
		return fail(err)
	}
	cleanup = append(cleanup, func() { db.Close() })
	if err := db.Migrate(ctx, "activation", m.Migrations()); err != nil {
		return fail(err)
	}
	env := &core.Env{App: app, Store: db, Log: log, Events: app.Events, DataDir: dir + "/data"}
	if err := m.Provision(ctx, env); err != nil {
		return fail(err)
	}
	s := &moduleServer{}
	var lines []any
	for i := range n {
		sn := fmt.Sprintf("SHF%08X", i)
		s.Serials = append(s.Serials, sn)
		lines = append(lines, benchLease(sn))
	}
	for len(lines) > 0 {
		chunk := lines[:min(len(lines), 5000)]
		lines = lines[len(chunk):]
		c := &core.Call{Method: "activation.import_leases", Transport: "cli",
			Named:  map[string]any{"source": "bench", "lines": chunk},
			Caller: core.Caller{Identity: "local-admin", Groups: []string{"admin"}, Via: "local"}}
		if _, err := app.Handle(ctx, c); err != nil {
			return fail(fmt.Errorf("importing bench leases: %w", err))
		}
	}
	// Served as `aula serve` serves it: the TCP 191 front end turns each
	// request into a call of activation.answer through App.Handle.
	if err := fronts.Bind(ctx, &core.FrontEnv{App: app, Log: log}); err != nil {
		return fail(err)
	}
	if err := app.Start(ctx); err != nil {
		fronts.Shutdown(ctx)
		return fail(err)
	}
	if err := fronts.Start(ctx); err != nil {
		fronts.Shutdown(ctx)
		return fail(err)
	}
	cleanup = append(cleanup, func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		fronts.Shutdown(sctx)
		app.Stop(sctx)
	})
	s.Addr = fronts.Addrs()["activation.tcp"]
	s.Lease = func(sn string) []byte { return []byte(benchLease(sn)) }
	s.stop = func() { fail(nil) }
	return s, nil
}

// Stop stops the module and removes its data.
func (s *moduleServer) Stop() { s.stop() }
