package activation

import (
	"context"
	"sort"

	"aula/internal/core"
	"aula/internal/lease"
)

// ExportArgs selects the leases to export.
type ExportArgs struct {
	Serials []string `json:"serials,omitempty"` // none: every laptop
	Format  string   `json:"format,omitempty"`  // "lines" (default) or "cjson"
}

// ExportReply is a lease file ready for a USB stick.
type ExportReply struct {
	Content string   `json:"content"`
	Laptops int      `json:"laptops"`
	Lines   int      `json:"lines"`
	Stolen  []string `json:"skipped_stolen"` // laptops left out because they are marked stolen
	Missing []string `json:"missing"`        // asked-for serials with no current lease
}

// maxExportSerials keeps the IN (...) list within every engine's limit on
// query parameters.
const maxExportSerials = 10000

func (m *Module) exportMethod() core.Method {
	meth := core.Func("export_leases",
		"Returns the current (unexpired) leases as a lease.sig file for a USB stick: bare lines, or Canonical JSON with format \"cjson\"; "+
			"laptops marked stolen are left out. Give serials to export only those.",
		m.exportLeases)
	meth.Access = core.Admin
	return meth
}

func (m *Module) exportLeases(ctx context.Context, in ExportArgs) (ExportReply, error) {
	reply := ExportReply{Stolen: []string{}, Missing: []string{}}
	if in.Format == "" {
		in.Format = "lines"
	}
	if in.Format != "lines" && in.Format != "cjson" {
		return reply, core.Errorf(core.KindInvalid, "format %q: want lines or cjson", in.Format)
	}
	if len(in.Serials) > maxExportSerials {
		return reply, core.Errorf(core.KindInvalid, "%d serials, limit %d (export all and filter instead)", len(in.Serials), maxExportSerials)
	}
	for _, sn := range in.Serials {
		if err := validSerialArg(sn); err != nil {
			return reply, err
		}
	}
	if m.store == nil {
		return reply, errNotProvisioned
	}
	rows, err := m.store.leases(ctx, in.Serials)
	if err != nil {
		return reply, core.StoreError(err, "reading leases")
	}
	stolen, err := m.store.stolenMarks(ctx)
	if err != nil {
		return reply, core.StoreError(err, "reading stolen marks")
	}
	isStolen := map[string]bool{}
	for _, s := range stolen {
		isStolen[s.Serial] = true
	}
	t := now()
	bySerial := map[string][]cachedLease{}
	for _, r := range currentLeases(rows, t) {
		exp, err := lease.ParseStamp(r.Expires)
		if err != nil {
			continue
		}
		bySerial[r.Serial] = append(bySerial[r.Serial], cachedLease{line: r.Line, expires: exp, end: endOf(exp)})
	}
	serials := make([]string, 0, len(bySerial))
	for sn := range bySerial {
		if isStolen[sn] {
			reply.Stolen = append(reply.Stolen, sn)
			continue
		}
		serials = append(serials, sn)
	}
	for _, sn := range in.Serials {
		if _, ok := bySerial[sn]; !ok {
			if isStolen[sn] {
				reply.Stolen = append(reply.Stolen, sn) // asked for by name: say why it is not there
			} else {
				reply.Missing = append(reply.Missing, sn)
			}
		}
	}
	sort.Strings(serials)
	sort.Strings(reply.Stolen)
	var lines []*lease.Line
	for _, sn := range serials {
		ls := bySerial[sn]
		sort.SliceStable(ls, func(i, j int) bool { return ls[i].end.After(ls[j].end) })
		for _, c := range ls {
			l, err := lease.ParseLine([]byte(c.line))
			if err != nil {
				m.log.Error("activation: stored lease no longer parses; not exported", "serial", sn, "err", err)
				continue
			}
			lines = append(lines, l)
		}
	}
	reply.Laptops, reply.Lines = len(serials), len(lines)
	if in.Format == "cjson" {
		b, err := lease.WriteCJSON(lines)
		if err != nil {
			return reply, core.Wrap(core.KindInternal, err, "writing Canonical JSON")
		}
		reply.Content = string(b)
	} else {
		reply.Content = string(lease.WriteBare(lines))
	}
	return reply, nil
}
