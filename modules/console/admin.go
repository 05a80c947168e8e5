package console

import (
	"context"
	"syscall"

	"aula/internal/core"
)

func (m *Module) listMethod() core.Method {
	me := core.Func("list", "Lists the running consoles: id, user, pid, uid, sandbox, start time.",
		func(ctx context.Context, _ struct{}) ([]Info, error) {
			out := m.runs()
			if out == nil {
				out = []Info{}
			}
			return out, nil
		})
	me.Access = core.Admin
	return me
}

type killArgs struct {
	ID string `json:"id"`
}

func (m *Module) killMethod() core.Method {
	me := core.Func("kill", "Ends a console by its id (from console.list); its next request is answered terminate.",
		func(ctx context.Context, in killArgs) (bool, error) { return true, m.kill(ctx, in.ID) })
	me.Access, me.Mutates = core.Admin, true
	return me
}

func (m *Module) kill(ctx context.Context, id string) error {
	m.mu.Lock()
	c := m.byID[id]
	m.mu.Unlock()
	if c != nil {
		c.end("Killed by an administrator")
		select {
		case <-c.exited:
		case <-ctx.Done():
			return ctx.Err()
		}
		return nil
	}
	// Not this process's: a console of the server, seen from the command
	// line on the data directory. The server reaps it.
	info, ok := m.readRun(id)
	if !ok || !alive(info) {
		return core.Errorf(core.KindNotFound, "no running console %q", id)
	}
	if err := syscall.Kill(-info.PID, syscall.SIGKILL); err != nil {
		return core.Wrap(core.KindInternal, err, "killing the console")
	}
	return nil
}
