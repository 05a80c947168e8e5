package lab

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"strings"
	"time"

	"aula/internal/core"
)

// InventoryArgs names a computer, a kind (hardware, software; "" both) and
// for a diff the date to compare against.
type InventoryArgs struct {
	Computer string `json:"computer"`
	Kind     string `json:"kind,omitempty"`
	Since    string `json:"since,omitempty"` // YYYY-MM-DD or RFC 3339: compare with the newest taken before
}

// Inventory is one stored inventory.
type Inventory struct {
	Computer string `json:"computer"`
	Kind     string `json:"kind"`
	TakenAt  string `json:"taken_at"`
	Body     string `json:"body"`
}

// InventoryDiff is what changed between two inventories of one kind.
type InventoryDiff struct {
	Computer string   `json:"computer"`
	Kind     string   `json:"kind"`
	From     string   `json:"from"` // "" when there is nothing to compare with
	To       string   `json:"to"`
	Added    []string `json:"added"`
	Removed  []string `json:"removed"`
}

func kinds(k string) ([]string, error) {
	switch k {
	case "":
		return []string{"hardware", "software"}, nil
	case "hardware", "software":
		return []string{k}, nil
	}
	return nil, core.Errorf(core.KindInvalid, "inventory kind %q: want hardware or software", k)
}

// inventoryAt is the newest inventory of a kind taken before a time (zero:
// the newest).
func (t *tables) inventoryAt(ctx context.Context, computer, kind string, before string) (Inventory, bool, error) {
	inv := Inventory{Computer: computer, Kind: kind}
	q, args := "SELECT taken_at, body FROM lab_inventory WHERE computer = ? AND kind = ?", []any{computer, kind}
	if before != "" {
		q += " AND taken_at < ?"
		args = append(args, before)
	}
	err := t.db.Reader().QueryRowContext(ctx, t.q(q+" ORDER BY taken_at DESC LIMIT 1"), args...).Scan(&inv.TakenAt, &inv.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return inv, false, nil
	}
	return inv, err == nil, err
}

func (m *Module) inventoryShowMethod() core.Method {
	return core.Func("inventoryShow", "A computer's newest hardware and software inventories.", func(ctx context.Context, in InventoryArgs) ([]Inventory, error) {
		ks, err := kinds(in.Kind)
		if err != nil {
			return nil, err
		}
		out := []Inventory{}
		for _, k := range ks {
			inv, ok, err := m.t.inventoryAt(ctx, in.Computer, k, "")
			if err != nil {
				return nil, storeError(err, "reading inventories")
			}
			if ok {
				out = append(out, inv)
			}
		}
		if len(out) == 0 {
			return nil, core.Errorf(core.KindNotFound, "no inventory of %q yet (run `aula run hardware --computer %s`)", in.Computer, in.Computer)
		}
		return out, nil
	})
}

func (m *Module) inventoryDiffMethod() core.Method {
	return core.Func("inventoryDiff", "What changed in a computer's inventories: the newest against the one before (or the newest before since).", func(ctx context.Context, in InventoryArgs) ([]InventoryDiff, error) {
		ks, err := kinds(in.Kind)
		if err != nil {
			return nil, err
		}
		since := ""
		if in.Since != "" {
			t, err := time.Parse(time.RFC3339, in.Since)
			if err != nil {
				if t, err = time.Parse(time.DateOnly, in.Since); err != nil {
					return nil, core.Errorf(core.KindInvalid, "since %q: want YYYY-MM-DD or RFC 3339", in.Since)
				}
			}
			since = fmtTime(t)
		}
		out := []InventoryDiff{}
		for _, k := range ks {
			newest, ok, err := m.t.inventoryAt(ctx, in.Computer, k, "")
			if err != nil {
				return nil, storeError(err, "reading inventories")
			}
			if !ok {
				continue
			}
			before := since
			if before == "" {
				before = newest.TakenAt
			}
			old, _, err := m.t.inventoryAt(ctx, in.Computer, k, before)
			if err != nil {
				return nil, storeError(err, "reading inventories")
			}
			d := InventoryDiff{Computer: in.Computer, Kind: k, From: old.TakenAt, To: newest.TakenAt}
			d.Added, d.Removed = lineDiff(old.Body, newest.Body)
			out = append(out, d)
		}
		if len(out) == 0 {
			return nil, core.Errorf(core.KindNotFound, "no inventory of %q yet", in.Computer)
		}
		return out, nil
	})
}

// lineDiff compares inventories as sets of lines.
func lineDiff(old, cur string) (added, removed []string) {
	set := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				m[l] = true
			}
		}
		return m
	}
	o, c := set(old), set(cur)
	added, removed = []string{}, []string{}
	for l := range c {
		if !o[l] {
			added = append(added, l)
		}
	}
	for l := range o {
		if !c[l] {
			removed = append(removed, l)
		}
	}
	sort.Strings(added)
	sort.Strings(removed)
	return added, removed
}
