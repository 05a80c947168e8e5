package lab

import (
	"context"
	"database/sql"
	"errors"

	"aula/internal/core"
	"aula/internal/store"
)

// ComputerArgs describes a computer to add.
type ComputerArgs struct {
	Name  string `json:"name"`
	Lab   string `json:"lab"`
	MAC   string `json:"mac,omitempty"`
	IP    string `json:"ip,omitempty"`
	Group string `json:"group,omitempty"`
}

// check validates and normalises a computer description.
func (in ComputerArgs) check() (Computer, error) {
	c := Computer{Name: in.Name, Lab: in.Lab, Group: in.Group}
	if err := checkName("computer", in.Name); err != nil {
		return c, err
	}
	if err := checkName("lab", in.Lab); err != nil {
		return c, err
	}
	if in.Group != "" {
		if err := checkName("group", in.Group); err != nil {
			return c, err
		}
	}
	var err error
	if c.MAC, err = normMAC(in.MAC); err != nil {
		return c, err
	}
	if c.IP, err = normIP(in.IP); err != nil {
		return c, err
	}
	return c, nil
}

// addComputers inserts computers in tx; the first error names its
// computer (the caller's transaction then stores none).
func (m *Module) addComputers(ctx context.Context, tx *sql.Tx, cs []Computer, where func(i int) string) error {
	at := fmtTime(now())
	for i, c := range cs {
		ok, err := m.t.labExists(ctx, tx, c.Lab)
		if err != nil {
			return err
		}
		if !ok {
			return core.Errorf(core.KindNotFound, "%sno lab %q (add it with `aula lab add %s`)", where(i), c.Lab, c.Lab)
		}
		c.AddedAt = at
		if err := m.t.insertComputer(ctx, tx, c); err != nil {
			if store.IsConstraint(err) {
				return core.Errorf(core.KindConflict, "%scomputer %q, or its MAC %s, is already known", where(i), c.Name, c.MAC)
			}
			return err
		}
	}
	return nil
}

// kindError passes the module's own *core.Error through a write and
// wraps anything else as a store error.
func kindError(err error, what string) error {
	var ce *core.Error
	if errors.As(err, &ce) {
		return ce
	}
	return storeError(err, what)
}

func (m *Module) computerAddMethod() core.Method {
	me := core.Func("computerAdd", "Adds a computer to a lab (MAC, IP and group optional).", func(ctx context.Context, in ComputerArgs) (Computer, error) {
		c, err := in.check()
		if err != nil {
			return Computer{}, err
		}
		err = m.t.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			return m.addComputers(ctx, tx, []Computer{c}, func(int) string { return "" })
		})
		if err != nil {
			return Computer{}, kindError(err, "adding the computer")
		}
		return m.t.computer(ctx, m.t.db.Reader(), c.Name)
	})
	me.Mutates = true
	return me
}

// NameArgs names one computer.
type NameArgs struct {
	Name string `json:"name"`
}

func (m *Module) computerRemoveMethod() core.Method {
	me := core.Func("computerRemove", "Removes a computer (its action rows and inventories stay as history).", func(ctx context.Context, in NameArgs) (bool, error) {
		var n int64
		err := m.t.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, m.t.q("DELETE FROM lab_computers WHERE name = ?"), in.Name)
			if err != nil {
				return err
			}
			if n, err = res.RowsAffected(); err != nil || n == 0 {
				return err
			}
			_, err = tx.ExecContext(ctx, m.t.q("UPDATE lab_actions SET state = ?, result = ?, output = 'computer removed', finished_at = ? WHERE computer = ? AND state IN (?, ?)"),
				stateFailed, resultFailed, fmtTime(now()), in.Name, stateQueued, statePaused)
			return err
		})
		m.idents.forget()
		if err != nil {
			return false, storeError(err, "removing the computer")
		}
		if n == 0 {
			return false, core.Errorf(core.KindNotFound, "no computer %q", in.Name)
		}
		return true, nil
	})
	me.Mutates = true
	return me
}

