// Package limit protects the server from too much of anything: a per-key
// token-bucket rate limiter with bounded memory, a listener that caps
// concurrent connections, and failed-login throttling per source address
// and per user.
//
// Nothing here sleeps or blocks: callers are told "no" and how long to
// wait, and turn that into an HTTP 429/503 with Retry-After, a fault, or a
// closed connection.
package limit
