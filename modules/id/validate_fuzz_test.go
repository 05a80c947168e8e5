package id

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// The validators as they were, on regular expressions: the references the
// byte-level checks must agree with, error messages included.
var (
	refSerialRE = regexp.MustCompile(`^[A-Z0-9]+$`)
	refUUIDRE   = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)
	refUIDRE    = regexp.MustCompile(`^[0-9A-Fa-f]{40}$`)
)

func refValidateSerial(s string) error {
	switch {
	case s == "":
		return reject("serial", "empty")
	case len(s) > MaxSerialLen:
		return reject("serial", "%d bytes long, at most %d allowed", len(s), MaxSerialLen)
	case !refSerialRE.MatchString(s):
		return reject("serial", "%s is not a serial number (want uppercase letters and digits, such as SHF706002A7)", clip(s))
	}
	return nil
}

func refValidateNickname(s string) error {
	switch {
	case len(s) > MaxNickBytes:
		return reject("nickname", "%d bytes long, at most %d characters allowed", len(s), MaxNickRunes)
	case !utf8.ValidString(s):
		return reject("nickname", "not valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > MaxNickRunes {
		return reject("nickname", "%d characters long, at most %d allowed", n, MaxNickRunes)
	}
	if i := strings.IndexFunc(s, unicode.IsControl); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return reject("nickname", "contains the control character %U at byte %d", r, i)
	}
	return nil
}

func refValidateUUID(field, s string) (bool, error) {
	switch {
	case s == "":
		return false, reject(field, "empty")
	case len(s) > MaxUUIDLen:
		return false, reject(field, "%d bytes long, at most %d allowed", len(s), MaxUUIDLen)
	case refUUIDRE.MatchString(s):
		return false, nil
	case refUIDRE.MatchString(s):
		return true, nil
	}
	return false, reject(field, "%s is neither a UUID (8-4-4-4-12 hex digits) nor a 40-hex-digit uid", clip(s))
}

func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Error() == b.Error()
}

// FuzzValidatorsMatchRegexp holds ValidateSerial, ValidateNickname and
// ValidateUUID to their regexp versions: same verdict, same message.
func FuzzValidatorsMatchRegexp(f *testing.F) {
	for _, s := range []string{"", "SHF706002A7", "shf706002a7", "SHF706002A7\n", strings.Repeat("Z", 33), "A-1",
		machineUUID, strings.ToLower(machineUUID), PlaceholderUUID, "{" + machineUUID + "}", strings.Repeat("a1", 20),
		strings.Repeat("g", 40), "8BF9AC40-26F8-4BCC-A699-BE51FD36641", "8BF9AC40026F8-4BCC-A699-BE51FD36641",
		"nena", "Ñandú 🐦", "a\x00b", "a\u0085b", "a\u009fb", "a\u00a0b", "\x7f", "\u2028", "\xc2", "\xc2\x80", "\xff",
		strings.Repeat("ñ", 201), strings.Repeat("x", MaxNickBytes+1)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidateSerial(s), refValidateSerial(s); !sameError(got, want) {
			t.Errorf("ValidateSerial(%q) = %v, regexp %v", s, got, want)
		}
		if got, want := ValidateNickname(s), refValidateNickname(s); !sameError(got, want) {
			t.Errorf("ValidateNickname(%q) = %v, regexp %v", s, got, want)
		}
		gotUID, got := ValidateUUID("uuid", s)
		wantUID, want := refValidateUUID("uuid", s)
		if gotUID != wantUID || !sameError(got, want) {
			t.Errorf("ValidateUUID(%q) = %v %v, regexp %v %v", s, gotUID, got, wantUID, want)
		}
	})
}
