package auth

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"aula/internal/ca"
	"aula/internal/core"
	"aula/internal/server"
)

// caDir is --ca-dir, or DATA-DIR/ca.
func caDir(cx *core.CmdContext) (string, error) {
	if cx.Config == nil {
		return "", fmt.Errorf("no configuration")
	}
	if info, ok := cx.Config.Lookup("ca-dir"); ok && info.Text != "" {
		return info.Text, nil
	}
	info, ok := cx.Config.Lookup("data-dir")
	if !ok || info.Text == "" {
		return "", fmt.Errorf("set --ca-dir or --data-dir")
	}
	return server.DefaultCADir(info.Text), nil
}

// giveToOwner makes files root just wrote in dir belong to dir's owner
// (the account a privilege-dropping server runs as), so the server can
// still read index.json after `sudo aula ca revoke`.
func giveToOwner(dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	uid, gid, err := server.OwnerOf(dir)
	if err != nil || uid == 0 {
		return err
	}
	return server.HandOver(dir, uid, gid)
}

func runCAInit(ctx context.Context, cx *core.CmdContext, args []string) error {
	host, _ := os.Hostname()
	name := "aula CA " + host
	args, err := parseFlags("ca init", "[--name NAME]", args, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", name, "the CA certificate's CN")
	})
	if err != nil {
		return err
	}
	if err := wantArgs("ca init", "[--name NAME]", args, 0); err != nil {
		return err
	}
	dir, err := caDir(cx)
	if err != nil {
		return err
	}
	c, err := ca.Init(dir, name)
	if err != nil {
		return err
	}
	if parent := filepath.Dir(filepath.Clean(dir)); os.Geteuid() == 0 {
		if uid, gid, err := server.OwnerOf(parent); err == nil && uid != 0 {
			if err := server.HandOver(dir, uid, gid); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(cx.Stdout, "created CA %q in %s (valid until %s)\n", name, c.Dir(), c.Certificate().NotAfter.Format("2006-01-02"))
	fmt.Fprintf(cx.Stdout, "clients trust %s\n", filepath.Join(c.Dir(), "ca.crt"))
	return nil
}

func runCAIssue(ctx context.Context, cx *core.CmdContext, args []string) error {
	const usage = "NAME [--server|--client] [--host H]... [--days N] [--out DIR]"
	var isServer, isClient bool
	var hosts listFlag
	days, out := 365, "."
	args, err := parseFlags("ca issue", usage, args, func(fs *flag.FlagSet) {
		fs.BoolVar(&isServer, "server", false, "a TLS server certificate")
		fs.BoolVar(&isClient, "client", false, "a TLS client certificate (the default)")
		fs.Var(&hosts, "host", "DNS name or IP address (server certificates; repeatable)")
		fs.IntVar(&days, "days", days, "validity in days")
		fs.StringVar(&out, "out", out, "directory for NAME.crt and NAME.key")
	})
	if err != nil {
		return err
	}
	if err := wantArgs("ca issue", usage, args, 1); err != nil {
		return err
	}
	if isServer && isClient {
		return fmt.Errorf("--server or --client, not both (usage: aula ca issue %s)", usage)
	}
	if days < 1 {
		return fmt.Errorf("--days %d: want at least 1", days)
	}
	req := ca.Request{Name: args[0], Kind: ca.Client, Validity: time.Duration(days) * 24 * time.Hour}
	if isServer {
		req.Kind = ca.Server
		if len(hosts) == 0 {
			hosts = listFlag{args[0]}
		}
		req.Hosts = hosts
	} else if len(hosts) > 0 {
		return fmt.Errorf("--host is for server certificates")
	}
	dir, err := caDir(cx)
	if err != nil {
		return err
	}
	c, err := ca.Open(dir)
	if err != nil {
		return err
	}
	is, err := c.Issue(req)
	if gerr := giveToOwner(dir); err == nil {
		err = gerr
	}
	if err != nil {
		return err
	}
	if err := ca.WriteFiles(out, req.Name, is.CertPEM, is.KeyPEM); err != nil {
		return err
	}
	fmt.Fprintf(cx.Stdout, "issued %s certificate %s (serial %s, until %s)\nwrote %s and %s (0600)\n",
		req.Kind, req.Name, is.Record.Serial, is.Record.NotAfter.Format("2006-01-02"),
		filepath.Join(out, req.Name+".crt"), filepath.Join(out, req.Name+".key"))
	return nil
}

func runCARevoke(ctx context.Context, cx *core.CmdContext, args []string) error {
	args, err := parseFlags("ca revoke", "NAME", args, nil)
	if err != nil {
		return err
	}
	if err := wantArgs("ca revoke", "NAME", args, 1); err != nil {
		return err
	}
	dir, err := caDir(cx)
	if err != nil {
		return err
	}
	c, err := ca.Open(dir)
	if err != nil {
		return err
	}
	recs, err := c.Revoke(args[0])
	if gerr := giveToOwner(dir); err == nil {
		err = gerr
	}
	if err != nil {
		return err
	}
	for _, r := range recs {
		fmt.Fprintf(cx.Stdout, "revoked %s (serial %s); servers using %s refuse it from now on\n", r.Name, r.Serial, dir)
	}
	return nil
}

func runCAList(ctx context.Context, cx *core.CmdContext, args []string) error {
	var asJSON bool
	args, err := parseFlags("ca list", "[--json]", args, func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "JSON") })
	if err != nil {
		return err
	}
	if err := wantArgs("ca list", "[--json]", args, 0); err != nil {
		return err
	}
	dir, err := caDir(cx)
	if err != nil {
		return err
	}
	recs, err := ca.List(dir)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(cx.Stdout, nonNil(recs))
	}
	tw := tabwriter.NewWriter(cx.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tSERIAL\tNOT AFTER\tSTATUS")
	now := time.Now()
	for _, r := range recs {
		status := "valid"
		switch {
		case r.Revoked():
			status = "revoked " + r.RevokedAt.Local().Format("2006-01-02 15:04")
		case now.After(r.NotAfter):
			status = "expired"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, r.Kind, r.Serial, r.NotAfter.Local().Format("2006-01-02"), status)
	}
	return tw.Flush()
}
