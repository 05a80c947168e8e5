package limit

import (
	"net/netip"
	"time"
)

// LoginConfig configures failed-login throttling. Only failures spend
// tokens, so a source or user that logs in correctly is never slowed.
type LoginConfig struct {
	PerSource Config // failures per source address (IPv6: per /64)
	PerUser   Config // failures per user name, from any source
}

// DefaultLogin allows 30 failures from one source and then one every two
// seconds (a school NAT puts many honest laptops behind one address), and
// 10 failures for one user and then one every 30 seconds (about 3000
// guesses a day from the whole world: too few to guess a real password,
// and a locked-out user waits at most 30 seconds).
var DefaultLogin = LoginConfig{
	PerSource: Config{Burst: 30, Every: 2 * time.Second},
	PerUser:   Config{Burst: 10, Every: 30 * time.Second},
}

// LoginThrottle throttles password guessing. Per-source limits stop one
// machine trying many users; per-user limits stop many machines trying one
// user. Use: Check before verifying the password (and refuse at once,
// without hashing, if it says no); then Failed or Succeeded.
//
// The caller chooses the user key: for logins where every client uses one
// shared name (Bcfg2's "root"), pass the resolved client name instead, so
// one misconfigured client does not lock out the rest.
type LoginThrottle struct {
	bySource *Limiter
	byUser   *Limiter
}

// NewLoginThrottle returns a throttle with cfg.
func NewLoginThrottle(cfg LoginConfig) *LoginThrottle {
	return &LoginThrottle{bySource: NewLimiter(cfg.PerSource), byUser: NewLimiter(cfg.PerUser)}
}

// Check reports whether a login attempt may proceed and, if not, how long
// to wait. It spends nothing.
func (t *LoginThrottle) Check(src netip.Addr, user string) (ok bool, retryAfter time.Duration) {
	okSrc, waitSrc := t.bySource.Peek(sourceKey(src))
	okUser, waitUser := true, time.Duration(0)
	if user != "" {
		okUser, waitUser = t.byUser.Peek(user)
	}
	return okSrc && okUser, max(waitSrc, waitUser)
}

// Failed records a failed attempt against the source and the user.
func (t *LoginThrottle) Failed(src netip.Addr, user string) {
	t.bySource.Allow(sourceKey(src))
	if user != "" {
		t.byUser.Allow(user)
	}
}

// Succeeded clears the user's failures (its owner knows the password).
// The source's are kept: an attacker behind the same NAT as an honest
// user must not be reset by that user's logins.
func (t *LoginThrottle) Succeeded(src netip.Addr, user string) {
	if user != "" {
		t.byUser.Reset(user)
	}
}

// sourceKey groups IPv6 sources by /64, the smallest block a single site
// is normally given: one attacker can use every address in it.
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
