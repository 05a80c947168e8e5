package auth

import "aula/internal/core"

// admit is the check front ends make before reading a body
// (core.App.Admit): a caller with no credentials at all will be anonymous,
// and an anonymous source whose bucket is already empty is refused now,
// before its body costs memory and decoding. It only peeks: the limit link
// takes the token once the call is decoded, as for every call. Callers
// sending credentials are admitted here and judged by the chain (failed
// logins have their own throttle).
func (m *Module) admit(c *core.Call) error {
	if m.anon == nil || c.Local() || c.Creds.Authorization != "" || len(c.Creds.PeerCerts) > 0 {
		return nil
	}
	if ok, wait := m.anon.Peek(sourceKeyOf(c)); !ok {
		return tooMany(wait, "too many anonymous requests from your address")
	}
	return nil
}
