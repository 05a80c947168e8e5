package cli

import (
	"context"
	"fmt"
)

// runConfig prints the effective configuration, every option with its help
// and where its value came from; the output is itself a valid config file.
func runConfig(ctx context.Context, st *stdio, args []string) error {
	rt, rest, err := load(args, st.err)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", rest[0])}
	}
	return rt.set.Write(st.out)
}
