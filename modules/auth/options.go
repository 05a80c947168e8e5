package auth

import (
	"fmt"
	"time"

	"aula/internal/auth/password"
	"aula/internal/config"
	"aula/internal/limit"
)

// The anonymous-call bucket per source address. A school is often one NAT
// address: a morning boot storm of up to 4000 laptops each registering
// (one call) or asking their status fits in the burst whatever the arrival
// pattern, and the rate refills it in 10 s. One address flooding at that
// rate costs a few per cent of what the server registers per second
// (about 10,000/s on two cores, docs/BENCHMARKS.md), so it still cannot
// starve anyone else. The old 200 then 50/s answered 429 to a 2000-laptop
// school within its first second.
const (
	DefaultAnonBurst = 4000
	DefaultAnonRate  = 400
)

// options are the [auth] options.
type options struct {
	acl                    *config.Opt[string]
	sessionTTL             *config.Opt[time.Duration]
	anonRate, anonBurst    *config.Opt[int]
	loginUser, loginSource *config.Opt[int]

	params *password.Params // tests: cheaper hashes
}

// Configure declares the [auth] options.
func (m *Module) Configure(sec *config.Section) { m.opts = declare(sec) }

func declare(sec *config.Section) *options {
	positive := func(n int) error {
		if n < 0 {
			return fmt.Errorf("want 0 or more")
		}
		return nil
	}
	return &options{
		acl: sec.String("acl-file", "",
			"ordered ACL policy file, first match wins (see `aula help auth`); empty: every method's default access. Reloaded on SIGHUP and `aula acl reload`"),
		sessionTTL: sec.Duration("session-ttl", 8*time.Hour,
			"how long a session token from auth.login (system.login) stays valid").Validate(func(d time.Duration) error {
			if d < time.Minute {
				return fmt.Errorf("want at least 1m")
			}
			return nil
		}),
		anonRate: sec.Int("anon-rate", DefaultAnonRate,
			"anonymous calls per second allowed per source address, after the burst (0: no limit)").Validate(positive),
		anonBurst: sec.Int("anon-burst", DefaultAnonBurst,
			"anonymous calls one source address may make at once before --auth-anon-rate applies").Validate(positive),
		loginUser: sec.Int("login-failures", limit.DefaultLogin.PerSourceUser.Burst,
			"failed logins allowed for one user name from one source address before that pair is throttled to one per 30s (429 with Retry-After); the user still logs in from other addresses").Validate(positive),
		loginSource: sec.Int("login-source-failures", limit.DefaultLogin.PerSource.Burst,
			"failed logins allowed from one source address before it is throttled to one per 2s").Validate(positive),
	}
}

// defaultOptions are the defaults, for a module that was not configured.
func defaultOptions() *options { return declare(config.NewSet().Section("auth")) }

func (o *options) aclFile() string { return o.acl.Get() }

func (o *options) loginConfig() limit.LoginConfig {
	c := limit.DefaultLogin
	if n := o.loginUser.Get(); n > 0 {
		c.PerSourceUser.Burst = n
	}
	if n := o.loginSource.Get(); n > 0 {
		c.PerSource.Burst = n
	}
	return c
}

// anonConfig is the per-source bucket for anonymous calls; ok is false
// when they are not limited.
func (o *options) anonConfig() (limit.Config, bool) {
	rate, burst := o.anonRate.Get(), o.anonBurst.Get()
	if rate <= 0 {
		return limit.Config{}, false
	}
	return limit.Config{Burst: max(burst, 1), Every: time.Second / time.Duration(rate)}, true
}

func (o *options) hashParams() password.Params {
	if o.params != nil {
		return *o.params
	}
	return password.Default
}
