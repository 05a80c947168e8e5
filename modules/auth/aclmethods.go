package auth

import (
	"context"
	"net/netip"

	"aula/internal/auth/acl"
	"aula/internal/core"
)

type aclCheckArgs struct {
	Identity string `json:"identity"`
	Method   string `json:"method"`
	From     string `json:"from,omitempty"`
	Cert     bool   `json:"cert,omitempty"`
}

// ACLCheck is the reply of auth.acl_check.
type ACLCheck struct {
	Allow    bool     `json:"allow"`
	Rule     string   `json:"rule"`
	Method   string   `json:"method"`
	Default  string   `json:"default"`
	Identity string   `json:"identity"`
	Groups   []string `json:"groups"`
}

// ACLPolicy is the reply of auth.acl_show and auth.acl_reload.
type ACLPolicy struct {
	File  string   `json:"file"`
	Rules []string `json:"rules"`
}

func (m *Module) aclCheckMethod() core.Method {
	me := core.Func("acl_check",
		"Says whether identity (\"anonymous\" for none; its groups from the user store) may call method, from an address if given, and which rule decides.",
		func(ctx context.Context, in aclCheckArgs) (ACLCheck, error) {
			meth, ok := m.app.Method(in.Method)
			if !ok {
				return ACLCheck{}, core.Errorf(core.KindNotFound, "no method %s on this server", in.Method)
			}
			s := acl.Subject{Groups: []string{}}
			if in.Identity != "" && in.Identity != anonymous {
				if !nameRE.MatchString(in.Identity) && in.Identity != localAdmin {
					return ACLCheck{}, core.Errorf(core.KindInvalid, "identity %q is not a valid name", in.Identity)
				}
				g, err := m.groupsOf(ctx, in.Identity)
				if err != nil {
					return ACLCheck{}, core.StoreError(err, "reading groups")
				}
				if g == nil {
					g = []string{}
				}
				s = acl.Subject{Identity: in.Identity, Groups: g, Authenticated: true, Cert: in.Cert}
			}
			if in.From != "" {
				a, err := netip.ParseAddr(in.From)
				if err != nil {
					return ACLCheck{}, core.Errorf(core.KindInvalid, "from %q: not an IP address", in.From)
				}
				s.Addr = a
			}
			def := defaultOf(meth.Access)
			d := m.policy.Decide(s, meth.Name, def)
			return ACLCheck{Allow: d.Allow, Rule: d.Rule, Method: meth.Name, Default: def.String(),
				Identity: s.Identity, Groups: s.Groups}, nil
		})
	return admin(me, false)
}

func (m *Module) aclReloadMethod() core.Method {
	me := core.Func("acl_reload", "Re-reads the ACL policy file; a file with an error is refused and the policy in force stays.",
		func(ctx context.Context, _ struct{}) (ACLPolicy, error) {
			if _, err := m.reloadPolicy(); err != nil {
				return ACLPolicy{}, err
			}
			m.log.Info("ACL policy reloaded", "file", m.aclFile, "rules", m.policy.Policy().Len())
			return m.policyInForce(), nil
		})
	return admin(me, true)
}

func (m *Module) aclShowMethod() core.Method {
	me := core.Func("acl_show", "Returns the ACL policy in force: its file and rules in order (none: methods' defaults only).",
		func(ctx context.Context, _ struct{}) (ACLPolicy, error) { return m.policyInForce(), nil })
	return admin(me, false)
}

func (m *Module) policyInForce() ACLPolicy {
	out := ACLPolicy{File: m.aclFile, Rules: []string{}}
	if p := m.policy.Policy(); p != nil {
		out.Rules = p.Rules()
	}
	return out
}
