package activation

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"aula/internal/core"
)

// Commands are thin wrappers over the methods, so each works the same on
// the local data directory and against a server (--url).
func (m *Module) Commands() []core.Command {
	return []core.Command{
		{Name: "activation list", Usage: "[--json] [SERIAL...]", Run: runList,
			Help: "list laptops: leases, delegation, stolen mark, last activation request (when, from, given)"},
		{Name: "lease import", Usage: "FILE...", Run: runImport,
			Help: "import lease.sig files (act01 lines or Canonical JSON); bad lines are reported and skipped"},
		{Name: "lease export", Usage: "[--serial SN]... [--format lines|cjson] [--out FILE]", Run: runExport,
			Help: "write current leases as a lease.sig file (rescue leases for a USB stick)"},
		{Name: "stolen add", Usage: "SERIAL [--note TEXT]", Run: runStolenAdd,
			Help: "mark a laptop stolen: it is answered STOLEN from now on"},
		{Name: "stolen rm", Usage: "SERIAL", Run: runStolenRemove, Help: "remove a laptop's stolen mark"},
		{Name: "stolen list", Usage: "[--json]", Run: runStolenList, Help: "list laptops marked stolen"},
		{Name: "keyring init", Usage: "", Run: runKeyringInit,
			Help: "create the server's lease-signing key in <data-dir>/keyring (never overwrites)"},
		{Name: "keyring show", Usage: "", Run: runKeyringShow, Help: "print the server key's key01 line and keyid"},
		{Name: "keyring import-delegation", Usage: "[--serial SN] FILE...", Run: runImportDelegation,
			Help: "import delegations from the OLPC master key (del01 lines, or sig02 lines with --serial)"},
	}
}

// parseFlags parses a command's flags (see core.ParseFlags).
func parseFlags(name string, args []string, define func(*flag.FlagSet)) ([]string, error) {
	return core.ParseFlags(name, usageOf(name), args, define)
}

func usageOf(name string) string { return core.UsageOf((&Module{}).Commands(), name) }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func anySlice[T any](in []T) []any {
	out := make([]any, len(in))
	for i, v := range in {
		out[i] = v
	}
	return out
}

func runList(ctx context.Context, cx *core.CmdContext, args []string) error {
	var asJSON bool
	serials, err := parseFlags("activation list", args, func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print JSON") })
	if err != nil {
		return err
	}
	var out []LaptopStatus
	if err := cx.Call(ctx, "activation.list", map[string]any{"serials": anySlice(serials)}, &out); err != nil {
		return err
	}
	if asJSON {
		if out == nil {
			out = []LaptopStatus{}
		}
		return writeJSON(cx.Stdout, out)
	}
	if len(out) == 0 {
		fmt.Fprintln(cx.Stdout, "no laptops known to the activation service")
		return nil
	}
	tw := tabwriter.NewWriter(cx.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERIAL\tSTOLEN\tLEASES\tLEASE EXPIRES\tDELEGATION\tLAST REQUEST\tFROM\tGIVEN\tREQUESTS")
	for _, s := range out {
		stolen := "no"
		if s.Stolen {
			stolen = "YES"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%d\n", s.Serial, stolen, s.Leases, dash(s.LeaseExpires),
			dash(s.Delegation), dash(s.LastRequest), dash(s.LastFrom), dash(s.LastGiven), s.Requests)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(cx.Stdout, "%d laptop(s)\n", len(out))
	return nil
}

func oneSerial(name string, args []string) (string, error) {
	if len(args) != 1 {
		return "", fmt.Errorf("want one SERIAL, got %d arguments (usage: aula %s %s)", len(args), name, usageOf(name))
	}
	return args[0], nil
}

func runStolenAdd(ctx context.Context, cx *core.CmdContext, args []string) error {
	var note string
	rest, err := parseFlags("stolen add", args, func(fs *flag.FlagSet) { fs.StringVar(&note, "note", "", "why, who reported it") })
	if err != nil {
		return err
	}
	sn, err := oneSerial("stolen add", rest)
	if err != nil {
		return err
	}
	var e StolenEntry
	if err := cx.Call(ctx, "activation.stolen_add", map[string]any{"serial": sn, "note": note}, &e); err != nil {
		return err
	}
	fmt.Fprintf(cx.Stdout, "%s marked stolen: it is answered STOLEN from now on\n", e.Serial)
	return nil
}

func runStolenRemove(ctx context.Context, cx *core.CmdContext, args []string) error {
	rest, err := parseFlags("stolen rm", args, nil)
	if err != nil {
		return err
	}
	sn, err := oneSerial("stolen rm", rest)
	if err != nil {
		return err
	}
	if err := cx.Call(ctx, "activation.stolen_remove", map[string]any{"serial": sn}, nil); err != nil {
		return err
	}
	fmt.Fprintf(cx.Stdout, "%s is no longer marked stolen\n", sn)
	return nil
}

func runStolenList(ctx context.Context, cx *core.CmdContext, args []string) error {
	var asJSON bool
	rest, err := parseFlags("stolen list", args, func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print JSON") })
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("unexpected argument %q (usage: aula stolen list [--json])", rest[0])
	}
	var out []StolenEntry
	if err := cx.Call(ctx, "activation.stolen_list", nil, &out); err != nil {
		return err
	}
	if asJSON {
		if out == nil {
			out = []StolenEntry{}
		}
		return writeJSON(cx.Stdout, out)
	}
	if len(out) == 0 {
		fmt.Fprintln(cx.Stdout, "no laptops marked stolen")
		return nil
	}
	tw := tabwriter.NewWriter(cx.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERIAL\tMARKED\tBY\tNOTE")
	for _, e := range out {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Serial, e.MarkedAt, e.MarkedBy, dash(e.Note))
	}
	return tw.Flush()
}
