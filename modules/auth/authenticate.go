package auth

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/netip"
	"time"

	"aula/internal/auth/credentials"
	"aula/internal/core"
)

// authenticateLink establishes c.Caller from the credentials the front end
// saw. Order: an Authorization header (Bearer session token; Basic with a
// session token or a password), else a client name the front end proved
// with a shared secret (chat), else a verified client certificate, else
// anonymous. Credentials that are sent but wrong are refused (401), never
// quietly downgraded to anonymous.
func (m *Module) authenticateLink(ctx context.Context, c *core.Call, next core.Next) (any, error) {
	if c.Local() {
		return next(ctx, c)
	}
	c.Caller.Identity, c.Caller.Groups, c.Caller.Via = "", nil, ""
	hash, err := m.identify(ctx, c)
	if err != nil {
		return nil, err
	}
	if hash != "" {
		ctx = context.WithValue(ctx, sessionKey{}, hash)
	}
	return next(ctx, c)
}

// identify fills c.Caller; it returns the session hash for token logins.
func (m *Module) identify(ctx context.Context, c *core.Call) (string, error) {
	if c.Creds.Authorization != "" {
		a, err := credentials.ParseAuthorization(c.Creds.Authorization)
		if err != nil {
			if err := m.throttled(ctx, c, ""); err != nil {
				return "", err
			}
			return "", m.failed(ctx, c, "", "", "malformed Authorization header")
		}
		switch a.Scheme {
		case credentials.Bearer:
			return m.tokenLogin(ctx, c, "", a.Token)
		case credentials.Basic:
			if looksLikeToken(a.Password) {
				// Clarens style: the session token as the Basic password.
				if hash, ok, err := m.liveSession(ctx, c, a.User, a.Password); ok || err != nil {
					return hash, err
				}
				// Not a live session: it may still be a (strange) password.
				return "", m.login(ctx, c, a.User, a.Password, "token", "invalid or expired session token")
			}
			return "", m.passwordLogin(ctx, c, a.User, a.Password)
		}
		if err := m.throttled(ctx, c, ""); err != nil {
			return "", err
		}
		return "", m.failed(ctx, c, "", "", "unsupported authentication scheme")
	}
	if name := c.Creds.SharedSecret; name != "" {
		// The front end checked the secret; a reserved name cannot be
		// configured as a client (local-admin stays the CLI's alone).
		if name == localAdmin || name == anonymous || !nameRE.MatchString(name) {
			return "", m.failed(ctx, c, "", c.Creds.SharedSecretVia, "shared-secret client name is reserved or malformed")
		}
		return "", m.become(ctx, c, name, c.Creds.SharedSecretVia)
	}
	if len(c.Creds.PeerCerts) > 0 {
		name := certName(c.Creds.PeerCerts[0])
		if name == "" || name == localAdmin || name == anonymous {
			if err := m.throttled(ctx, c, ""); err != nil {
				return "", err
			}
			return "", m.failed(ctx, c, "", "cert", "client certificate names no one (no CN or SAN) or a reserved name")
		}
		return "", m.become(ctx, c, name, "cert")
	}
	return "", nil
}

// certName is a client certificate's identity: the subject CN (Bcfg2's
// rule), else its first DNS, e-mail or URI subject alternative name.
func certName(cert *x509.Certificate) string {
	switch {
	case cert.Subject.CommonName != "":
		return cert.Subject.CommonName
	case len(cert.DNSNames) > 0:
		return cert.DNSNames[0]
	case len(cert.EmailAddresses) > 0:
		return cert.EmailAddresses[0]
	case len(cert.URIs) > 0:
		return cert.URIs[0].String()
	}
	return ""
}

// become sets the caller to a proven identity with its groups.
func (m *Module) become(ctx context.Context, c *core.Call, name, via string) error {
	groups, err := m.cachedGroupsOf(ctx, name)
	if err != nil {
		return core.StoreError(err, "reading groups")
	}
	c.Caller.Identity, c.Caller.Groups, c.Caller.Via = name, groups, via
	return nil
}

