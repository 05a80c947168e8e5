package activation

import (
	"context"
	"fmt"
	"time"

	"aula/internal/core"
	"aula/internal/lease"
)

func (m *Module) importMethod() core.Method {
	meth := core.Func("import_leases",
		"Imports act01 lease lines (a lease.sig file as content, bare or Canonical JSON, or single lines with their line numbers). "+
			"Each line is parsed strictly; with trusted OLPC keys configured, a line whose laptop UUID is known must verify and one signed by an untrusted key is refused. "+
			"Expired and bad lines are reported with their line number and skipped; the good ones are kept.",
		m.importLeases)
	meth.Access = core.Admin
	meth.Mutates = true
	return meth
}

func (m *Module) importLeases(ctx context.Context, in ImportArgs) (ImportReply, error) {
	reply := ImportReply{Problems: []LineProblem{}}
	uuidOf, err := m.laptopUUIDs(ctx)
	if err != nil {
		return reply, err
	}
	entries, err := in.entries(&reply)
	if err != nil {
		return reply, err
	}
	t := now()
	var rows []leaseRow
	for _, e := range entries {
		row, verified, err := m.checkLease(e.Line, uuidOf(e.Line.Serial), t)
		if err != nil {
			reply.problem(in.Source, e.LineNo, e.Line.Serial, err)
			continue
		}
		row.Source = in.Source
		if !verified {
			reply.Unverified++
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return reply, nil
	}
	added, err := m.store.addLeases(ctx, rows)
	if err != nil {
		return reply, core.StoreError(err, "storing leases")
	}
	reply.Imported, reply.Duplicates = added, len(rows)-added
	m.adminChanged(ctx)
	return reply, nil
}

// checkLease decides whether an imported line may be stored: an act01
// lease that has not expired and, when its signature can be checked (a
// trusted key is configured and the laptop's UUID is known), verifies.
// Without the UUID only the signer is checked: the first link must name a
// trusted key.
func (m *Module) checkLease(l *lease.Line, uuid string, t time.Time) (leaseRow, bool, error) {
	switch l.Kind {
	case lease.KindActivation:
	case lease.KindDelegation, lease.KindServerDelegation:
		return leaseRow{}, false, fmt.Errorf("a delegation, not a lease: import it with `aula keyring import-delegation`")
	default:
		return leaseRow{}, false, fmt.Errorf("%s line: only act01 leases are imported (rtc01 replies are one-time)", l.Kind)
	}
	exp := effectiveExpiry(l)
	if exp.Expired(t) {
		return leaseRow{}, false, expiredErr(exp)
	}
	verified := false
	if m.trusted.Len() > 0 {
		if _, ok := m.trusted.Lookup(l.Links[0].KeyID()); !ok {
			return leaseRow{}, false, fmt.Errorf("%w: keyid %s", lease.ErrUntrustedKey, l.Links[0].KeyID())
		}
		if uuid != "" {
			if err := l.Verify(l.Serial, uuid, m.trusted); err != nil {
				return leaseRow{}, false, fmt.Errorf("signature for UUID %s: %w", uuid, err)
			}
			verified = true
		}
	}
	return leaseRow{Serial: l.Serial, Line: l.String(), Expires: string(exp), Verified: verified,
		Origin: originImport, AddedAt: t}, verified, nil
}
