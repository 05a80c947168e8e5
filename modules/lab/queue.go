package lab

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"aula/internal/core"
	"aula/modules/lab/labapi"
)

// The admin's queue operations (OpenGnsys's queue screen, spec §5): pause
// and resume a computer's, a group's or a lab's queue, delete a queued
// action, retry a failed or expired one. Each is an audited method, and
// the rows say who did it and when: a paused queue names its admin
// (paused_by, paused_at), a deleted action keeps its row (state
// "deleted", who and when in its output), a retry is a new row linked to
// the old one (retry_of) whose launcher is the admin who retried.

// Action states of the queue operations.
const (
	statePaused  = "paused"  // waiting in a paused queue; not delivered, does not expire
	stateDeleted = "deleted" // taken off the queue by an admin
)

// queuedState is the state a new action of c starts in.
func queuedState(c Computer) string {
	if c.PausedBy != "" {
		return statePaused
	}
	return stateQueued
}

// checkTarget wants a computer, a group (optionally within a lab), or a lab.
func checkTarget(lab, group, computer string) error {
	n := 0
	for _, s := range []string{lab, group, computer} {
		if s != "" {
			n++
		}
	}
	if computer != "" && n > 1 || n == 0 {
		return core.Errorf(core.KindInvalid, "name the target: a computer, a group (optionally within a lab), or a lab")
	}
	return nil
}

// newLaunchID names a launch: its time, then random hex.
func newLaunchID(at time.Time) string {
	var b [4]byte
	rand.Read(b[:])
	return at.Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// callerName is who is calling, for the rows.
func callerName(ctx context.Context) string {
	if c := core.CallFrom(ctx); c != nil && c.Caller.Identity != "" {
		return c.Caller.Identity
	}
	return "?"
}

func paramsJSON(p map[string]string) string {
	b, _ := json.Marshal(orEmpty(p))
	return string(b)
}

func (m *Module) opsMethods() []core.Method {
	ms := []core.Method{
		m.wakeMethod(),
		core.Func("queuePause", "Pauses the queues of a computer, a group or a lab: their queued actions wait as paused (and do not expire) until resumed; new ones join them.", m.queuePause),
		core.Func("queueResume", "Resumes paused queues: their actions are queued again (with a fresh --lab-action-ttl) and delivered.", m.queueResume),
		core.Func("actionDelete", "Deletes queued or paused actions: each keeps its row, state deleted, with who deleted it and when.", m.actionDelete),
		core.Func("actionRetry", "Retries failed or expired actions: a new queued row per action, linked to the old one (retry_of).", m.actionRetry),
	}
	for i := range ms {
		ms[i].Access, ms[i].Mutates = core.Admin, true
	}
	return ms
}

// QueueArgs names the queues to pause or resume.
type QueueArgs struct {
	Lab      string `json:"lab,omitempty"`
	Group    string `json:"group,omitempty"`
	Computer string `json:"computer,omitempty"`
}

// QueueReply says which computers' queues changed and how many actions.
type QueueReply struct {
	Computers []string `json:"computers"`
	Actions   int64    `json:"actions"`
}

func (m *Module) queueTargets(ctx context.Context, tx *sql.Tx, in QueueArgs) ([]Computer, error) {
	if err := checkTarget(in.Lab, in.Group, in.Computer); err != nil {
		return nil, err
	}
	lab := in.Lab
	if lab == "all" {
		lab = ""
	}
	cs, err := m.t.computers(ctx, tx, lab, in.Group, in.Computer)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, core.Errorf(core.KindNotFound, "no computer matches (lab %q, group %q, computer %q)", in.Lab, in.Group, in.Computer)
	}
	return cs, nil
}

func (m *Module) queuePause(ctx context.Context, in QueueArgs) (QueueReply, error) {
	who, at := callerName(ctx), fmtTime(now())
	var out QueueReply
	err := m.t.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out = QueueReply{Computers: []string{}}
		cs, err := m.queueTargets(ctx, tx, in)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if _, err := tx.ExecContext(ctx, m.t.q("UPDATE lab_computers SET paused_by = ?, paused_at = ? WHERE name = ? AND paused_by = ''"), who, at, c.Name); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, m.t.q("UPDATE lab_actions SET state = ? WHERE computer = ? AND state = ?"), statePaused, c.Name, stateQueued)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			out.Actions += n
			out.Computers = append(out.Computers, c.Name)
		}
		return nil
	})
	if err != nil {
		return QueueReply{}, kindError(err, "pausing queues")
	}
	m.log.Debug("lab: queues paused", "by", who, "computers", len(out.Computers), "actions", out.Actions)
	return out, nil
}

func (m *Module) queueResume(ctx context.Context, in QueueArgs) (QueueReply, error) {
	at := now()
	var out QueueReply
	var woken []string
	err := m.t.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out, woken = QueueReply{Computers: []string{}}, nil
		cs, err := m.queueTargets(ctx, tx, in)
		if err != nil {
			return err
		}
		exp := fmtTime(at.Add(m.actionTTL.Get()))
		for _, c := range cs {
			if _, err := tx.ExecContext(ctx, m.t.q("UPDATE lab_computers SET paused_by = '', paused_at = '' WHERE name = ?"), c.Name); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, m.t.q("UPDATE lab_actions SET state = ?, expires_at = ? WHERE computer = ? AND state = ?"), stateQueued, exp, c.Name, statePaused)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			out.Actions += n
			out.Computers = append(out.Computers, c.Name)
			if n > 0 {
				woken = append(woken, c.Name)
			}
		}
		return m.t.bump(ctx, tx)
	})
	if err != nil {
		return QueueReply{}, kindError(err, "resuming queues")
	}
	m.queued(ctx, woken)
	m.log.Debug("lab: queues resumed", "by", callerName(ctx), "computers", len(out.Computers), "actions", out.Actions)
	return out, nil
}

