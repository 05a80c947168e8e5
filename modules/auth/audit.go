package auth

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"aula/internal/core"
)

const (
	maxAuditArgs   = 2048 // bytes of JSON arguments kept per entry
	maxAuditMethod = 128
	maxAuditMsg    = 256
)

// auditEntry is one row of auth_audit.
type auditEntry struct {
	Identity, Via, Addr, Transport, Method string
	Args, Result, Message, RequestID       string
}

func kindName(k core.Kind) string { return k.String() }

// auditLink records every call of a state-changing method with its
// outcome, durably before the reply: the call's change and its audit row
// must survive a crash together.
//
// The row rides with the call's first durable write (a store rider, one
// transaction and one fsync for both), saying ok. When the call made no
// write, or its write failed, the link writes the row itself afterwards,
// as it always did; when the call failed after its write committed, the
// ridden row is replaced by one with the real outcome (one row per call;
// a follower of the trail sees the correction as a new row). See the
// decision log in docs/ARCHITECTURE.md.
func (m *Module) auditLink(ctx context.Context, c *core.Call, next core.Next) (any, error) {
	meth := c.Resolved()
	if meth == nil || !meth.Mutates {
		return next(ctx, c)
	}
	e, at, q := entryFor(c, meth, nil), fmtTime(time.Now()), m.q(qInsertAudit)
	var written auditEntry // what the rider stored, as row rowID
	var rowID int64
	rctx, rider := m.db.WithRider(ctx, func(tx *sql.Tx) (err error) {
		// The handler may have changed who the caller is before its
		// write (auth.login): the row names who made the change.
		written = e
		written.Identity, written.Via = c.Caller.Identity, c.Caller.Via
		rowID, err = m.insertAudit(tx, q, written, at)
		return err
	})
	out, err := next(rctx, c)
	final := withOutcome(e, c, err)
	final.Identity, final.Via = c.Caller.Identity, c.Caller.Via
	switch {
	case !rider.Finish():
		if rerr := rider.Err(); rerr != nil {
			m.log.Warn("audit row could not share the call's write; writing it on its own", "err", rerr, "id", c.ID)
		}
		m.record(ctx, final)
	case final != written:
		m.replace(ctx, rowID, final)
	}
	return out, err
}

// entryFor describes a call of meth and its outcome.
func entryFor(c *core.Call, meth *core.Method, err error) auditEntry {
	e := auditEntry{Identity: c.Caller.Identity, Via: c.Caller.Via, Addr: addrOf(c), Transport: c.Transport,
		Method: meth.Name, Args: auditArgs(meth, c), RequestID: c.ID}
	return withOutcome(e, c, err)
}

// withOutcome is e with the result of the call c: ok, the error's kind,
// or refused for a failure the handler answered in-band.
func withOutcome(e auditEntry, c *core.Call, err error) auditEntry {
	e.Result, e.Message = "ok", ""
	if err != nil {
		ce := core.AsError(err)
		e.Result, e.Message = kindName(ce.Kind), ce.Msg
	} else if c.InBandError != "" {
		e.Result, e.Message = "refused", c.InBandError
	}
	return prepared(e)
}

// prepared is e with its free-text fields clipped to what a row keeps.
func prepared(e auditEntry) auditEntry {
	e.Method = clip(e.Method, maxAuditMethod)
	e.Message = clip(e.Message, maxAuditMsg)
	return e
}

const qInsertAudit = `INSERT INTO auth_audit (at, identity, via, addr, transport, method, args, result, message, request_id)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// insertAudit adds e's row at time at with the statement q (qInsertAudit
// for the store's dialect) and returns its id. It runs on the store's
// writer goroutine, as a rider or in a write of its own, so everything
// else is computed before.
func (m *Module) insertAudit(tx *sql.Tx, q string, e auditEntry, at string) (int64, error) {
	ctx := context.Background() // a statement of a shared transaction is never interrupted
	st, err := m.db.TxStmt(ctx, tx, q)
	if err != nil {
		return 0, err
	}
	res, err := st.ExecContext(ctx, at, e.Identity, e.Via, e.Addr, e.Transport, e.Method, e.Args, e.Result, e.Message, e.RequestID)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// record writes an audit row through group commit. The action it
// describes has already happened, so a failed write cannot undo it: it
// is logged as an error instead, with the whole entry.
func (m *Module) record(ctx context.Context, e auditEntry) {
	e, at, q := prepared(e), fmtTime(time.Now()), m.q(qInsertAudit)
	m.logUnwritten(m.db.Write(context.WithoutCancel(ctx), func(tx *sql.Tx) error {
		_, err := m.insertAudit(tx, q, e, at)
		return err
	}), e)
}

// replace swaps the row old, which a rider wrote saying ok, for one with
// the call's real outcome.
func (m *Module) replace(ctx context.Context, old int64, e auditEntry) {
	at, q, del := fmtTime(time.Now()), m.q(qInsertAudit), m.q(`DELETE FROM auth_audit WHERE id = ?`)
	m.logUnwritten(m.db.Write(context.WithoutCancel(ctx), func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(context.Background(), del, old); err != nil {
			return err
		}
		_, err := m.insertAudit(tx, q, e, at)
		return err
	}), e)
}

func (m *Module) logUnwritten(err error, e auditEntry) {
	if err != nil {
		m.log.Error("audit record not written", "err", err, "identity", e.Identity, "addr", e.Addr,
			"method", e.Method, "args", e.Args, "result", e.Result, "id", e.RequestID)
	}
}

// isSecretName reports parameter names whose values are never recorded.
func isSecretName(meth *core.Method, name string) bool {
	if slices.Contains(meth.Secret, name) {
		return true
	}
	n := strings.ToLower(name)
	return strings.Contains(n, "password") || strings.Contains(n, "token") || strings.Contains(n, "secret")
}

// auditArgs renders a call's arguments as JSON without secrets: named
// arguments (and positional ones, by their parameter names) called
// password, token or secret, or listed in Method.Secret, are dropped, at
// any depth.
func auditArgs(meth *core.Method, c *core.Call) string {
	if s, ok := plainArgs(meth, c); ok {
		return s
	}
	return jsonArgs(meth, c)
}

// jsonArgs is auditArgs for any call, through encoding/json.
func jsonArgs(meth *core.Method, c *core.Call) string {
	var v any
	switch {
	case c.Named != nil:
		v = scrub(meth, c.Named)
	case len(meth.Params) > 0:
		named := map[string]any{}
		var extra []any
		for i, a := range c.Args {
			if i < len(meth.Params) {
				named[meth.Params[i].Name] = a
			} else {
				extra = append(extra, a)
			}
		}
		if extra != nil {
			named["(extra)"] = extra
		}
		v = scrub(meth, named)
	default:
		v = scrub(meth, c.Args)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return `"(arguments not representable as JSON)"`
	}
	return clip(string(b), maxAuditArgs)
}

func scrub(meth *core.Method, v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			if !isSecretName(meth, k) {
				out[k] = scrub(meth, x)
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = scrub(meth, x)
		}
		return out
	}
	return v
}

// clip shortens s to at most n bytes on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n-3]
	for !utf8.ValidString(s) && len(s) > 0 {
		s = s[:len(s)-1]
	}
	return s + "..."
}
