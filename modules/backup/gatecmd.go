package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"aula/internal/core"
)

// gateCommand is `aula backup-gate --uid UID`, the command every line of
// the backup account's authorized_keys forces. It runs in its own process
// (started by sshd as the backup account) on the server's data directory.
func gateCommand() core.Command {
	return core.Command{
		Name:  "backup-gate",
		Usage: "--uid UID   (sshd's forced command; reads SSH_ORIGINAL_COMMAND)",
		Help:  "run a backup client's rsync request: the forced command of the backup account's authorized_keys, not for interactive use",
		Run: func(ctx context.Context, cx *core.CmdContext, args []string) error {
			uid, err := parseGateArgs(args)
			if err != nil {
				return err
			}
			if cx.Env == nil {
				return errors.New("backup-gate runs on the local data directory; it cannot use --url")
			}
			mod, ok := cx.Env.App.Module("backup")
			m, ok2 := mod.(*Module)
			if !ok || !ok2 {
				return errors.New("the backup module is not loaded")
			}
			// sshd may hang up on us while rsync still runs: survive
			// SIGHUP and SIGPIPE so the slot is released and the outcome
			// recorded. (Notify, not Ignore: rsync gets default handlers.)
			sigs := make(chan os.Signal, 4)
			signal.Notify(sigs, syscall.SIGHUP, syscall.SIGPIPE)
			defer signal.Stop(sigs)
			code, err := m.runGate(ctx, gateIO{in: os.Stdin, out: os.Stdout, err: cx.Stderr}, uid, os.Getenv("SSH_ORIGINAL_COMMAND"))
			if err != nil {
				return err // printed as one line: "aula backup-gate: refused: ..."
			}
			if code != 0 {
				// rsync's own status is the session's: close the store
				// cleanly, then exit with it (the CLI knows only 0, 1, 2).
				cx.Env.Store.Close()
				os.Exit(code)
			}
			return nil
		},
	}
}

// parseGateArgs reads "--uid UID" or "--uid=UID" and nothing else.
func parseGateArgs(args []string) (string, error) {
	var uid string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--uid" && i+1 < len(args):
			i++
			uid = args[i]
		case strings.HasPrefix(a, "--uid="):
			uid = a[len("--uid="):]
		default:
			return "", fmt.Errorf("unexpected argument %.60q (usage: aula backup-gate --uid UID)", a)
		}
	}
	if uid == "" {
		return "", errors.New("missing --uid UID")
	}
	return uid, nil
}
