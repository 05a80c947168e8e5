package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Listener is one HTTP listener to open.
type Listener struct {
	Name string // "main", "xs", ...
	Addr string // "" turns it off
}

// HTTP serves one handler on several listeners with shared timeouts.
type HTTP struct {
	Handler   http.Handler
	TLS       *tls.Config // nil = plain HTTP
	Log       *slog.Logger
	Listeners []Listener
	// ConnLimit wraps each listener (e.g. a per-listener connection cap).
	ConnLimit func(net.Listener) net.Listener

	bound   []boundListener
	servers []*http.Server
	wg      sync.WaitGroup
	errc    chan error
}

type boundListener struct {
	Listener
	ln net.Listener
}

// Bind opens every configured listener (before privileges are dropped).
func (h *HTTP) Bind() error {
	for _, l := range h.Listeners {
		if l.Addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", l.Addr)
		if err != nil {
			h.closeBound()
			return fmt.Errorf("%s listener: %w", l.Name, err)
		}
		h.bound = append(h.bound, boundListener{l, ln})
	}
	return nil
}

// Addrs reports the bound address of each listener by name (useful with
// port 0 in tests).
func (h *HTTP) Addrs() map[string]string {
	out := map[string]string{}
	for _, b := range h.bound {
		out[b.Name] = b.ln.Addr().String()
	}
	return out
}

func (h *HTTP) closeBound() {
	for _, b := range h.bound {
		b.ln.Close()
	}
	h.bound = nil
}

// Start serves every bound listener in the background.
func (h *HTTP) Start() {
	h.errc = make(chan error, len(h.bound))
	for _, b := range h.bound {
		ln := b.ln
		if h.ConnLimit != nil {
			ln = h.ConnLimit(ln)
		}
		if h.TLS != nil {
			ln = tls.NewListener(ln, h.TLS)
		}
		srv := &http.Server{
			Handler:           h.Handler,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       60 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(h.Log.Handler(), slog.LevelWarn),
		}
		h.servers = append(h.servers, srv)
		h.Log.Info("listening", "listener", b.Name, "addr", b.ln.Addr().String(), "tls", h.TLS != nil)
		h.wg.Add(1)
		go func(name string) {
			defer h.wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				h.errc <- fmt.Errorf("%s listener: %w", name, err)
			}
		}(b.Name)
	}
}

// Err delivers the first fatal serve error.
func (h *HTTP) Err() <-chan error { return h.errc }

// Shutdown stops accepting and waits (until ctx ends) for in-flight calls.
func (h *HTTP) Shutdown(ctx context.Context) error {
	var errs []error
	for _, s := range h.servers {
		errs = append(errs, s.Shutdown(ctx))
	}
	if len(h.servers) == 0 {
		h.closeBound()
	}
	h.wg.Wait()
	return errors.Join(errs...)
}
