package lab

import (
	"context"

	"aula/internal/core"
)

// StatusArgs names a lab ("" or "all": every lab).
type StatusArgs struct {
	Lab string `json:"lab,omitempty"`
}

// StatusRow is one computer in the status grid.
type StatusRow struct {
	Computer string `json:"computer"`
	Lab      string `json:"lab"`
	Group    string `json:"group"`
	// State is off, idle, busy or maintenance.
	State      string `json:"state"`
	SeenAt     string `json:"seen_at"`
	LastAction string `json:"last_action"` // command of the newest action
	LastState  string `json:"last_state"`
	LastResult int    `json:"last_result"`         // 0 none, 1 ok, 2 failed
	PausedBy   string `json:"paused_by,omitempty"` // its queue is paused (by this admin)
}

func (m *Module) statusMethod() core.Method {
	return core.Func("status", "The status grid of a lab: each computer's state (off, booting, idle, busy, maintenance) and last action.", func(ctx context.Context, in StatusArgs) ([]StatusRow, error) {
		lab := in.Lab
		if lab == "all" {
			lab = ""
		}
		if lab != "" {
			ok, err := m.t.labExists(ctx, m.t.db.Reader(), lab)
			if err != nil {
				return nil, storeError(err, "reading labs")
			}
			if !ok {
				return nil, core.Errorf(core.KindNotFound, "no lab %q", lab)
			}
		}
		cs, err := m.t.computers(ctx, m.t.db.Reader(), lab, "", "")
		if err != nil {
			return nil, storeError(err, "reading computers")
		}
		last, err := m.t.lastActions(ctx, lab)
		if err != nil {
			return nil, storeError(err, "reading actions")
		}
		out := make([]StatusRow, 0, len(cs))
		for _, c := range cs {
			r := StatusRow{Computer: c.Name, Lab: c.Lab, Group: c.Group, State: c.State, SeenAt: c.SeenAt, PausedBy: c.PausedBy}
			if c.Maintenance {
				r.State = "maintenance"
			}
			if a, ok := last[c.Name]; ok {
				r.LastAction, r.LastState, r.LastResult = a.Command, a.State, a.Result
			}
			out = append(out, r)
		}
		return out, nil
	})
}

// lastActions is each computer's newest action (of one lab, or all).
func (t *tables) lastActions(ctx context.Context, lab string) (map[string]Action, error) {
	q := "SELECT " + actionCols + " FROM lab_actions WHERE id IN (SELECT MAX(id) FROM lab_actions GROUP BY computer)"
	args := []any{}
	if lab != "" {
		q += " AND lab = ?"
		args = append(args, lab)
	}
	rows, err := t.db.Reader().QueryContext(ctx, t.q(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]Action{}
	for rows.Next() {
		a, err := scanAction(rows)
		if err != nil {
			return nil, err
		}
		out[a.Computer] = a
	}
	return out, rows.Err()
}
