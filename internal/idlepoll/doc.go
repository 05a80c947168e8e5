// Package idlepoll waits for many idle sockets at once on one goroutine,
// for a server holding thousands of long-lived connections that say
// nothing most of the time (the lab agents, bench/labbench). In Go the
// way to wait for a socket is a goroutine blocked in a read, and a parked
// goroutine costs at least its 2 KiB stack plus its descriptor (about
// 0.5 KiB) for as long as the connection is idle; with adaptive starting
// stacks (the runtime starts goroutines at the average stack size it saw)
// a busy server's fresh goroutines begin at 4 or 8 KiB. A Poller keeps an
// idle socket in an epoll set of its own instead, and starts a goroutine
// only when the socket has something to say.
//
//	w, err := p.Wait(conn, func() { ... read conn ... })
//	if err != nil { /* not watchable here: wait in a goroutine as usual */ }
//	...
//	if w.Stop() { /* ready will not run: the caller ends conn itself */ }
//
// Wait is like time.AfterFunc: ready runs once, in its own goroutine, when
// the socket has a byte to read, has ended (FIN or reset) or failed; the
// Poller never reads. Stop, like Timer.Stop, reports whether it cancelled
// ready before it started. A socket closed while watched just leaves the
// set (the kernel drops it) and ready never runs: whoever closes a watched
// connection must Stop its wait first and end the connection itself, and
// Close runs the ready of every wait still pending, so a connection closed
// behind the caller's back is still noticed when the Poller closes.
//
// On Linux it uses epoll (one-shot, level-triggered: data that arrived
// before Wait fires at once, so nothing is missed between the last read
// and the Wait). Elsewhere Wait returns ErrUnsupported and the caller
// waits in a goroutine as before.
package idlepoll

import "errors"

// ErrUnsupported is Wait's error where there is no poller (not Linux), or
// for a connection that is not a socket.
var ErrUnsupported = errors.New("idlepoll: cannot watch this connection here")

// ErrClosed is Wait's error after Close.
var ErrClosed = errors.New("idlepoll: poller closed")
