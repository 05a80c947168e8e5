package server

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"aula/internal/limit"
)

// SlowGrace and SlowRate say which connections a shutdown does not wait
// for. A graceful shutdown waits for calls in progress (up to the caller's
// grace), but net/http's Shutdown also waits for connections merely
// reading a request: one client trickling its body (within the 60 s read
// timeout) held the whole shutdown for its 30 s grace. Now connections
// with no call in progress are cut at once; a call waiting on its client
// (its body, or the client reading its reply) that moves less than
// SlowRate bytes a second over SlowGrace is cut then; calls that are
// working are waited for.
const (
	SlowGrace = time.Second
	SlowRate  = 16 << 10
)

// drain tracks every connection of the HTTP servers: its net/http state,
// whether a handler is running on it and whether that handler is blocked
// on the client (reading the body, writing the reply), and since when.
type drain struct {
	mu    sync.Mutex
	conns map[net.Conn]*tracked
}

type tracked struct {
	conn     net.Conn
	state    http.ConnState
	since    time.Time // of the last state change
	handlers int       // handlers running (0 or 1 on HTTP/1.x)
	blocked  int       // body reads and reply writes in progress
	moved    int64     // body bytes read and reply bytes written
	// During shutdown: when the current wait on the client was first
	// seen, and moved then.
	markAt    time.Time
	markMoved int64
}

type trackedKey struct{}

func newDrain() *drain { return &drain{conns: make(map[net.Conn]*tracked)} }

// connContext is http.Server.ConnContext: it registers the connection and
// puts it in every request's context.
func (d *drain) connContext(ctx context.Context, c net.Conn) context.Context {
	t := &tracked{conn: c, state: http.StateNew, since: time.Now()}
	d.mu.Lock()
	d.conns[c] = t
	d.mu.Unlock()
	return context.WithValue(ctx, trackedKey{}, t)
}

// connState is http.Server.ConnState. It also tells a limit.Listener
// (internal/limit) which connections are idle, so a capped listener can
// shed the idlest for newcomers: a keep-alive connection waiting for its
// next request, or a new one with no byte of a request yet.
func (d *drain) connState(c net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew, http.StateIdle:
		limit.Idle(c)
	case http.StateActive:
		limit.Busy(c)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if st == http.StateClosed || st == http.StateHijacked {
		delete(d.conns, c)
		return
	}
	if t := d.conns[c]; t != nil {
		t.state, t.since = st, time.Now()
	}
}

// wrap marks the handler running and watches its body and reply for
// waits on the client.
func (d *drain) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, _ := r.Context().Value(trackedKey{}).(*tracked)
		if t == nil {
			next.ServeHTTP(w, r)
			return
		}
		d.mu.Lock()
		t.handlers++
		d.mu.Unlock()
		defer func() {
			d.mu.Lock()
			t.handlers--
			d.mu.Unlock()
		}()
		if r.Body != nil && r.Body != http.NoBody {
			// On a copy: net/http looks at the type of its own request's
			// Body after the handler (an unread body too big to drain
			// closes the connection; any other type is drained, which
			// for a body never sent means waiting out the read timeout).
			r2 := new(http.Request)
			*r2 = *r
			r2.Body = &watchedBody{ReadCloser: r.Body, d: d, t: t}
			r = r2
		}
		next.ServeHTTP(&watchedWriter{ResponseWriter: w, d: d, t: t}, r)
	})
}

func (d *drain) begin(t *tracked) {
	d.mu.Lock()
	t.blocked++
	d.mu.Unlock()
}

func (d *drain) end(t *tracked, n int) {
	d.mu.Lock()
	t.blocked--
	t.moved += int64(n)
	d.mu.Unlock()
}

// cutSlow, called repeatedly during shutdown, closes the connections that
// hold it without a call working on them: those with no handler (new,
// idle, or reading a request's headers) at once, or after grace if a reply
// is still being flushed; and those whose handler waits on a client that
// moved less than rate bytes a second over grace. It returns how many it
// closed.
func (d *drain) cutSlow(now time.Time, grace time.Duration, rate int64) int {
	var cut []net.Conn
	d.mu.Lock()
	for c, t := range d.conns {
		switch {
		case t.handlers == 0 && t.state != http.StateActive:
		case t.handlers == 0 && now.Sub(t.since) >= grace:
		case t.handlers > 0 && t.blocked > 0:
			if t.markAt.IsZero() {
				t.markAt, t.markMoved = now, t.moved
				continue
			}
			if now.Sub(t.markAt) < grace {
				continue
			}
			if t.moved-t.markMoved >= rate*int64(grace)/int64(time.Second) {
				t.markAt, t.markMoved = now, t.moved // keeping up: watch the next window
				continue
			}
		default:
			t.markAt = time.Time{} // working, not waiting
			continue
		}
		delete(d.conns, c)
		cut = append(cut, c)
	}
	d.mu.Unlock()
	for _, c := range cut {
		if tc, ok := c.(*tls.Conn); ok {
			c = tc.NetConn() // tls.Conn.Close may wait on a stuck write
		}
		c.Close()
	}
	return len(cut)
}

// watchedBody and watchedWriter mark the time their calls wait on the
// client.
type watchedBody struct {
	io.ReadCloser
	d *drain
	t *tracked
}

func (b *watchedBody) Read(p []byte) (n int, err error) {
	b.d.begin(b.t)
	defer func() { b.d.end(b.t, n) }()
	return b.ReadCloser.Read(p)
}

type watchedWriter struct {
	http.ResponseWriter
	d *drain
	t *tracked
}

func (w *watchedWriter) Write(p []byte) (n int, err error) {
	w.d.begin(w.t)
	defer func() { w.d.end(w.t, n) }()
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the real writer (Flush,
// deadlines).
func (w *watchedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
