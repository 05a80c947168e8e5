// Package wire holds what every HTTP front end shares: turning an
// *http.Request into a core.Call, and a core error Kind into an HTTP status.
// The protocols themselves live in the sub-packages (xmlrpc, rest, ...).
package wire

import (
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"aula/internal/core"
)

// NewCall starts a Call from an HTTP request: the peer address and the
// credentials (Authorization header, verified TLS client certificates).
func NewCall(r *http.Request, transport string, debug bool) *core.Call {
	c := &core.Call{Transport: transport, Debug: debug}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		c.Caller.Addr = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	if v := r.Header["Authorization"]; len(v) > 0 { // Header.Get, less canonicalizing a canonical key
		c.Creds.Authorization = v[0]
	}
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
		c.Creds.PeerCerts = r.TLS.PeerCertificates
	}
	return c
}

// HTTPStatus maps an error kind to the HTTP status REST replies use.
func HTTPStatus(k core.Kind) int {
	switch k {
	case core.KindInvalid, core.KindParse:
		return http.StatusBadRequest
	case core.KindNoMethod, core.KindNotFound:
		return http.StatusNotFound
	case core.KindUnauthenticated:
		return http.StatusUnauthorized
	case core.KindPermission:
		return http.StatusForbidden
	case core.KindConflict:
		return http.StatusConflict
	case core.KindUnavailable:
		return http.StatusServiceUnavailable
	case core.KindTooMany:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// SetErrorHeaders adds the headers an error status needs: WWW-Authenticate
// for 401 (Bcfg2 clients expect it) and Retry-After for 429/503.
func SetErrorHeaders(h http.Header, e *core.Error) {
	switch e.Kind {
	case core.KindUnauthenticated:
		h.Set("WWW-Authenticate", `Basic realm="aula"`)
	case core.KindTooMany, core.KindUnavailable:
		if e.RetryAfter > 0 {
			h.Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
		}
	}
}

// PublicMessage is the client-visible text of an error: internal errors
// outside debug mode say only that, with the request id to find the log.
func PublicMessage(e *core.Error, c *core.Call) string { return core.ClientMessage(e, c) }

// Busy answers 503 with Retry-After: 1 to a request whose body was not read
// (the server is short of room for it now) and closes the connection, since
// the unread body would otherwise have to be drained first.
func Busy(w http.ResponseWriter, msg string) {
	h := w.Header()
	h.Set("Retry-After", "1")
	h.Set("Connection", "close")
	http.Error(w, msg, http.StatusServiceUnavailable)
}
