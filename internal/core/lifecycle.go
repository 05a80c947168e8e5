package core

import (
	"context"
	"io"
	"io/fs"
	"log/slog"

	"aula/internal/config"
	"aula/internal/store"
)

// Env is what a module gets when it is provisioned.
type Env struct {
	App     *App
	Store   *store.DB
	Log     *slog.Logger
	Events  *Events
	DataDir string
}

// Configurer declares the module's options; they appear in config files
// (section = module ID), AULA_* variables and flags automatically.
type Configurer interface {
	Configure(s *config.Section)
}

// Migrator supplies the module's embedded SQL migrations.
type Migrator interface {
	Migrations() fs.FS
}

// Provisioner runs once per process after configuration and migrations
// (Clarens's _startup_init): open the module's store, read keys, subscribe
// to events.
type Provisioner interface {
	Provision(ctx context.Context, env *Env) error
}

// OnceIniter runs once per deployment, guarded across processes (Clarens's
// global lock).
type OnceIniter interface {
	InitOnce(ctx context.Context, env *Env) error
}

// Starter starts serving and background loops; only `aula serve` starts
// modules, CLI commands merely provision them.
type Starter interface {
	Start(ctx context.Context) error
}

// Stopper stops what Start started; ctx bounds the wait.
type Stopper interface {
	Stop(ctx context.Context) error
}

// Commander contributes CLI subcommands (`aula client list`, ...).
type Commander interface {
	Commands() []Command
}

// Command is one CLI subcommand a module contributes.
type Command struct {
	// Name is the words after `aula`, e.g. "client list".
	Name string
	// Usage is the argument synopsis ("UID|SERIAL"); Help a one-line summary.
	Usage, Help string
	// Run does the work. The server may be remote (--url) or the data
	// directory opened locally; cx.Call hides which.
	Run func(ctx context.Context, cx *CmdContext, args []string) error
}

// CmdContext is what a module's CLI command gets.
type CmdContext struct {
	Stdout, Stderr io.Writer
	// Call invokes a method with named arguments and decodes the result into
	// out (a pointer to the method's Out type, or nil).
	Call func(ctx context.Context, method string, named map[string]any, out any) error
	// Env is set when the command runs against the local data directory
	// (nil with --url), for commands that must touch local files.
	Env *Env
	// Config is the loaded configuration, to read options by name.
	Config *config.Set
}
