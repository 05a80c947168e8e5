package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"aula/internal/core"
	"aula/internal/store"
)

// runDBStatus lists every module's applied and pending migrations. It opens
// the database without migrating, so it is safe to run before an upgrade.
func runDBStatus(ctx context.Context, st *stdio, args []string) error {
	rt, rest, err := load(args, st.err)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	db, err := store.Open(ctx, store.Options{Dir: rt.opts.dataDir.Get()})
	if err != nil {
		return err
	}
	defer db.Close()
	tw := tabwriter.NewWriter(st.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODULE\tVERSION\tNAME\tSTATE\tAPPLIED")
	err = rt.app.Each(func(info core.ModuleInfo, m core.Module) error {
		mg, ok := m.(core.Migrator)
		if !ok {
			return nil
		}
		states, err := db.MigrationStatus(ctx, info.ID, mg.Migrations())
		if err != nil {
			return err
		}
		for _, s := range states {
			state, when := "pending", ""
			if s.Applied {
				state, when = "applied", s.AppliedAt.Local().Format(time.DateTime)
			}
			fmt.Fprintf(tw, "%s\t%04d\t%s\t%s\t%s\n", info.ID, s.Version, s.Name, state, when)
		}
		return nil
	})
	tw.Flush()
	return err
}
