package limit

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

// ListenerConfig caps concurrent connections.
type ListenerConfig struct {
	MaxConns int // open connections at most; 0 means no cap
	MaxPerIP int // open connections per source address; 0 means no cap
	// OnReject, if set, sees each refused connection just before it is
	// closed (to log it, or write a one-line "busy" reply). It runs in
	// the Accept path, so it must be quick: set a short write deadline.
	OnReject func(c net.Conn, reason string)
}

// Listener wraps a net.Listener and caps concurrent connections.
//
// A connection beyond a cap is accepted and closed at once; Accept does
// not return it and goes on to the next. Blocking Accept instead (as
// x/net/netutil does) would leave new connections waiting in the kernel
// backlog until the client times out, and would stall every well-behaved
// client behind a flood; closing at once gives the client a fast, clear
// failure that its retry logic can handle.
type Listener struct {
	net.Listener
	cfg      ListenerConfig
	active   atomic.Int64
	rejected atomic.Uint64

	mu    sync.Mutex
	perIP map[netip.Addr]int
}

// NewListener wraps inner.
func NewListener(inner net.Listener, cfg ListenerConfig) *Listener {
	return &Listener{Listener: inner, cfg: cfg, perIP: make(map[netip.Addr]int)}
}

// Active is the number of connections open now.
func (l *Listener) Active() int { return int(l.active.Load()) }

// Rejected is the number of connections closed for being over a cap.
func (l *Listener) Rejected() uint64 { return l.rejected.Load() }

// Accept returns the next connection within the caps.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if reason := l.admit(c); reason != "" {
			l.rejected.Add(1)
			if l.cfg.OnReject != nil {
				l.cfg.OnReject(c, reason)
			}
			c.Close()
			continue
		}
		return &conn{Conn: c, l: l, ip: sourceIP(c)}, nil
	}
}

// admit reserves a slot for c, or says why it cannot.
func (l *Listener) admit(c net.Conn) string {
	if n := l.active.Add(1); l.cfg.MaxConns > 0 && n > int64(l.cfg.MaxConns) {
		l.active.Add(-1)
		return "too many connections"
	}
	if l.cfg.MaxPerIP <= 0 {
		return ""
	}
	ip := sourceIP(c)
	if !ip.IsValid() {
		return "" // not IP (a Unix socket): only the total cap applies
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perIP[ip] >= l.cfg.MaxPerIP {
		l.active.Add(-1)
		return "too many connections from " + ip.String()
	}
	l.perIP[ip]++
	return ""
}

func (l *Listener) release(ip netip.Addr) {
	l.active.Add(-1)
	if l.cfg.MaxPerIP <= 0 || !ip.IsValid() {
		return
	}
	l.mu.Lock()
	if l.perIP[ip]--; l.perIP[ip] <= 0 {
		delete(l.perIP, ip)
	}
	l.mu.Unlock()
}

func sourceIP(c net.Conn) netip.Addr {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// conn gives its slot back exactly once, however often it is closed
// (net/http may close a connection more than once).
type conn struct {
	net.Conn
	l    *Listener
	ip   netip.Addr
	once sync.Once
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.ip) })
	return err
}

// NetConn returns the wrapped connection (as tls.Conn.NetConn does), for
// code that needs the *net.TCPConn.
func (c *conn) NetConn() net.Conn { return c.Conn }
