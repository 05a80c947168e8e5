package xmlrpc

import (
	"encoding/base64"
	"math"
	"strconv"
	"strings"
	"time"
)

// The parse functions return the value and, when the text is not
// acceptable, a short description of what is wrong with it.

// parseInt reads a decimal integer of the given bit size, with optional
// sign and surrounding white space (as Python's int() allows).
func parseInt(b []byte, bits uint) (int64, string) {
	b = trimSpace(b)
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, "not an integer"
	}
	limit := uint64(1) << (bits - 1) // magnitude allowed for a negative number
	if !neg {
		limit--
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, "not an integer"
		}
		digit := uint64(c - '0')
		if n > (limit-digit)/10 {
			return 0, "out of " + strconv.Itoa(int(bits)) + "-bit range"
		}
		n = n*10 + digit
	}
	if neg {
		return -int64(n), "" // n == 1<<63 wraps to MinInt64, as wanted
	}
	return int64(n), ""
}

func parseBool(b []byte) (bool, string) {
	switch string(trimSpace(b)) {
	case "0":
		return false, ""
	case "1":
		return true, ""
	}
	return false, "want 0 or 1"
}

// parseDouble accepts decimal notation with an optional exponent (Python
// writes 1e+16), and inf/nan as Python's repr() writes them. Hex floats,
// digit separators and overflowing values are refused.
func parseDouble(b []byte) (float64, string) {
	s := string(trimSpace(b))
	word := strings.ToLower(strings.TrimLeft(s, "+-"))
	if len(s)-len(word) <= 1 {
		switch word {
		case "inf", "infinity":
			if s[0] == '-' {
				return math.Inf(-1), ""
			}
			return math.Inf(1), ""
		case "nan":
			return math.NaN(), ""
		}
	}
	if !isDecimal(s) {
		return 0, "not a decimal number"
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, "out of range"
	}
	return f, ""
}

// isDecimal matches [+-]? digits* (. digits*)? ([eE] [+-]? digits+)? with at
// least one mantissa digit.
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// parseDateTime accepts 20240102T03:04:05 or 2024-01-02T03:04:05, then
// optionally Z or a UTC offset (+01:00, +0100, +01). No zone means UTC.
func parseDateTime(b []byte) (time.Time, string) {
	const bad = "want YYYYMMDDThh:mm:ss"
	s := string(trimSpace(b))
	var year, month, day int
	ok := true
	switch {
	case len(s) >= 10 && s[4] == '-' && s[7] == '-':
		year, month, day = num(s[0:4], &ok), num(s[5:7], &ok), num(s[8:10], &ok)
		s = s[10:]
	case len(s) >= 8:
		year, month, day = num(s[0:4], &ok), num(s[4:6], &ok), num(s[6:8], &ok)
		s = s[8:]
	default:
		return time.Time{}, bad
	}
	if len(s) < 9 || s[0] != 'T' || s[3] != ':' || s[6] != ':' {
		return time.Time{}, bad
	}
	hour, minute, sec := num(s[1:3], &ok), num(s[4:6], &ok), num(s[7:9], &ok)
	zone, offset := s[9:], 0
	switch {
	case zone == "" || zone == "Z":
	case zone[0] == '+' || zone[0] == '-':
		var hh, mm int
		switch {
		case len(zone) == 3:
			hh = num(zone[1:3], &ok)
		case len(zone) == 5:
			hh, mm = num(zone[1:3], &ok), num(zone[3:5], &ok)
		case len(zone) == 6 && zone[3] == ':':
			hh, mm = num(zone[1:3], &ok), num(zone[4:6], &ok)
		default:
			ok = false
		}
		if hh > 23 || mm > 59 {
			ok = false
		}
		offset = (hh*60 + mm) * 60
		if zone[0] == '-' {
			offset = -offset
		}
	default:
		ok = false
	}
	if !ok {
		return time.Time{}, bad
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if t.Year() != year || int(t.Month()) != month || t.Day() != day ||
		t.Hour() != hour || t.Minute() != minute || t.Second() != sec {
		return time.Time{}, "no such date or time"
	}
	t = t.Add(-time.Duration(offset) * time.Second)
	if t.Year() < 0 || t.Year() > 9999 {
		return time.Time{}, "year out of range in UTC"
	}
	return t, ""
}

// num parses a run of ASCII digits, clearing *ok if there is anything else.
func num(s string, ok *bool) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			*ok = false
			return 0
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// parseBase64 decodes standard base64, ignoring white space anywhere (Python
// writes 76-character lines) and tolerating missing padding.
func parseBase64(b []byte) ([]byte, string) {
	clean := make([]byte, 0, len(b))
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			clean = append(clean, c)
		}
	}
	enc := base64.StdEncoding
	if len(clean)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	out := make([]byte, enc.DecodedLen(len(clean)))
	n, err := enc.Decode(out, clean)
	if err != nil {
		return nil, "not base64"
	}
	return out[:n], ""
}
