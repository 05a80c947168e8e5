package activation

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"

	"aula/internal/lease"
	"aula/internal/wire/activation"
)

// What a request was given, as recorded and listed.
const (
	givenLease   = "lease"
	givenStolen  = "stolen"
	givenUnknown = "unknown"
	givenRTC     = "rtc"
)

// StolenReply is the exact reply to a stolen laptop: 6 bytes, no newline
// (the XO compares with != 'STOLEN').
var StolenReply = []byte("STOLEN")

// Answer is the TCP 191 hot path (activation.Answerer): a map lookup in
// the cache and a note in the in-memory request log. Only a laptop that
// can be given a lease but has none yet costs more: one signature, shared
// by everyone asking for that serial at the time.
func (m *Module) Answer(ctx context.Context, req activation.Request, peer net.Addr) []byte {
	var reply []byte
	var given string
	if req.RTCReset != nil {
		reply, given = m.answerRTC(ctx, req.RTCReset)
	} else {
		reply, given = m.answerSerial(ctx, req.Serial)
	}
	m.reqs.record(req.Serial, peerHost(peer), given, now())
	if given == givenUnknown {
		return m.set.unknownReply
	}
	return reply
}

// answerSerial decides the reply to a lease request.
func (m *Module) answerSerial(ctx context.Context, serial string) ([]byte, string) {
	t := now()
	l := m.cache.get(serial)
	if l != nil {
		if l.stolen {
			return StolenReply, givenStolen
		}
		if r := l.leaseReply(t); r != nil {
			return r, givenLease
		}
	}
	if _, ok := m.plan(l, serial, t); ok {
		if r := m.signShared(ctx, serial, 0); r != nil {
			return r, givenLease
		}
	}
	return nil, givenUnknown
}

// invalid answers a request that was malformed, oversized or too slow.
func (m *Module) invalid(ctx context.Context, raw []byte, peer net.Addr, err error) []byte {
	if m.log.Enabled(ctx, slog.LevelDebug) {
		m.log.Debug("activation: bad request", "peer", peer.String(), "err", err, "bytes", len(raw))
	}
	m.reqs.countInvalid()
	return m.set.unknownReply
}

// answerRTC signs an rtc01 reply setting the laptop's clock to now. It is
// signed per request (each carries its own RTC count), so it goes through a
// one-at-a-time gate: a flood of rtcreset requests costs one core at most.
func (m *Module) answerRTC(ctx context.Context, r *activation.RTCReset) ([]byte, string) {
	t := now()
	l := m.cache.get(r.Serial)
	if l != nil && l.stolen {
		return StolenReply, givenStolen
	}
	p, ok := m.plan(l, r.Serial, t)
	if !ok {
		return nil, givenUnknown
	}
	select {
	case m.rtcSem <- struct{}{}:
		defer func() { <-m.rtcSem }()
	case <-ctx.Done():
		return nil, givenUnknown
	}
	rr := lease.RTCReset{Serial: r.Serial, UUID: p.uuid, CurrentRTC: lease.Stamp(r.Timestamp), Nonce: r.Count, NewRTC: lease.StampOf(t)}
	var line *lease.Line
	var err error
	if p.deleg != nil {
		line, err = lease.SignChainedRTCReset(p.deleg, p.key, rr)
	} else {
		line, err = lease.SignRTCReset(p.key, 1, rr)
	}
	if err != nil {
		m.log.Error("activation: signing rtc01 reply", "serial", r.Serial, "err", err)
		return nil, givenUnknown
	}
	m.signed.Add(1)
	return []byte(line.String()), givenRTC
}

// peerHost is the address part of a peer, for the request record.
func peerHost(a net.Addr) string {
	if a == nil {
		return ""
	}
	if ta, ok := a.(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(ta.IP); ok {
			return ip.Unmap().String()
		}
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// errNoKey is returned when signing is asked for without a server key.
var errNoKey = errors.New("no server key: run `aula keyring init`")
