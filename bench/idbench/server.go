package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"aula/internal/config"
	"aula/internal/core"
	"aula/internal/server"
	"aula/internal/store"
)

// aula is the id module served in-process the way `aula serve` assembles
// it: options loaded, store opened in a data directory, migrations and
// provisioning as internal/cli does, the real handler behind server.HTTP.
type aula struct {
	addr string
	db   *store.DB
	http *server.HTTP
}

func startAula(ctx context.Context, dataDir string) (*aula, error) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	app, err := core.NewApp(quiet, "id")
	if err != nil {
		return nil, err
	}
	set := config.NewSet()
	app.Configure(set)
	if _, err := set.Load(config.Sources{Args: []string{"--id-server-name=xs.bench.lan"}}); err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, store.Options{Dir: dataDir})
	if err != nil {
		return nil, err
	}
	a := &aula{db: db}
	env := &core.Env{App: app, Store: db, Log: quiet, Events: app.Events, DataDir: dataDir}
	if err := app.Provision(ctx, env); err != nil {
		db.Close()
		return nil, err
	}
	h, err := server.Handler(app, false)
	if err != nil {
		db.Close()
		return nil, err
	}
	a.http = &server.HTTP{Handler: h, Log: quiet, Listeners: []server.Listener{{Name: "main", Addr: "127.0.0.1:0"}}}
	if err := a.http.Bind(); err != nil {
		db.Close()
		return nil, err
	}
	a.http.Start()
	a.addr = a.http.Addrs()["main"]
	if a.addr == "" {
		a.stop()
		return nil, fmt.Errorf("no listener address")
	}
	return a, nil
}

func (a *aula) stop() {
	a.http.Shutdown(context.Background())
	a.db.Close()
}

// count returns how many rows a table holds.
func (a *aula) count(ctx context.Context, table string) (n int64, err error) {
	err = a.db.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n)
	return n, err
}
