package lab

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"aula/internal/core"
)

// queueTarget parses --lab/--group/--computer of the queue commands.
func queueTarget(name string, args []string) (map[string]any, error) {
	var lab, group, computer string
	pos, err := parseFlags(name, args, func(fs *flag.FlagSet) {
		fs.StringVar(&lab, "lab", "", "every computer of this lab (all: every lab)")
		fs.StringVar(&group, "group", "", "every computer of this group (within --lab if given)")
		fs.StringVar(&computer, "computer", "", "one computer")
	})
	if err != nil {
		return nil, err
	}
	if len(pos) > 0 {
		return nil, fmt.Errorf("unexpected argument %q (usage: aula %s %s)", pos[0], name, usageOf(name))
	}
	return map[string]any{"lab": lab, "group": group, "computer": computer}, nil
}

func runQueuePause(ctx context.Context, cx *core.CmdContext, args []string) error {
	named, err := queueTarget("actions pause", args)
	if err != nil {
		return err
	}
	var out QueueReply
	if err := cx.Call(ctx, "lab.queuePause", named, &out); err != nil {
		return err
	}
	fmt.Fprintf(cx.Stdout, "paused the queues of %d computer(s) (%s); %d queued action(s) now wait as paused\n", len(out.Computers), strings.Join(out.Computers, ", "), out.Actions)
	return nil
}

func runQueueResume(ctx context.Context, cx *core.CmdContext, args []string) error {
	named, err := queueTarget("actions resume", args)
	if err != nil {
		return err
	}
	var out QueueReply
	if err := cx.Call(ctx, "lab.queueResume", named, &out); err != nil {
		return err
	}
	fmt.Fprintf(cx.Stdout, "resumed the queues of %d computer(s) (%s); %d action(s) queued again\n", len(out.Computers), strings.Join(out.Computers, ", "), out.Actions)
	return nil
}

// actionIDs parses the ID... arguments (as []any: what a call's named
// arguments hold, decoded like JSON).
func actionIDs(name string, pos []string) ([]any, error) {
	if len(pos) == 0 {
		return nil, fmt.Errorf("name at least one action ID (usage: aula %s %s; `aula actions` lists them)", name, usageOf(name))
	}
	ids := make([]any, 0, len(pos))
	for _, p := range pos {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("action ID %q: want a positive number", p)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func runActionDelete(ctx context.Context, cx *core.CmdContext, args []string) error {
	pos, err := parseFlags("actions rm", args, nil)
	if err != nil {
		return err
	}
	ids, err := actionIDs("actions rm", pos)
	if err != nil {
		return err
	}
	var out []Action
	if err := cx.Call(ctx, "lab.actionDelete", map[string]any{"ids": ids}, &out); err != nil {
		return err
	}
	printActions(cx.Stdout, out)
	return nil
}

func runActionRetry(ctx context.Context, cx *core.CmdContext, args []string) error {
	var wait bool
	timeout := 5 * time.Minute
	pos, err := parseFlags("actions retry", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&wait, "wait", false, "wait for the new actions to end and print the results")
		fs.DurationVar(&timeout, "timeout", timeout, "with --wait, stop waiting after this long")
	})
	if err != nil {
		return err
	}
	ids, err := actionIDs("actions retry", pos)
	if err != nil {
		return err
	}
	var out Launched
	if err := cx.Call(ctx, "lab.actionRetry", map[string]any{"ids": ids}, &out); err != nil {
		return err
	}
	fmt.Fprintf(cx.Stdout, "launch %s: retried %d action(s):", out.Launch, len(out.Actions))
	for i, a := range out.Actions {
		fmt.Fprintf(cx.Stdout, " %v as %d on %s;", ids[i], a.ID, a.Computer)
	}
	fmt.Fprintln(cx.Stdout)
	if !wait {
		return nil
	}
	return waitLaunch(ctx, cx, out.Launch, timeout)
}

func runComputerWake(ctx context.Context, cx *core.CmdContext, args []string) error {
	var lab, group string
	var unicast bool
	pos, err := parseFlags("computer wake", args, func(fs *flag.FlagSet) {
		fs.StringVar(&lab, "lab", "", "every computer of this lab (all: every lab)")
		fs.StringVar(&group, "group", "", "every computer of this group (within --lab if given)")
		fs.BoolVar(&unicast, "unicast", false, "send to the computer's IP instead of the lab's broadcast (OpenGnsys mar=2)")
	})
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return fmt.Errorf("want at most one computer NAME (usage: aula computer wake %s)", usageOf("computer wake"))
	}
	named := map[string]any{"lab": lab, "group": group}
	if len(pos) == 1 {
		named["computer"] = pos[0]
	}
	if unicast {
		named["params"] = map[string]any{"mar": "2"}
	}
	var out Launched
	if err := cx.Call(ctx, "lab.wake", named, &out); err != nil {
		return err
	}
	fmt.Fprintf(cx.Stdout, "launch %s: %s on %d computer(s)", out.Launch, out.Command, len(out.Actions))
	if len(out.Skipped) > 0 {
		fmt.Fprintf(cx.Stdout, "; skipped (maintenance): %s", strings.Join(out.Skipped, ", "))
	}
	fmt.Fprintln(cx.Stdout)
	var acts []Action
	if err := cx.Call(ctx, "lab.actions", map[string]any{"launch": out.Launch}, &acts); err != nil {
		return err
	}
	printActions(cx.Stdout, acts)
	if n := countFailed(acts); n > 0 {
		return fmt.Errorf("%d of %d computer(s) could not be woken", n, len(acts))
	}
	return nil
}
