package activation

import (
	"sync/atomic"
	"time"

	"aula/internal/lease"
)

// clockSkew moves the module's clock; only tests of expiry and renewal
// set it (atomically, since the background loops read it).
var clockSkew atomic.Int64

// now is the module's clock.
func now() time.Time { return time.Now().Add(time.Duration(clockSkew.Load())) }

// timeLayout is fixed-width so stored times sort as text.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeLayout, s)
	return t
}

// effectiveExpiry is when a line stops being usable: the earliest of its
// EXP (act01) and, for sig02 lines, every signature's own expiry. It is
// lease.NoExpiry when none of them expires.
func effectiveExpiry(l *lease.Line) lease.Stamp {
	best := lease.NoExpiry
	earlier := func(s lease.Stamp) {
		if s == lease.NoExpiry || s == "" {
			return
		}
		if best == lease.NoExpiry || s < best { // same-width stamps sort as text
			best = s
		}
	}
	if l.Kind == lease.KindActivation {
		earlier(l.Expiry)
	}
	if l.Version == 2 {
		for _, k := range l.Links {
			earlier(k.Expiry)
		}
	}
	return best
}

// until is the instant a stamp ends, and false for NoExpiry.
func until(s lease.Stamp) (time.Time, bool) { return s.Time() }

// laterThan reports whether stamp a expires after b (NoExpiry is latest).
func laterThan(a, b lease.Stamp) bool {
	switch {
	case a == b:
		return false
	case a == lease.NoExpiry:
		return true
	case b == lease.NoExpiry:
		return false
	}
	return a > b
}

// forever stands for "no expiry" where a time is needed.
var forever = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// endOf is the instant s ends, forever for NoExpiry.
func endOf(s lease.Stamp) time.Time {
	if t, ok := until(s); ok {
		return t
	}
	return forever
}

// rfc3339 is how times are shown to admins ("" for never).
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
