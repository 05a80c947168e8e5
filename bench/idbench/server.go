package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

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

// settle has the server apply its registration journal, through the same
// read a laptop makes: a status lookup settles the journal first.
func (a *aula) settle() error {
	resp, err := http.Get("http://" + a.addr + "/client/status?uid=" + strings.Repeat("0", 40))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status lookup to fold the journal: %s", resp.Status)
	}
	return nil
}
