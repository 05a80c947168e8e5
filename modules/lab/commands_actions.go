package lab

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"aula/internal/core"
)

func ioReadFull(r io.Reader, buf []byte) (int, error) { return io.ReadFull(r, buf) }

func runRun(ctx context.Context, cx *core.CmdContext, args []string) error {
	var lab, group, computer string
	var params core.Strings
	var wait bool
	timeout := 5 * time.Minute
	pos, err := parseFlags("run", args, func(fs *flag.FlagSet) {
		fs.StringVar(&lab, "lab", "", "every computer of this lab (all: every lab)")
		fs.StringVar(&group, "group", "", "every computer of this group (within --lab if given)")
		fs.StringVar(&computer, "computer", "", "one computer")
		fs.Var(&params, "param", "k=v: a PARAM for the command (repeatable), e.g. scp='uname -a' for script")
		fs.BoolVar(&wait, "wait", false, "wait for every action to end and print the results")
		fs.DurationVar(&timeout, "timeout", timeout, "with --wait, stop waiting after this long")
	})
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("want one COMMAND (usage: aula run %s)", usageOf("run"))
	}
	named := map[string]any{"command": pos[0], "lab": lab, "group": group, "computer": computer}
	if len(params) > 0 {
		p := map[string]any{}
		for _, kv := range params {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return fmt.Errorf("--param %q: want k=v", kv)
			}
			p[k] = v
		}
		named["params"] = p
	}
	var out Launched
	if err := cx.Call(ctx, "lab.run", named, &out); err != nil {
		return err
	}
	fmt.Fprintf(cx.Stdout, "launch %s: %s on %d computer(s)", out.Launch, out.Command, len(out.Actions))
	if len(out.Skipped) > 0 {
		fmt.Fprintf(cx.Stdout, "; skipped (maintenance): %s", strings.Join(out.Skipped, ", "))
	}
	fmt.Fprintln(cx.Stdout)
	if !wait || len(out.Actions) == 0 {
		return nil
	}
	return waitLaunch(ctx, cx, out.Launch, timeout)
}

