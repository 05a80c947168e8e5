package chatfront

import (
	"context"
	"crypto/tls"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"aula/internal/core"
	"aula/internal/limit"
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
	ln   *limit.Listener
	addr string

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
	done   chan struct{}
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
	f.ln = limit.NewListener(inner, limit.ListenerConfig{MaxConns: o.maxConns.Get(), MaxPerIP: o.maxPerIP.Get()})
	f.addr = inner.Addr().String()
	f.conns = map[net.Conn]struct{}{}
	return nil
}

// Start accepts connections in the background.
func (f *FrontEnd) Start(ctx context.Context) error {
	if f.ln == nil {
		return nil
	}
	f.done = make(chan struct{})
	f.log.Info("chat listening", "addr", f.addr, "auth", f.opts.auth.Get(), "tls", f.opts.tls.Get())
	go f.accept()
	return nil
}

func (f *FrontEnd) accept() {
	defer close(f.done)
	for {
		c, err := f.ln.Accept()
		if err != nil {
			f.mu.Lock()
			closed := f.closed
			f.mu.Unlock()
			if closed {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if f.env.Fail != nil {
				f.env.Fail(fmt.Errorf("chat listener: %w", err))
			}
			return
		}
		if !f.track(c) {
			c.Close()
			return
		}
		go func() {
			defer f.untrack(c)
			f.serve(c)
		}()
	}
}

func (f *FrontEnd) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.conns[c] = struct{}{}
	f.wg.Add(1)
	return true
}

func (f *FrontEnd) untrack(c net.Conn) {
	c.Close()
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
	f.wg.Done()
}

// Shutdown stops accepting, lets requests in progress finish until ctx
// ends, then closes the connections left.
func (f *FrontEnd) Shutdown(ctx context.Context) error {
	if f.ln == nil {
		return nil
	}
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.ln.Close()
	if f.done != nil {
		<-f.done
	}
	idle := make(chan struct{})
	go func() { f.wg.Wait(); close(idle) }()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
	}
	f.mu.Lock()
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	<-idle
	return ctx.Err()
}

// Addrs reports the bound listener as "tcp".
func (f *FrontEnd) Addrs() map[string]string {
	if f.ln == nil {
		return map[string]string{}
	}
	return map[string]string{"tcp": f.addr}
}
