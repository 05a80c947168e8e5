package auth

import (
	"context"

	"aula/internal/core"
)

type userAddArgs struct {
	Name     string   `json:"name"`
	Password string   `json:"password"`
	Groups   []string `json:"groups,omitempty"`
}

type passwdArgs struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

type nameArgs struct {
	Name string `json:"name"`
}

type groupsArgs struct {
	Name   string   `json:"name"`
	Groups []string `json:"groups"`
}

// admin marks an admin method that changes state (audited).
func admin(m core.Method, mutates bool) core.Method {
	m.Access = core.Admin
	m.Mutates = mutates
	return m
}

func (m *Module) userAddMethod() core.Method {
	me := core.Func("user_add", "Adds a password user with its groups (admin is the group admin methods need).",
		func(ctx context.Context, in userAddArgs) (bool, error) {
			if err := checkName(in.Name); err != nil {
				return false, err
			}
			if err := checkGroups(in.Groups); err != nil {
				return false, err
			}
			if err := checkPassword(in.Password); err != nil {
				return false, err
			}
			h, err := m.verify.hash(in.Password)
			if err != nil {
				return false, err
			}
			return true, core.StoreError(m.addUser(ctx, in.Name, h, in.Groups), "adding the user")
		})
	me.Secret = []string{"password"}
	return admin(me, true)
}

func (m *Module) userPasswdMethod() core.Method {
	me := core.Func("user_passwd", "Sets a user's password and ends the user's sessions.",
		func(ctx context.Context, in passwdArgs) (bool, error) {
			if err := checkName(in.Name); err != nil {
				return false, err
			}
			if err := checkPassword(in.Password); err != nil {
				return false, err
			}
			h, err := m.verify.hash(in.Password)
			if err != nil {
				return false, err
			}
			return true, core.StoreError(m.setHash(ctx, in.Name, h), "setting the password")
		})
	me.Secret = []string{"password"}
	return admin(me, true)
}

func (m *Module) userRmMethod() core.Method {
	me := core.Func("user_rm", "Removes a user (or a certificate identity's groups) and ends its sessions.",
		func(ctx context.Context, in nameArgs) (bool, error) {
			if err := checkName(in.Name); err != nil {
				return false, err
			}
			return true, core.StoreError(m.removeUser(ctx, in.Name), "removing the user")
		})
	return admin(me, true)
}

func (m *Module) userGroupsMethod() core.Method {
	me := core.Func("user_groups",
		"Sets the groups of an identity: a password user, or a client certificate's name (which needs no password).",
		func(ctx context.Context, in groupsArgs) (bool, error) {
			if err := checkName(in.Name); err != nil {
				return false, err
			}
			if err := checkGroups(in.Groups); err != nil {
				return false, err
			}
			return true, core.StoreError(m.setGroups(ctx, in.Name, in.Groups), "setting groups")
		})
	return admin(me, true)
}

func (m *Module) userListMethod() core.Method {
	me := core.Func("user_list", "Lists password users and identities with groups.",
		func(ctx context.Context, _ struct{}) ([]User, error) {
			us, err := m.listUsers(ctx)
			return us, core.StoreError(err, "listing users")
		})
	return admin(me, false)
}
