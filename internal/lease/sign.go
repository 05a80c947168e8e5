package lease

import (
	"fmt"
)

// RTCReset holds what an rtc01 reply signs. CurrentRTC and Nonce are the
// values the XO sent in its "rtcreset SN RTCTIMESTAMP RTCCOUNT" request.
type RTCReset struct {
	Serial     string
	UUID       string
	CurrentRTC Stamp
	Nonce      string // RTCCOUNT; zero-padded to 10 digits when signing
	NewRTC     Stamp
}

// SignLease makes an act01 lease for sn/uuid expiring at exp, signed
// directly by k (normally the master lease key): version 1 gives the 8-field
// sig01 form, version 2 the 9-field sig02 form whose SIGEXP is exp.
func SignLease(k *PrivateKey, version int, sn, uuid string, exp Stamp) (*Line, error) {
	if err := checkLaptop(sn, uuid); err != nil {
		return nil, err
	}
	if _, err := parseStampField("EXP", string(exp)); err != nil {
		return nil, err
	}
	l := &Line{Kind: KindActivation, Serial: sn, Expiry: exp, Version: version}
	return l, l.signLast(k, uuid, keyIDLink(k, exp))
}

// SignRTCReset makes an rtc01 reply signed directly by k: version 1 (sig01)
// or version 2 (sig02 with signature expiry NoExpiry).
func SignRTCReset(k *PrivateKey, version int, r RTCReset) (*Line, error) {
	l, err := rtcLine(version, r)
	if err != nil {
		return nil, err
	}
	return l, l.signLast(k, r.UUID, keyIDLink(k, NoExpiry))
}

// SignDelegation makes a bare delegation of laptop sn from master to server,
// valid until delExp: "sig02: sha256 <master keyid> <DELEXP> <delsig>\n".
func SignDelegation(master *PrivateKey, sn string, delExp Stamp, server *PublicKey) (*Line, error) {
	if !ValidSerial(sn) {
		return nil, fieldErr("SN", sn, fmt.Sprintf("want 1-%d characters A-Z 0-9", MaxSerialLen))
	}
	if _, err := parseStampField("DELEXP", string(delExp)); err != nil {
		return nil, err
	}
	l := &Line{Kind: KindDelegation, Version: 2, Links: []Link{keyIDLink(master, delExp)}}
	sig, err := Sign(master, l.payload(sn, l.Links[0], []byte(server.Key01())))
	if err != nil {
		return nil, err
	}
	l.Links[0].Sig = sig
	return l, nil
}

// SignServerDelegation makes the del01 form make-server-delegations.py
// writes, one per laptop: "del01: SN UUID sig02: ...".
func SignServerDelegation(master *PrivateKey, sn, uuid string, delExp Stamp, server *PublicKey) (*Line, error) {
	if err := checkLaptop(sn, uuid); err != nil {
		return nil, err
	}
	d, err := SignDelegation(master, sn, delExp, server)
	if err != nil {
		return nil, err
	}
	d.Kind, d.Serial, d.UUID = KindServerDelegation, sn, uuid
	return d, nil
}

// SignChainedLease makes a delegated act01 lease as make-lease.sh --chain
// does: the delegation's links, then a link carrying server's full key that
// signs "SN:EXP:SN:UUID:K:EXP". The delegation (bare or del01) must be for
// this laptop and to this server key; check it first with VerifyDelegation,
// since a bad delegation yields a lease no XO accepts.
func SignChainedLease(delegation *Line, server *PrivateKey, sn, uuid string, exp Stamp) (*Line, error) {
	if err := checkLaptop(sn, uuid); err != nil {
		return nil, err
	}
	if _, err := parseStampField("EXP", string(exp)); err != nil {
		return nil, err
	}
	l := &Line{Kind: KindActivation, Serial: sn, Expiry: exp, Version: 2}
	return l, l.signChained(delegation, server, uuid, exp)
}

// SignChainedRTCReset makes an rtc01 reply signed through a delegation, the
// last link's expiry being NoExpiry.
func SignChainedRTCReset(delegation *Line, server *PrivateKey, r RTCReset) (*Line, error) {
	l, err := rtcLine(2, r)
	if err != nil {
		return nil, err
	}
	return l, l.signChained(delegation, server, r.UUID, NoExpiry)
}

func (l *Line) signChained(delegation *Line, server *PrivateKey, uuid string, exp Stamp) error {
	switch {
	case delegation == nil || (delegation.Kind != KindDelegation && delegation.Kind != KindServerDelegation):
		return fmt.Errorf("%w: chain needs a delegation line", ErrWrongKind)
	case delegation.Kind == KindServerDelegation && delegation.Serial != l.Serial:
		return fmt.Errorf("%w: delegation is for %s, lease for %s", ErrWrongLaptop, delegation.Serial, l.Serial)
	case delegation.Version != 2 || len(delegation.Links) == 0:
		return fmt.Errorf("delegation must be a sig02 line with at least one link")
	case len(delegation.Links)+1 > MaxChainLinks:
		return fmt.Errorf("chain would have %d links, limit %d", len(delegation.Links)+1, MaxChainLinks)
	}
	l.Links = append(append([]Link(nil), delegation.Links...), Link{Key: server.pub.FullKey(), Expiry: exp})
	return l.signLast(server, uuid, l.Links[len(l.Links)-1])
}

// signLast sets last as the line's final link and signs the line body with k.
func (l *Line) signLast(k *PrivateKey, uuid string, last Link) error {
	if l.Version != 1 && l.Version != 2 {
		return fmt.Errorf("version %d: want 1 (sig01) or 2 (sig02)", l.Version)
	}
	if l.Version == 1 {
		last.Expiry = ""
	}
	if len(l.Links) == 0 {
		l.Links = []Link{last}
	}
	sig, err := Sign(k, l.payload(l.Serial, last, []byte(l.body(uuid))))
	if err != nil {
		return err
	}
	l.Links[len(l.Links)-1].Sig = sig
	return nil
}

func keyIDLink(k *PrivateKey, exp Stamp) Link { return Link{Key: k.pub.KeyID(), Expiry: exp} }

func rtcLine(version int, r RTCReset) (*Line, error) {
	if err := checkLaptop(r.Serial, r.UUID); err != nil {
		return nil, err
	}
	if _, err := parseStampField("CURRENTRTC", string(r.CurrentRTC)); err != nil {
		return nil, err
	}
	if _, err := parseStampField("NEWRTC", string(r.NewRTC)); err != nil {
		return nil, err
	}
	nonce, err := PadNonce(r.Nonce)
	if err != nil {
		return nil, err
	}
	return &Line{Kind: KindRTCReset, Serial: r.Serial, CurrentRTC: r.CurrentRTC, Nonce: nonce, NewRTC: r.NewRTC, Version: version}, nil
}

func checkLaptop(sn, uuid string) error {
	if !ValidSerial(sn) {
		return fieldErr("SN", sn, fmt.Sprintf("want 1-%d characters A-Z 0-9", MaxSerialLen))
	}
	if !ValidUUID(uuid) {
		return fieldErr("UUID", uuid, "want 8-4-4-4-12 hex digits")
	}
	return nil
}
