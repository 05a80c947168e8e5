// Package rawtcp serves a raw TCP protocol (TCP 191's activation
// requests, chat, the lab agents, the backup SSH endpoint, the line
// example): the accept loop, the connection caps, the set of open
// connections and a graceful Shutdown, written once so every raw listener
// behaves alike. What a connection says is the protocol's Handler.
//
// Every listener gets the caps of internal/limit: connections in all
// (MaxConns), per source address (MaxPerIP), and past seven eighths of
// MaxConns each newcomer first closes the connection idle longest. A
// connection is idle until its protocol calls limit.Busy on it (a whole
// request has arrived, or its peer has authenticated); a protocol that
// keeps connections open calls limit.Idle when it waits for the next
// request. A Handler whose connection was closed to make room sees
// limit.IsShed and drops it quietly.
//
//	// Bind: open the listener (before the privilege drop), then
//	srv := rawtcp.New(rawtcp.Config{Name: "chat", MaxConns: 1024, MaxPerIP: 128,
//		Handler: func(ctx context.Context, c net.Conn) { ... }}, ln)
//	// Start:
//	srv.Start(env.Fail) // "chat listener: ..." if the listener dies
//	// Shutdown: stop accepting, wait for handlers, close stragglers when ctx ends
//	return srv.Shutdown(ctx)
//
// Serve is the same loop in the caller's goroutine, for any number of
// listeners (internal/wire/activation's Server uses it).
//
// Per-connection timeouts stay with the protocols: each bounds a
// different thing (a request up to its FIN, a netstring with an idle
// limit, a TLS handshake then a hello, an SSH login).
package rawtcp
