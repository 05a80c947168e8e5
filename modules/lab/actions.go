package lab

import (
	"context"
	"strings"

	"aula/internal/core"
)

// actionFilter selects action rows; empty fields match all.
type actionFilter struct {
	Lab, State, Computer, Launch string
	After                        int64 // only ids above, oldest first
	Limit                        int
}

// actions reads action rows oldest first: those after After, or else the
// newest Limit.
func (t *tables) actions(ctx context.Context, f actionFilter) ([]Action, error) {
	where, args := []string{"1 = 1"}, []any{}
	for _, c := range []struct{ col, v string }{{"lab", f.Lab}, {"state", f.State}, {"computer", f.Computer}, {"launch", f.Launch}} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	order := "DESC"
	if f.After > 0 {
		where = append(where, "id > ?")
		args = append(args, f.After)
		order = "ASC"
	}
	if f.Limit <= 0 || f.Limit > 100000 {
		f.Limit = 100000
	}
	args = append(args, f.Limit)
	rows, err := t.db.Reader().QueryContext(ctx, t.q("SELECT "+actionCols+" FROM lab_actions WHERE "+strings.Join(where, " AND ")+" ORDER BY id "+order+" LIMIT ?"), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Action{}
	for rows.Next() {
		a, err := scanAction(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if order == "DESC" {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, rows.Err()
}

// ActionsArgs filters action rows.
type ActionsArgs struct {
	Lab      string `json:"lab,omitempty"`
	State    string `json:"state,omitempty"`
	Computer string `json:"computer,omitempty"`
	Launch   string `json:"launch,omitempty"`
	After    int64  `json:"after,omitempty"`
	Limit    int    `json:"limit,omitempty"`
}

func (m *Module) actionsMethod() core.Method {
	return core.Func("actions", "Lists action rows, oldest first: the newest (limit, default 50), or all after an id (to follow).", func(ctx context.Context, in ActionsArgs) ([]Action, error) {
		switch in.State {
		case "", stateQueued, stateSent, stateFinished, stateFailed, stateExpired, statePaused, stateDeleted:
		default:
			return nil, core.Errorf(core.KindInvalid, "state %q: want queued, paused, sent, finished, failed, expired or deleted", in.State)
		}
		if in.Limit == 0 && in.After == 0 && in.Launch == "" {
			in.Limit = 50
		}
		acts, err := m.t.actions(ctx, actionFilter{Lab: in.Lab, State: in.State, Computer: in.Computer, Launch: in.Launch, After: in.After, Limit: in.Limit})
		if err != nil {
			return nil, storeError(err, "listing actions")
		}
		return acts, nil
	})
}
