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
	"sync"

	"aula/internal/config"
	"aula/internal/core"
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
	ln     net.Listener
	conns  sync.WaitGroup
	mu     sync.Mutex // guards open and closed
	open   map[net.Conn]struct{}
	closed bool
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
	f.ln = ln
	return nil
}

// Start accepts connections in the background.
func (f *FrontEnd) Start(ctx context.Context) error {
	if f.ln == nil {
		return nil
	}
	f.open = map[net.Conn]struct{}{}
	go func() {
		for {
			c, err := f.ln.Accept()
			if err != nil {
				if !errors.Is(err, net.ErrClosed) && f.env.Fail != nil {
					f.env.Fail(fmt.Errorf("line listener: %w", err))
				}
				return
			}
			f.mu.Lock()
			if f.closed {
				f.mu.Unlock()
				c.Close()
				return
			}
			f.open[c] = struct{}{}
			f.conns.Add(1)
			f.mu.Unlock()
			go f.serve(c)
		}
	}()
	return nil
}

// serve answers one connection's lines until it closes.
func (f *FrontEnd) serve(c net.Conn) {
	defer func() {
		c.Close()
		f.mu.Lock()
		delete(f.open, c)
		f.mu.Unlock()
		f.conns.Done()
	}()
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
		out, err := f.env.App.Handle(context.Background(), call)
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

// Shutdown stops accepting, then closes the open connections (a line
// protocol has no request boundary to wait for) and waits for them.
func (f *FrontEnd) Shutdown(ctx context.Context) error {
	if f.ln == nil {
		return nil
	}
	f.ln.Close()
	f.mu.Lock()
	f.closed = true
	for c := range f.open {
		c.Close()
	}
	f.mu.Unlock()
	f.conns.Wait()
	return nil
}

// Addrs reports the bound listener as "tcp".
func (f *FrontEnd) Addrs() map[string]string {
	if f.ln == nil {
		return map[string]string{}
	}
	return map[string]string{"tcp": f.ln.Addr().String()}
}
