package lab

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"aula/internal/core"
)

func runLabAdd(ctx context.Context, cx *core.CmdContext, args []string) error {
	var centre, netmask string
	name, err := oneArg("lab add", args, func(fs *flag.FlagSet) {
		fs.StringVar(&centre, "centre", "", "the centre the lab belongs to")
		fs.StringVar(&netmask, "netmask", "", "the lab's netmask (255.255.255.0 or 24), for its Wake-on-LAN broadcast (default 255.255.255.0)")
	})
	if err != nil {
		return err
	}
	var l Lab
	if err := cx.Call(ctx, "lab.labAdd", map[string]any{"name": name, "centre": centre, "netmask": netmask}, &l); err != nil {
		return err
	}
	fmt.Fprintf(cx.Stdout, "added lab %s\n", l.Name)
	return nil
}

func runLabRemove(ctx context.Context, cx *core.CmdContext, args []string) error {
	name, err := oneArg("lab rm", args, nil)
	if err != nil {
		return err
	}
	if err := cx.Call(ctx, "lab.labRemove", map[string]any{"name": name}, nil); err != nil {
		return err
	}
	fmt.Fprintf(cx.Stdout, "removed lab %s\n", name)
	return nil
}

func runLabList(ctx context.Context, cx *core.CmdContext, args []string) error {
	var asJSON bool
	if _, err := parseFlags("lab list", args, func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print JSON") }); err != nil {
		return err
	}
	var out []Lab
	if err := cx.Call(ctx, "lab.labList", nil, &out); err != nil {
		return err
	}
	if asJSON {
		return writeJSON(cx.Stdout, out)
	}
	tw := tabwriter.NewWriter(cx.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LAB\tCENTRE\tCOMPUTERS")
	for _, l := range out {
		fmt.Fprintf(tw, "%s\t%s\t%d\n", l.Name, dash(l.Centre), l.Computers)
	}
	return tw.Flush()
}

func runLabStatus(ctx context.Context, cx *core.CmdContext, args []string) error {
	var asJSON, watch bool
	interval := 2 * time.Second
	pos, err := parseFlags("lab status", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print JSON")
		fs.BoolVar(&watch, "watch", false, "redraw every --interval until interrupted")
		fs.DurationVar(&interval, "interval", interval, "refresh interval with --watch")
	})
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return fmt.Errorf("want at most one LAB (usage: aula lab status %s)", usageOf("lab status"))
	}
	lab := "all"
	if len(pos) == 1 {
		lab = pos[0]
	}
	for {
		var rows []StatusRow
		if err := cx.Call(ctx, "lab.status", map[string]any{"lab": lab}, &rows); err != nil {
			return err
		}
		if asJSON {
			if err := writeJSON(cx.Stdout, rows); err != nil {
				return err
			}
		} else {
			if watch {
				fmt.Fprint(cx.Stdout, "\x1b[H\x1b[2J") // home, clear: redraw in place
				fmt.Fprintf(cx.Stdout, "lab %s at %s (every %s; ^C to stop)\n", lab, time.Now().Format("15:04:05"), interval)
			}
			printStatus(cx, rows)
		}
		if !watch {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}

func printStatus(cx *core.CmdContext, rows []StatusRow) {
	counts := map[string]int{}
	tw := tabwriter.NewWriter(cx.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPUTER\tLAB\tGROUP\tSTATE\tLAST ACTION\tACTION STATE\tRESULT\tSEEN")
	for _, r := range rows {
		counts[r.State]++
		state := r.State
		if r.PausedBy != "" {
			state += " (queue paused)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Computer, r.Lab, dash(r.Group), state, dash(r.LastAction), dash(r.LastState), resultName(r.LastResult), dash(r.SeenAt))
	}
	tw.Flush()
	fmt.Fprintf(cx.Stdout, "%d computer(s): %d idle, %d busy, %d booting, %d off, %d maintenance\n", len(rows), counts[agentIdle], counts[agentBusy], counts[agentBooting], counts[agentOff], counts["maintenance"])
}
