package agent

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"
)

// Usage is `aula agent`'s synopsis.
const Usage = "--server HOST:PORT [--token TOKEN] [--dir DIR] [--ca FILE] [--agent-commands-dir DIR] [--poweroff-command CMD] [--reboot-command CMD] [--timeout D] [--output-limit BYTES] [--max-backoff D] [--log-level L]"

// Main runs `aula agent` with its flags until ctx ends.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := "./aula-agent"
	if os.Geteuid() == 0 {
		def = "/var/lib/aula-agent"
	}
	var cfg Config
	var level string
	fs.StringVar(&cfg.Server, "server", "", "the server's agent listener, HOST:PORT (the port is --lab-listen's, 2009 by default)")
	fs.StringVar(&cfg.Token, "token", os.Getenv("AULA_AGENT_TOKEN"), "one-time enrolment token from `aula computer enrol NAME` (also AULA_AGENT_TOKEN); used while DIR has no certificate")
	fs.StringVar(&cfg.Dir, "dir", def, "where the agent keeps its certificate, key (0600) and the CA")
	fs.StringVar(&cfg.CAFile, "ca", "", "the server's CA certificate (PEM), instead of the pin in the token")
	fs.StringVar(&cfg.CommandsDir, "agent-commands-dir", "", "admin-defined commands: an executable per command name, run with the params as NAME=VALUE arguments")
	fs.StringVar(&cfg.PowerOff, "poweroff-command", "systemctl poweroff", "run for Apagar (poweroff), after reporting")
	fs.StringVar(&cfg.Reboot, "reboot-command", "systemctl reboot", "run for Reiniciar (reboot), after reporting")
	fs.DurationVar(&cfg.Timeout, "timeout", 10*time.Minute, "longest a script or command may run before it is killed and reported failed")
	fs.IntVar(&cfg.OutputLimit, "output-limit", 64<<10, "bytes of a command's output kept and reported")
	fs.DurationVar(&cfg.MaxBackoff, "max-backoff", 30*time.Second, "longest wait between reconnection attempts")
	fs.StringVar(&level, "log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	cfg.Log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lv}))
	a, err := New(cfg)
	if err != nil {
		return err
	}
	return a.Run(ctx)
}
