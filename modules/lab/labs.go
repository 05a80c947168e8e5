package lab

import (
	"context"
	"database/sql"

	"aula/internal/core"
	"aula/internal/store"
)

// LabArgs names a lab.
type LabArgs struct {
	Name   string `json:"name"`
	Centre string `json:"centre,omitempty"`
	// Netmask gives the lab's directed broadcast for Wake-on-LAN
	// (255.255.255.0 or 24; empty: 255.255.255.0).
	Netmask string `json:"netmask,omitempty"`
}

// Lab is one lab with its computer count.
type Lab struct {
	Name      string `json:"name"`
	Centre    string `json:"centre"`
	Computers int    `json:"computers"`
	AddedAt   string `json:"added_at"`
	Netmask   string `json:"netmask,omitempty"`
}

func (m *Module) labAddMethod() core.Method {
	me := core.Func("labAdd", "Adds a lab (in a centre).", func(ctx context.Context, in LabArgs) (Lab, error) {
		if err := checkName("lab", in.Name); err != nil {
			return Lab{}, err
		}
		if in.Netmask != "" {
			if _, err := netmaskBits(in.Netmask); err != nil {
				return Lab{}, core.Errorf(core.KindInvalid, "%v", err)
			}
		}
		l := Lab{Name: in.Name, Centre: in.Centre, AddedAt: fmtTime(now()), Netmask: in.Netmask}
		err := m.t.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, m.t.q("INSERT INTO lab_labs (name, centre, added_at, netmask) VALUES (?, ?, ?, ?)"), l.Name, l.Centre, l.AddedAt, l.Netmask)
			return err
		})
		if store.IsConstraint(err) {
			return Lab{}, core.Errorf(core.KindConflict, "lab %q already exists", in.Name)
		}
		if err != nil {
			return Lab{}, storeError(err, "adding the lab")
		}
		return l, nil
	})
	me.Mutates = true
	return me
}

func (m *Module) labRemoveMethod() core.Method {
	me := core.Func("labRemove", "Removes an empty lab.", func(ctx context.Context, in LabArgs) (bool, error) {
		var gone, busy bool
		err := m.t.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, m.t.q("SELECT COUNT(*) FROM lab_computers WHERE lab = ?"), in.Name).Scan(&n); err != nil {
				return err
			}
			if busy = n > 0; busy {
				return nil
			}
			res, err := tx.ExecContext(ctx, m.t.q("DELETE FROM lab_labs WHERE name = ?"), in.Name)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			gone = k > 0
			return err
		})
		switch {
		case err != nil:
			return false, storeError(err, "removing the lab")
		case busy:
			return false, core.Errorf(core.KindConflict, "lab %q still has computers; move or remove them first", in.Name)
		case !gone:
			return false, core.Errorf(core.KindNotFound, "no lab %q", in.Name)
		}
		return true, nil
	})
	me.Mutates = true
	return me
}

func (m *Module) labListMethod() core.Method {
	return core.Func("labList", "Lists the labs with their centre and number of computers.", func(ctx context.Context, _ struct{}) ([]Lab, error) {
		rows, err := m.t.db.Reader().QueryContext(ctx, "SELECT l.name, l.centre, l.added_at, (SELECT COUNT(*) FROM lab_computers c WHERE c.lab = l.name), l.netmask FROM lab_labs l ORDER BY l.centre, l.name")
		if err != nil {
			return nil, storeError(err, "listing labs")
		}
		defer rows.Close()
		out := []Lab{}
		for rows.Next() {
			var l Lab
			if err := rows.Scan(&l.Name, &l.Centre, &l.AddedAt, &l.Computers, &l.Netmask); err != nil {
				return nil, storeError(err, "listing labs")
			}
			out = append(out, l)
		}
		if err := rows.Err(); err != nil {
			return nil, storeError(err, "listing labs")
		}
		return out, nil
	})
}
