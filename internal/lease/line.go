package lease

import "strings"

// Kind is what a lease line is, named by its first field.
type Kind uint8

// Line kinds.
const (
	KindActivation       Kind = iota + 1 // act01: SN K EXP sig0N: ...
	KindRTCReset                         // rtc01: SN CURRENTRTC NONCE NEWRTC sig0N: ...
	KindDelegation                       // sig02: sha256 <keyid> <DELEXP> <delsig> (bare, no SN on the line)
	KindServerDelegation                 // del01: SN UUID sig02: ...
)

func (k Kind) String() string {
	switch k {
	case KindActivation:
		return "act01"
	case KindRTCReset:
		return "rtc01"
	case KindDelegation:
		return "delegation"
	case KindServerDelegation:
		return "del01"
	}
	return "unknown"
}

// HashSHA256 is the only hash name lease signatures use.
const HashSHA256 = "sha256"

// Link is one "sha256 <key> [<exp>] <sig>" signature. The first link of a
// line names its key by keyid (64 hex) or full key (540 hex); later links of
// a chain always carry the full key, since the XO cannot know it otherwise.
type Link struct {
	Key    string // 64 or 540 lowercase hex
	Expiry Stamp  // sig02 only: the signature's own expiry (SIGEXP/DELEXP)
	Sig    string // 512 lowercase hex
}

// KeyID is the keyid the link's key is known by (the last 64 hex characters
// of a full key are its keyid).
func (l Link) KeyID() string {
	if len(l.Key) < KeyIDHexLen {
		return l.Key
	}
	return l.Key[len(l.Key)-KeyIDHexLen:]
}

// Line is one parsed lease line. Which fields are set depends on Kind.
type Line struct {
	Kind   Kind
	Serial string // every kind but KindDelegation
	UUID   string // KindServerDelegation only (not signed; for bookkeeping)
	Expiry Stamp  // KindActivation: the lease's EXP

	// KindRTCReset only.
	CurrentRTC Stamp
	Nonce      string
	NewRTC     Stamp

	Version int    // 1 for sig01 (one link, no expiry), 2 for sig02
	Links   []Link // in line order: first signed by a trusted key
}

// Chained reports whether the line carries a delegation chain.
func (l *Line) Chained() bool { return len(l.Links) > 1 }

// String is the line exactly as written to lease.sig, ending in "\n".
func (l *Line) String() string {
	var b strings.Builder
	b.Grow(128 + len(l.Links)*(FullKeyHexLen+SigHexLen+32))
	switch l.Kind {
	case KindActivation:
		b.WriteString("act01: " + l.Serial + " K " + string(l.Expiry) + " ")
	case KindRTCReset:
		b.WriteString("rtc01: " + l.Serial + " " + string(l.CurrentRTC) + " " + l.Nonce + " " + string(l.NewRTC) + " ")
	case KindServerDelegation:
		b.WriteString("del01: " + l.Serial + " " + l.UUID + " ")
	}
	if l.Version == 1 {
		b.WriteString("sig01:")
	} else {
		b.WriteString("sig02:")
	}
	for _, k := range l.Links {
		b.WriteString(" " + HashSHA256 + " " + k.Key + " ")
		if l.Version != 1 {
			b.WriteString(string(k.Expiry) + " ")
		}
		b.WriteString(k.Sig)
	}
	b.WriteByte('\n')
	return b.String()
}

// Delegation returns the chainable part of a delegation line: a del01 line
// with "del01: SN UUID " stripped, as make-lease.sh --chain wants it.
func (l *Line) Delegation() *Line {
	d := *l
	d.Kind, d.Serial, d.UUID = KindDelegation, "", ""
	d.Links = append([]Link(nil), l.Links...)
	return &d
}