// tokenLogin authenticates a Bearer session token.
func (m *Module) tokenLogin(ctx context.Context, c *core.Call, user, tok string) (string, error) {
	hash, ok, err := m.liveSession(ctx, c, user, tok)
	if err != nil || ok {
		return hash, err
	}
	return "", m.failed(ctx, c, user, "token", "invalid or expired session token")
}

// liveSession makes the call the session's user if tok is a live session
// (of user, when user is given); ok is false when it is not.
func (m *Module) liveSession(ctx context.Context, c *core.Call, user, tok string) (hash string, ok bool, err error) {
	if err := m.throttled(ctx, c, user); err != nil {
		return "", false, err
	}
	name, hash, ok, err := m.session(ctx, tok)
	if err != nil || !ok || (user != "" && user != name) {
		return "", false, err
	}
	return hash, true, m.become(ctx, c, name, "token")
}

// passwordLogin checks a user's password (HTTP Basic, auth.login) and on
// success makes the call that user's.
func (m *Module) passwordLogin(ctx context.Context, c *core.Call, user, pw string) error {
	return m.login(ctx, c, user, pw, "password", "invalid user name or password")
}

// login checks a password; failVia and failMsg describe a failure.
func (m *Module) login(ctx context.Context, c *core.Call, user, pw, failVia, failMsg string) error {
	if c == nil {
		return core.Errorf(core.KindInternal, "login outside a call")
	}
	if err := m.throttled(ctx, c, user); err != nil {
		return err
	}
	stored := ""
	if nameRE.MatchString(user) {
		h, ok, err := m.userHash(ctx, user)
		if err != nil {
			return core.StoreError(err, "reading the user")
		}
		if ok {
			stored = h
		}
	}
	ok, err := m.verify.check(ctx, user, pw, stored)
	if err != nil {
		return err
	}
	if !ok {
		return m.failed(ctx, c, user, failVia, failMsg)
	}
	m.logins.Succeeded(c.Caller.Addr.Addr(), user)
	return m.become(ctx, c, user, "password")
}

// throttled refuses, before any hashing, a login attempt from a source,
// or for a user from a source, that failed too often. Each refusal is
// audited like a failed login: the trail shows the whole attack, not only
// the attempts that got as far as a password check.
func (m *Module) throttled(ctx context.Context, c *core.Call, user string) error {
	ok, wait := m.logins.Check(c.Caller.Addr.Addr(), user)
	if ok {
		return nil
	}
	e := tooMany(wait, "too many failed logins")
	m.record(ctx, auditEntry{
		Identity: user, Addr: addrOf(c), Transport: c.Transport, Method: c.Method,
		Result: kindName(core.KindTooMany), Message: e.Msg, RequestID: c.ID,
	})
	return e
}

func tooMany(wait time.Duration, what string) *core.Error {
	secs := int((wait + time.Second - 1) / time.Second)
	return &core.Error{Kind: core.KindTooMany, Msg: fmt.Sprintf("%s; retry after %d s", what, max(secs, 1)), RetryAfter: wait}
}

// failed records a failed authentication (throttle and audit) and returns
// the 401 for it. The message says what kind of credential failed but
// never whether the user name exists.
func (m *Module) failed(ctx context.Context, c *core.Call, user, via, msg string) error {
	m.logins.Failed(c.Caller.Addr.Addr(), user)
	e := core.Errorf(core.KindUnauthenticated, "%s", msg)
	m.record(ctx, auditEntry{
		Identity: user, Via: via, Addr: addrOf(c), Transport: c.Transport, Method: c.Method,
		Args: "", Result: kindName(core.KindUnauthenticated), Message: msg, RequestID: c.ID,
	})
	m.log.Info("authentication failed", "user", user, "via", via, "addr", addrOf(c), "method", c.Method, "why", msg, "id", c.ID)
	return e
}

// subjectAddr is the caller's address for ACL "from" clauses.
func subjectAddr(c *core.Call) netip.Addr {
	if !c.Caller.Addr.IsValid() {
		return netip.Addr{}
	}
	return c.Caller.Addr.Addr()
}
