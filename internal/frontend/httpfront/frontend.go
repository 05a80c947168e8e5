// Package httpfront is aula's HTTP front end: XML-RPC at / and /RPC2,
// REST at /api, the routes modules declare (core.Route), /metrics and the
// index page, on the main listener (--listen) and the OLPC XS one
// (--xs-listen), plus the extra listeners modules ask for
// (core.ListenerProvider, e.g. --backup-control-listen). The codecs live
// in internal/wire/xmlrpc and internal/wire/rest; this package assembles
// them into listeners and registers the front end (core.RegisterFrontEnd),
// so the binary serves HTTP when it imports it.
package httpfront

import (
	"context"
	"errors"
	"net"
	"time"

	"aula/internal/config"
	"aula/internal/core"
	"aula/internal/limit"
	"aula/internal/server"
)

func init() {
	core.RegisterFrontEnd(core.FrontEndInfo{ID: "http", New: func() core.FrontEnd { return &FrontEnd{} },
		Help: "HTTP: XML-RPC at / and /RPC2, REST at /api, module routes, /metrics (--listen, --xs-listen)"})
}

// Default listener addresses.
const (
	DefaultListen   = ":8000"
	DefaultXSListen = ":8080"
)

// FrontEnd is the HTTP front end.
type FrontEnd struct {
	opts *options
	env  *core.FrontEnv
	srv  *server.HTTP
	done chan struct{}
}

// options are the front end's top-level options (nil until Configure).
type options struct {
	listen, xsListen           *config.Opt[string]
	maxConns, maxConnsPerIP    *config.Opt[int]
	headerTimeout, readTimeout *config.Opt[time.Duration]
	writeTimeout, idleTimeout  *config.Opt[time.Duration]
}

// Configure declares --listen, --xs-listen, the connection caps and the
// HTTP timeouts (top level: the front end registers with Section "").
func (f *FrontEnd) Configure(s *config.Section) {
	d := server.DefaultTimeouts
	f.opts = &options{
		listen:        s.String("listen", DefaultListen, "main HTTP listener: REST, XML-RPC at / and /RPC2, /api, /metrics (empty turns it off)"),
		xsListen:      s.String("xs-listen", DefaultXSListen, "OLPC XS listener for the Sugar shell's XML-RPC register (same handler; empty turns it off)"),
		maxConns:      s.Int("max-conns", 1024, "open connections per HTTP listener at most; more are closed at once, and past 7/8 of it each new connection first closes the one idle longest (0: no cap)"),
		maxConnsPerIP: s.Int("max-conns-per-ip", 0, "open connections per source address and listener at most (0: no cap; mind school NATs)"),
		headerTimeout: s.Duration("http-header-timeout", d.ReadHeader, "time a client gets to send its request headers (and finish the TLS handshake)"),
		readTimeout:   s.Duration("http-read-timeout", d.Read, "time a client gets to send a whole request"),
		writeTimeout:  s.Duration("http-write-timeout", d.Write, "time a reply may take to be written"),
		idleTimeout:   s.Duration("http-idle-timeout", d.Idle, "how long an idle keep-alive connection is kept open"),
	}
}

// Bind builds the handlers and opens every listener.
func (f *FrontEnd) Bind(ctx context.Context, env *core.FrontEnv) error {
	if f.opts == nil {
		return errors.New("http front end: not configured")
	}
	f.env = env
	h, err := Handler(env.App, env.Debug)
	if err != nil {
		return err
	}
	o := f.opts
	srv := &server.HTTP{Handler: h, Log: env.Log, TLS: env.TLS, PeerCheck: env.PeerCheck,
		Listeners: []server.Listener{{Name: "main", Addr: o.listen.Get()}, {Name: "xs", Addr: o.xsListen.Get()}},
		Timeouts: server.Timeouts{ReadHeader: o.headerTimeout.Get(), Read: o.readTimeout.Get(),
			Write: o.writeTimeout.Get(), Idle: o.idleTimeout.Get()}}
	if n, perIP := o.maxConns.Get(), o.maxConnsPerIP.Get(); n > 0 || perIP > 0 {
		srv.ConnLimit = func(ln net.Listener) net.Listener {
			return limit.NewListener(ln, limit.ListenerConfig{MaxConns: n, MaxPerIP: perIP, ShedAt: limit.ShedAt(n)})
		}
	}
	err = env.App.Each(func(info core.ModuleInfo, m core.Module) error {
		lp, ok := m.(core.ListenerProvider)
		if !ok {
			return nil
		}
		for _, l := range lp.Listeners() {
			if l.Addr == "" {
				continue
			}
			lh, err := RoutesHandler(env.App, env.Debug, info.ID, l.Routes)
			if err != nil {
				return err
			}
			srv.Listeners = append(srv.Listeners, server.Listener{Name: l.Name, Addr: l.Addr, Handler: lh})
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := srv.Bind(); err != nil {
		return err
	}
	f.srv = srv
	return nil
}

// Start serves the bound listeners; a listener failing later is reported
// through env.Fail.
func (f *FrontEnd) Start(ctx context.Context) error {
	if f.srv == nil {
		return nil
	}
	f.srv.Start()
	f.done = make(chan struct{})
	errc, done, fail := f.srv.Err(), f.done, f.env.Fail
	go func() {
		select {
		case err := <-errc:
			if fail != nil {
				fail(err)
			}
		case <-done:
		}
	}()
	return nil
}

// Shutdown stops accepting and lets calls in progress finish until ctx
// ends.
func (f *FrontEnd) Shutdown(ctx context.Context) error {
	if f.srv == nil {
		return nil
	}
	if f.done != nil {
		close(f.done)
		f.done = nil
	}
	return f.srv.Shutdown(ctx)
}

// Addrs reports each bound listener ("main", "xs", "backup-control").
func (f *FrontEnd) Addrs() map[string]string {
	if f.srv == nil {
		return map[string]string{}
	}
	return f.srv.Addrs()
}
