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

// Allows is the core's question to the ACL policy (the core enforces the
// answer, see core.Policy). Without a call the caller is anonymous from an
// unknown address.
func (m *Module) Allows(ctx context.Context, c *core.Call, meth *core.Method) bool {
	if c == nil {
		return m.policy.Decide(acl.Subject{}, meth.Name, defaultOf(meth.Access)).Allow
	}
	return m.decide(c, meth).Allow
}

// Refused hears of each call the core refuses: the log says which rule
// refused (the reply does not); anonymous refusals spend the source's
// budget too, so probing (and the audit rows it would write) is bounded;
// refused state-changing calls are audited.
func (m *Module) Refused(ctx context.Context, c *core.Call, meth *core.Method, e *core.Error) error {
	m.log.Info("call refused by ACL", "method", meth.Name, "identity", c.Caller.Identity, "via", c.Caller.Via,
		"addr", addrOf(c), "rule", m.decide(c, meth).Rule, "id", c.ID)
	if !c.Caller.Authenticated() {
		if err := m.spendAnon(c); err != nil {
			return err
		}
	}
	if meth.Mutates {
		m.record(ctx, entryFor(c, meth, e))
	}
	return e
}

// limitLink rate-limits anonymous calls per source address. Authenticated
// callers are accountable and not limited here; failed logins are
// throttled where they are checked.
func (m *Module) limitLink(ctx context.Context, c *core.Call, next core.Next) (any, error) {
	if !c.Caller.Authenticated() && !c.Local() {
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
	if ok, wait := m.anon.Allow(sourceKeyOf(c)); !ok {
		return tooMany(wait, "too many anonymous requests from your address")
	}
	return nil
}

// sourceKeyOf is sourceKey of c's address.
func sourceKeyOf(c *core.Call) string {
	if a := subjectAddr(c); a.Is4() {
		return c.AddrText() // sourceKey(a), made once per call
	}
	return sourceKey(subjectAddr(c))
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
