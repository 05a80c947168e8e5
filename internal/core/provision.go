package core

import (
	"context"
	"fmt"

	"aula/internal/config"
)

// Configure declares every loaded module's options in s, each in the
// section named after its module ID.
func (a *App) Configure(s *config.Set) {
	for _, l := range a.mods {
		if c, ok := l.mod.(Configurer); ok {
			c.Configure(s.Section(l.info.ID))
		}
	}
}

// Provision readies every loaded module on env's store: it applies the
// module's migrations, provisions it (once per process, with a logger
// naming the module) and runs its once-per-deployment set-up under the
// store's guard. Every caller that boots modules (the CLI, tests,
// benchmarks) goes through here, so they all boot them the same way.
func (a *App) Provision(ctx context.Context, env *Env) error {
	for _, l := range a.mods {
		if mg, ok := l.mod.(Migrator); ok {
			if err := env.Store.Migrate(ctx, l.info.ID, mg.Migrations()); err != nil {
				return fmt.Errorf("module %s: %w", l.info.ID, err)
			}
		}
	}
	for _, l := range a.mods {
		menv := *env
		if menv.Log == nil {
			menv.Log = a.Log
		}
		menv.Log = menv.Log.With("module", l.info.ID)
		if p, ok := l.mod.(Provisioner); ok {
			if err := p.Provision(ctx, &menv); err != nil {
				return fmt.Errorf("module %s: provision: %w", l.info.ID, err)
			}
		}
		if oi, ok := l.mod.(OnceIniter); ok {
			_, err := env.Store.Once(ctx, "init:"+l.info.ID, func(ctx context.Context) error { return oi.InitOnce(ctx, &menv) })
			if err != nil {
				return fmt.Errorf("module %s: init: %w", l.info.ID, err)
			}
		}
	}
	return nil
}
