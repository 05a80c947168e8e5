package activation

import (
	"fmt"
	"time"

	"aula/internal/config"
)

// options are the module's declared options (nil until Configure).
type options struct {
	unknownReply  *config.Opt[string]
	trustedKeys   *config.Opt[[]string]
	leaseDays     *config.Opt[int]
	signPlain     *config.Opt[bool]
	reloadEvery   *config.Opt[time.Duration]
	flushEvery    *config.Opt[time.Duration]
	renewEvery    *config.Opt[time.Duration]
	maxLogPending *config.Opt[int]
}

// Configure declares the [activation] options.
func (m *Module) Configure(sec *config.Section) {
	m.opts = &options{
		unknownReply: sec.String("unknown-reply", "UNKNOWN",
			`reply to a serial with no lease, and to any bad or slow request (never to rtcreset, which gets an rtc01 line or nothing); "" closes with nothing, as the XS xs-activation does (either way the XO tries its next network)`).Validate(checkReply),
		trustedKeys: sec.List("trusted-key", nil,
			"OLPC public key(s) leases and delegations must be signed by: a DER .public file or a key01: line (repeatable)"),
		leaseDays: sec.Int("lease-days", 7,
			"days a lease this server signs is valid (never past its delegation's expiry); signed again when less than half is left").Validate(checkDays),
		signPlain: sec.Bool("sign-plain", false,
			"also sign plain sig01 leases with the server key for laptops that have no delegation but a known UUID (for laptops that trust the school key directly)"),
		reloadEvery: sec.Duration("reload-interval", time.Second,
			"how often the server checks the store for changes made by another process (stolen marks, imports) and reloads its answers").Validate(config.PositiveDuration),
		flushEvery: sec.Duration("log-flush-interval", time.Second,
			"how often the record of who asked for what is written to the store, in one batch").Validate(config.PositiveDuration),
		renewEvery: sec.Duration("renew-interval", 10*time.Minute,
			"how often leases this server signs are checked and signed again ahead of expiry").Validate(config.PositiveDuration),
		maxLogPending: sec.Int("log-max-pending", 100000,
			"serials whose request record may wait for the next flush; past it new serials are counted but not recorded").Validate(config.PositiveInt),
	}
}

func checkReply(s string) error {
	if len(s) > 256 {
		return fmt.Errorf("at most 256 bytes")
	}
	if s == "STOLEN" {
		return fmt.Errorf(`"STOLEN" would lock every unknown laptop`)
	}
	return nil
}

func checkDays(n int) error {
	if n < 1 || n > 3660 {
		return fmt.Errorf("want 1 to 3660 days")
	}
	return nil
}

// settings are the option values, read once at Provision.
type settings struct {
	unknownReply []byte
	leaseDays    int
	signPlain    bool
	reloadEvery  time.Duration
	flushEvery   time.Duration
	renewEvery   time.Duration
	maxPending   int
}

// resolve reads the options; a module that was never configured (a test
// building it by hand) gets the defaults.
func (o *options) resolve() settings {
	if o == nil {
		return settings{unknownReply: []byte("UNKNOWN"), leaseDays: 7, reloadEvery: time.Second, flushEvery: time.Second, renewEvery: 10 * time.Minute, maxPending: 100000}
	}
	return settings{
		unknownReply: []byte(o.unknownReply.Get()),
		leaseDays:    o.leaseDays.Get(),
		signPlain:    o.signPlain.Get(),
		reloadEvery:  o.reloadEvery.Get(),
		flushEvery:   o.flushEvery.Get(),
		renewEvery:   o.renewEvery.Get(),
		maxPending:   o.maxLogPending.Get(),
	}
}

func (o *options) trusted() []string {
	if o == nil {
		return nil
	}
	return o.trustedKeys.Get()
}
