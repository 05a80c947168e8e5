package id

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"aula/internal/core"
)

// Commands are `aula client ...`: thin wrappers over the admin methods, so
// they work the same on the local data directory and against --url.
func (m *Module) Commands() []core.Command {
	return []core.Command{
		{Name: "client list", Usage: "[--json]", Help: "list registered clients", Run: runList},
		{Name: "client show", Usage: "UID|SERIAL|UUID", Help: "show a client's registration and history", Run: runShow},
		{Name: "client rm", Usage: "UID|SERIAL|UUID", Help: "remove a client's registration", Run: runRemove},
		{Name: "client allow-move", Usage: "SERIAL", Help: "let a serial register once with another machine UUID (motherboard swap)", Run: runAllowMove},
		{Name: "client export", Usage: "[--format csv|json]", Help: "write every registered client as CSV or JSON", Run: runExport},
		{Name: "client reregister-all", Usage: "", Help: "make every client register again (new registration stamp)", Run: runReregisterAll},
	}
}

// flags parses a command's flags (see core.ParseFlags).
func flags(name string, args []string, define func(*flag.FlagSet)) ([]string, error) {
	return core.ParseFlags(name, core.UsageOf((&Module{}).Commands(), name), args, define)
}

func oneID(name string, args []string) (string, error) {
	if len(args) != 1 {
		return "", fmt.Errorf("want one UID, SERIAL or UUID, got %d arguments (usage: aula %s UID|SERIAL|UUID)", len(args), name)
	}
	return args[0], nil
}

func runList(ctx context.Context, cx *core.CmdContext, args []string) error {
	var asJSON bool
	rest, err := flags("client list", args, func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print JSON") })
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("unexpected argument %q (usage: aula client list [--json])", rest[0])
	}
	var cs []Client
	if err := cx.Call(ctx, "id.list", nil, &cs); err != nil {
		return err
	}
	if asJSON {
		return writeJSON(cx.Stdout, nonNil(cs))
	}
	if len(cs) == 0 {
		fmt.Fprintln(cx.Stdout, "no registered clients")
		return nil
	}
	tw := tabwriter.NewWriter(cx.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "UID\tSERIAL\tNICKNAME\tLAST REGISTERED\tTIMES\tADDRESS\tBACKUP")
	for _, c := range cs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", c.UID, dash(c.Serial), dash(printable(c.Nickname, 24)),
			when(c.LastRegistered), c.Registrations, dash(c.LastAddr), yesNo(c.PubKey != ""))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(cx.Stdout, "%d registered client%s\n", len(cs), plural(len(cs)))
	return nil
}

func runShow(ctx context.Context, cx *core.CmdContext, args []string) error {
	rest, err := flags("client show", args, nil)
	if err != nil {
		return err
	}
	id, err := oneID("client show", rest)
	if err != nil {
		return err
	}
	var out ShowReply
	if err := cx.Call(ctx, "id.show", map[string]any{"id": id}, &out); err != nil {
		return err
	}
	for i, c := range out.Clients {
		if i > 0 {
			fmt.Fprintln(cx.Stdout)
		}
		printClient(cx.Stdout, c, "registered")
	}
	if len(out.Clients) == 0 {
		fmt.Fprintf(cx.Stdout, "%s is not registered now\n", id)
	}
	for _, h := range out.History {
		fmt.Fprintln(cx.Stdout)
		status := h.Reason + " " + when(h.Ended)
		if h.ReplacedBy != "" {
			status += " by " + h.ReplacedBy
		}
		printClient(cx.Stdout, h.Client, status)
	}
	if len(out.Refused) > 0 {
		fmt.Fprintf(cx.Stdout, "\nREFUSED (claimed this serial with another machine UUID; `aula client allow-move %s` accepts a motherboard swap)\n", id)
		tw := tabwriter.NewWriter(cx.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "WHEN\tUUID\tUID\tADDRESS")
		for _, f := range out.Refused {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", when(f.At), f.UUID, f.UID, dash(f.Addr))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func runAllowMove(ctx context.Context, cx *core.CmdContext, args []string) error {
	rest, err := flags("client allow-move", args, nil)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("usage: aula client allow-move SERIAL")
	}
	var out AllowMoveReply
	if err := cx.Call(ctx, "id.allow_move", map[string]any{"serial": rest[0]}, &out); err != nil {
		return err
	}
	fmt.Fprintf(cx.Stdout, "%s may now register with another machine UUID once (its old registration is then superseded)\n", out.Serial)
	return nil
}

func printClient(w io.Writer, c Client, status string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	rows := [][2]string{
		{"uid", c.UID}, {"status", status}, {"serial", dash(c.Serial)}, {"uuid", c.UUID},
		{"nickname", dash(printable(c.Nickname, 0))},
		{"first registered", when(c.FirstRegistered)}, {"last registered", when(c.LastRegistered)},
		{"registrations", strconv.FormatInt(c.Registrations, 10)}, {"last address", dash(c.LastAddr)},
		{"pubkey", dash(shortKey(c.PubKey))},
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s:\t%s\n", r[0], r[1])
	}
	tw.Flush()
}

func runRemove(ctx context.Context, cx *core.CmdContext, args []string) error {
	rest, err := flags("client rm", args, nil)
	if err != nil {
		return err
	}
	id, err := oneID("client rm", rest)
	if err != nil {
		return err
	}
	var out RemoveReply
	if err := cx.Call(ctx, "id.remove", map[string]any{"id": id}, &out); err != nil {
		return err
	}
	c := out.Removed
	fmt.Fprintf(cx.Stdout, "removed %s (serial %s, nickname %s)\n", c.UID, dash(c.Serial), dash(printable(c.Nickname, 40)))
	return nil
}

func runReregisterAll(ctx context.Context, cx *core.CmdContext, args []string) error {
	rest, err := flags("client reregister-all", args, nil)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("unexpected argument %q (usage: aula client reregister-all)", rest[0])
	}
	var out StampReply
	if err := cx.Call(ctx, "id.reregister_all", nil, &out); err != nil {
		return err
	}
	fmt.Fprintf(cx.Stdout, "started registration epoch %d: clients register again at their next status check\n", out.Epoch)
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func nonNil(cs []Client) []Client {
	if cs == nil {
		return []Client{}
	}
	return cs
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// printable keeps a client-chosen nickname from breaking the table: tabs
// and other spacing become plain spaces, and it is cut to max characters
// (0: no limit).
func printable(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); max > 0 && len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}

func shortKey(blob string) string {
	if len(blob) <= 40 {
		return blob
	}
	return blob[:20] + "..." + blob[len(blob)-12:]
}
