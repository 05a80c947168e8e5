// Package limit protects the server from too much of anything: a per-key
// token-bucket rate limiter with bounded memory, a listener that caps
// concurrent connections, failed-login throttling per source address and
// per user, and a server-wide byte budget for request bodies.
//
// Nothing here sleeps or blocks, except Budget.Acquire, which waits a
// bounded time by design: callers are told "no" and how long to wait, and
// turn that into an HTTP 429/503 with Retry-After, a fault, or a closed
// connection.
package limit

// Raw TCP listeners (activation's TCP 191, chat, lab, backup SSH) share
// one pattern, so a flood of silent connections from one host, or from
// many, cannot lock real clients out. internal/rawtcp's Server is that
// pattern written once (the caps, the accept loop, the shutdown); the
// HTTP listeners use the caps alone:
//
//	caps := limit.NewConns(limit.ListenerConfig{
//		MaxConns: maxConns,             // whole server, every listener
//		MaxPerIP: maxPerIP,             // one source address (a school NAT is one)
//		ShedAt:   limit.ShedAt(maxConns), // past 7/8: close the idlest for each newcomer
//		OnReject: writeBusyLine,        // optional, quick
//	})
//	ln := caps.Listen(inner) // once per bound listener, same caps
//	for { c, err := ln.Accept(); ...; go serve(c) }
//
//	// in serve: a connection starts idle
//	req, err := read(c)
//	if err != nil && limit.IsShed(c) { return } // closed for a newcomer
//	limit.Busy(c)  // a whole request is here: never shed while answered
//	answer(c, req)
//	limit.Idle(c)  // keep-alive protocols: waiting for the next request
//
// Busy, Idle and IsShed see through wrappers with a NetConn method (a
// *tls.Conn made over the limited listener).
