package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"aula/internal/core"
)

// runHelp prints a module's README or a command's usage.
func runHelp(ctx context.Context, st *stdio, args []string) error {
	if len(args) == 0 {
		printUsage(st.out)
		return nil
	}
	topic := strings.Join(args, " ")
	info, isModule := core.Lookup(topic)
	fe, isFrontEnd := lookupFrontEnd(topic)
	if isModule {
		fmt.Fprint(st.out, info.Help)
		if !strings.HasSuffix(info.Help, "\n") {
			fmt.Fprintln(st.out)
		}
	}
	if isFrontEnd {
		if isModule {
			fmt.Fprintln(st.out)
		}
		fmt.Fprint(st.out, frontEndHelp(fe))
	}
	if isModule || isFrontEnd {
		return nil
	}
	if name, _, fn := find(args); fn != nil && name == topic {
		fmt.Fprint(st.out, commandHelp(name))
		return nil
	}
	var ids []string
	for _, m := range core.Registered() {
		ids = append(ids, m.ID)
	}
	sort.Strings(ids)
	var fes []string
	for _, f := range core.RegisteredFrontEnds() {
		fes = append(fes, f.ID)
	}
	return usageError{fmt.Sprintf("no module, front end or command %q (modules: %s; front ends: %s)",
		topic, strings.Join(ids, ", "), strings.Join(fes, ", "))}
}

func lookupFrontEnd(id string) (core.FrontEndInfo, bool) {
	for _, f := range core.RegisteredFrontEnds() {
		if f.ID == id {
			return f, true
		}
	}
	return core.FrontEndInfo{}, false
}

// frontEndHelp is what `aula help FRONTEND` prints: the front end's help
// and the options of its config section, from their declarations (so the
// list is the code's), with their defaults.
func frontEndHelp(f core.FrontEndInfo) string {
	var b strings.Builder
	help := f.Help
	if !strings.Contains(help, "\n") {
		help = fmt.Sprintf("%s front end: %s\n", f.ID, help)
	}
	b.WriteString(help)
	if !strings.HasSuffix(help, "\n") {
		b.WriteString("\n")
	}
	if f.Section == "" {
		b.WriteString("\nIts options are top-level ones; `aula serve --help` lists every option.\n")
		return b.String()
	}
	s, _, _, _, err := declareAll()
	if err != nil {
		fmt.Fprintf(&b, "\n(cannot list the options: %v)\n", err)
		return b.String()
	}
	fmt.Fprintf(&b, "\nOptions of the [%s] section (in a config file, a key inside [%s] drops the %q prefix):\n", f.Section, f.Section, f.Section+"-")
	s.SectionUsage(&b, f.Section)
	return b.String()
}

// CommandNames lists every command: the built-in ones and each registered
// module's (for tests that walk them all).
func CommandNames() []string {
	var out []string
	for _, c := range builtins() {
		out = append(out, c.name)
	}
	for _, mc := range moduleCommands() {
		out = append(out, mc.cmd.Name)
	}
	return out
}

// wantsHelp reports -h, -help or --help among a command's arguments
// (before a "--", after which arguments are the command's data).
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// commandHelp is what `aula COMMAND --help` and `aula help COMMAND` print:
// the usage, what the command does and, for commands that take aula's
// options, every option with its default.
func commandHelp(name string) string {
	for _, c := range builtins() {
		if c.name != name {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "usage: aula %s %s\n\n%s.\n", c.name, c.usage, c.help)
		if c.options {
			b.WriteString("\n")
			b.WriteString(optionsUsage())
		}
		return b.String()
	}
	for _, mc := range moduleCommands() {
		if mc.cmd.Name == name {
			return fmt.Sprintf("usage: aula %s %s\n\n%s.\n\nFrom the %s module; `aula help %s` tells more.\n"+
				"aula's own options apply too (--data-dir; --url with --url-ca, --url-cert\n"+
				"and --url-key to work on a running server): `aula serve --help` lists them.\n",
				name, mc.cmd.Usage, mc.cmd.Help, mc.module, mc.module)
		}
	}
	return ""
}

// OptionNames lists every option aula reads (for tests).
func OptionNames() []string {
	s, _, _, _, err := declareAll()
	if err != nil {
		return nil
	}
	return s.Names()
}

// optionsUsage lists every option with its type, help and default.
func optionsUsage() string {
	s, _, _, _, err := declareAll()
	if err != nil {
		return "(cannot list the options: " + err.Error() + ")\n"
	}
	var b strings.Builder
	s.Usage(&b)
	b.WriteString("An option shown without a default is empty (or off) unless set.\n")
	return b.String()
}
