package activation

import (
	"context"
	"fmt"
	"sort"

	"aula/internal/core"
	"aula/internal/lease"
)

// LeaseReply is GET /client/lease's answer.
type LeaseReply struct {
	Lease string `json:"lease"`
}

func (m *Module) leaseMethod() core.Method {
	meth := core.Func("lease",
		"Returns the laptop's activation lease text (every current lease line), as TCP 191 would: "+
			"a stolen laptop gets a permission error (HTTP 403), one without a lease not found (404).",
		m.leaseFor)
	return meth // public: any laptop may ask, as on TCP 191; not audited, as activation.answer (answer.go)
}

func (m *Module) leaseFor(ctx context.Context, in SerialArg) (LeaseReply, error) {
	if err := validSerialArg(in.Serial); err != nil {
		return LeaseReply{}, err
	}
	if err := m.ensureLoaded(ctx); err != nil {
		return LeaseReply{}, err
	}
	reply, given := m.answerSerial(ctx, in.Serial)
	from := ""
	if c := core.CallFrom(ctx); c != nil && c.Caller.Addr.IsValid() {
		from = c.Caller.Addr.Addr().Unmap().String()
	}
	m.reqs.record(in.Serial, from, given, now())
	if !m.started.Load() {
		// No flusher runs in a CLI process: record it now.
		if err := m.reqs.flush(ctx); err != nil {
			m.log.Warn("activation: recording request", "err", err)
		}
	}
	switch given {
	case givenStolen:
		return LeaseReply{}, core.Errorf(core.KindPermission, "laptop %s is reported stolen", in.Serial)
	case givenUnknown:
		return LeaseReply{}, core.Errorf(core.KindNotFound, "no activation lease for %s", in.Serial)
	}
	return LeaseReply{Lease: string(reply)}, nil
}

// LaptopStatus is one laptop as `aula activation list` shows it: what the
// server holds for it and what it last asked for and got.
type LaptopStatus struct {
	Serial       string `json:"serial"`
	UUID         string `json:"uuid"`
	Stolen       bool   `json:"stolen"`
	StolenNote   string `json:"stolen_note"`
	Leases       int    `json:"leases"`        // current (unexpired) lease lines
	LeaseExpires string `json:"lease_expires"` // of the longest-lived one: RFC 3339, "never", or ""
	Delegation   string `json:"delegation_expires"`
	LastRequest  string `json:"last_request"` // RFC 3339, "" if it never asked
	LastFrom     string `json:"last_from"`
	LastGiven    string `json:"last_given"` // lease, stolen, unknown or rtc
	LeaseGiven   string `json:"lease_given"`
	StolenGiven  string `json:"stolen_given"`
	Requests     int64  `json:"requests"`
}

// ListArgs selects laptops to list (none: all).
type ListArgs struct {
	Serials []string `json:"serials,omitempty"`
}

func (m *Module) listMethod() core.Method {
	meth := core.Func("list",
		"Lists every laptop the activation service knows (by lease, delegation, stolen mark or request): "+
			"serial, UUID, stolen, current leases and when the longest-lived expires, delegation expiry, "+
			"and its last request (when, from where, what it was given) with the request count.",
		m.list)
	meth.Access = core.Admin
	return meth
}

func (m *Module) list(ctx context.Context, in ListArgs) ([]LaptopStatus, error) {
	for _, sn := range in.Serials {
		if err := validSerialArg(sn); err != nil {
			return nil, err
		}
	}
	uuidOf, err := m.laptopUUIDs(ctx)
	if err != nil {
		return nil, err
	}
	if m.started.Load() {
		m.reqs.flush(ctx) // show what the last second's requests did
	}
	t := now()
	snap, err := m.store.snapshot(ctx)
	if err != nil {
		return nil, core.StoreError(err, "reading leases")
	}
	snap.leases = currentLeases(snap.leases, t)
	reqs, err := m.store.requests(ctx)
	if err != nil {
		return nil, core.StoreError(err, "reading requests")
	}
	want := map[string]bool{}
	for _, sn := range in.Serials {
		want[sn] = true
	}
	rows := map[string]*LaptopStatus{}
	get := func(sn string) *LaptopStatus {
		if len(want) > 0 && !want[sn] {
			return &LaptopStatus{} // discarded
		}
		s := rows[sn]
		if s == nil {
			s = &LaptopStatus{Serial: sn, UUID: uuidOf(sn)}
			rows[sn] = s
		}
		return s
	}
	best := map[string]lease.Stamp{}
	for _, r := range snap.leases {
		s := get(r.Serial)
		s.Leases++
		if b, ok := best[r.Serial]; !ok || laterThan(lease.Stamp(r.Expires), b) {
			best[r.Serial] = lease.Stamp(r.Expires)
			s.LeaseExpires = stampText(lease.Stamp(r.Expires))
		}
	}
	for _, r := range snap.stolen {
		s := get(r.Serial)
		s.Stolen, s.StolenNote = true, r.Note
	}
	for _, r := range snap.delegations {
		s := get(r.Serial)
		s.Delegation = stampText(lease.Stamp(r.Expires))
	}
	for _, r := range reqs {
		s := get(r.serial)
		s.LastRequest, s.LastFrom, s.LastGiven = rfc3339(r.last), r.from, r.given
		s.LeaseGiven, s.StolenGiven, s.Requests = rfc3339(r.leaseAt), rfc3339(r.stolenAt), r.n
	}
	out := make([]LaptopStatus, 0, len(rows))
	for _, s := range rows {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Serial < out[j].Serial })
	return out, nil
}

// stampText shows a lease stamp as RFC 3339, or "never".
func stampText(s lease.Stamp) string {
	if t, ok := s.Time(); ok {
		return rfc3339(t)
	}
	if s == lease.NoExpiry {
		return "never"
	}
	return fmt.Sprint(s)
}
