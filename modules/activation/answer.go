package activation

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"aula/internal/core"
	"aula/internal/lease"
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

// AnswerArgs is one TCP 191 request as the activation front end
// (internal/frontend/activationfront) decoded it: a serial, or an
// rtcreset line's serial, RTC timestamp and RTC count. Invalid, when set,
// says why the front end could not read a request (malformed, too large,
// too slow); it is answered as an unknown laptop.
type AnswerArgs struct {
	Serial       string `json:"serial"`
	RTCTimestamp string `json:"rtc_timestamp,omitempty"`
	RTCCount     string `json:"rtc_count,omitempty"`
	Invalid      string `json:"invalid,omitempty"`
}

// RTCReset is an "rtcreset SN RTCTIMESTAMP RTCCOUNT" request: the XO asks
// for an rtc01 reply to reset its clock.
type RTCReset struct {
	Serial    string
	Timestamp string // the XO's current RTC, YYYYMMDDTHHMMSSZ
	Count     string // RTCCOUNT as sent, 1-10 digits
}

const answerHelp = `The reply an XO laptop gets on TCP 191, as exact bytes: its lease lines, STOLEN, an rtc01 line for an rtcreset (serial, rtc_timestamp, rtc_count), or the unknown reply (--activation-unknown-reply; empty: the connection is closed with nothing). The activation front end calls it for every request; invalid names a request it could not read.`

// answerMethod is activation.answer, the TCP 191 hot path as a method, so
// that each request goes through the chain (limit, audit, metrics) like
// any other call.
//
// It writes, but is deliberately not Mutates (not audited): what it
// changes is recorded by the module itself, in a form that survives a boot
// storm. Each request updates its serial's row of the request log
// (activation_requests: first and last request, peer, what was given,
// count), batched in memory and written once a second, bounded by
// --activation-log-max-pending distinct serials, rows of unknown serials
// pruned after 30 days; a laptop that can be given a lease it does not
// have yet gets one signed and stored (activation_leases, origin "signed",
// with its time), once per serial. An audit row per request would put a
// durable write in front of every reply (thousands of XOs booting at
// 8 am) and let anyone who can reach port 191 grow auth_audit without
// bound with made-up serials. Decision log: docs/ARCHITECTURE.md.
func (m *Module) answerMethod() core.Method {
	meth := core.Func("answer", answerHelp, func(ctx context.Context, in AnswerArgs) ([]byte, error) {
		peer := ""
		if c := core.CallFrom(ctx); c != nil && c.Caller.Addr.IsValid() {
			peer = c.Caller.Addr.Addr().String()
		}
		// A broken rtcreset request gets nothing, as any rtcreset we do
		// not sign (answerRTC); the front end's reason names it.
		rtc := in.RTCTimestamp != "" || in.RTCCount != "" || strings.Contains(in.Invalid, "rtcreset")
		switch {
		case in.Invalid != "":
			return m.invalid(ctx, peer, in.Invalid, rtc), nil
		case !lease.ValidSerial(in.Serial):
			return m.invalid(ctx, peer, "serial: not 1-20 characters A-Z 0-9", rtc), nil
		case !rtc:
			return m.Answer(ctx, in.Serial, nil, peer), nil
		case !validCount(in.RTCCount):
			return m.invalid(ctx, peer, "rtc_count: not 1-10 decimal digits", rtc), nil
		}
		if _, err := lease.ParseStamp(in.RTCTimestamp); err != nil {
			return m.invalid(ctx, peer, "rtc_timestamp: want YYYYMMDDTHHMMSSZ", rtc), nil
		}
		return m.Answer(ctx, in.Serial, &RTCReset{Serial: in.Serial, Timestamp: in.RTCTimestamp, Count: in.RTCCount}, peer), nil
	})
	meth.Access = core.Public
	return meth
}

// Answer is the TCP 191 hot path: a map lookup in the cache and a note in
// the in-memory request log. Only a laptop that can be given a lease but
// has none yet costs more: one signature, shared by everyone asking for
// that serial at the time. rtc is nil for a lease request; peer is the
// asking address, for the request record.
func (m *Module) Answer(ctx context.Context, serial string, rtc *RTCReset, peer string) []byte {
	if rtc != nil {
		reply, given := m.answerRTC(ctx, rtc)
		m.reqs.record(serial, peer, given, now())
		if given != givenRTC {
			return nil // never STOLEN or --activation-unknown-reply: see answerRTC
		}
		return reply
	}
	reply, given := m.answerSerial(ctx, serial)
	m.reqs.record(serial, peer, given, now())
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

// invalid answers a request that was malformed, oversized or too slow:
// the unknown reply, or nothing to an rtcreset request.
func (m *Module) invalid(ctx context.Context, peer, why string, rtc bool) []byte {
	if m.log.Enabled(ctx, slog.LevelDebug) {
		m.log.Debug("activation: bad request", "peer", peer, "err", why)
	}
	m.reqs.countInvalid()
	if rtc {
		return nil
	}
	return m.set.unknownReply
}

// answerRTC signs an rtc01 reply setting the laptop's clock to now. It is
// signed per request (each carries its own RTC count), so it goes through a
// one-at-a-time gate: a flood of rtcreset requests costs one core at most.
//
// Only a signed rtc01 line is ever sent back: OLPC's boot script treats any
// non-empty reply to rtcreset as success and writes it over the laptop's
// lease.sig, so STOLEN would let a stolen XO boot and UNKNOWN would replace
// its lease. Every other outcome (stolen, unknown, a lease we cannot sign
// for) is answered by closing with zero bytes; the XO then tries its next
// network. The reply returned here is only used when the second value is
// givenRTC.
func (m *Module) answerRTC(ctx context.Context, r *RTCReset) ([]byte, string) {
	t := now()
	l := m.cache.get(r.Serial)
	if l != nil && l.stolen {
		return nil, givenStolen
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

// validCount reports whether s is an RTC count: 1-10 decimal digits.
func validCount(s string) bool {
	if len(s) == 0 || len(s) > 10 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// errNoKey is returned when signing is asked for without a server key.
var errNoKey = errors.New("no server key: run `aula keyring init`")
