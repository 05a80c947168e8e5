package core

import (
	"context"
	"crypto/x509"
	"net/netip"
)

// Caller is who makes a call, as far as the chain has established it.
type Caller struct {
	// Identity is the authenticated name ("" while anonymous).
	Identity string
	Groups   []string
	// Via says how the identity was proven: "cert", "password", "token", "local".
	Via  string
	Addr netip.AddrPort
}

// Authenticated reports whether an identity has been established.
func (c Caller) Authenticated() bool { return c.Identity != "" }

// InGroup reports membership of a group.
func (c Caller) InGroup(g string) bool {
	for _, x := range c.Groups {
		if x == g {
			return true
		}
	}
	return false
}

// Credentials are what the front end saw that may prove an identity; the
// authenticate link turns them into Caller fields.
type Credentials struct {
	Authorization string // the raw HTTP Authorization header, if any
	PeerCerts     []*x509.Certificate
	// SharedSecret is a client name the front end proved itself with a
	// per-client shared secret (the chat front end's magic, whose digest it
	// checked), and SharedSecretVia how ("magic", "hmac-sha256"). The
	// authenticate link adopts the name with its groups, so ACLs apply
	// to it. Only a front end that verified the secret may set it.
	SharedSecret    string
	SharedSecretVia string
}

// Call is a decoded request, the same whatever the wire.
type Call struct {
	Method string
	// Args are positional arguments (XML-RPC, REST arrays); Named are
	// named ones (REST objects). At most one is non-nil.
	Args      []any
	Named     map[string]any
	Caller    Caller
	Creds     Credentials
	Transport string // "xmlrpc", "rest", "chat", "cli", ...
	Debug     bool
	// ID identifies the call in logs and in generic error replies.
	ID string
	// InBandError is set by a handler that answers a failure inside a
	// successful reply (id.register's success "ERR", which the Sugar shell
	// needs instead of a fault), so that the audit records the call as
	// refused, with this message, rather than as ok.
	InBandError string

	method *Method // resolved by the dispatcher
	// addrText is Caller.Addr's address as text, for addrFor: the
	// limit, the audit and a handler may each want it (AddrText).
	addrText string
	addrFor  netip.Addr
	// ctx is the context Handle passes down the chain: the caller's context
	// carrying this call, kept here so that it costs no allocation of its
	// own (see WithCall for the general form).
	ctx     callContext
	ctxUsed bool
}

// AddrText is the caller's address without its port, as text ("" when
// unknown): what c.Caller.Addr.Addr().String() gives, made once per call
// however many links and handlers ask for it.
func (c *Call) AddrText() string {
	if !c.Caller.Addr.IsValid() {
		return ""
	}
	if a := c.Caller.Addr.Addr(); a != c.addrFor || c.addrText == "" {
		c.addrText, c.addrFor = a.String(), a
	}
	return c.addrText
}

// Resolved is the method table entry this call names (nil before lookup or
// for an unknown method).
func (c *Call) Resolved() *Method { return c.method }

type callKey struct{}

// CallFrom returns the call being handled, for handlers that need the
// caller (its address, identity) or the transport.
func CallFrom(ctx context.Context) *Call {
	c, _ := ctx.Value(callKey{}).(*Call)
	return c
}

// WithCall returns ctx carrying c.
func WithCall(ctx context.Context, c *Call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

// callContext is what WithCall makes, stored inside the Call itself.
type callContext struct {
	context.Context
	call *Call
}

func (c *callContext) Value(key any) any {
	if key == (callKey{}) {
		return c.call
	}
	return c.Context.Value(key)
}

// withCall is WithCall for Handle: the first time a call is handled it
// uses the context stored in the call; should the same Call be handled
// again (a context from the first run may still be in use), a fresh one.
func withCall(ctx context.Context, c *Call) context.Context {
	if c.ctxUsed {
		return WithCall(ctx, c)
	}
	c.ctxUsed = true
	c.ctx = callContext{Context: ctx, call: c}
	return &c.ctx
}
