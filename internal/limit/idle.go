package limit

import "net"

// Busy marks c as working on a complete request, so it is not shed; Idle
// marks it as waiting for (the rest of) a request again. c is a connection
// a Listener returned, or one wrapping it (a *tls.Conn, or anything with a
// NetConn method). They report false, and do nothing, for any other
// connection, so protocol code may call them whatever listener it serves.
//
// A protocol that reads one request per connection (TCP 191) calls Busy
// once the request is complete; one that keeps connections open (chat,
// HTTP keep-alive) calls Busy when a request is complete and Idle when it
// starts waiting for the next.
func Busy(c net.Conn) bool { return mark(c, false) }

// Idle: see Busy.
func Idle(c net.Conn) bool { return mark(c, true) }

// IsShed reports whether c (as for Busy) was closed to make room for a
// newer connection, so its protocol can drop it quietly rather than
// report a read error.
func IsShed(c net.Conn) bool {
	tc := unwrap(c)
	if tc == nil {
		return false
	}
	tc.cs.mu.Lock()
	defer tc.cs.mu.Unlock()
	return tc.shed
}

func mark(c net.Conn, idle bool) bool {
	tc := unwrap(c)
	if tc == nil {
		return false
	}
	cs := tc.cs
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if tc.released {
		return true
	}
	cs.idle.remove(tc)
	if idle {
		cs.idle.pushBack(tc)
	}
	return true
}

func unwrap(c net.Conn) *conn {
	for range 8 { // tls over limit, say; never a cycle
		switch x := c.(type) {
		case *conn:
			return x
		case interface{ NetConn() net.Conn }:
			c = x.NetConn()
		default:
			return nil
		}
	}
	return nil
}

// idleList is an intrusive doubly linked list of idle connections, oldest
// (idle longest) first. Guarded by Conns.mu.
type idleList struct{ head, tail *conn }

func (l *idleList) front() *conn { return l.head }

func (l *idleList) pushBack(c *conn) {
	if c.idle {
		return
	}
	c.idle, c.prev, c.next = true, l.tail, nil
	if l.tail != nil {
		l.tail.next = c
	} else {
		l.head = c
	}
	l.tail = c
}

func (l *idleList) remove(c *conn) {
	if !c.idle {
		return
	}
	if c.prev != nil {
		c.prev.next = c.next
	} else {
		l.head = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	} else {
		l.tail = c.prev
	}
	c.idle, c.prev, c.next = false, nil, nil
}
