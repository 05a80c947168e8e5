package console

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"aula/internal/core"
)

// okay is usrmgt-server's success reply.
var okay = map[string]string{"response": "okay"}

type activateArgs struct {
	Login string `json:"login"`
}

func (m *Module) activateMethod() core.Method {
	me := core.Func("activate_user",
		"IVLE usrmgt's activate_user: readies an aula user's console (its uid and its private directory); replies {\"response\": \"okay\"}.",
		func(ctx context.Context, in activateArgs) (map[string]string, error) {
			if err := checkUser(in.Login); err != nil {
				return nil, err
			}
			if err := m.userExists(ctx, in.Login); err != nil {
				return nil, err
			}
			uid, err := m.uidOf(in.Login)
			if err != nil {
				return nil, core.Wrap(core.KindInternal, err, "assigning the user's uid")
			}
			if _, err := m.home(in.Login, uid); err != nil {
				return nil, core.Wrap(core.KindInternal, err, "making the user's directory")
			}
			return okay, nil
		})
	me.Access, me.Mutates = core.Admin, true
	return me
}

// userExists asks the auth module, through the chain and as the same
// caller, whether login is one of aula's users.
func (m *Module) userExists(ctx context.Context, login string) error {
	if _, ok := m.app.Method("auth.user_list"); !ok {
		return core.Errorf(core.KindUnavailable, "no user store: the auth module is not in this binary")
	}
	c := &core.Call{Method: "auth.user_list", Args: []any{}}
	if outer := core.CallFrom(ctx); outer != nil {
		c.Caller, c.Creds, c.Transport, c.Debug = outer.Caller, outer.Creds, outer.Transport, outer.Debug
	}
	out, err := m.app.Handle(ctx, c)
	if err != nil {
		return err
	}
	b, err := json.Marshal(out)
	if err != nil {
		return core.Wrap(core.KindInternal, err, "reading the user list")
	}
	var users []struct {
		Name     string `json:"name"`
		Password bool   `json:"password"`
	}
	if err := json.Unmarshal(b, &users); err != nil {
		return core.Wrap(core.KindInternal, err, "reading the user list")
	}
	for _, u := range users {
		if u.Name == login {
			return nil
		}
	}
	return core.Errorf(core.KindNotFound, "no user %q (add it with `aula user add`)", login)
}

type groupRepoArgs struct {
	Subject  string `json:"subj_short_name"`
	Year     any    `json:"year"`
	Semester any    `json:"semester"`
	Group    string `json:"groupnm"`
}

var groupPartRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$`)

func (m *Module) groupRepoMethod() core.Method {
	me := core.Func("create_group_repository",
		"IVLE usrmgt's create_group_repository: makes the shared directory groups/<subj>_<year>_<semester>_<group>; replies {\"response\": \"okay\"}.",
		func(ctx context.Context, in groupRepoArgs) (map[string]string, error) {
			parts := []string{in.Subject, fmt.Sprint(in.Year), fmt.Sprint(in.Semester), in.Group}
			for _, p := range parts {
				if !groupPartRE.MatchString(p) {
					return nil, core.Errorf(core.KindInvalid, "group repository part %q: want letters, digits, . and -", p)
				}
			}
			dir := filepath.Join(m.dir, "groups", parts[0]+"_"+parts[1]+"_"+parts[2]+"_"+parts[3])
			if err := os.MkdirAll(dir, 0o770); err != nil {
				return nil, core.Wrap(core.KindInternal, err, "making the group directory")
			}
			return okay, nil
		})
	me.Access, me.Mutates = core.Admin, true
	return me
}
