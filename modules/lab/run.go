package lab

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"time"

	"aula/internal/core"
	"aula/modules/lab/labapi"
)

// RunArgs launches a command on one computer, a group or a lab.
type RunArgs struct {
	Command  string            `json:"command"`
	Lab      string            `json:"lab,omitempty"`
	Group    string            `json:"group,omitempty"`
	Computer string            `json:"computer,omitempty"`
	Params   map[string]string `json:"params,omitempty"`
}

// Launched is one launch: its id, the action made per computer, and the
// computers left out because they are in maintenance.
type Launched struct {
	Launch  string        `json:"launch"`
	Command string        `json:"command"`
	Actions []LaunchedRow `json:"actions"`
	Skipped []string      `json:"skipped"`
}

// LaunchedRow is one action of a launch.
type LaunchedRow struct {
	ID       int64  `json:"id"`
	Computer string `json:"computer"`
}

// maxParams bounds what a launch may carry per action.
const (
	maxParams     = 64
	maxParamBytes = 256 << 10
)

func (m *Module) runMethod() core.Method {
	me := core.Func("run", "Launches a command on a computer, a group or a lab (\"all\": every lab): one action row per computer.", func(ctx context.Context, in RunArgs) (Launched, error) {
		cmd, ok := labapi.Resolve(in.Command)
		if !ok {
			return Launched{}, core.Errorf(core.KindInvalid, "unknown command %q (built-in: probe, hardware, software, script, poweroff, reboot, wake; or the name of an admin-defined command)", in.Command)
		}
		if cmd.Code == labapi.CodeWake {
			return m.wake(ctx, in, cmd) // the server acts: nothing to queue for an agent
		}
		if err := checkParams(cmd, in.Params); err != nil {
			return Launched{}, err
		}
		targets := 0
		for _, s := range []string{in.Lab, in.Group, in.Computer} {
			if s != "" {
				targets++
			}
		}
		if in.Computer != "" && targets > 1 || targets == 0 {
			return Launched{}, core.Errorf(core.KindInvalid, "name the target: a computer, a group (optionally within a lab), or a lab")
		}
		params, _ := json.Marshal(orEmpty(in.Params))
		launcher := "?"
		if c := core.CallFrom(ctx); c != nil {
			launcher = c.Caller.Identity
		}
		var b [8]byte
		rand.Read(b[:])
		at := now()
		out := Launched{Launch: at.Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:4]), Command: cmd.Name}
		idle := m.idleAgents(ctx)
		var sent map[string]labapi.Delivery
		err := m.t.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			out.Actions, out.Skipped, sent = nil, nil, nil
			lab := in.Lab
			if lab == "all" {
				lab = ""
			}
			cs, err := m.t.computers(ctx, tx, lab, in.Group, in.Computer)
			if err != nil {
				return err
			}
			if len(cs) == 0 {
				return core.Errorf(core.KindNotFound, "no computer matches (lab %q, group %q, computer %q)", in.Lab, in.Group, in.Computer)
			}
			ins, err := tx.PrepareContext(ctx, m.t.q("INSERT INTO lab_actions (launch, computer, lab, command, code, params, launcher, state, result, output, created_at, sent_at, finished_at, expires_at) "+
				"VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, '', ?, ?, '', ?) RETURNING id"))
			if err != nil {
				return err
			}
			defer ins.Close()
			var open map[string]bool
			if len(idle) > 0 {
				if open, err = m.t.openComputers(ctx, tx); err != nil {
					return err
				}
			}
			exp := fmtTime(at.Add(m.actionTTL.Get()))
			for _, c := range cs {
				if c.Maintenance {
					out.Skipped = append(out.Skipped, c.Name)
					continue
				}
				// An idle agent with nothing else queued gets the action at
				// once: one write for the whole launch rather than one claim
				// per agent (bench/labbench).
				state, sentAt := queuedState(c), ""
				if state == stateQueued && idle[c.Name] && !open[c.Name] {
					state, sentAt = stateSent, fmtTime(at)
				}
				var id int64
				if err := ins.QueryRowContext(ctx, out.Launch, c.Name, c.Lab, cmd.Name, cmd.Code, string(params), launcher, state, fmtTime(at), sentAt, exp).Scan(&id); err != nil {
					return err
				}
				out.Actions = append(out.Actions, LaunchedRow{ID: id, Computer: c.Name})
				if state == stateSent {
					if sent == nil {
						sent = map[string]labapi.Delivery{}
					}
					sent[c.Name] = labapi.Delivery{Action: id, Code: cmd.Code, Name: cmd.Name, Params: orEmpty(in.Params)}
				}
			}
			return m.t.bump(ctx, tx)
		})
		if err != nil {
			return Launched{}, kindError(err, "launching")
		}
		if out.Skipped == nil {
			out.Skipped = []string{}
		}
		if out.Actions == nil {
			out.Actions = []LaunchedRow{}
		}
		if m.env != nil && m.env.Events != nil && len(out.Actions) > 0 {
			names := make([]string, 0, len(out.Actions)-len(sent))
			for _, a := range out.Actions {
				if _, ok := sent[a.Computer]; !ok {
					names = append(names, a.Computer)
				}
			}
			m.env.Events.Publish(ctx, labapi.TopicQueued, labapi.QueuedEvent{Computers: names, Sent: sent})
		}
		return out, nil
	})
	me.Mutates = true
	return me
}

func orEmpty(p map[string]string) map[string]string {
	if p == nil {
		return map[string]string{}
	}
	return p
}

// checkParams refuses what an agent could not take.
func checkParams(cmd labapi.Command, p map[string]string) error {
	if len(p) > maxParams {
		return core.Errorf(core.KindInvalid, "%d params: at most %d", len(p), maxParams)
	}
	n := 0
	for k, v := range p {
		if !nameRE.MatchString(k) {
			return core.Errorf(core.KindInvalid, "param name %q: use letters, digits, '.', '_' and '-'", k)
		}
		n += len(k) + len(v)
	}
	if n > maxParamBytes {
		return core.Errorf(core.KindInvalid, "params of %d bytes: at most %d", n, maxParamBytes)
	}
	if cmd.Code == labapi.CodeScript && p["scp"] == "" {
		return core.Errorf(core.KindInvalid, "%s needs --param scp=SCRIPT", cmd.Name)
	}
	if t, ok := p["timeout"]; ok {
		if _, err := time.ParseDuration(t + "s"); err != nil {
			return core.Errorf(core.KindInvalid, "param timeout=%q: want seconds", t)
		}
	}
	return nil
}

// idleAgents asks the agent front end (if this process has one) which
// computers have an agent connected with nothing in flight.
func (m *Module) idleAgents(ctx context.Context) map[string]bool {
	if m.env == nil || m.env.Events == nil {
		return nil
	}
	q := &labapi.IdleQuery{Idle: map[string]bool{}}
	m.env.Events.Publish(ctx, labapi.TopicIdle, q)
	return q.Idle
}
