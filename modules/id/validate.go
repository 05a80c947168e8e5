package id

import (
	"fmt"
	"unicode/utf8"

	"aula/modules/id/idapi"
)

// Size caps on every field a client sends. They are generous for real
// clients and keep a hostile one from storing megabytes per record.
const (
	MaxSerialLen   = 32   // bytes
	MaxNickRunes   = 200  // characters, as the XS idmgr's VARCHAR(200)
	MaxNickBytes   = 800  // bytes: 200 characters of at most 4 bytes
	MaxUUIDLen     = 40   // bytes: a canonical UUID is 36, a uid 40
	MaxPubKeyBytes = 8192 // bytes of key text (a 16384-bit RSA key is ~2.8 KB)
)

// Placeholders the Sugar shell sends when the machine has no
// manufacturing data (defined once, in idapi).
const (
	PlaceholderSerial = idapi.PlaceholderSerial
	PlaceholderUUID   = idapi.PlaceholderUUID
)

// FieldError is a rejected field: which one and why.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

func reject(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// clip shortens untrusted text quoted in an error message.
func clip(s string) string {
	const max = 48
	if len(s) <= max {
		return fmt.Sprintf("%q", s)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q... (%d bytes)", s[:cut], len(s))
}

// ValidateSerial checks a machine serial number. The empty string is
// refused; callers for which the serial is optional skip the check.
func ValidateSerial(s string) error {
	switch {
	case s == "":
		return reject("serial", "empty")
	case len(s) > MaxSerialLen:
		return reject("serial", "%d bytes long, at most %d allowed", len(s), MaxSerialLen)
	case !isSerial(s):
		return reject("serial", "%s is not a serial number (want uppercase letters and digits, such as SHF706002A7)", clip(s))
	}
	return nil
}

// ValidateNickname checks a Sugar nick: UTF-8 text without control
// characters, at most MaxNickRunes characters. It may be empty.
func ValidateNickname(s string) error {
	switch {
	case len(s) > MaxNickBytes:
		return reject("nickname", "%d bytes long, at most %d characters allowed", len(s), MaxNickRunes)
	case !utf8.ValidString(s):
		return reject("nickname", "not valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > MaxNickRunes {
		return reject("nickname", "%d characters long, at most %d allowed", n, MaxNickRunes)
	}
	if i := indexControl(s); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return reject("nickname", "contains the control character %U at byte %d", r, i)
	}
	return nil
}

// ValidateUUID checks a client's uuid: a canonical UUID (any case) or a
// 40-hex-digit uid. It reports whether it is a uid.
func ValidateUUID(field, s string) (isUID bool, err error) {
	switch {
	case s == "":
		return false, reject(field, "empty")
	case len(s) > MaxUUIDLen:
		return false, reject(field, "%d bytes long, at most %d allowed", len(s), MaxUUIDLen)
	case isCanonicalUUID(s):
		return false, nil
	case isHexUID(s):
		return true, nil
	}
	return false, reject(field, "%s is neither a UUID (8-4-4-4-12 hex digits) nor a 40-hex-digit uid", clip(s))
}
