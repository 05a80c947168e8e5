package cli

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"aula/internal/config"
	"aula/internal/core"
	"aula/internal/logrepeat"
	"aula/internal/store"
)

// coreOpts are the options every command shares.
type coreOpts struct {
	dataDir   *config.Opt[string]
	debug     *config.Opt[bool]
	logLevel  *config.Opt[string]
	logFormat *config.Opt[string]
	url       *config.Opt[string]
	client    *clientOpts // TLS for --url
	srv       *serverOpts // TLS, privilege drop, pidfile
}

func defaultDataDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/aula"
	}
	return "./aula-data"
}

func declareCore(s *config.Set) *coreOpts {
	return &coreOpts{
		dataDir:   s.String("data-dir", defaultDataDir(), "directory holding the database and keys (created 0700; /var/lib/aula as root, else ./aula-data)"),
		debug:     s.Bool("debug", false, "send internal error details and stacks to clients (Clarens's PythonDebug); never on a production server"),
		logLevel:  s.String("log-level", "info", "log level: debug, info, warn, error").Choices("debug", "info", "warn", "error"),
		logFormat: s.String("log-format", "text", "log format on stderr: text or json").Choices("text", "json"),
		url:       s.String("url", "", "admin commands: talk to this running server (http://user:pass@host:8000) instead of opening --data-dir"),
		client:    declareClient(s),
		srv:       declareServer(s),
	}
}

// declareAll builds the set of every option a command may take, the
// core's, each registered module's and each registered front end's, with
// the modules it instantiated to ask. It opens nothing.
func declareAll() (*config.Set, *coreOpts, *core.App, *core.FrontEnds, error) {
	s := config.NewSet()
	opts := declareCore(s)
	app, err := core.NewApp(nil)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	app.Configure(s)
	fronts, err := core.NewFrontEnds()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	fronts.Configure(s)
	return s, opts, app, fronts, nil
}

// loaded is a loaded configuration with its modules and front ends.
type loaded struct {
	set    *config.Set
	opts   *coreOpts
	app    *core.App
	fronts *core.FrontEnds // configured, not bound
	log    *slog.Logger
	store  *store.DB
	env    *core.Env
}

// load builds the option set (core + every module's + every front end's),
// reads every source and instantiates the modules and front ends. It
// opens nothing.
func load(args []string, stderr io.Writer) (*loaded, []string, error) {
	s, opts, app, fronts, err := declareAll()
	if err != nil {
		return nil, nil, err
	}
	home, _ := os.UserHomeDir()
	rest, err := s.Load(config.Sources{
		Args:       args,
		Env:        os.Environ(),
		SystemFile: "/etc/aula.conf",
		UserFile:   filepath.Join(home, ".config", "aula", "config"),
	})
	if err != nil {
		return nil, nil, err
	}
	log := newLogger(stderr, opts.logLevel.Get(), opts.logFormat.Get())
	app.Log = log
	return &loaded{set: s, opts: opts, app: app, fronts: fronts, log: log}, rest, nil
}

// logRepeatEvery is how often the same failure (message and error) is
// logged at most; the line after says how many were left out.
const logRepeatEvery = 10 * time.Second

func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(strings.ToUpper(level)))
	ho := &slog.HandlerOptions{Level: lv}
	var h slog.Handler = slog.NewTextHandler(w, ho)
	if format == "json" {
		h = slog.NewJSONHandler(w, ho)
	}
	return slog.New(logrepeat.New(h, logRepeatEvery))
}

// open opens the store, applies every module's migrations and provisions
// the modules (once per process; once-per-deployment init under the guard).
func (rt *loaded) open(ctx context.Context) error {
	db, err := store.Open(ctx, store.Options{Dir: rt.opts.dataDir.Get()})
	if err != nil {
		return err
	}
	rt.store = db
	rt.env = &core.Env{App: rt.app, Store: db, Log: rt.log, Events: rt.app.Events, DataDir: rt.opts.dataDir.Get()}
	if err := rt.app.Provision(ctx, rt.env); err != nil {
		db.Close()
		rt.store = nil
		return err
	}
	return nil
}

func (rt *loaded) close() {
	if rt.store != nil {
		rt.store.Close()
	}
}
