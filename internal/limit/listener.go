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
	// ShedAt is how many open connections make each new one first close
	// the connection that has been idle longest (see Busy and Idle); 0
	// sheds nothing. Only for protocols that mark their connections Busy
	// (a connection never marked is idle all its life, and would be shed
	// in the middle of its work). ShedAt(MaxConns) is a good value.
	ShedAt int
	// OnReject, if set, sees each refused connection just before it is
	// closed (to log it, or write a one-line "busy" reply). It runs in
	// the Accept path, so it must be quick: set a short write deadline.
	OnReject func(c net.Conn, reason string)
}

// ShedAt is where shedding starts for a cap of maxConns: at seven eighths,
// leaving the last eighth for newcomers while idle connections make way.
func ShedAt(maxConns int) int { return maxConns - maxConns/8 }

// Conns holds the caps of one server's connections, shared by every
// listener it serves (IPv4 and IPv6, say): the count per source address,
// the total, and which connections are idle.
//
// A connection is idle from when it is accepted until its protocol marks
// it Busy (a complete request has arrived), and again whenever the
// protocol marks it Idle (waiting for the next request). Idle connections
// are what a flood of silent clients holds, and what a real client is not:
// once ShedAt connections are open, each new connection closes the one
// that has been idle longest before it is admitted, so the flood, not the
// newcomer, gives way. Only when nothing is idle and MaxConns are open is
// the newcomer refused.
type Conns struct {
	cfg      ListenerConfig
	shedAt   int
	rejected atomic.Uint64
	shed     atomic.Uint64

	mu     sync.Mutex
	active int
	perIP  map[netip.Addr]int
	idle   idleList // oldest first
}

// NewConns returns the shared caps; wrap each listener with Listen.
func NewConns(cfg ListenerConfig) *Conns {
	return &Conns{cfg: cfg, shedAt: max(cfg.ShedAt, 0), perIP: make(map[netip.Addr]int)}
}

// Listen wraps inner so that its connections count against cs.
func (cs *Conns) Listen(inner net.Listener) *Listener {
	return &Listener{Listener: inner, cs: cs}
}

// Active is the number of connections open now.
func (cs *Conns) Active() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.active
}

// Rejected is the number of connections closed for being over a cap.
func (cs *Conns) Rejected() uint64 { return cs.rejected.Load() }

// Shed is the number of idle connections closed to make room.
func (cs *Conns) Shed() uint64 { return cs.shed.Load() }

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
	cs *Conns
}

// NewListener wraps inner with caps of its own.
func NewListener(inner net.Listener, cfg ListenerConfig) *Listener {
	return NewConns(cfg).Listen(inner)
}

// Conns are the caps this listener counts against.
func (l *Listener) Conns() *Conns { return l.cs }

// Active is the number of connections open now (on every listener sharing
// the caps).
func (l *Listener) Active() int { return l.cs.Active() }

// Rejected is the number of connections closed for being over a cap.
func (l *Listener) Rejected() uint64 { return l.cs.Rejected() }

// Accept returns the next connection within the caps.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		tc, victim, reason := l.cs.admit(c)
		if victim != nil {
			l.cs.shed.Add(1)
			victim.Close()
		}
		if reason != "" {
			l.cs.rejected.Add(1)
			if l.cs.cfg.OnReject != nil {
				l.cs.cfg.OnReject(c, reason)
			}
			c.Close()
			continue
		}
		return tc, nil
	}
}

// admit takes a slot for c and returns it wrapped, with the idle
// connection to close to make room (if any); or says why c cannot have one.
func (cs *Conns) admit(c net.Conn) (tc *conn, victim *conn, reason string) {
	ip := sourceIP(c)
	perIP := cs.cfg.MaxPerIP > 0 && ip.IsValid() // not IP (a Unix socket): only the total cap applies
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if perIP && cs.perIP[ip] >= cs.cfg.MaxPerIP {
		return nil, nil, "too many connections from " + ip.String()
	}
	if cs.shedAt > 0 && cs.active >= cs.shedAt {
		victim = cs.idle.front()
	}
	if victim != nil {
		// The victim's slot passes to c now; its Close gives nothing back.
		cs.idle.remove(victim)
		victim.shed = true
		cs.releaseLocked(victim)
	} else if cs.cfg.MaxConns > 0 && cs.active >= cs.cfg.MaxConns {
		return nil, nil, "too many connections"
	}
	cs.active++
	if perIP {
		cs.perIP[ip]++
	}
	tc = &conn{Conn: c, cs: cs, ip: ip, counted: perIP}
	cs.idle.pushBack(tc)
	return tc, victim, ""
}

// releaseLocked gives c's slot back, once.
func (cs *Conns) releaseLocked(c *conn) {
	if c.released {
		return
	}
	c.released = true
	cs.idle.remove(c)
	cs.active--
	if c.counted {
		if cs.perIP[c.ip]--; cs.perIP[c.ip] <= 0 {
			delete(cs.perIP, c.ip)
		}
	}
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
	cs      *Conns
	ip      netip.Addr
	counted bool // counted in perIP

	// guarded by cs.mu
	released, shed, idle bool
	prev, next           *conn
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.cs.mu.Lock()
	c.cs.releaseLocked(c)
	c.cs.mu.Unlock()
	return err
}

// NetConn returns the wrapped connection (as tls.Conn.NetConn does), for
// code that needs the *net.TCPConn.
func (c *conn) NetConn() net.Conn { return c.Conn }
