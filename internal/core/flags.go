package core

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// ParseFlags parses a module command's own flags, wherever they stand
// among its arguments (`aula stolen add SN --note x` as well as
// `--note x SN`), and returns the positional arguments. An error names the
// command and its usage.
func ParseFlags(name, usage string, args []string, define func(*flag.FlagSet)) ([]string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if define != nil {
		define(fs)
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, fmt.Errorf("%w (usage: aula %s %s)", err, name, usage)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// UsageOf is the Usage of the command called name among cmds ("" if none),
// so a module's commands quote their usage in errors from one place.
func UsageOf(cmds []Command, name string) string {
	for _, c := range cmds {
		if c.Name == name {
			return c.Usage
		}
	}
	return ""
}

// Strings is a repeatable string flag: each --flag VALUE appends.
type Strings []string

func (f *Strings) String() string     { return strings.Join(*f, ",") }
func (f *Strings) Set(v string) error { *f = append(*f, v); return nil }
