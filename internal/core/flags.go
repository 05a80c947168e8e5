package core

import (
	"flag"
	"fmt"
	"io"
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
