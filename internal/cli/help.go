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
	if info, ok := core.Lookup(topic); ok {
		fmt.Fprint(st.out, info.Help)
		if !strings.HasSuffix(info.Help, "\n") {
			fmt.Fprintln(st.out)
		}
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
	return usageError{fmt.Sprintf("no module or command %q (modules: %s)", topic, strings.Join(ids, ", "))}
}

func commandHelp(name string) string {
	for _, c := range builtins() {
		if c.name == name {
			return fmt.Sprintf("usage: aula %s %s\n\n%s.\n\nOptions shared by every command are listed by `aula config`.\n", c.name, c.usage, c.help)
		}
	}
	for _, mc := range moduleCommands() {
		if mc.cmd.Name == name {
			return fmt.Sprintf("usage: aula %s %s\n\n%s.\n\nFrom the %s module; `aula help %s` tells more.\n", name, mc.cmd.Usage, mc.cmd.Help, mc.module, mc.module)
		}
	}
	return ""
}
