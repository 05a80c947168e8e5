// Package linefront is the worked example of docs/MODULES.md: a tiny
// line-protocol TCP front end. A client sends lines "METHOD ARG...", each
// argument a word; each line becomes a core.Call through App.Handle and
// is answered with one line, "OK " and the result printed with %v, or
// "ERR " and the error's public message. It is not in the aula binary:
// importing the package (one blank import in cmd/aula/main.go) would put
// it there, with its option --line-listen (off by default).
package linefront

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"aula/internal/config"
	"aula/internal/core"
	"aula/internal/rawtcp"
)

func init() {
	core.RegisterFrontEnd(core.FrontEndInfo{ID: "line", Section: "line",
		New:  func() core.FrontEnd { return &FrontEnd{} },
		Help: "line protocol: METHOD ARG... per line, answered OK RESULT or ERR MESSAGE (--line-listen)"})
}

// MaxLine bounds a request line: a front end reads untrusted bytes.
const MaxLine = 4096

// FrontEnd serves the line protocol.
type FrontEnd struct {
	listen *config.Opt[string]
	env    *core.FrontEnv
	addr   string
	srv    *rawtcp.Server // the listener: accept loop, connections and shutdown
}

// Configure declares [line] listen (--line-listen).
func (f *FrontEnd) Configure(sec *config.Section) {
	f.listen = sec.String("listen", "", "TCP address of the line protocol (empty turns it off)")
}

// Bind opens the listener (before privileges are dropped).
func (f *FrontEnd) Bind(ctx context.Context, env *core.FrontEnv) error {
	f.env = env
	if f.listen == nil || f.listen.Get() == "" {
		return nil
	}
	ln, err := core.ListenTCP(f.listen.Get())
	if err != nil {
		return fmt.Errorf("line listener: %w", err)
	}
	// internal/rawtcp has the accept loop, connection caps and shutdown
	// every raw TCP front end shares. A line protocol has no request
	// boundary to wait for at shutdown: its connections are closed when
	// the shutdown begins.
	f.addr = ln.Addr().String()
	f.srv = rawtcp.New(rawtcp.Config{Name: "line", Handler: f.serve, Logger: env.Log,
		OnShutdown: func(c net.Conn) { c.Close() }}, ln)
	return nil
}

// Start serves the listener in the background.
func (f *FrontEnd) Start(ctx context.Context) error {
	if f.srv != nil {
		f.srv.Start(f.env.Fail)
	}
	return nil
}

// serve answers one connection's lines until it closes (rawtcp closes it
// after). ctx ends at a forced shutdown.
func (f *FrontEnd) serve(ctx context.Context, c net.Conn) {
	var peer netip.AddrPort
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		peer = ta.AddrPort()
	}
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 0, 256), MaxLine)
	for sc.Scan() {
		words := strings.Fields(sc.Text())
		if len(words) == 0 {
			continue
		}
		call := &core.Call{Method: words[0], Args: []any{}, Transport: "line", Caller: core.Caller{Addr: peer}}
		for _, w := range words[1:] {
			call.Args = append(call.Args, w)
		}
		out, err := f.env.App.Handle(ctx, call)
		if err != nil {
			fmt.Fprintf(c, "ERR %s\n", oneLine(core.AsError(err).PublicMessage(f.env.Debug)))
			continue
		}
		fmt.Fprintf(c, "OK %s\n", oneLine(fmt.Sprint(out)))
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		fmt.Fprintf(c, "ERR line longer than %d bytes\n", MaxLine)
	}
}

// oneLine keeps a reply on its line.
func oneLine(s string) string { return strings.NewReplacer("\r", " ", "\n", " ").Replace(s) }

// Shutdown stops accepting, closes the open connections and waits for
// their calls.
func (f *FrontEnd) Shutdown(ctx context.Context) error {
	if f.srv == nil {
		return nil
	}
	return f.srv.Shutdown(ctx)
}

// Addrs reports the bound listener as "tcp".
func (f *FrontEnd) Addrs() map[string]string {
	if f.srv == nil {
		return map[string]string{}
	}
	return map[string]string{"tcp": f.addr}
}
