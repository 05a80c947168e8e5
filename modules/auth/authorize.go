package auth

import (
	"context"
	"net/netip"

	"aula/internal/auth/acl"
	"aula/internal/core"
)

// defaultOf maps a method's declared access onto the ACL default.
func defaultOf(a core.Access) acl.Default {
	switch a {
	case core.Public:
		return acl.Public
	case core.Authenticated:
		return acl.Authenticated
	}
	return acl.Admin
}

func subjectOf(c core.Caller, addr netip.Addr) acl.Subject {
	return acl.Subject{Identity: c.Identity, Groups: c.Groups, Addr: addr,
		Authenticated: c.Authenticated(), Cert: c.Via == "cert"}
}

// decide asks the policy in force about a caller and a method. Policies
// name methods by their canonical name (auth.login, not system.login), so
// one rule covers every alias.
func (m *Module) decide(c *core.Call, meth *core.Method) acl.Decision {
	return m.policy.Decide(subjectOf(c.Caller, subjectAddr(c)), meth.Name, defaultOf(meth.Access))
}

// authorizeLink refuses calls the policy does not allow: 401 (with
// WWW-Authenticate, from the front end) when the caller is anonymous and
// could do better by logging in, 403 when a known caller is not allowed.
// Neither says which rule refused; the log does.
func (m *Module) authorizeLink(ctx context.Context, c *core.Call, next core.Next) (any, error) {
	meth := c.Resolved()
	if meth == nil || isLocal(c) {
		return next(ctx, c) // unknown methods are the dispatcher's (fault -32601)
	}
	d := m.decide(c, meth)
	if d.Allow {
		return next(ctx, c)
	}
	m.log.Info("call refused by ACL", "method", meth.Name, "identity", c.Caller.Identity, "via", c.Caller.Via,
		"addr", addrOf(c), "rule", d.Rule, "id", c.ID)
	var e *core.Error
	if !c.Caller.Authenticated() {
		// Anonymous refusals spend the source's budget too, so probing
		// (and the audit rows it would write) is bounded.
		if err := m.spendAnon(c); err != nil {
			return nil, err
		}
		e = core.Errorf(core.KindUnauthenticated, "authentication required")
	} else {
		e = core.Errorf(core.KindPermission, "permission denied")
	}
	if meth.Mutates {
		m.record(ctx, entryFor(c, meth, e))
	}
	return nil, e
}

// limitLink rate-limits anonymous calls per source address. Authenticated
// callers are accountable and not limited here; failed logins are
// throttled where they are checked.
func (m *Module) limitLink(ctx context.Context, c *core.Call, next core.Next) (any, error) {
	if !c.Caller.Authenticated() && !isLocal(c) {
		if err := m.spendAnon(c); err != nil {
			return nil, err
		}
	}
	return next(ctx, c)
}

func (m *Module) spendAnon(c *core.Call) error {
	if m.anon == nil {
		return nil
	}
	if ok, wait := m.anon.Allow(sourceKey(subjectAddr(c))); !ok {
		return tooMany(wait, "too many anonymous requests from your address")
	}
	return nil
}

// sourceKey groups IPv6 sources by /64 (what one site gets).
func sourceKey(a netip.Addr) string {
	if !a.IsValid() {
		return "unknown"
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// visible filters introspection (system.listMethods, GET /api) to what the
// caller may call, as Bcfg2 does. Without a call in ctx the caller is
// taken as anonymous from an unknown address.
func (m *Module) visible(ctx context.Context, meth *core.Method) bool {
	c := core.CallFrom(ctx)
	if c == nil {
		return m.policy.Decide(acl.Subject{}, meth.Name, defaultOf(meth.Access)).Allow
	}
	if isLocal(c) {
		return true
	}
	return m.decide(c, meth).Allow
}