// MoveArgs moves a computer to another lab and group.
type MoveArgs struct {
	Name  string `json:"name"`
	Lab   string `json:"lab"`
	Group string `json:"group,omitempty"`
}

func (m *Module) computerMoveMethod() core.Method {
	me := core.Func("computerMove", "Moves a computer to another lab (and group).", func(ctx context.Context, in MoveArgs) (Computer, error) {
		if _, err := (ComputerArgs{Name: in.Name, Lab: in.Lab, Group: in.Group}).check(); err != nil {
			return Computer{}, err
		}
		err := m.t.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			ok, err := m.t.labExists(ctx, tx, in.Lab)
			if err != nil {
				return err
			}
			if !ok {
				return core.Errorf(core.KindNotFound, "no lab %q", in.Lab)
			}
			res, err := tx.ExecContext(ctx, m.t.q("UPDATE lab_computers SET lab = ?, grp = ? WHERE name = ?"), in.Lab, in.Group, in.Name)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return core.Errorf(core.KindNotFound, "no computer %q", in.Name)
			}
			return nil
		})
		if err != nil {
			return Computer{}, kindError(err, "moving the computer")
		}
		return m.t.computer(ctx, m.t.db.Reader(), in.Name)
	})
	me.Mutates = true
	return me
}

// ListArgs filters computers.
type ListArgs struct {
	Lab   string `json:"lab,omitempty"`
	Group string `json:"group,omitempty"`
}

func (m *Module) computerListMethod() core.Method {
	return core.Func("computerList", "Lists computers, of one lab and group if given.", func(ctx context.Context, in ListArgs) ([]Computer, error) {
		cs, err := m.t.computers(ctx, m.t.db.Reader(), in.Lab, in.Group, "")
		if err != nil {
			return nil, storeError(err, "listing computers")
		}
		if cs == nil {
			cs = []Computer{}
		}
		return cs, nil
	})
}

// ComputerDetail is one computer with its latest actions.
type ComputerDetail struct {
	Computer
	Actions []Action `json:"actions"`
}

func (m *Module) computerShowMethod() core.Method {
	return core.Func("computerShow", "Shows a computer, its agent's announcement and its last 10 actions.", func(ctx context.Context, in NameArgs) (ComputerDetail, error) {
		c, err := m.t.computer(ctx, m.t.db.Reader(), in.Name)
		if errors.Is(err, errNoRows) {
			return ComputerDetail{}, core.Errorf(core.KindNotFound, "no computer %q", in.Name)
		}
		if err != nil {
			return ComputerDetail{}, storeError(err, "reading the computer")
		}
		acts, err := m.t.actions(ctx, actionFilter{Computer: in.Name, Limit: 10})
		if err != nil {
			return ComputerDetail{}, storeError(err, "reading actions")
		}
		return ComputerDetail{Computer: c, Actions: acts}, nil
	})
}

// MaintenanceArgs sets or clears a computer's maintenance flag.
type MaintenanceArgs struct {
	Name string `json:"name"`
	On   bool   `json:"on"`
}

func (m *Module) maintenanceMethod() core.Method {
	me := core.Func("computerMaintenance", "Sets or clears a computer's maintenance flag: a computer in maintenance is sent nothing.", func(ctx context.Context, in MaintenanceArgs) (Computer, error) {
		v := 0
		if in.On {
			v = 1
		}
		var n int64
		err := m.t.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, m.t.q("UPDATE lab_computers SET maintenance = ? WHERE name = ?"), v, in.Name)
			if err == nil {
				n, err = res.RowsAffected()
			}
			return err
		})
		if err != nil {
			return Computer{}, storeError(err, "setting maintenance")
		}
		if n == 0 {
			return Computer{}, core.Errorf(core.KindNotFound, "no computer %q", in.Name)
		}
		return m.t.computer(ctx, m.t.db.Reader(), in.Name)
	})
	me.Mutates = true
	return me
}
