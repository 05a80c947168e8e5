// Package acl decides whether a caller may invoke a method, from an ordered
// policy file where the first matching rule wins.
//
// # File format
//
// One rule per line; blank lines and everything after a '#' are ignored.
// Fields are separated by spaces or tabs:
//
//	# action  who                 method          [from CIDR,...]
//	allow     group:admin         *.*
//	deny      user:guest          backup.*
//	allow     any                 id.register     from 10.0.0.0/8
//	allow     cert:lab-42         lab.report
//	allow     authenticated       echo.*,system.* from 127.0.0.1,::1
//	deny      any                 **
//
// action is allow or deny.
//
// who is a comma-separated list; the rule applies if any entry matches:
//
//	any            everybody, logged in or not
//	anonymous      callers that did not authenticate
//	authenticated  any authenticated identity
//	user:NAME      the authenticated identity NAME (however it was proven)
//	cert:NAME      the identity NAME proven by a verified client certificate
//	group:NAME     an authenticated identity that is a member of group NAME
//
// method is a comma-separated list of patterns over dot-separated method
// names, matched case-sensitively, component by component. As in Bcfg2's
// ACL plugin, '*' matches exactly one whole component:
//
//	pattern    matches        does not match
//	*          GetProbes      Git.Update
//	*.*        Git.Update     GetProbes, a.b.c
//	backup.*   backup.list    backupx.list, backup.a.b
//
// '**' is our extension: it matches any number of components, including
// none, so 'backup.**' matches backup, backup.list and backup.a.b, and '**'
// alone matches every method. A '*' inside a component (Bcfg2's '*_debug')
// is rejected: Bcfg2 silently treats it as a literal that matches nothing
// useful, which is never what the author meant.
//
// The optional "from" clause restricts the rule to source addresses in a
// comma-separated list of CIDR prefixes or single addresses (IPv4 or IPv6).
// IPv4-mapped IPv6 sources (::ffff:10.1.2.3) match IPv4 prefixes. A rule
// with a from clause never matches a caller whose address is unknown.
//
// # Decisions
//
// Policy.Decide walks the rules in file order and returns the first match.
// When no rule matches, the method's own Default (declared in the method
// table) applies. A nil *Policy means "no policy file": every decision is the
// method's default.
package acl
