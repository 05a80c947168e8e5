package lease

import (
	"fmt"
	"strings"
)

// Parser limits. A link costs about 1.1 KB, so MaxLineLen leaves room for
// MaxChainLinks links; the XS blueprint expects chains of one or two.
const (
	MaxChainLinks = 8
	MaxLineLen    = 16 << 10
)

// FieldError says which field of a line was wrong and how.
type FieldError struct {
	Field string // e.g. "SN", "EXP", "link 2 fullkey"
	Value string // the offending text, shortened
	Why   string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("field %s %q: %s", e.Field, e.Value, e.Why)
}

func fieldErr(field, value, why string) error {
	if len(value) > 40 {
		value = value[:37] + "..."
	}
	return &FieldError{Field: field, Value: value, Why: why}
}

// ParseLine parses one lease line, which must end in exactly one "\n"
// (every line bios-crypto writes does). Fields are separated by single
// spaces; every field is checked.
func ParseLine(b []byte) (*Line, error) {
	if len(b) > MaxLineLen {
		return nil, fmt.Errorf("line is %d bytes, limit %d", len(b), MaxLineLen)
	}
	s, ok := strings.CutSuffix(string(b), "\n")
	if !ok {
		return nil, fmt.Errorf(`line does not end in "\n"`)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return nil, fmt.Errorf("line has byte 0x%02x at offset %d; only printable ASCII is allowed", c, i)
		}
	}
	f := strings.Split(s, " ")
	for i, v := range f {
		if v == "" {
			return nil, fmt.Errorf("empty field %d (fields are separated by exactly one space)", i+1)
		}
	}
	l := &Line{}
	var head int
	switch f[0] {
	case "act01:":
		l.Kind, head = KindActivation, 4
	case "rtc01:":
		l.Kind, head = KindRTCReset, 5
	case "del01:":
		l.Kind, head = KindServerDelegation, 3
	case "sig02:":
		l.Kind, head = KindDelegation, 0
	case "sig01:":
		return nil, fieldErr("type", f[0], "a bare sig01 line carries no lease; delegations are sig02")
	default:
		return nil, fieldErr("type", f[0], "want act01:, rtc01:, del01: or sig02:")
	}
	if len(f) <= head {
		return nil, fmt.Errorf("%s line has %d fields, too few", l.Kind, len(f))
	}
	if err := l.parseHead(f[:head]); err != nil {
		return nil, err
	}
	if err := l.parseSignatures(f[head:]); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *Line) parseHead(f []string) error {
	if len(f) == 0 {
		return nil
	}
	if !ValidSerial(f[1]) {
		return fieldErr("SN", f[1], fmt.Sprintf("want 1-%d characters A-Z 0-9", MaxSerialLen))
	}
	l.Serial = f[1]
	var err error
	switch l.Kind {
	case KindActivation:
		if f[2] != "K" {
			return fieldErr("disposition", f[2], `want "K"`)
		}
		l.Expiry, err = parseStampField("EXP", f[3])
	case KindRTCReset:
		if l.CurrentRTC, err = parseStampField("CURRENTRTC", f[2]); err != nil {
			return err
		}
		if !ValidNonce(f[3]) {
			return fieldErr("NONCE", f[3], fmt.Sprintf("want exactly %d decimal digits", NonceLen))
		}
		l.Nonce = f[3]
		l.NewRTC, err = parseStampField("NEWRTC", f[4])
	case KindServerDelegation:
		if !ValidUUID(f[2]) {
			return fieldErr("UUID", f[2], "want 8-4-4-4-12 hex digits")
		}
		l.UUID = f[2]
	}
	return err
}

// parseSignatures parses "sig01: sha256 KEY SIG" or
// "sig02: sha256 KEY EXP SIG [sha256 FULLKEY EXP SIG]...".
func (l *Line) parseSignatures(f []string) error {
	switch f[0] {
	case "sig01:":
		if l.Kind == KindServerDelegation {
			return fieldErr("signature type", f[0], "delegations must be sig02")
		}
		if len(f) != 4 {
			return fmt.Errorf("%s line with sig01 needs %d fields, got %d", l.Kind, l.headLen()+4, l.headLen()+len(f))
		}
		l.Version = 1
	case "sig02:":
		if len(f) < 5 || (len(f)-1)%4 != 0 {
			return fmt.Errorf("%s line with sig02 needs %d fields plus 4 per further chain link, got %d", l.Kind, l.headLen()+5, l.headLen()+len(f))
		}
		l.Version = 2
	default:
		return fieldErr("signature type", f[0], "want sig01: or sig02:")
	}
	per := 3
	if l.Version == 2 {
		per = 4
	}
	n := (len(f) - 1) / per
	if n > MaxChainLinks {
		return fmt.Errorf("chain has %d links, limit %d", n, MaxChainLinks)
	}
	l.Links = make([]Link, n)
	for i := range n {
		g := f[1+i*per : 1+(i+1)*per]
		name := func(s string) string {
			if n == 1 {
				return s
			}
			return fmt.Sprintf("link %d %s", i+1, s)
		}
		if g[0] != HashSHA256 {
			return fieldErr(name("hash"), g[0], `want "sha256" (rmd160 is for firmware only)`)
		}
		k := &l.Links[i]
		k.Key = g[1]
		switch {
		case !isLowerHex(k.Key):
			return fieldErr(name("key"), k.Key, "want lowercase hex")
		case i == 0 && len(k.Key) != KeyIDHexLen && len(k.Key) != FullKeyHexLen:
			return fieldErr(name("keyid"), k.Key, fmt.Sprintf("want %d (keyid) or %d (full key) hex characters, got %d", KeyIDHexLen, FullKeyHexLen, len(k.Key)))
		case i > 0 && len(k.Key) != FullKeyHexLen:
			return fieldErr(name("fullkey"), k.Key, fmt.Sprintf("want %d hex characters, got %d", FullKeyHexLen, len(k.Key)))
		}
		sig := g[2]
		if per == 4 {
			var err error
			if k.Expiry, err = parseStampField(name(l.linkExpiryName(i, n)), g[2]); err != nil {
				return err
			}
			sig = g[3]
		}
		if len(sig) != SigHexLen || !isLowerHex(sig) {
			return fieldErr(name("signature"), sig, fmt.Sprintf("want %d lowercase hex characters, got %d", SigHexLen, len(sig)))
		}
		k.Sig = sig
	}
	return nil
}

// headLen is how many fields precede the sig0N: field for this kind.
func (l *Line) headLen() int {
	switch l.Kind {
	case KindActivation:
		return 4
	case KindRTCReset:
		return 5
	case KindServerDelegation:
		return 3
	}
	return 0
}

// linkExpiryName names a link's expiry as the spec does: links that sign a
// delegation carry DELEXP, the link that signs the line itself SIGEXP.
func (l *Line) linkExpiryName(i, n int) string {
	if i < n-1 || l.Kind == KindDelegation || l.Kind == KindServerDelegation {
		return "DELEXP"
	}
	return "SIGEXP"
}

func parseStampField(name, v string) (Stamp, error) {
	s, err := ParseStamp(v)
	if err != nil {
		return "", fieldErr(name, v, err.Error())
	}
	return s, nil
}
