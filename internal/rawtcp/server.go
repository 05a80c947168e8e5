package rawtcp

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"

	"aula/internal/limit"
)

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("server closed")

// Config is what a Server serves and how many.
type Config struct {
	// Name names the listener in log lines ("activation", "chat").
	Name string
	// MaxConns caps open connections over every listener Serve is given;
	// 0 means no cap (and no shedding). Past limit.ShedAt(MaxConns) each
	// new connection first closes the one idle longest.
	MaxConns int
	// MaxPerIP caps open connections from one source address; 0 means no
	// cap.
	MaxPerIP int
	// OnReject, if set, sees each connection refused for a cap just before
	// it is closed (to log it, or write a one-line "busy" reply). It runs
	// in the accept loop: it must be quick (set a short write deadline).
	OnReject func(c net.Conn, reason string)
	// Handler serves one connection on its own goroutine; the Server
	// closes c when it returns and recovers (and logs) a panic. ctx ends
	// when a Shutdown's ctx ends, and after a Shutdown.
	Handler func(ctx context.Context, c net.Conn)
	// OnShutdown, if set, sees each open connection once when Shutdown
	// begins: a protocol that need not wait for its clients closes it
	// there, one that waits for answers in progress may shorten a read.
	OnShutdown func(c net.Conn)
	// Logger: nil means slog.Default().
	Logger *slog.Logger
}

// Server accepts connections on one or more listeners and hands each to
// the Handler. Its methods may be called concurrently.
type Server struct {
	cfg   Config
	log   *slog.Logger
	caps  *limit.Conns
	bound []net.Listener // given to New: Start serves them, Shutdown closes them

	ctx    context.Context // the handlers'; ended by Shutdown
	cancel context.CancelFunc
	done   chan struct{} // closed when Shutdown begins: wakes the accept backoff

	mu        sync.Mutex
	closing   bool
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]bool // open connections: detached (see Detach)
	loops     sync.WaitGroup    // Serve calls
	handlers  sync.WaitGroup    // connections being served

	accepted, acceptErrors, panics atomic.Uint64
}

// New returns a Server for cfg. It serves nothing until Start (which
// serves bound, the listeners a front end opened at Bind) or Serve;
// Shutdown closes bound whether or not Start ran.
func New(cfg Config, bound ...net.Listener) *Server {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Server{cfg: cfg, log: log, bound: bound, done: make(chan struct{}),
		listeners: map[net.Listener]struct{}{}, conns: map[net.Conn]bool{}}
	s.caps = limit.NewConns(limit.ListenerConfig{MaxConns: cfg.MaxConns, MaxPerIP: cfg.MaxPerIP,
		ShedAt: limit.ShedAt(cfg.MaxConns), OnReject: cfg.OnReject})
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Stats counts what the server has done since New.
type Stats struct {
	Active       int    // connections open now
	Accepted     uint64 // connections handed to the Handler
	Rejected     uint64 // connections closed at once for being over a cap
	Shed         uint64 // idle connections closed to make room for new ones
	AcceptErrors uint64 // temporary accept errors (backed off and retried)
	Panics       uint64 // Handler panics recovered
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	return Stats{Active: s.caps.Active(), Accepted: s.accepted.Load(), Rejected: s.caps.Rejected(),
		Shed: s.caps.Shed(), AcceptErrors: s.acceptErrors.Load(), Panics: s.panics.Load()}
}

// Active is the number of connections open now.
func (s *Server) Active() int { return s.caps.Active() }

// Closing reports whether Shutdown has begun, for a Handler that must
// tell a read cut by the shutdown from a client's fault.
func (s *Server) Closing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}
