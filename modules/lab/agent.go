package lab

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"aula/internal/core"
	"aula/modules/lab/labapi"
)

// The agent methods are called by the agent front end only (Transport
// "lab"), for an agent whose certificate names an enrolled computer. They
// are not audited (Mutates false): the action rows are their record, and
// auditing every probe of every agent would drown the audit trail.
func (m *Module) agentMethods() []core.Method {
	enrol := core.Func("agentEnrol", "Agent front end only: trades a one-time enrolment token for the computer's agent identity.", m.agentEnrol)
	enrol.Access, enrol.Secret = core.Public, []string{"token"}
	enrolEnd := core.Func("agentEnrolEnd", "Agent front end only: ends an enrolment: spends the token once the agent stored its certificate, or frees it for a retry.", m.agentEnrolEnd)
	enrolEnd.Access, enrolEnd.Secret = core.Public, []string{"claim"}
	hello := core.Func("agentHello", "Agent front end only: an agent connected and announced itself; returns its next action.", m.agentHello)
	next := core.Func("agentNext", "Agent front end only: claims the agent's next queued action.", m.agentNext)
	result := core.Func("agentResult", "Agent front end only: an agent's result for the action in flight; returns its next action.", m.agentResult)
	gone := core.Func("agentGone", "Agent front end only: an agent's connection ended.", m.agentGone)
	for _, me := range []*core.Method{&hello, &next, &result, &gone} {
		me.Access = core.Authenticated
	}
	return []core.Method{enrol, enrolEnd, hello, next, result, gone}
}

// fromAgentFrontEnd refuses calls that did not come through the agent
// listener: only it has seen the agent's certificate on a live connection.
func fromAgentFrontEnd(ctx context.Context) error {
	if c := core.CallFrom(ctx); c == nil || c.Transport != "lab" {
		return core.Errorf(core.KindPermission, "agent methods are only for the lab agent listener")
	}
	return nil
}

// agentComputer is the computer whose agent is calling. The name behind
// an identity is remembered for identityTTL: every call of every agent
// asks, and it changes only when a computer is enrolled again or removed
// (done in this process, that forgets at once; in another, it is noticed
// within identityTTL).
func (m *Module) agentComputer(ctx context.Context) (Computer, error) {
	if err := fromAgentFrontEnd(ctx); err != nil {
		return Computer{}, err
	}
	id := core.CallFrom(ctx).Caller.Identity
	if !strings.HasPrefix(id, labapi.IdentityPrefix) {
		return Computer{}, core.Errorf(core.KindPermission, "identity %q is not a lab agent", id)
	}
	if name, ok := m.idents.get(id); ok {
		return Computer{Name: name, Identity: id}, nil
	}
	c, err := m.t.computerByIdentity(ctx, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Computer{}, core.Errorf(core.KindPermission, "no enrolled computer has agent identity %q", id)
	}
	if err != nil {
		return Computer{}, storeError(err, "reading the computer")
	}
	m.idents.put(id, c.Name)
	return c, nil
}

// identityTTL bounds how long a remembered identity → computer holds.
const identityTTL = 5 * time.Second

// identCache remembers which computer an agent identity names.
type identCache struct {
	mu sync.Mutex
	m  map[string]identEntry
}

type identEntry struct {
	name    string
	expires time.Time
}

func (c *identCache) get(id string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok || time.Now().After(e.expires) {
		return "", false
	}
	return e.name, true
}

func (c *identCache) put(id, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 100000 {
		c.m = map[string]identEntry{}
	}
	c.m[id] = identEntry{name, time.Now().Add(identityTTL)}
}

// forget drops everything (a computer was enrolled, removed or moved).
func (c *identCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
}

func (m *Module) agentHello(ctx context.Context, in labapi.Hello) (labapi.Next, error) {
	c, err := m.agentComputer(ctx)
	if err != nil {
		return labapi.Next{}, err
	}
	hello, _ := json.Marshal(in)
	var out labapi.Next
	err = m.t.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		at := now()
		if err := m.t.hotExec(ctx, tx, "UPDATE lab_computers SET state = ?, seen_at = ?, hello = ? WHERE name = ?", agentIdle, fmtTime(at), string(hello), c.Name); err != nil {
			return err
		}
		if in.Serial != "" {
			// The certificate of an enrolment whose confirmation was lost:
			// the agent has it, so its token is spent.
			if err := m.t.hotExec(ctx, tx, "UPDATE lab_computers SET enrol_hash = '', enrol_expires = '', enrol_serial = '', enrol_claim = '', enrol_claim_until = '' WHERE name = ? AND enrol_serial = ?", c.Name, in.Serial); err != nil {
				return err
			}
		}
		d, err := m.t.claimNext(ctx, tx, c.Name, at)
		out = labapi.Next{Computer: c.Name, Delivery: d}
		return err
	})
	if err != nil {
		return labapi.Next{}, storeError(err, "recording the agent")
	}
	return out, nil
}

func (m *Module) agentNext(ctx context.Context, _ struct{}) (labapi.Next, error) {
	c, err := m.agentComputer(ctx)
	if err != nil {
		return labapi.Next{}, err
	}
	var out labapi.Next
	err = m.t.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		d, err := m.t.claimNext(ctx, tx, c.Name, now())
		out = labapi.Next{Computer: c.Name, Delivery: d}
		return err
	})
	if err != nil {
		return labapi.Next{}, storeError(err, "claiming the next action")
	}
	return out, nil
}

