package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

var b64 = base64.RawStdEncoding.Strict()

func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

const argon2Version = 19 // 0x13, the only version x/crypto/argon2 computes

// Decode parses a PHC argon2id string strictly: exact field order
// m,t,p; canonical decimal numbers; unpadded base64; parameters within
// the package bounds. The returned Params have SaltLen and KeyLen set from
// the decoded salt and hash.
func Decode(encoded string) (Params, []byte, []byte, error) {
	fail := func(format string, a ...any) (Params, []byte, []byte, error) {
		return Params{}, nil, nil, fmt.Errorf("malformed argon2id hash: "+format, a...)
	}
	if len(encoded) > MaxEncodedLen {
		return fail("longer than %d bytes", MaxEncodedLen)
	}
	// encoding/base64 skips \r and \n even in Strict mode, so a hash with
	// line breaks would decode: refuse them (and every control byte) here.
	if i := strings.IndexFunc(encoded, func(r rune) bool { return r < 0x20 || r == 0x7f }); i >= 0 {
		return fail("control character at byte %d", i)
	}
	f := strings.Split(encoded, "$")
	if len(f) != 6 || f[0] != "" {
		return fail("want 5 '$'-separated fields ($argon2id$v=19$m=..,t=..,p=..$salt$hash), got %d", len(f)-1)
	}
	if f[1] != "argon2id" {
		return fail("algorithm %q, want argon2id", truncate(f[1]))
	}
	v, ok := strings.CutPrefix(f[2], "v=")
	if !ok {
		return fail("version field %q, want v=19", truncate(f[2]))
	}
	if n, err := parseDecimal(v, 255); err != nil || n != argon2Version {
		return fail("version %q, want 19", truncate(v))
	}
	var p Params
	params := strings.Split(f[3], ",")
	if len(params) != 3 {
		return fail("parameters %q, want m=..,t=..,p=..", truncate(f[3]))
	}
	for i, key := range []string{"m", "t", "p"} {
		val, ok := strings.CutPrefix(params[i], key+"=")
		if !ok {
			return fail("parameter %d is %q, want %s=NUMBER", i+1, truncate(params[i]), key)
		}
		n, err := parseDecimal(val, 1<<32-1)
		if err != nil {
			return fail("parameter %s: %v", key, err)
		}
		switch key {
		case "m":
			p.Memory = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			if n > 255 {
				return fail("parallelism p=%d above 255", n)
			}
			p.Threads = uint8(n)
		}
	}
	salt, err := b64.DecodeString(f[4])
	if err != nil {
		return fail("salt is not unpadded base64")
	}
	key, err := b64.DecodeString(f[5])
	if err != nil {
		return fail("hash is not unpadded base64")
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	if err := p.validate(); err != nil {
		return fail("%v", err)
	}
	return p, salt, key, nil
}

// parseDecimal accepts only canonical decimal: no sign, no leading zero.
func parseDecimal(s string, max uint64) (uint64, error) {
	if s == "" {
		return 0, errors.New("empty number")
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("number %q has a leading zero", truncate(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%q is not a decimal number", truncate(s))
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > max {
		return 0, fmt.Errorf("number %q out of range", truncate(s))
	}
	return n, nil
}

func truncate(s string) string {
	if len(s) > 24 {
		return s[:24] + "..."
	}
	return s
}
