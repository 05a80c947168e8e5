package activation

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"aula/internal/rawtcp"
)

// Defaults for a zero Server field.
const (
	DefaultMaxRequest    = 256
	DefaultReadDeadline  = 5 * time.Second
	DefaultWriteDeadline = 10 * time.Second
	DefaultAnswerTimeout = 5 * time.Second
	// DefaultMaxConns: a connection in progress costs a goroutine, a small
	// buffer and a descriptor (~10 KB), and a school's laptops booting
	// together after a power cut are better answered a second late than
	// turned away.
	DefaultMaxConns = 4096
	// DefaultMaxConnsPerIP: three quarters of DefaultMaxConns, so one host
	// (or one NAT) flooding silent connections leaves a quarter to the
	// rest, while a school's laptops behind one NAT address booting
	// together (thousands within a second) still fit. It stays at 3072
	// whatever MaxConns is; set both together.
	DefaultMaxConnsPerIP = DefaultMaxConns * 3 / 4
	// DefaultInvalidReply answers a bad, oversized or slow request. The XO
	// treats any text that holds no valid lease as "try the next network".
	DefaultInvalidReply = "UNKNOWN"
)

// ErrServerClosed is returned by Serve after Shutdown (rawtcp's).
var ErrServerClosed = rawtcp.ErrServerClosed

// Answerer decides the reply bytes for a well-formed request: lease text or
// a CJSON lease file, exactly "STOLEN" (6 bytes, no newline), or nothing
// (nil: the connection is closed at once and the XO tries elsewhere). It
// must honour ctx, which ends at the Server's AnswerTimeout or a forced
// Shutdown. It is called concurrently.
type Answerer interface {
	Answer(ctx context.Context, req Request, peer net.Addr) []byte
}

// AnswererFunc adapts a function to Answerer.
type AnswererFunc func(ctx context.Context, req Request, peer net.Addr) []byte

// Answer calls f.
func (f AnswererFunc) Answer(ctx context.Context, req Request, peer net.Addr) []byte {
	return f(ctx, req, peer)
}

// InvalidFunc is told about a request that could not be answered normally
// (err wraps ErrEmptyRequest, ErrRequestTooLarge, ErrReadTimeout,
// ErrMalformedRequest or a read error) and returns the reply to send.
type InvalidFunc func(ctx context.Context, raw []byte, peer net.Addr, err error) []byte

// Server is the TCP 191 activation listener. Each connection is read until
// the client's FIN (or MaxRequest bytes, or ReadDeadline), answered once and
// always closed: an XO waits forever on a connection the server keeps open.
// Set the fields before the first Serve; zero values take the defaults.
type Server struct {
	Answerer      Answerer
	MaxRequest    int           // request bytes accepted; default 256
	ReadDeadline  time.Duration // the whole request must arrive within this; default 5s
	WriteDeadline time.Duration // time to write the reply; default 10s
	AnswerTimeout time.Duration // deadline on Answer's ctx; default 5s
	MaxConns      int           // connections handled at once; default 4096
	// MaxConnsPerIP caps the connections from one source address; default
	// 3072. Past it a source's new connections are turned away.
	// Past seven eighths of MaxConns, each new connection first closes the
	// one that has waited longest for its request (limit.Conns): silent
	// connections make way for laptops that send theirs at once.
	MaxConnsPerIP int

	// Invalid is called for bad, oversized, slow or empty requests; its
	// result is the reply. Nil logs at debug level and replies "UNKNOWN".
	Invalid InvalidFunc
	// BusyReply is written to a connection accepted while MaxConns are
	// being handled (or MaxConnsPerIP from its address), which is then
	// closed at once without reading it. Best
	// effort: a client whose request already arrived usually gets a reset
	// instead (unread data), which an XO treats like no answer. Nil sends
	// nothing.
	BusyReply []byte
	Logger    *slog.Logger // nil: slog.Default()

	initOnce sync.Once
	srv      *rawtcp.Server // accept loop, caps, connections, shutdown
	answered atomic.Uint64
	invalid  atomic.Uint64
}

// Stats counts what the server has done since it started.
type Stats struct {
	Accepted     uint64 // connections accepted
	Answered     uint64 // well-formed requests passed to the Answerer
	Invalid      uint64 // requests answered through Invalid
	Busy         uint64 // connections turned away over MaxConns or MaxConnsPerIP
	Shed         uint64 // idle connections closed to make room for new ones
	AcceptErrors uint64 // temporary accept errors (backed off and retried)
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.init()
	st := s.srv.Stats()
	return Stats{
		Accepted: st.Accepted + st.Rejected, Answered: s.answered.Load(),
		Invalid: s.invalid.Load(), Busy: st.Rejected,
		AcceptErrors: st.AcceptErrors, Shed: st.Shed,
	}
}

func (s *Server) init() {
	s.initOnce.Do(func() {
		s.srv = rawtcp.New(rawtcp.Config{
			Name:       "activation",
			MaxConns:   orDefault(s.MaxConns, DefaultMaxConns),
			MaxPerIP:   orDefault(s.MaxConnsPerIP, DefaultMaxConnsPerIP),
			OnReject:   s.turnAway,
			Handler:    s.handle,
			OnShutdown: cutRead,
			Logger:     s.logger(),
		})
	})
}

// WriteMetrics writes the listener's connection counters (rawtcp's) in
// the Prometheus text format, names prefixed aula_<id>_.
func (s *Server) WriteMetrics(w io.Writer, id string) {
	s.init()
	s.srv.WriteMetrics(w, id)
}

// ShutdownReadGrace is how long a connection still sending its request
// when Shutdown begins may go on (instead of its whole ReadDeadline): a
// laptop sends its request at once, and a silent client must not hold the
// shutdown.
const ShutdownReadGrace = time.Second

// Shutdown stops accepting (closing every listener Serve was given) and
// waits for connections in progress to be answered; those still reading
// their request get ShutdownReadGrace more, then are closed unanswered.
// If ctx ends first it cancels the Answerers' contexts, closes the
// remaining connections and returns ctx.Err() once their handlers return.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	return s.srv.Shutdown(ctx)
}

// cutRead shortens the read of a connection open when Shutdown begins: a
// deadline set now also ends reads in progress; connections past their
// read it does not touch.
func cutRead(c net.Conn) { c.SetReadDeadline(time.Now().Add(ShutdownReadGrace)) }

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