// queued tells this process's agent front end about new queued actions
// (another process's notices the generation).
func (m *Module) queued(ctx context.Context, computers []string) {
	if m.env != nil && m.env.Events != nil && len(computers) > 0 {
		m.env.Events.Publish(ctx, labapi.TopicQueued, labapi.QueuedEvent{Computers: computers})
	}
}

// IDsArgs names actions by id.
type IDsArgs struct {
	IDs []int64 `json:"ids"`
}

// maxIDs bounds one queue operation.
const maxIDs = 10000

func checkIDs(ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, core.Errorf(core.KindInvalid, "name at least one action id")
	}
	if len(ids) > maxIDs {
		return nil, core.Errorf(core.KindInvalid, "%d action ids: at most %d at once", len(ids), maxIDs)
	}
	seen := map[int64]bool{}
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if id <= 0 {
			return nil, core.Errorf(core.KindInvalid, "action id %d: ids are positive", id)
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// actionRow reads one action (NotFound if none).
func (m *Module) actionRow(ctx context.Context, q querier, id int64) (Action, error) {
	a, err := scanAction(q.QueryRowContext(ctx, m.t.q("SELECT "+actionCols+" FROM lab_actions WHERE id = ?"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, core.Errorf(core.KindNotFound, "no action %d", id)
	}
	return a, err
}

func (m *Module) actionDelete(ctx context.Context, in IDsArgs) ([]Action, error) {
	ids, err := checkIDs(in.IDs)
	if err != nil {
		return nil, err
	}
	who, at := callerName(ctx), now()
	var out []Action
	err = m.t.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out = make([]Action, 0, len(ids))
		for _, id := range ids {
			res, err := tx.ExecContext(ctx, m.t.q("UPDATE lab_actions SET state = ?, output = ?, finished_at = ? WHERE id = ? AND state IN (?, ?)"),
				stateDeleted, fmt.Sprintf("deleted by %s at %s", who, fmtTime(at)), fmtTime(at), id, stateQueued, statePaused)
			if err != nil {
				return err
			}
			a, err := m.actionRow(ctx, tx, id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return core.Errorf(core.KindConflict, "action %d is %s: only queued or paused actions can be deleted (nothing was deleted)", id, a.State)
			}
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return nil, kindError(err, "deleting actions")
	}
	m.log.Debug("lab: actions deleted", "by", who, "count", len(out))
	return out, nil
}

func (m *Module) actionRetry(ctx context.Context, in IDsArgs) (Launched, error) {
	ids, err := checkIDs(in.IDs)
	if err != nil {
		return Launched{}, err
	}
	who, at := callerName(ctx), now()
	out := Launched{Launch: newLaunchID(at)}
	var fresh []string
	err = m.t.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out.Actions, out.Skipped, out.Command, fresh = []LaunchedRow{}, []string{}, "", nil
		exp := fmtTime(at.Add(m.actionTTL.Get()))
		for _, id := range ids {
			a, err := m.actionRow(ctx, tx, id)
			if err != nil {
				return err
			}
			if a.State != stateFailed && a.State != stateExpired {
				return core.Errorf(core.KindConflict, "action %d is %s: only failed or expired actions can be retried (nothing was retried)", id, a.State)
			}
			if a.Code == labapi.CodeWake {
				return core.Errorf(core.KindInvalid, "action %d woke %s (Arrancar): wake it again with `aula computer wake %s` (nothing was retried)", id, a.Computer, a.Computer)
			}
			var again int64
			err = tx.QueryRowContext(ctx, m.t.q("SELECT id FROM lab_actions WHERE retry_of = ? ORDER BY id LIMIT 1"), id).Scan(&again)
			if err == nil {
				return core.Errorf(core.KindConflict, "action %d was already retried as action %d (retry that one; nothing was retried)", id, again)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			c, err := m.t.computer(ctx, tx, a.Computer)
			if errors.Is(err, sql.ErrNoRows) {
				return core.Errorf(core.KindNotFound, "action %d: computer %s was removed (nothing was retried)", id, a.Computer)
			}
			if err != nil {
				return err
			}
			if c.Maintenance {
				return core.Errorf(core.KindConflict, "action %d: computer %s is in maintenance (nothing was retried)", id, a.Computer)
			}
			var nid int64
			if err := tx.QueryRowContext(ctx, m.t.q("INSERT INTO lab_actions (launch, computer, lab, command, code, params, launcher, state, result, output, created_at, sent_at, finished_at, expires_at, retry_of) "+
				"VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, '', ?, '', '', ?, ?) RETURNING id"),
				out.Launch, c.Name, c.Lab, a.Command, a.Code, a.Params, who, queuedState(c), fmtTime(at), exp, id).Scan(&nid); err != nil {
				return err
			}
			out.Actions = append(out.Actions, LaunchedRow{ID: nid, Computer: c.Name})
			if out.Command == "" || out.Command == a.Command {
				out.Command = a.Command
			} else {
				out.Command = "(several)"
			}
			fresh = append(fresh, c.Name)
		}
		return m.t.bump(ctx, tx)
	})
	if err != nil {
		return Launched{}, kindError(err, "retrying actions")
	}
	m.queued(ctx, fresh)
	m.log.Debug("lab: actions retried", "by", who, "count", len(out.Actions), "launch", out.Launch)
	return out, nil
}

// isOpen reports whether an action in this state may still run.
func isOpen(state string) bool {
	return state == stateQueued || state == statePaused || state == stateSent
}