// waitLaunch polls a launch's actions until none is open, prints them,
// and fails unless every one succeeded.
func waitLaunch(ctx context.Context, cx *core.CmdContext, launch string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var acts []Action
		if err := cx.Call(ctx, "lab.actions", map[string]any{"launch": launch}, &acts); err != nil {
			return err
		}
		open := 0
		for _, a := range acts {
			if isOpen(a.State) {
				open++
			}
		}
		if open == 0 || time.Now().After(deadline) {
			printActions(cx.Stdout, acts)
			if open > 0 {
				return fmt.Errorf("%d action(s) still open after %s", open, timeout)
			}
			for _, a := range acts {
				if a.Result != resultOK {
					return fmt.Errorf("%d of %d action(s) did not succeed", countFailed(acts), len(acts))
				}
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func countFailed(acts []Action) int {
	n := 0
	for _, a := range acts {
		if a.Result != resultOK {
			n++
		}
	}
	return n
}

func printActions(w io.Writer, acts []Action) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCOMPUTER\tCOMMAND\tLAUNCHER\tSTATE\tRESULT\tCREATED\tFINISHED\tOUTPUT")
	for _, a := range acts {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.Computer, a.Command, a.Launcher, a.State, resultName(a.Result),
			a.CreatedAt, dash(a.FinishedAt), dash(firstLine(a.Output)))
	}
	tw.Flush()
}

// firstLine shortens output for a table row.
func firstLine(s string) string {
	s, _, cut := strings.Cut(s, "\n")
	if len(s) > 60 {
		s, cut = s[:60], true
	}
	if cut {
		s += "…"
	}
	return s
}

func runActions(ctx context.Context, cx *core.CmdContext, args []string) error {
	var in ActionsArgs
	var follow, asJSON bool
	if _, err := parseFlags("actions", args, func(fs *flag.FlagSet) {
		fs.StringVar(&in.Lab, "lab", "", "only this lab")
		fs.StringVar(&in.State, "state", "", "only this state: queued, paused, sent, finished, failed, expired, deleted")
		fs.StringVar(&in.Computer, "computer", "", "only this computer")
		fs.StringVar(&in.Launch, "launch", "", "only this launch")
		fs.IntVar(&in.Limit, "limit", 50, "at most this many (the newest)")
		fs.BoolVar(&follow, "follow", false, "keep printing new rows and rows that change state")
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	}); err != nil {
		return err
	}
	named := map[string]any{"lab": in.Lab, "state": in.State, "computer": in.Computer, "launch": in.Launch, "limit": in.Limit}
	var acts []Action
	if err := cx.Call(ctx, "lab.actions", named, &acts); err != nil {
		return err
	}
	if asJSON {
		if err := writeJSON(cx.Stdout, acts); err != nil {
			return err
		}
	} else {
		printActions(cx.Stdout, acts)
	}
	if !follow {
		return nil
	}
	// Follow: new rows after the last id, and open rows until they end.
	var last int64
	open := map[int64]string{}
	for _, a := range acts {
		last = max(last, a.ID)
		if isOpen(a.State) {
			open[a.ID] = a.State
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
		var changed []Action
		var fresh []Action
		if err := cx.Call(ctx, "lab.actions", map[string]any{"lab": in.Lab, "computer": in.Computer, "launch": in.Launch, "after": last}, &fresh); err != nil {
			return err
		}
		for _, a := range fresh {
			last = max(last, a.ID)
			if in.State == "" || a.State == in.State {
				changed = append(changed, a)
			}
			if isOpen(a.State) {
				open[a.ID] = a.State
			}
		}
		if len(open) > 0 {
			var recent []Action
			if err := cx.Call(ctx, "lab.actions", map[string]any{"lab": in.Lab, "computer": in.Computer, "launch": in.Launch, "limit": 10000}, &recent); err != nil {
				return err
			}
			for _, a := range recent {
				if was, ok := open[a.ID]; ok && was != a.State {
					if isOpen(a.State) {
						open[a.ID] = a.State
					} else {
						delete(open, a.ID)
					}
					if in.State == "" || a.State == in.State {
						changed = append(changed, a)
					}
				}
			}
		}
		if len(changed) == 0 {
			continue
		}
		if asJSON {
			if err := writeJSON(cx.Stdout, changed); err != nil {
				return err
			}
		} else {
			printActions(cx.Stdout, changed)
		}
	}
}

func runInventoryShow(ctx context.Context, cx *core.CmdContext, args []string) error {
	var kind string
	name, err := oneArg("inventory show", args, func(fs *flag.FlagSet) { fs.StringVar(&kind, "kind", "", "hardware or software (default both)") })
	if err != nil {
		return err
	}
	var out []Inventory
	if err := cx.Call(ctx, "lab.inventoryShow", map[string]any{"computer": name, "kind": kind}, &out); err != nil {
		return err
	}
	for _, inv := range out {
		fmt.Fprintf(cx.Stdout, "# %s inventory of %s, taken %s\n%s\n", inv.Kind, inv.Computer, inv.TakenAt, strings.TrimRight(inv.Body, "\n"))
	}
	return nil
}

func runInventoryDiff(ctx context.Context, cx *core.CmdContext, args []string) error {
	var kind, since string
	name, err := oneArg("inventory diff", args, func(fs *flag.FlagSet) {
		fs.StringVar(&kind, "kind", "", "hardware or software (default both)")
		fs.StringVar(&since, "since", "", "compare with the newest inventory taken before this date (YYYY-MM-DD or RFC 3339)")
	})
	if err != nil {
		return err
	}
	var out []InventoryDiff
	if err := cx.Call(ctx, "lab.inventoryDiff", map[string]any{"computer": name, "kind": kind, "since": since}, &out); err != nil {
		return err
	}
	for _, d := range out {
		if d.From == "" {
			fmt.Fprintf(cx.Stdout, "# %s of %s: only one inventory (%s), nothing to compare\n", d.Kind, d.Computer, d.To)
			continue
		}
		fmt.Fprintf(cx.Stdout, "# %s of %s: %s -> %s: %d added, %d removed\n", d.Kind, d.Computer, d.From, d.To, len(d.Added), len(d.Removed))
		for _, l := range d.Removed {
			fmt.Fprintf(cx.Stdout, "- %s\n", l)
		}
		for _, l := range d.Added {
			fmt.Fprintf(cx.Stdout, "+ %s\n", l)
		}
	}
	return nil
}
