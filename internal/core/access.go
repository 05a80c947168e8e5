package core

import "context"

// LocalAdmin is the identity of the CLI's in-process caller: `aula`
// commands that run on the data directory act as the local administrator
// (whoever can open the data directory already holds everything in it).
const LocalAdmin = "local-admin"

// AdminGroup is the group an Admin method needs when no policy says more.
const AdminGroup = "admin"

// LocalCaller is the caller the CLI uses for in-process calls; such calls
// must also carry Transport "cli" (see Call.Local).
func LocalCaller() Caller {
	return Caller{Identity: LocalAdmin, Groups: []string{AdminGroup}, Via: "local"}
}

// Local reports the CLI's in-process caller. No front end sets Via or the
// "cli" transport, and the authenticate link (the core's or an
// authenticator's) clears the caller of every other call, so a network
// peer cannot pose as local.
func (c *Call) Local() bool {
	return c.Transport == "cli" && c.Caller.Via == "local" && c.Caller.Identity == LocalAdmin
}

// Policy decides who may call what. The core enforces its answers; the
// auth module installs one (its ACL file over each method's Access).
// Without one, a method's Access alone decides, and since nothing then
// establishes identities, only Public methods answer.
type Policy interface {
	// Allows reports whether the caller of c may call m.
	Allows(ctx context.Context, c *Call, m *Method) bool
	// Refused hears of each refusal the core is about to reply with (e,
	// Unauthenticated or Permission). It may record it, and returns the
	// error to reply with: e, or another (a rate limit).
	Refused(ctx context.Context, c *Call, m *Method, e *Error) error
}

// SetPolicy installs the policy the authorize link enforces and
// introspection filters by.
func (a *App) SetPolicy(p Policy) { a.policy = p }

// AccessAllows is the rule without a policy: Public to anyone,
// Authenticated to any proven identity, Admin to the admin group.
func AccessAllows(c Caller, access Access) bool {
	switch access {
	case Public:
		return true
	case Authenticated:
		return c.Authenticated()
	}
	return c.Authenticated() && c.InGroup(AdminGroup)
}

// permits is the one access decision: the CLI's local caller may call
// anything, everyone else what the policy (or, without one, the method's
// Access) allows.
func (a *App) permits(ctx context.Context, c *Call, m *Method) bool {
	if c.Local() {
		return true
	}
	if a.policy != nil {
		return a.policy.Allows(ctx, c, m)
	}
	return AccessAllows(c.Caller, m.Access)
}

// anonymousLink is the authenticate link while no authenticator is
// installed: nobody proves an identity, so whatever a front end left in
// the caller is cleared (the CLI's local caller excepted).
func anonymousLink(ctx context.Context, c *Call, next Next) (any, error) {
	if !c.Local() {
		c.Caller.Identity, c.Caller.Groups, c.Caller.Via = "", nil, ""
	}
	return next(ctx, c)
}

// authorizeLink enforces each method's access: an anonymous caller is
// refused as Unauthenticated (HTTP 401, so it may log in), a known one as
// Permission (403). Neither says which rule refused. Unknown methods pass
// on to the dispatcher, which answers them as such.
func (a *App) authorizeLink(ctx context.Context, c *Call, next Next) (any, error) {
	m := c.method
	if m == nil || a.permits(ctx, c, m) {
		return next(ctx, c)
	}
	e := Errorf(KindPermission, "permission denied")
	if !c.Caller.Authenticated() {
		e = Errorf(KindUnauthenticated, "authentication required")
	}
	if a.policy != nil {
		return nil, a.policy.Refused(ctx, c, m, e)
	}
	return nil, e
}
