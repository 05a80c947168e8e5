package chatfront

import (
	"context"
	"crypto/tls"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"aula/internal/core"
	"aula/internal/rawtcp"
	"aula/internal/wire/chat"
)

// limits are the per-connection options, read once.
type limits struct {
	readTimeout, idleTimeout, callTimeout time.Duration
	maxLen                                int
	hmac                                  bool
}

//go:embed README.md
var readme string

func init() {
	core.RegisterFrontEnd(core.FrontEndInfo{ID: "chat", Section: "chat", New: func() core.FrontEnd { return &FrontEnd{} }, Help: readme})
}

// FrontEnd is the chat listener: one netstring request and one netstring
// reply per TCP connection, each connection served on its own goroutine.
type FrontEnd struct {
	opts *options
	lim  limits // the options a connection reads, fixed at Bind
	env  *core.FrontEnv
	log  *slog.Logger
	keys *keyring
	srv  *rawtcp.Server // the bound listener (TLS over TCP with --chat-tls): accept loop, caps, connections
	addr string
}

// Bind opens the listener, unless it is turned off or no magic is
// configured (then the front end binds nothing).
func (f *FrontEnd) Bind(ctx context.Context, env *core.FrontEnv) error {
	if f.opts == nil {
		f.opts = defaultOptions()
	}
	f.env, f.log = env, env.Log
	if f.log == nil {
		f.log = slog.Default()
	}
	o := f.opts
	addr := o.listen.Get()
	if addr == "" {
		return nil
	}
	if len(o.magic.Get()) == 0 && o.magicFile.Get() == "" {
		f.log.Info("chat listener off: no magic configured (--chat-magic name=secret or --chat-magic-file)")
		return nil
	}
	keys, err := newKeyring(o.magic.Get(), o.magicFile.Get(), f.log.Warn)
	if err != nil {
		return err
	}
	f.keys = keys
	f.lim = limits{readTimeout: o.readTimeout.Get(), idleTimeout: o.idleTimeout.Get(), callTimeout: o.callTimeout.Get(),
		maxLen: o.maxLen.Get(), hmac: o.auth.Get() == chat.AuthHMAC}
	inner, err := core.ListenTCP(addr)
	if err != nil {
		return fmt.Errorf("chat listener: %w", err)
	}
	if o.tls.Get() {
		if env.TLS == nil {
			inner.Close()
			return errors.New("--chat-tls needs the server's certificate (--tls-cert and --tls-key)")
		}
		inner = tls.NewListener(inner, env.TLS)
	}
	f.addr = inner.Addr().String()
	f.srv = rawtcp.New(rawtcp.Config{Name: "chat", MaxConns: o.maxConns.Get(), MaxPerIP: o.maxPerIP.Get(),
		Handler: f.serve, Logger: f.log}, inner)
	env.App.AddMetrics(func(w io.Writer) { f.srv.WriteMetrics(w, "chat") })
	return nil
}

// Start accepts connections in the background.
func (f *FrontEnd) Start(ctx context.Context) error {
	if f.srv == nil {
		return nil
	}
	f.log.Info("chat listening", "addr", f.addr, "auth", f.opts.auth.Get(), "tls", f.opts.tls.Get())
	f.srv.Start(f.env.Fail)
	return nil
}

// Shutdown stops accepting, lets requests in progress finish until ctx
// ends, then closes the connections left.
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
