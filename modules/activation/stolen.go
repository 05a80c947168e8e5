package activation

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"aula/internal/core"
)

// StolenArgs marks a laptop stolen.
type StolenArgs struct {
	Serial string `json:"serial"`
	Note   string `json:"note,omitempty"`
}

// SerialArg names one laptop.
type SerialArg struct {
	Serial string `json:"serial"`
}

// StolenEntry is one stolen mark.
type StolenEntry struct {
	Serial   string `json:"serial"`
	Note     string `json:"note"`
	MarkedAt string `json:"marked_at"` // RFC 3339, UTC
	MarkedBy string `json:"marked_by"`
}

const maxNote = 1024

func (m *Module) stolenAddMethod() core.Method {
	meth := core.Func("stolen_add",
		"Marks a laptop stolen: from now on (within a second on a running server) it is answered STOLEN, over TCP 191 and GET /client/lease. Marking it again replaces the note.",
		m.stolenAdd)
	meth.Access, meth.Mutates = core.Admin, true
	return meth
}

func (m *Module) stolenRemoveMethod() core.Method {
	meth := core.Func("stolen_remove", "Removes a laptop's stolen mark; it is answered with its leases again.", m.stolenRemove)
	meth.Access, meth.Mutates = core.Admin, true
	return meth
}

func (m *Module) stolenListMethod() core.Method {
	meth := core.Func("stolen_list", "Lists the laptops marked stolen.",
		func(ctx context.Context, _ struct{}) ([]StolenEntry, error) {
			if m.store == nil {
				return nil, errNotProvisioned
			}
			rows, err := m.store.stolenMarks(ctx)
			if err != nil {
				return nil, core.StoreError(err, "reading stolen marks")
			}
			out := make([]StolenEntry, len(rows))
			for i, r := range rows {
				out[i] = StolenEntry{Serial: r.Serial, Note: r.Note, MarkedAt: rfc3339(r.MarkedAt), MarkedBy: r.MarkedBy}
			}
			return out, nil
		})
	meth.Access = core.Admin
	return meth
}

func (m *Module) stolenAdd(ctx context.Context, in StolenArgs) (StolenEntry, error) {
	if err := validSerialArg(in.Serial); err != nil {
		return StolenEntry{}, err
	}
	if len(in.Note) > maxNote || !utf8.ValidString(in.Note) || strings.IndexFunc(in.Note, unicode.IsControl) >= 0 {
		return StolenEntry{}, core.Errorf(core.KindInvalid, "note: at most %d bytes of text without control characters", maxNote)
	}
	if m.store == nil {
		return StolenEntry{}, errNotProvisioned
	}
	by := "unknown"
	if c := core.CallFrom(ctx); c != nil && c.Caller.Identity != "" {
		by = c.Caller.Identity
	}
	t := now()
	if err := m.store.markStolen(ctx, stolenRow{Serial: in.Serial, Note: in.Note, MarkedAt: t, MarkedBy: by}); err != nil {
		return StolenEntry{}, core.StoreError(err, "marking stolen")
	}
	m.adminChanged(ctx)
	return StolenEntry{Serial: in.Serial, Note: in.Note, MarkedAt: rfc3339(t), MarkedBy: by}, nil
}

func (m *Module) stolenRemove(ctx context.Context, in SerialArg) (bool, error) {
	if err := validSerialArg(in.Serial); err != nil {
		return false, err
	}
	if m.store == nil {
		return false, errNotProvisioned
	}
	removed, err := m.store.unmarkStolen(ctx, in.Serial)
	if err != nil {
		return false, core.StoreError(err, "removing stolen mark")
	}
	if !removed {
		return false, core.Errorf(core.KindNotFound, "%s is not marked stolen", in.Serial)
	}
	m.adminChanged(ctx)
	return true, nil
}
