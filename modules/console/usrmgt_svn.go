package console

import (
	"context"

	"aula/internal/core"
)

// usrmgtFailure is usrmgt-server's failure reply, {"response": "failure",
// "msg": repr(e)}: IVLE's callers show it as a failed action.
type usrmgtFailure struct {
	Response string `json:"response"`
	Msg      string `json:"msg"`
}

// noSvn answers IVLE's Subversion actions. IVLE's usrmgt-server
// regenerated the svn access configuration (of users, of groups) from its
// database; aula keeps neither Subversion repositories nor that
// configuration, so there is nothing it could rebuild, and saying "okay"
// would tell IVLE that access rules were applied when none were. The
// reply is usrmgt's failure shape naming why, so IVLE's web layer reports
// it instead of IVLE's server's bare KeyError for an unknown action.
func noSvn(action, what string) core.Method {
	msg := "NotImplementedError('aula provides no Subversion: " + action + " has no " + what +
		" to rebuild (aula keeps no svn repositories or svn access configuration)')"
	me := core.Func(action,
		"IVLE usrmgt's "+action+": aula provides no Subversion, so it always replies usrmgt's failure {\"response\": \"failure\", \"msg\": \"NotImplementedError(...)\"} saying so; it changes nothing.",
		func(ctx context.Context, _ struct{}) (usrmgtFailure, error) {
			return usrmgtFailure{Response: "failure", Msg: msg}, nil
		})
	me.Access = core.Admin
	return me
}

func (m *Module) rebuildSvnMethods() []core.Method {
	return []core.Method{
		noSvn("rebuild_svn_config", "svn access configuration of users"),
		noSvn("rebuild_svn_group_config", "svn access configuration of groups"),
	}
}
