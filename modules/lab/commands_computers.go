package lab

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"aula/internal/core"
	"aula/modules/lab/labapi"
)

func runComputerAdd(ctx context.Context, cx *core.CmdContext, args []string) error {
	var in ComputerArgs
	name, err := oneArg("computer add", args, func(fs *flag.FlagSet) {
		fs.StringVar(&in.Lab, "lab", "", "the computer's lab (required)")
		fs.StringVar(&in.MAC, "mac", "", "its MAC address")
		fs.StringVar(&in.IP, "ip", "", "its IP address")
		fs.StringVar(&in.Group, "group", "", "its group within the lab")
	})
	if err != nil {
		return err
	}
	var c Computer
	if err := cx.Call(ctx, "lab.computerAdd", map[string]any{"name": name, "lab": in.Lab, "mac": in.MAC, "ip": in.IP, "group": in.Group}, &c); err != nil {
		return err
	}
	fmt.Fprintf(cx.Stdout, "added computer %s to lab %s\n", c.Name, c.Lab)
	return nil
}

func runComputerRemove(ctx context.Context, cx *core.CmdContext, args []string) error {
	name, err := oneArg("computer rm", args, nil)
	if err != nil {
		return err
	}
	if err := cx.Call(ctx, "lab.computerRemove", map[string]any{"name": name}, nil); err != nil {
		return err
	}
	fmt.Fprintf(cx.Stdout, "removed computer %s\n", name)
	return nil
}

func runComputerMove(ctx context.Context, cx *core.CmdContext, args []string) error {
	var lab, group string
	name, err := oneArg("computer mv", args, func(fs *flag.FlagSet) {
		fs.StringVar(&lab, "lab", "", "the lab to move it to (required)")
		fs.StringVar(&group, "group", "", "its group there")
	})
	if err != nil {
		return err
	}
	var c Computer
	if err := cx.Call(ctx, "lab.computerMove", map[string]any{"name": name, "lab": lab, "group": group}, &c); err != nil {
		return err
	}
	fmt.Fprintf(cx.Stdout, "moved computer %s to lab %s group %s\n", c.Name, c.Lab, dash(c.Group))
	return nil
}

func runComputerList(ctx context.Context, cx *core.CmdContext, args []string) error {
	var lab, group string
	var asJSON bool
	if _, err := parseFlags("computer list", args, func(fs *flag.FlagSet) {
		fs.StringVar(&lab, "lab", "", "only this lab")
		fs.StringVar(&group, "group", "", "only this group")
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	}); err != nil {
		return err
	}
	var out []Computer
	if err := cx.Call(ctx, "lab.computerList", map[string]any{"lab": lab, "group": group}, &out); err != nil {
		return err
	}
	if asJSON {
		return writeJSON(cx.Stdout, out)
	}
	tw := tabwriter.NewWriter(cx.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPUTER\tLAB\tGROUP\tMAC\tIP\tAGENT\tSTATE\tMAINTENANCE")
	for _, c := range out {
		agent := dash(c.Identity)
		if c.Enrolling {
			agent += " (token pending)"
		}
		maint := "no"
		if c.Maintenance {
			maint = "YES"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Name, c.Lab, dash(c.Group), dash(c.MAC), dash(c.IP), agent, c.State, maint)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(cx.Stdout, "%d computer(s)\n", len(out))
	return nil
}

func runComputerShow(ctx context.Context, cx *core.CmdContext, args []string) error {
	var asJSON bool
	name, err := oneArg("computer show", args, func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print JSON") })
	if err != nil {
		return err
	}
	var d ComputerDetail
	if err := cx.Call(ctx, "lab.computerShow", map[string]any{"name": name}, &d); err != nil {
		return err
	}
	if asJSON {
		return writeJSON(cx.Stdout, d)
	}
	w := cx.Stdout
	fmt.Fprintf(w, "computer:    %s\nlab:         %s\ngroup:       %s\nMAC:         %s\nIP:          %s\n", d.Name, d.Lab, dash(d.Group), dash(d.MAC), dash(d.IP))
	fmt.Fprintf(w, "agent:       %s\nstate:       %s\nmaintenance: %v\nlast seen:   %s\nannounced:   %s\n", dash(d.Identity), d.State, d.Maintenance, dash(d.SeenAt), dash(d.Hello))
	fmt.Fprintln(w, "last actions:")
	printActions(w, d.Actions)
	return nil
}

func runComputerImport(ctx context.Context, cx *core.CmdContext, args []string) error {
	path, err := oneArg("computer import", args, nil)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	data := make([]byte, maxImport+1)
	n, _ := ioReadFull(f, data)
	if n > maxImport {
		return fmt.Errorf("%s: larger than %d bytes", path, maxImport)
	}
	var out ImportReply
	if err := cx.Call(ctx, "lab.computerImport", map[string]any{"csv": string(data[:n])}, &out); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(cx.Stdout, "imported %d computer(s) from %s\n", out.Added, path)
	return nil
}

func runMaintenance(ctx context.Context, cx *core.CmdContext, args []string) error {
	pos, err := parseFlags("computer maintenance", args, nil)
	if err != nil {
		return err
	}
	if len(pos) != 2 || (pos[1] != "on" && pos[1] != "off") {
		return fmt.Errorf("usage: aula computer maintenance %s", usageOf("computer maintenance"))
	}
	var c Computer
	if err := cx.Call(ctx, "lab.computerMaintenance", map[string]any{"name": pos[0], "on": pos[1] == "on"}, &c); err != nil {
		return err
	}
	fmt.Fprintf(cx.Stdout, "computer %s maintenance %s\n", c.Name, pos[1])
	return nil
}

func runComputerEnrol(ctx context.Context, cx *core.CmdContext, args []string) error {
	name, err := oneArg("computer enrol", args, nil)
	if err != nil {
		return err
	}
	var out EnrolReply
	if err := cx.Call(ctx, "lab.enrol", map[string]any{"name": name}, &out); err != nil {
		return err
	}
	token := out.Secret
	if pin, dir, err := localCAPin(cx); err == nil {
		token += "." + pin
	} else {
		fmt.Fprintf(cx.Stderr, "warning: %v (CA %s): the token carries no CA pin, so the agent needs --ca CA.crt\n", err, dir)
	}
	fmt.Fprintf(cx.Stdout, "%s\n", token)
	fmt.Fprintf(cx.Stderr, "one-time token for %s, valid until %s: on the computer run\n  aula agent --server SERVER:2009 --token %s\n", out.Computer, out.Expires, token)
	return nil
}

// localCAPin reads the pin of the CA the agent listener uses: --lab-ca-dir,
// else DATA-DIR/ca (as internal/frontend/labfront decides).
func localCAPin(cx *core.CmdContext) (string, string, error) {
	dir := ""
	if cx.Config != nil {
		if info, ok := cx.Config.Lookup("lab-ca-dir"); ok && info.Text != "" {
			dir = info.Text
		}
		if info, ok := cx.Config.Lookup("data-dir"); dir == "" && ok && info.Text != "" {
			dir = filepath.Join(info.Text, "ca")
		}
	}
	if dir == "" {
		return "", dir, fmt.Errorf("no CA directory configured")
	}
	b, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		return "", dir, fmt.Errorf("no CA certificate (run `aula ca init`): %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return "", dir, fmt.Errorf("ca.crt is not PEM")
	}
	if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
		return "", dir, err
	}
	return labapi.CAPin(blk.Bytes), dir, nil
}
