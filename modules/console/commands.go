package console

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"aula/internal/core"
)

// Commands are `aula console list` and `aula console kill`, over the
// methods, so they work on the data directory and against --url alike.
func (m *Module) Commands() []core.Command {
	return []core.Command{
		{Name: "console list", Usage: "[--json]", Help: "list running Python consoles: id, user, pid, uid, sandbox, started", Run: runList},
		{Name: "console kill", Usage: "ID", Help: "end a console by its id (its next request is answered terminate)", Run: runKill},
	}
}

func runList(ctx context.Context, cx *core.CmdContext, args []string) error {
	asJSON := false
	switch {
	case len(args) == 1 && args[0] == "--json":
		asJSON = true
	case len(args) > 0:
		return core.Errorf(core.KindInvalid, "usage: aula console list [--json]")
	}
	var out []Info
	if err := cx.Call(ctx, "console.list", map[string]any{}, &out); err != nil {
		return err
	}
	if asJSON {
		e := json.NewEncoder(cx.Stdout)
		e.SetIndent("", "  ")
		return e.Encode(out)
	}
	w := tabwriter.NewWriter(cx.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tUSER\tPID\tUID\tSANDBOX\tSTARTED")
	for _, c := range out {
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\t%s\n", c.ID, c.User, c.PID, c.UID, c.Sandbox, c.Started)
	}
	return w.Flush()
}

func runKill(ctx context.Context, cx *core.CmdContext, args []string) error {
	if len(args) != 1 {
		return core.Errorf(core.KindInvalid, "usage: aula console kill ID")
	}
	if err := cx.Call(ctx, "console.kill", map[string]any{"id": args[0]}, nil); err != nil {
		return err
	}
	fmt.Fprintf(cx.Stdout, "console %s killed\n", args[0])
	return nil
}
