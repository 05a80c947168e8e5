package limit

import (
	"net/netip"
	"time"
)

// LoginConfig configures failed-login throttling. Only failures spend
// tokens, so a source that logs in correctly is never slowed. Nothing is
// counted per user name alone: that would let anyone lock a user (the
// admin) out by failing on purpose.
type LoginConfig struct {
	PerSource     Config // failures per source address (IPv6: per /64), any user
	PerSourceUser Config // failures per (source address, user name)
}

// DefaultLogin allows 30 failures from one source and then one every two
// seconds (a school NAT puts many honest laptops behind one address), and
// 10 failures for one user from one source and then one every 30 seconds.
var DefaultLogin = LoginConfig{
	PerSource:     Config{Burst: 30, Every: 2 * time.Second},
	PerSourceUser: Config{Burst: 10, Every: 30 * time.Second},
}

// LoginThrottle slows password guessing down without locking anyone out.
// Per-source limits stop one machine trying many users; per-(source,
// user) limits stop one machine hammering one user, while the same user
// from a source that has not failed logs in at once. Use: Check before
// verifying the password (and refuse at once, without hashing, if it says
// no); then Failed or Succeeded.
type LoginThrottle struct {
	bySource *Limiter
	byPair   *Limiter
}

// NewLoginThrottle returns a throttle with cfg.
func NewLoginThrottle(cfg LoginConfig) *LoginThrottle {
	return &LoginThrottle{bySource: NewLimiter(cfg.PerSource), byPair: NewLimiter(cfg.PerSourceUser)}
}

// pairKey is the (source, user) key; NUL cannot occur in either half.
func pairKey(src netip.Addr, user string) string { return sourceKey(src) + "\x00" + user }

// Check reports whether a login attempt may proceed and, if not, how long
// to wait. It spends nothing.
func (t *LoginThrottle) Check(src netip.Addr, user string) (ok bool, retryAfter time.Duration) {
	okSrc, waitSrc := t.bySource.Peek(sourceKey(src))
	okPair, waitPair := true, time.Duration(0)
	if user != "" {
		okPair, waitPair = t.byPair.Peek(pairKey(src, user))
	}
	return okSrc && okPair, max(waitSrc, waitPair)
}

// Failed records a failed attempt against the source and the (source,
// user) pair.
func (t *LoginThrottle) Failed(src netip.Addr, user string) {
	t.bySource.Allow(sourceKey(src))
	if user != "" {
		t.byPair.Allow(pairKey(src, user))
	}
}

// Succeeded clears the pair's failures (whoever is there knows the
// password). The source's are kept: an attacker behind the same NAT as an
// honest user must not be reset by that user's logins.
func (t *LoginThrottle) Succeeded(src netip.Addr, user string) {
	if user != "" {
		t.byPair.Reset(pairKey(src, user))
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
