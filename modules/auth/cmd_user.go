package auth

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"aula/internal/auth/password"
	"aula/internal/core"
)

// Commands are `aula user|acl|audit|ca ...`. User, ACL and audit commands
// are thin wrappers over admin methods, so they work on the local data
// directory (as local-admin) and against a running server (--url). The CA
// commands work on local files only: the CA key never travels.
func (m *Module) Commands() []core.Command {
	return []core.Command{
		{Name: "user add", Usage: "NAME [--groups G1,G2] [--password-stdin]", Help: "add a password user (a password is generated and printed unless --password-stdin)", Run: runUserAdd},
		{Name: "user passwd", Usage: "NAME [--password-stdin]", Help: "set a user's password (ends the user's sessions)", Run: runUserPasswd},
		{Name: "user rm", Usage: "NAME", Help: "remove a user and end its sessions", Run: runUserRm},
		{Name: "user list", Usage: "[--json]", Help: "list users and identities with groups", Run: runUserList},
		{Name: "user groups", Usage: "NAME [GROUP...]", Help: "set the groups of a user or certificate identity (none: no groups)", Run: runUserGroups},
		{Name: "acl check", Usage: "IDENTITY METHOD [--from IP] [--cert]", Help: "print whether IDENTITY (or anonymous) may call METHOD, and the rule that decides", Run: runACLCheck},
		{Name: "acl reload", Usage: "", Help: "make the server re-read its ACL policy file (with --url; locally: check the file)", Run: runACLReload},
		{Name: "acl show", Usage: "", Help: "print the ACL policy in force", Run: runACLShow},
		{Name: "audit", Usage: "[--since DURATION|TIME] [--follow] [--json]", Help: "print the audit trail of state-changing calls and failed logins", Run: runAudit},
		{Name: "ca init", Usage: "[--name NAME]", Help: "create the certificate authority in --ca-dir (default DATA-DIR/ca)", Run: runCAInit},
		{Name: "ca issue", Usage: "NAME [--server|--client] [--host H]... [--days N] [--out DIR]", Help: "issue a certificate: writes NAME.crt and NAME.key (0600)", Run: runCAIssue},
		{Name: "ca revoke", Usage: "NAME", Help: "revoke NAME's certificates; a running server refuses them at once", Run: runCARevoke},
		{Name: "ca list", Usage: "[--json]", Help: "list the certificates the CA issued", Run: runCAList},
	}
}

// parseFlags parses a command's flags (see core.ParseFlags).
func parseFlags(name, usage string, args []string, define func(*flag.FlagSet)) ([]string, error) {
	return core.ParseFlags(name, usage, args, define)
}

func wantArgs(name, usage string, args []string, n int) error {
	if len(args) != n {
		return fmt.Errorf("want %d argument(s), got %d (usage: aula %s %s)", n, len(args), name, usage)
	}
	return nil
}

// listFlag is a repeatable, comma-separated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			*l = append(*l, x)
		}
	}
	return nil
}

// groupsArg collects --groups, and --group: that name is also the
// server's privilege-drop option, so aula's option parser takes it first;
// given on the command line of a user command it can only mean a group.
func groupsArg(cx *core.CmdContext, groups listFlag) []string {
	if cx.Config != nil {
		if info, ok := cx.Config.Lookup("group"); ok && strings.HasPrefix(info.Origin, "flag") && info.Text != "" {
			groups.Set(info.Text)
		}
	}
	return groups
}

// readPassword reads one line from stdin (--password-stdin), or makes a
// strong random password and prints it once.
func readPassword(cx *core.CmdContext, fromStdin bool, name string) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(io.LimitReader(os.Stdin, password.MaxPasswordLen+2)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("reading the password from stdin: %w", err)
		}
		pw := strings.TrimRight(line, "\r\n")
		if pw == "" {
			return "", errors.New("no password on stdin")
		}
		return pw, nil
	}
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	pw := base64.RawURLEncoding.EncodeToString(b[:])
	fmt.Fprintf(cx.Stdout, "password for %s: %s\n", name, pw)
	return pw, nil
}

