package cli

import (
	"context"
	"errors"
	"flag"

	"aula/internal/agent"
	"aula/internal/config"
)

// runAgent is `aula agent`: the lab computer's side; it takes its own
// flags, not the server's configuration.
func runAgent(ctx context.Context, st *stdio, args []string) error {
	err := agent.Main(ctx, args, st.out, st.err)
	if errors.Is(err, flag.ErrHelp) {
		return config.ErrHelp
	}
	return err
}
