package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"aula/internal/config"
	"aula/internal/core"
	"aula/internal/frontend/httpfront"
	"aula/internal/server"
	"aula/internal/store"
)

// aula is the id module served in-process the way `aula serve` assembles
// it: options loaded, store opened in a data directory, migrations and
// provisioning as internal/cli does, the real handler behind server.HTTP.
type aula struct {
	addr string
	app  *core.App
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
	a := &aula{app: app, db: db}
	env := &core.Env{App: app, Store: db, Log: quiet, Events: app.Events, DataDir: dataDir}
	if err := app.Provision(ctx, env); err != nil {
		db.Close()
		return nil, err
	}
	h, err := httpfront.Handler(app, false)
	if err != nil {
		db.Close()
		return nil, err
	}
	// Started as `aula serve` starts it: the id module folds its
	// registration journal in the background.
	if err := app.Start(ctx); err != nil {
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
	a.app.Stop(context.Background())
	a.db.Close()
}

// count returns how many rows a table holds.
func (a *aula) count(ctx context.Context, table string) (n int64, err error) {
	err = a.db.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n)
	return n, err
}

// settle waits until the server has applied its registration journal.
func (a *aula) settle() error {
	// Reads no longer fold; the server's background fold applies the
	// journal once registrations pause: wait for it.
	for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(10 * time.Millisecond) {
		n, err := a.count(context.Background(), "id_journal")
		if err != nil || n == 0 {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the journal still holds %d registrations after 5 minutes", n)
		}
	}
}
