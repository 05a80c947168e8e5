package activation

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"aula/internal/core"
	"aula/internal/lease"
)

func (m *Module) importDelegationsMethod() core.Method {
	meth := core.Func("import_delegations",
		"Imports delegations from the OLPC master key to this server's key: del01 lines (one per laptop, with its UUID) "+
			"or bare sig02 lines (give serial: they do not name their laptop). Each must verify against a trusted key "+
			"(--activation-trusted-key) and delegate to this server's key; per laptop the one that expires last is kept. "+
			"Bad and expired lines are reported with their line number and skipped.",
		m.importDelegations)
	meth.Access, meth.Mutates = core.Admin, true
	return meth
}

// pendingDelegation is a verified delegation ready to store.
type pendingDelegation struct {
	lineNo int
	row    delegationRow
}

func (m *Module) importDelegations(ctx context.Context, in ImportArgs) (ImportReply, error) {
	reply := ImportReply{Problems: []LineProblem{}}
	if m.store == nil {
		return reply, errNotProvisioned
	}
	if in.Serial != "" {
		if err := validSerialArg(in.Serial); err != nil {
			return reply, err
		}
	}
	if m.trusted.Len() == 0 {
		return reply, core.Errorf(core.KindInvalid, "no trusted OLPC key configured (--activation-trusted-key): delegations cannot be verified, so none are accepted")
	}
	server, err := lease.LoadPublicKey(m.keyBase + ".public")
	if errors.Is(err, fs.ErrNotExist) {
		return reply, core.Errorf(core.KindInvalid, "no server key: run `aula keyring init` first (delegations are made for it)")
	}
	if err != nil {
		return reply, core.Wrap(core.KindInternal, err, "reading the server key")
	}
	entries, err := in.entries(&reply)
	if err != nil {
		return reply, err
	}
	if in.Source == "" {
		in.Source = "(input)"
	}
	t := now()
	var good []pendingDelegation
	for _, e := range entries {
		row, err := m.checkDelegation(e.Line, in.Serial, server, t)
		if err != nil {
			reply.problem(in.Source, e.LineNo, row.Serial, err)
			continue
		}
		row.Source, row.AddedAt = in.Source, t
		good = append(good, pendingDelegation{e.LineNo, row})
	}
	if len(good) == 0 {
		return reply, nil
	}
	rows := make([]delegationRow, len(good))
	for i, p := range good {
		rows[i] = p.row
	}
	stored, err := m.store.addDelegations(ctx, rows)
	if err != nil {
		return reply, core.StoreError(err, "storing delegations")
	}
	reply.Imported, reply.Duplicates = stored, len(good)-stored
	m.adminChanged(ctx)
	return reply, nil
}

// checkDelegation verifies one delegation line for this server.
func (m *Module) checkDelegation(l *lease.Line, serial string, server *lease.PublicKey, t time.Time) (delegationRow, error) {
	row := delegationRow{Serial: l.Serial, UUID: l.UUID}
	switch l.Kind {
	case lease.KindServerDelegation:
		if serial != "" && serial != l.Serial {
			return row, fmt.Errorf("%w: del01 line for %s, --serial %s", lease.ErrWrongLaptop, l.Serial, serial)
		}
	case lease.KindDelegation:
		if serial == "" {
			return row, errors.New("a bare sig02 delegation does not name its laptop: give its serial (--serial SN)")
		}
		row.Serial = serial
	default:
		return row, fmt.Errorf("%s line is not a delegation (want del01: or sig02:)", l.Kind)
	}
	if err := l.VerifyDelegation(row.Serial, server, m.trusted); err != nil {
		return row, fmt.Errorf("does not delegate %s to this server's key %s: %w", row.Serial, server.KeyID(), err)
	}
	exp := effectiveExpiry(l)
	if exp.Expired(t) {
		return row, expiredErr(exp)
	}
	row.Line, row.Expires = l.String(), string(exp)
	return row, nil
}
