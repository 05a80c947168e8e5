package lease

import (
	"errors"
	"fmt"
	"time"
)

// KeySet is the set of trusted (master) keys, looked up by keyid. It is not
// safe for concurrent modification; build it, then share it read-only.
type KeySet struct {
	byID map[string]*PublicKey
}

// NewKeySet returns a set holding keys.
func NewKeySet(keys ...*PublicKey) *KeySet {
	s := &KeySet{byID: make(map[string]*PublicKey, len(keys))}
	for _, k := range keys {
		s.Add(k)
	}
	return s
}

// Add trusts k.
func (s *KeySet) Add(k *PublicKey) { s.byID[k.KeyID()] = k }

// Lookup returns the trusted key with this keyid.
func (s *KeySet) Lookup(keyID string) (*PublicKey, bool) {
	if s == nil {
		return nil, false
	}
	k, ok := s.byID[keyID]
	return k, ok
}

// Len is the number of trusted keys.
func (s *KeySet) Len() int {
	if s == nil {
		return 0
	}
	return len(s.byID)
}

// Verification errors, wrapped with details.
var (
	ErrUntrustedKey = errors.New("signing key is not trusted")
	ErrWrongLaptop  = errors.New("line is for another laptop")
	ErrWrongKind    = errors.New("wrong kind of line")
)

// Verify checks an act01 or rtc01 line for laptop sn/uuid: the line's SN,
// then every link left to right: the first with the trusted key its keyid
// names, each further one with the full key the previous link delegated to.
// It does not look at the clock; see CheckExpiry.
func (l *Line) Verify(sn, uuid string, trusted *KeySet) error {
	if l.Kind != KindActivation && l.Kind != KindRTCReset {
		return fmt.Errorf("%w: Verify wants act01 or rtc01, got %s", ErrWrongKind, l.Kind)
	}
	if l.Serial != sn {
		return fmt.Errorf("%w: line SN %s, laptop %s", ErrWrongLaptop, l.Serial, sn)
	}
	return l.verifyChain(sn, []byte(l.body(uuid)), trusted)
}

// VerifyDelegation checks a delegation (bare sig02 or del01) of laptop sn to
// the server key: every link verifies and the last delegates to server.
func (l *Line) VerifyDelegation(sn string, server *PublicKey, trusted *KeySet) error {
	if l.Kind != KindDelegation && l.Kind != KindServerDelegation {
		return fmt.Errorf("%w: VerifyDelegation wants a delegation, got %s", ErrWrongKind, l.Kind)
	}
	if l.Kind == KindServerDelegation && l.Serial != sn {
		return fmt.Errorf("%w: del01 SN %s, laptop %s", ErrWrongLaptop, l.Serial, sn)
	}
	return l.verifyChain(sn, []byte(server.Key01()), trusted)
}

// CheckExpiry reports the first of the lease's EXP and its links' expiries
// that has passed at now. NoExpiry never expires.
func (l *Line) CheckExpiry(now time.Time) error {
	if l.Kind == KindActivation && l.Expiry.Expired(now) {
		return fmt.Errorf("lease expired at %s", l.Expiry)
	}
	for i, k := range l.Links {
		if l.Version == 2 && k.Expiry.Expired(now) {
			return fmt.Errorf("link %d signature expired at %s", i+1, k.Expiry)
		}
	}
	return nil
}

func (l *Line) verifyChain(sn string, final []byte, trusted *KeySet) error {
	if len(l.Links) == 0 || (l.Version == 1 && len(l.Links) != 1) {
		return errors.New("line has no valid signature block")
	}
	first := l.Links[0]
	signer, ok := trusted.Lookup(first.KeyID())
	if !ok {
		return fmt.Errorf("%w: keyid %s", ErrUntrustedKey, first.KeyID())
	}
	if len(first.Key) == FullKeyHexLen && first.Key != signer.FullKey() {
		return fmt.Errorf("%w: full key with keyid %s differs from the trusted key", ErrUntrustedKey, first.KeyID())
	}
	for i, k := range l.Links {
		body := final
		var next *PublicKey
		if i < len(l.Links)-1 {
			var err error
			if next, err = ParseFullKey(l.Links[i+1].Key); err != nil {
				return fmt.Errorf("link %d: %w", i+2, err)
			}
			body = []byte(next.Key01())
		}
		if err := Verify(signer, l.payload(sn, k, body), k.Sig); err != nil {
			return fmt.Errorf("link %d (key %s): %w", i+1, k.KeyID(), err)
		}
		signer = next
	}
	return nil
}

// body is what the line's own (last) link signs, before any sig02 prefix.
func (l *Line) body(uuid string) string {
	if l.Kind == KindRTCReset {
		return l.Serial + ":" + uuid + ":" + string(l.CurrentRTC) + ":" + l.Nonce + ":" + string(l.NewRTC)
	}
	return l.Serial + ":" + uuid + ":K:" + string(l.Expiry)
}

// payload is the byte string link k signs: sig02 prefixes "SN:EXP:".
func (l *Line) payload(sn string, k Link, body []byte) []byte {
	if l.Version == 1 {
		return body
	}
	p := make([]byte, 0, len(sn)+len(k.Expiry)+2+len(body))
	p = append(p, sn...)
	p = append(p, ':')
	p = append(p, k.Expiry...)
	p = append(p, ':')
	return append(p, body...)
}