func runUserAdd(ctx context.Context, cx *core.CmdContext, args []string) error {
	const usage = "NAME [--groups G1,G2] [--password-stdin]"
	var groups listFlag
	var stdin bool
	args, err := parseFlags("user add", usage, args, func(fs *flag.FlagSet) {
		fs.Var(&groups, "groups", "groups")
		fs.BoolVar(&stdin, "password-stdin", false, "read the password from stdin")
	})
	if err != nil {
		return err
	}
	if err := wantArgs("user add", usage, args, 1); err != nil {
		return err
	}
	if err := checkName(args[0]); err != nil {
		return err
	}
	pw, err := readPassword(cx, stdin, args[0])
	if err != nil {
		return err
	}
	g := groupsArg(cx, groups)
	if err := cx.Call(ctx, "auth.user_add", map[string]any{"name": args[0], "password": pw, "groups": anyList(g)}, nil); err != nil {
		return err
	}
	fmt.Fprintf(cx.Stdout, "added user %s (groups: %s)\n", args[0], orNone(g))
	return nil
}

func runUserPasswd(ctx context.Context, cx *core.CmdContext, args []string) error {
	const usage = "NAME [--password-stdin]"
	var stdin bool
	args, err := parseFlags("user passwd", usage, args, func(fs *flag.FlagSet) {
		fs.BoolVar(&stdin, "password-stdin", false, "read the password from stdin")
	})
	if err != nil {
		return err
	}
	if err := wantArgs("user passwd", usage, args, 1); err != nil {
		return err
	}
	pw, err := readPassword(cx, stdin, args[0])
	if err != nil {
		return err
	}
	if err := cx.Call(ctx, "auth.user_passwd", map[string]any{"name": args[0], "password": pw}, nil); err != nil {
		return err
	}
	fmt.Fprintf(cx.Stdout, "password of %s changed; its sessions ended\n", args[0])
	return nil
}

func runUserRm(ctx context.Context, cx *core.CmdContext, args []string) error {
	args, err := parseFlags("user rm", "NAME", args, nil)
	if err != nil {
		return err
	}
	if err := wantArgs("user rm", "NAME", args, 1); err != nil {
		return err
	}
	if err := cx.Call(ctx, "auth.user_rm", map[string]any{"name": args[0]}, nil); err != nil {
		return err
	}
	fmt.Fprintf(cx.Stdout, "removed %s\n", args[0])
	return nil
}

func runUserGroups(ctx context.Context, cx *core.CmdContext, args []string) error {
	args, err := parseFlags("user groups", "NAME [GROUP...]", args, nil)
	if err != nil {
		return err
	}
	if len(args) < 1 {
		return errors.New("want NAME [GROUP...] (usage: aula user groups NAME [GROUP...])")
	}
	var g listFlag
	for _, a := range args[1:] {
		g.Set(a)
	}
	g = groupsArg(cx, g)
	if err := cx.Call(ctx, "auth.user_groups", map[string]any{"name": args[0], "groups": anyList(g)}, nil); err != nil {
		return err
	}
	fmt.Fprintf(cx.Stdout, "groups of %s: %s\n", args[0], orNone(g))
	return nil
}

func runUserList(ctx context.Context, cx *core.CmdContext, args []string) error {
	var asJSON bool
	args, err := parseFlags("user list", "[--json]", args, func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "JSON") })
	if err != nil {
		return err
	}
	if err := wantArgs("user list", "[--json]", args, 0); err != nil {
		return err
	}
	var us []User
	if err := cx.Call(ctx, "auth.user_list", nil, &us); err != nil {
		return err
	}
	if asJSON {
		return printJSON(cx.Stdout, nonNil(us))
	}
	if len(us) == 0 {
		fmt.Fprintln(cx.Stdout, "no users (add the first admin with `aula user add NAME --groups admin` on the server's data directory)")
		return nil
	}
	tw := tabwriter.NewWriter(cx.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tGROUPS\tPASSWORD\tCHANGED")
	for _, u := range us {
		pw := "no (certificate only)"
		if u.Password {
			pw = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, orNone(u.Groups), pw, dash(u.Updated))
	}
	return tw.Flush()
}

func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// anyList is a []string as the []any a decoded wire array is, which is
// what cx.Call's named arguments must look like for the in-process call.
func anyList(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ",")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
