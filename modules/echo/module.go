// Package echo is Clarens's example service: echo.echo returns its
// arguments unchanged, polymorphic over every type.
package echo

import (
	"context"
	_ "embed"
	"os"

	"aula/internal/core"
)

//go:embed README.md
var readme string

func init() {
	core.Register(core.ModuleInfo{ID: "echo", New: func() core.Module { return &Module{} }, Help: readme})
}

// Module is the echo service; it has no state.
type Module struct{}

// Methods is echo's method table.
func (*Module) Methods() []core.Method {
	echo := core.Raw("echo", "Returns an array of its arguments, unchanged: any number of values of any type.",
		func(ctx context.Context, args []any) (any, error) {
			if args == nil {
				args = []any{}
			}
			return args, nil
		})
	host := core.Func("hostname", "Returns [host name, address the call came from].",
		func(ctx context.Context, _ struct{}) ([]string, error) {
			name, _ := os.Hostname()
			addr := ""
			if c := core.CallFrom(ctx); c != nil && c.Caller.Addr.IsValid() {
				addr = c.Caller.Addr.Addr().String()
			}
			return []string{name, addr}, nil
		})
	return []core.Method{echo, host}
}
