package cli

import (
	"context"
	"fmt"
	"runtime"

	"aula/internal/server"
)

func runVersion(ctx context.Context, st *stdio, args []string) error {
	fmt.Fprintf(st.out, "aula %s (%s, %s/%s)\n", server.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
