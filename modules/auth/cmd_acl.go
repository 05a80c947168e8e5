package auth

import (
	"context"
	"flag"
	"fmt"
	"time"

	"aula/internal/core"
)

func runACLCheck(ctx context.Context, cx *core.CmdContext, args []string) error {
	const usage = "IDENTITY METHOD [--from IP] [--cert]"
	var from string
	var cert bool
	args, err := parseFlags("acl check", usage, args, func(fs *flag.FlagSet) {
		fs.StringVar(&from, "from", "", "source address")
		fs.BoolVar(&cert, "cert", false, "the identity is proven by a client certificate")
	})
	if err != nil {
		return err
	}
	if err := wantArgs("acl check", usage, args, 2); err != nil {
		return err
	}
	named := map[string]any{"identity": args[0], "method": args[1]}
	if from != "" {
		named["from"] = from
	}
	if cert {
		named["cert"] = true
	}
	var out ACLCheck
	if err := cx.Call(ctx, "auth.acl_check", named, &out); err != nil {
		return err
	}
	who := anonymous
	if out.Identity != "" {
		who = fmt.Sprintf("%s (groups: %s)", out.Identity, orNone(out.Groups))
	}
	if from != "" {
		who += " from " + from
	}
	verdict, may := "deny", "may not"
	if out.Allow {
		verdict, may = "allow", "may"
	}
	fmt.Fprintf(cx.Stdout, "%s: %s %s call %s\nrule: %s\n", verdict, who, may, out.Method, out.Rule)
	return nil
}

func runACLReload(ctx context.Context, cx *core.CmdContext, args []string) error {
	if err := wantArgs("acl reload", "", args, 0); err != nil {
		return err
	}
	var out ACLPolicy
	if err := cx.Call(ctx, "auth.acl_reload", nil, &out); err != nil {
		return err
	}
	if cx.Env != nil {
		fmt.Fprintf(cx.Stdout, "%s is valid: %d rules. This checked the file only: make a running server load it with `aula acl reload --url URL` or SIGHUP.\n",
			out.File, len(out.Rules))
		return nil
	}
	fmt.Fprintf(cx.Stdout, "server reloaded %s: %d rules\n", out.File, len(out.Rules))
	return nil
}

func runACLShow(ctx context.Context, cx *core.CmdContext, args []string) error {
	if err := wantArgs("acl show", "", args, 0); err != nil {
		return err
	}
	var out ACLPolicy
	if err := cx.Call(ctx, "auth.acl_show", nil, &out); err != nil {
		return err
	}
	if out.File == "" {
		fmt.Fprintln(cx.Stdout, "no ACL file (--auth-acl-file): every method's default access applies")
		return nil
	}
	fmt.Fprintf(cx.Stdout, "# %s: %d rules, first match wins, then the method's default\n", out.File, len(out.Rules))
	for _, r := range out.Rules {
		fmt.Fprintln(cx.Stdout, r)
	}
	return nil
}

// followEvery is how often `aula audit --follow` asks for new entries.
const followEvery = time.Second

func runAudit(ctx context.Context, cx *core.CmdContext, args []string) error {
	const usage = "[--since DURATION|TIME] [--follow] [--json]"
	var since string
	var follow, asJSON bool
	args, err := parseFlags("audit", usage, args, func(fs *flag.FlagSet) {
		fs.StringVar(&since, "since", "", "duration (90m, 7d) or time")
		fs.BoolVar(&follow, "follow", false, "keep printing new entries")
		fs.BoolVar(&asJSON, "json", false, "one JSON object per line")
	})
	if err != nil {
		return err
	}
	if err := wantArgs("audit", usage, args, 0); err != nil {
		return err
	}
	if _, err := parseSince(since, time.Now()); err != nil {
		return err
	}
	var after int64
	for {
		var page []AuditEntry
		named := map[string]any{"since": since, "after": int(after), "limit": maxAuditLimit}
		if err := cx.Call(ctx, "auth.audit", named, &page); err != nil {
			return err
		}
		for _, e := range page {
			printEntry(cx, e, asJSON)
			after = e.ID
		}
		if len(page) == maxAuditLimit {
			continue
		}
		if !follow {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(followEvery):
		}
	}
}

func printEntry(cx *core.CmdContext, e AuditEntry, asJSON bool) {
	if asJSON {
		printJSON(cx.Stdout, e)
		return
	}
	who := dash(e.Identity)
	if e.Via != "" {
		who += "/" + e.Via
	}
	res := e.Result
	if e.Message != "" {
		res += " (" + e.Message + ")"
	}
	fmt.Fprintf(cx.Stdout, "%s  %s  %s  %s  %s %s  %s\n", e.At, who, dash(e.Addr), e.Transport, e.Method, e.Args, res)
}
