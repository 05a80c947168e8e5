// Package cli is the aula command line: one file per subcommand, each with
// its help beside its code. Modules add their own subcommands
// (core.Commander); `aula help` lists them all.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"aula/internal/agent"
	"aula/internal/config"
	"aula/internal/core"
)

// command is a built-in subcommand.
type command struct {
	name, usage, help string
	run               func(ctx context.Context, st *stdio, args []string) error
	// options: the command takes aula's options, which its help lists.
	options bool
}

type stdio struct {
	out, err io.Writer
}

// usageError makes Main exit 2 and print the command's usage.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func builtins() []command {
	return []command{
		{"serve", "[OPTIONS]", "run the server in the foreground", runServe, true},
		{"call", "[OPTIONS] METHOD [ARG...]", "call a method on a running server (--url, else the local --listen) and print the result", runCall, true},
		{"config", "[OPTIONS]", "print the effective configuration as a config file", runConfig, true},
		{"db status", "[OPTIONS]", "list applied and pending database migrations", runDBStatus, true},
		{"version", "", "print aula's version", runVersion, false},
		{"agent", agent.Usage, "run the lab agent on a lab computer (dials the server's --lab-listen)", runAgent, false},
		{"help", "[MODULE|FRONTEND|COMMAND]", "show help for a module, a front end or a command", runHelp, false},
	}
}

// Main runs the command line and returns the process exit code.
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, os.Stdout, os.Stderr, args)
}

// Run is Main with its own context and output streams.
func Run(ctx context.Context, stdout, stderr io.Writer, args []string) int {
	return run(ctx, &stdio{out: stdout, err: stderr}, args)
}

func run(ctx context.Context, st *stdio, args []string) int {
	if len(args) == 0 {
		printUsage(st.err)
		return 2
	}
	if args[0] == "-h" || args[0] == "--help" {
		printUsage(st.out)
		return 0
	}
	if args[0] == "--version" {
		args = []string{"version"}
	}
	name, rest, fn := find(args)
	if fn == nil {
		fmt.Fprintf(st.err, "aula: unknown command %q\n\n", strings.Join(args[:min(2, len(args))], " "))
		printUsage(st.err)
		return 2
	}
	if wantsHelp(rest) { // before running anything: help opens no data directory
		fmt.Fprint(st.out, commandHelp(name))
		return 0
	}
	err := fn(ctx, st, rest)
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, config.ErrHelp), errors.Is(err, flag.ErrHelp):
		fmt.Fprint(st.out, commandHelp(name))
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(st.err, "aula %s: %s\n", name, ue.msg)
		fmt.Fprintf(st.err, "usage: aula %s %s\n", name, usageOf(name))
		return 2
	default:
		fmt.Fprintf(st.err, "aula %s: %v\n", name, err)
		return 1
	}
}

// find matches the longest command name (built-in or a module's) at the
// start of args.
func find(args []string) (string, []string, func(context.Context, *stdio, []string) error) {
	for n := min(3, len(args)); n >= 1; n-- {
		name := strings.Join(args[:n], " ")
		for _, c := range builtins() {
			if c.name == name {
				return name, args[n:], c.run
			}
		}
		for _, mc := range moduleCommands() {
			if mc.cmd.Name == name {
				cmd := mc.cmd
				return name, args[n:], func(ctx context.Context, st *stdio, rest []string) error {
					return runModuleCommand(ctx, st, cmd, rest)
				}
			}
		}
	}
	return "", nil, nil
}

type modCmd struct {
	module string
	cmd    core.Command
}

// moduleCommands asks a throwaway instance of every registered module for
// its commands.
func moduleCommands() []modCmd {
	var out []modCmd
	for _, info := range core.Registered() {
		if c, ok := info.New().(core.Commander); ok {
			for _, cmd := range c.Commands() {
				out = append(out, modCmd{info.ID, cmd})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].cmd.Name < out[j].cmd.Name })
	return out
}

func usageOf(name string) string {
	for _, c := range builtins() {
		if c.name == name {
			return c.usage
		}
	}
	for _, mc := range moduleCommands() {
		if mc.cmd.Name == name {
			return mc.cmd.Usage
		}
	}
	return ""
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "aula: a school and lab server kit.")
	fmt.Fprintln(w, "\nusage: aula COMMAND [ARGS]\n\ncommands:")
	width := 0
	for _, c := range builtins() {
		width = max(width, len(c.name))
	}
	mods := moduleCommands()
	for _, mc := range mods {
		width = max(width, len(mc.cmd.Name))
	}
	for _, c := range builtins() {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.name, c.help)
	}
	for _, mc := range mods {
		fmt.Fprintf(w, "  %-*s  %s\n", width, mc.cmd.Name, mc.cmd.Help)
	}
	fmt.Fprintln(w, "\n`aula help MODULE` shows a module's help (`aula help FRONTEND` a front end's, e.g. chat); `aula COMMAND --help` a command's options.")
	fmt.Fprintln(w, "Every option can also be set in /etc/aula.conf or as AULA_<NAME>; see `aula config`.")
}
