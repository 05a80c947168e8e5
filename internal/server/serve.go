package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
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
	// Handler serves this listener instead of HTTP.Handler (an extra
	// listener serving a few routes only).
	Handler http.Handler
}

// Timeouts bound how long one connection may hold the server: a client
// that sends its headers slowly (slowloris), a body that trickles in, a
// reply nobody reads, a keep-alive connection left idle. ReadHeader also
// bounds the TLS handshake. Zero fields take DefaultTimeouts'.
type Timeouts struct {
	ReadHeader, Read, Write, Idle time.Duration
}

// DefaultTimeouts are generous for school networks and slow laptops, and
// still free a slot held by a silent client within seconds.
var DefaultTimeouts = Timeouts{ReadHeader: 10 * time.Second, Read: 60 * time.Second, Write: 60 * time.Second, Idle: 120 * time.Second}

// HTTP serves one handler on several listeners with shared timeouts.
type HTTP struct {
	Handler   http.Handler
	TLS       *tls.Config // nil = plain HTTP
	Log       *slog.Logger
	Listeners []Listener
	// ConnLimit wraps each listener (e.g. a per-listener connection cap).
	ConnLimit func(net.Listener) net.Listener
	Timeouts  Timeouts
	// PeerCheck, if set, is asked about the verified client certificate of
	// every request (not only at the handshake), so that a revocation also
	// ends keep-alive connections opened before it.
	PeerCheck func(*x509.Certificate) error

	bound   []boundListener
	servers []*http.Server
	drain   *drain
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
	to := h.Timeouts.withDefaults()
	h.drain = newDrain()
	for _, b := range h.bound {
		handler := h.Handler
		if b.Handler != nil {
			handler = b.Handler
		}
		if h.PeerCheck != nil {
			handler = checkPeers(handler, h.PeerCheck, h.Log)
		}
		handler = h.drain.wrap(handler)
		ln := b.ln
		if h.ConnLimit != nil {
			ln = h.ConnLimit(ln)
		}
		if h.TLS != nil {
			ln = tls.NewListener(ln, h.TLS)
		}
		srv := &http.Server{
			Handler:           handler,
			ReadHeaderTimeout: to.ReadHeader,
			ReadTimeout:       to.Read,
			WriteTimeout:      to.Write,
			IdleTimeout:       to.Idle,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(h.Log.Handler(), slog.LevelWarn),
			ConnContext:       h.drain.connContext,
			ConnState:         h.drain.connState,
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
// Connections with no call working on them are not waited for: idle and
// half-sent requests are cut at once, and a call waiting on a slow client
// (a body trickling in, a reply not read) after SlowGrace (see SlowRate).
func (h *HTTP) Shutdown(ctx context.Context) error {
	if len(h.servers) == 0 {
		h.closeBound()
		h.wg.Wait()
		return nil
	}
	errs := make([]error, len(h.servers))
	var done sync.WaitGroup
	for i, s := range h.servers {
		done.Go(func() { errs[i] = s.Shutdown(ctx) })
	}
	finished := make(chan struct{})
	go func() { done.Wait(); close(finished) }()
	tick := time.NewTicker(SlowGrace / 5)
	defer tick.Stop()
	for {
		if n := h.drain.cutSlow(time.Now(), SlowGrace, SlowRate); n > 0 {
			h.Log.Info("shutting down: cut connections with no call working", "conns", n)
		}
		select {
		case <-finished:
			h.wg.Wait()
			return errors.Join(errs...)
		case <-tick.C:
		}
	}
}

func (t Timeouts) withDefaults() Timeouts {
	d := DefaultTimeouts
	if t.ReadHeader > 0 {
		d.ReadHeader = t.ReadHeader
	}
	if t.Read > 0 {
		d.Read = t.Read
	}
	if t.Write > 0 {
		d.Write = t.Write
	}
	if t.Idle > 0 {
		d.Idle = t.Idle
	}
	return d
}

// checkPeers refuses requests whose client certificate no longer passes
// check (revoked since the handshake) and closes their connection.
func checkPeers(next http.Handler, check func(*x509.Certificate) error, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.PeerCertificates) > 0 {
			if err := check(r.TLS.PeerCertificates[0]); err != nil {
				log.Warn("client certificate refused", "addr", r.RemoteAddr, "cn", r.TLS.PeerCertificates[0].Subject.CommonName, "err", err)
				w.Header().Set("Connection", "close")
				http.Error(w, "client certificate refused", http.StatusForbidden)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
