package id

// Byte-level checks behind the validators. Registration runs them on
// every request, so they are plain loops instead of regular expressions;
// validate_fuzz_test.go holds them to the expressions they replace.

// isSerial reports whether s matches ^[A-Z0-9]+$. The OLPC form (3 letters
// + 8 hex digits, "SHF706002A7") and the Sugar shell's non-XO form
// ("RCU95305614") are both short uppercase alphanumerics, which is the rule.
func isSerial(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// isCanonicalUUID reports whether s is 8-4-4-4-12 hex digits, any case.
func isCanonicalUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHexDigit(s[i]) {
				return false
			}
		}
	}
	return true
}

// isHexUID reports whether s is 40 hex digits, any case.
func isHexUID(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isHexDigit(s[i]) {
			return false
		}
	}
	return true
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// indexControl is strings.IndexFunc(s, unicode.IsControl) for valid UTF-8:
// the control characters are C0 (U+0000-U+001F), DEL and C1
// (U+0080-U+009F), and C1 is encoded as 0xC2 followed by 0x80-0x9F. In
// valid UTF-8 0xC2 only ever starts a character, so matching the byte
// pair finds exactly the C1 characters.
func indexControl(s string) int {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c == 0x7f:
			return i
		case c == 0xc2 && i+1 < len(s) && 0x80 <= s[i+1] && s[i+1] <= 0x9f:
			return i
		}
	}
	return -1
}