// AgentResultArgs is one RESPUESTA for an action.
type AgentResultArgs struct {
	Action int64             `json:"action"`
	Code   int               `json:"code,omitempty"`
	OK     bool              `json:"ok,omitempty"`
	Text   string            `json:"text,omitempty"`
	IP     string            `json:"ip,omitempty"`
	Params map[string]string `json:"params,omitempty"`
}

// maxOutput bounds what an action row keeps of a result.
const maxOutput = 64 << 10

// inventory kinds and the PARAM that carries each.
var inventoryParam = map[int]struct{ kind, param string }{
	labapi.CodeHardware: {"hardware", "hrd"},
	labapi.CodeSoftware: {"software", "sft"},
}

func (m *Module) agentResult(ctx context.Context, in AgentResultArgs) (labapi.Next, error) {
	c, err := m.agentComputer(ctx)
	if err != nil {
		return labapi.Next{}, err
	}
	var out labapi.Next
	state, result := stateFinished, resultOK
	if !in.OK {
		state, result = stateFailed, resultFailed
	}
	err = m.t.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out = labapi.Next{Computer: c.Name}
		at := now()
		// One statement checks that the action is this agent's and in
		// flight, and records it (a result runs per agent per command).
		var code int
		err := m.t.hotRow(ctx, tx, "UPDATE lab_actions SET state = ?, result = ?, output = ?, finished_at = ? "+
			"WHERE id = ? AND computer = ? AND state = 'sent' RETURNING code",
			state, result, resultOutput(in, inventoryParam[in.Code].param), fmtTime(at), in.Action, c.Name).Scan(&code)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.KindConflict, "action %d is not in flight on %s; result ignored", in.Action, c.Name)
		}
		if err != nil {
			return err
		}
		if inv, isInv := inventoryParam[code]; isInv && in.OK {
			body := in.Params[inv.param]
			if _, err := tx.ExecContext(ctx, m.t.q("INSERT INTO lab_inventory (computer, kind, taken_at, body) VALUES (?, ?, ?, ?) ON CONFLICT (computer, kind, taken_at) DO UPDATE SET body = excluded.body"),
				c.Name, inv.kind, fmtTime(at), body); err != nil {
				return err
			}
			output := strings.TrimSpace(resultOutput(in, inv.param) + "\n" + inv.kind + " inventory stored: " + strconv.Itoa(strings.Count(body, "\n")+1) + " lines")
			if _, err := tx.ExecContext(ctx, m.t.q("UPDATE lab_actions SET output = ? WHERE id = ?"), output, in.Action); err != nil {
				return err
			}
		}
		out.Delivery, err = m.t.claimNext(ctx, tx, c.Name, at)
		return err
	})
	if err != nil {
		return labapi.Next{}, kindError(err, "recording the result")
	}
	return out, nil
}

// resultOutput is what an action row keeps: the text, then the params
// (but the inventory body, stored apart), capped.
func resultOutput(in AgentResultArgs, skip string) string {
	var b strings.Builder
	b.WriteString(in.Text)
	keys := make([]string, 0, len(in.Params))
	for k := range in.Params {
		if k != skip {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(k + "=" + in.Params[k])
	}
	s := b.String()
	if len(s) > maxOutput {
		s = strings.ToValidUTF8(s[:maxOutput], "") + "\n[output cut at 64 KiB]"
	}
	return s
}

// AgentGoneArgs says an agent's connection ended: the action it had in
// flight (0: none) fails with the reason; Off is false when a newer
// connection of the same agent replaced this one.
// Unsent is an action a launch handed to the connection (marked sent)
// that it never wrote to the agent: it is queued again.
type AgentGoneArgs struct {
	Action int64  `json:"action,omitempty"`
	Unsent int64  `json:"unsent,omitempty"`
	Reason string `json:"reason"`
	Off    bool   `json:"off,omitempty"`
}

func (m *Module) agentGone(ctx context.Context, in AgentGoneArgs) (bool, error) {
	c, err := m.agentComputer(ctx)
	if err != nil {
		return false, err
	}
	err = m.t.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		at := now()
		if in.Action > 0 {
			if _, err := tx.ExecContext(ctx, m.t.q("UPDATE lab_actions SET state = ?, result = ?, output = ?, finished_at = ? WHERE id = ? AND computer = ? AND state = ?"),
				stateFailed, resultFailed, "agent disconnected mid-command: "+in.Reason, fmtTime(at), in.Action, c.Name, stateSent); err != nil {
				return err
			}
		}
		if in.Unsent > 0 {
			if _, err := tx.ExecContext(ctx, m.t.q("UPDATE lab_actions SET state = "+requeuedState+", sent_at = '' WHERE id = ? AND computer = ? AND state = ?"),
				in.Unsent, c.Name, stateSent); err != nil {
				return err
			}
		}
		if in.Off {
			return m.t.setState(ctx, tx, c.Name, agentOff, at)
		}
		return nil
	})
	if err != nil {
		return false, storeError(err, "recording the disconnection")
	}
	return true, nil
}
