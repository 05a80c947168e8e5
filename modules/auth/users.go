package auth

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"slices"
	"time"

	"aula/internal/core"
	"aula/internal/store"
)

// Reserved identities: the CLI's in-process caller and the word `aula acl
// check` uses for an unauthenticated caller.
const (
	localAdmin = core.LocalAdmin
	anonymous  = "anonymous"
)

var (
	nameRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)
	groupRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
)

// minPasswordLen is the shortest password an admin may set.
const minPasswordLen = 8

const timeLayout = store.TimeLayout

func fmtTime(t time.Time) string { return store.FormatTime(t) } // timeLayout's text, made faster

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeLayout, s)
	return t
}

func checkName(name string) error {
	if !nameRE.MatchString(name) {
		return core.Errorf(core.KindInvalid, "user name %q: want 1-64 letters, digits and . _ @ -, starting with a letter or digit", name)
	}
	if name == localAdmin || name == anonymous {
		return core.Errorf(core.KindInvalid, "user name %q is reserved", name)
	}
	return nil
}

func checkGroups(groups []string) error {
	for _, g := range groups {
		if !groupRE.MatchString(g) {
			return core.Errorf(core.KindInvalid, "group %q: want 1-64 letters, digits and . _ -, starting with a letter or digit", g)
		}
	}
	return nil
}

func checkPassword(pw string) error {
	if len(pw) < minPasswordLen {
		return core.Errorf(core.KindInvalid, "password too short: at least %d characters", minPasswordLen)
	}
	return nil
}

// User is one entry of auth.user_list: a password user, or an identity
// (a certificate name) that only has groups.
type User struct {
	Name     string   `json:"name"`
	Groups   []string `json:"groups"`
	Password bool     `json:"password"`
	Created  string   `json:"created,omitempty"`
	Updated  string   `json:"updated,omitempty"`
}

func (m *Module) q(query string) string { return m.db.Dialect().Rebind(query) }

// write runs fn through the store's group commit. A client hanging up must
// not interrupt a statement of a transaction other writers share, so the
// write ignores the caller's cancellation.
func (m *Module) write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	ctx = context.WithoutCancel(ctx)
	return m.db.Write(ctx, func(tx *sql.Tx) error { return fn(ctx, tx) })
}

// userHash returns the stored hash of name; ok is false for no such user.
func (m *Module) userHash(ctx context.Context, name string) (hash string, ok bool, err error) {
	err = m.db.Reader().QueryRowContext(ctx, m.q(`SELECT hash FROM auth_users WHERE name = ?`), name).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return hash, err == nil, err
}

// groupsOf lists the groups of an identity, sorted.
func (m *Module) groupsOf(ctx context.Context, name string) ([]string, error) {
	rows, err := m.db.Reader().QueryContext(ctx, m.q(`SELECT grp FROM auth_groups WHERE name = ? ORDER BY grp`), name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

func (m *Module) addUser(ctx context.Context, name, hash string, groups []string) error {
	now := fmtTime(time.Now())
	return m.changedGroups(m.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, m.q(`SELECT COUNT(*) FROM auth_users WHERE name = ?`), name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return core.Errorf(core.KindConflict, "user %s already exists (use `aula user passwd`)", name)
		}
		if _, err := tx.ExecContext(ctx, m.q(`INSERT INTO auth_users (name, hash, created_at, updated_at) VALUES (?, ?, ?, ?)`),
			name, hash, now, now); err != nil {
			return err
		}
		return setGroupsTx(ctx, m, tx, name, groups)
	}))
}

func setGroupsTx(ctx context.Context, m *Module, tx *sql.Tx, name string, groups []string) error {
	if _, err := tx.ExecContext(ctx, m.q(`DELETE FROM auth_groups WHERE name = ?`), name); err != nil {
		return err
	}
	groups = slices.Compact(slices.Sorted(slices.Values(groups)))
	for _, g := range groups {
		if _, err := tx.ExecContext(ctx, m.q(`INSERT INTO auth_groups (name, grp) VALUES (?, ?)`), name, g); err != nil {
			return err
		}
	}
	return nil
}

// setHash changes a password and ends the user's sessions: whoever
// logged in with the old password is logged out.
func (m *Module) setHash(ctx context.Context, name, hash string) error {
	now := fmtTime(time.Now())
	return m.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, m.q(`UPDATE auth_users SET hash = ?, updated_at = ? WHERE name = ?`), hash, now, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.Errorf(core.KindNotFound, "no user %s", name)
		}
		_, err = tx.ExecContext(ctx, m.q(`DELETE FROM auth_sessions WHERE name = ?`), name)
		return err
	})
}

// removeUser deletes a user with its groups and sessions.
func (m *Module) removeUser(ctx context.Context, name string) error {
	return m.changedGroups(m.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, m.q(`DELETE FROM auth_users WHERE name = ?`), name)
		if err != nil {
			return err
		}
		gres, err := tx.ExecContext(ctx, m.q(`DELETE FROM auth_groups WHERE name = ?`), name)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		g, _ := gres.RowsAffected()
		if n == 0 && g == 0 {
			return core.Errorf(core.KindNotFound, "no user %s", name)
		}
		_, err = tx.ExecContext(ctx, m.q(`DELETE FROM auth_sessions WHERE name = ?`), name)
		return err
	}))
}

func (m *Module) setGroups(ctx context.Context, name string, groups []string) error {
	return m.changedGroups(m.write(ctx, func(ctx context.Context, tx *sql.Tx) error { return setGroupsTx(ctx, m, tx, name, groups) }))
}

// listUsers lists password users and identities with groups, by name.
func (m *Module) listUsers(ctx context.Context) ([]User, error) {
	byName := map[string]*User{}
	var order []string
	get := func(name string) *User {
		if u := byName[name]; u != nil {
			return u
		}
		u := &User{Name: name, Groups: []string{}}
		byName[name] = u
		order = append(order, name)
		return u
	}
	rows, err := m.db.Reader().QueryContext(ctx, `SELECT name, created_at, updated_at FROM auth_users`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var name, c, u string
		if err := rows.Scan(&name, &c, &u); err != nil {
			rows.Close()
			return nil, err
		}
		e := get(name)
		e.Password, e.Created, e.Updated = true, c, u
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = m.db.Reader().QueryContext(ctx, `SELECT name, grp FROM auth_groups ORDER BY name, grp`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name, g string
		if err := rows.Scan(&name, &g); err != nil {
			return nil, err
		}
		e := get(name)
		e.Groups = append(e.Groups, g)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.Sort(order)
	out := make([]User, len(order))
	for i, n := range order {
		out[i] = *byName[n]
	}
	return out, nil
}
