package lease

import (
	"fmt"
	"strings"
	"time"
)

// Stamp is a lease time as written on the wire: 16 characters
// YYYYMMDDTHHMMSSZ in UTC. It stays a string so a parsed line re-serialises
// to exactly the bytes it came from.
type Stamp string

// NoExpiry is the stamp that means "never expires".
const NoExpiry Stamp = "00000000T000000Z"

const stampLayout = "20060102T150405Z"

// Field limits shared by every parser in this package.
const (
	MaxSerialLen  = 20  // XO serials are 11 characters; leave room, stay bounded
	KeyIDHexLen   = 64  // hex of the last 32 bytes of a .public file
	FullKeyHexLen = 540 // hex of a whole 270-byte .public file
	SigHexLen     = 512 // hex of a 256-byte RSA-2048 signature
	NonceLen      = 10  // rtc01 NONCE, zero-padded decimal
)

// StampOf formats t (converted to UTC, truncated to the second) as a Stamp.
func StampOf(t time.Time) Stamp { return Stamp(t.UTC().Format(stampLayout)) }

// ParseStamp checks that s is NoExpiry or a real UTC calendar time in the
// 16-character form; time.Parse alone would accept fractional seconds.
func ParseStamp(s string) (Stamp, error) {
	if len(s) != 16 {
		return "", fmt.Errorf("want 16 characters YYYYMMDDTHHMMSSZ, got %d", len(s))
	}
	if s[8] != 'T' || s[15] != 'Z' {
		return "", fmt.Errorf("want form YYYYMMDDTHHMMSSZ")
	}
	for i := 0; i < 15; i++ {
		if i != 8 && (s[i] < '0' || s[i] > '9') {
			return "", fmt.Errorf("want digits in YYYYMMDDTHHMMSSZ, got %q at %d", s[i], i)
		}
	}
	if Stamp(s) == NoExpiry {
		return NoExpiry, nil
	}
	t, err := time.Parse(stampLayout, s)
	if err != nil || t.Format(stampLayout) != s || t.Year() < 1 {
		return "", fmt.Errorf("not a valid calendar time")
	}
	return Stamp(s), nil
}

// Time returns the instant, and false for NoExpiry.
func (s Stamp) Time() (time.Time, bool) {
	if s == NoExpiry {
		return time.Time{}, false
	}
	t, err := time.Parse(stampLayout, string(s))
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// Expired reports whether now is at or after s; NoExpiry never expires.
func (s Stamp) Expired(now time.Time) bool {
	t, ok := s.Time()
	return ok && !now.Before(t)
}

// ValidSerial reports whether sn has the serial-number form: 1 to
// MaxSerialLen characters A-Z 0-9 (the XS admin page's ^[A-Z0-9]+$, bounded).
func ValidSerial(sn string) bool {
	if len(sn) == 0 || len(sn) > MaxSerialLen {
		return false
	}
	for i := 0; i < len(sn); i++ {
		c := sn[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// ValidUUID reports whether u has the XO mfg-data UUID form
// 8-4-4-4-12 hex digits (either case, kept as given: it is signed as is).
func ValidUUID(u string) bool {
	if len(u) != 36 {
		return false
	}
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHexDigit(c) {
				return false
			}
		}
	}
	return true
}

// ValidNonce reports whether n is exactly NonceLen decimal digits.
func ValidNonce(n string) bool {
	if len(n) != NonceLen {
		return false
	}
	for i := 0; i < len(n); i++ {
		if n[i] < '0' || n[i] > '9' {
			return false
		}
	}
	return true
}

// PadNonce zero-pads a decimal RTC count to NonceLen digits, as
// make-rtcreset expects; it rejects anything else.
func PadNonce(count string) (string, error) {
	if len(count) == 0 || len(count) > NonceLen {
		return "", fmt.Errorf("NONCE %q: want 1-%d decimal digits", count, NonceLen)
	}
	for i := 0; i < len(count); i++ {
		if count[i] < '0' || count[i] > '9' {
			return "", fmt.Errorf("NONCE %q: want decimal digits", count)
		}
	}
	return strings.Repeat("0", NonceLen-len(count)) + count, nil
}

func isHexDigit(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// isLowerHex reports whether s is all lowercase hex, the only form the
// bios-crypto tools write (printf "%02x").
func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
