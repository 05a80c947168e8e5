package acl

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// AdminGroup is the group that Default Admin requires.
const AdminGroup = "admin"

// Subject is the caller as the authentication step established it.
type Subject struct {
	Identity      string     // user, client or certificate name; meaningful only if Authenticated
	Groups        []string   // groups of Identity
	Addr          netip.Addr // source address; the zero Addr means unknown
	Authenticated bool       // Identity was proven (password, certificate, HMAC, ...)
	Cert          bool       // Identity was proven by a verified client certificate
}

// Default is a method's own access rule, used when no policy rule matches.
// The zero value is Admin, so a method that forgets to declare one is
// closed rather than open.
type Default uint8

const (
	Admin         Default = iota // authenticated members of AdminGroup
	Authenticated                // any authenticated identity
	Public                       // anyone, authenticated or not
	Local                        // anyone connecting from a loopback address (Bcfg2's 127.0.0.1 default)
	Nobody                       // no one unless a policy rule allows
)

var defaultNames = [...]string{
	Admin:         "admin",
	Authenticated: "authenticated",
	Public:        "public",
	Local:         "local",
	Nobody:        "nobody",
}

func (d Default) String() string {
	if int(d) < len(defaultNames) {
		return defaultNames[d]
	}
	return fmt.Sprintf("Default(%d)", uint8(d))
}

// ParseDefault accepts the names String returns (for configuration files).
func ParseDefault(s string) (Default, error) {
	for i, n := range defaultNames {
		if s == n {
			return Default(i), nil
		}
	}
	return 0, fmt.Errorf("unknown default access %q (want one of %s)", s, strings.Join(defaultNames[:], ", "))
}

// allows applies the default to a subject.
func (d Default) allows(s Subject) bool {
	switch d {
	case Public:
		return true
	case Authenticated:
		return s.Authenticated
	case Admin:
		return s.Authenticated && slices.Contains(s.Groups, AdminGroup)
	case Local:
		return s.Addr.IsValid() && s.Addr.Unmap().IsLoopback()
	}
	return false // Nobody and unknown values: closed
}

// Decision is the outcome of Decide, with the rule that produced it so a
// refusal can be logged and explained.
type Decision struct {
	Allow bool
	Rule  string // "file:line: rule text" or "default: <name>"
}

// Decide returns the action of the first rule matching the subject and
// method, or the method's default when none matches. A nil Policy applies
// defaults only.
func (p *Policy) Decide(s Subject, method string, def Default) Decision {
	if p != nil {
		for i := range p.rules {
			r := &p.rules[i]
			if r.matches(s, method) {
				return Decision{Allow: r.allow, Rule: r.String()}
			}
		}
	}
	return Decision{Allow: def.allows(s), Rule: "default: " + def.String()}
}

func (r *rule) matches(s Subject, method string) bool {
	return r.matchWho(s) && r.matchMethod(method) && r.matchFrom(s.Addr)
}

func (r *rule) matchWho(s Subject) bool {
	for _, w := range r.who {
		if w.match(s) {
			return true
		}
	}
	return false
}

func (w who) match(s Subject) bool {
	switch w.kind {
	case whoAny:
		return true
	case whoAnonymous:
		return !s.Authenticated
	case whoAuthenticated:
		return s.Authenticated
	case whoUser:
		return s.Authenticated && s.Identity == w.name
	case whoCert:
		return s.Authenticated && s.Cert && s.Identity == w.name
	case whoGroup:
		return s.Authenticated && slices.Contains(s.Groups, w.name)
	}
	return false
}

func (r *rule) matchMethod(method string) bool {
	for _, p := range r.methods {
		if p.match(method) {
			return true
		}
	}
	return false
}

func (r *rule) matchFrom(addr netip.Addr) bool {
	if len(r.from) == 0 {
		return true
	}
	if !addr.IsValid() {
		return false
	}
	addr = addr.Unmap().WithZone("") // a zone (fe80::1%eth0) would make Contains always false
	for _, pfx := range r.from {
		if pfx.Contains(addr) {
			return true
		}
	}
	return false
}
