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
