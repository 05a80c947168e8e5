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

// auditLink records every call of a state-changing method, after it ran,
// with its outcome.
func (m *Module) auditLink(ctx context.Context, c *core.Call, next core.Next) (any, error) {
	meth := c.Resolved()
	if meth == nil || !meth.Mutates {
		return next(ctx, c)
	}
	out, err := next(ctx, c)
	m.record(ctx, entryFor(c, meth, err))
	return out, err
}

// entryFor describes a call of meth and its outcome.
func entryFor(c *core.Call, meth *core.Method, err error) auditEntry {
	e := auditEntry{Identity: c.Caller.Identity, Via: c.Caller.Via, Addr: addrOf(c), Transport: c.Transport,
		Method: meth.Name, Args: auditArgs(meth, c), Result: "ok", RequestID: c.ID}
	if err != nil {
		ce := core.AsError(err)
		e.Result, e.Message = kindName(ce.Kind), ce.Msg
	} else if c.InBandError != "" {
		e.Result, e.Message = "refused", c.InBandError
	}
	return e
}

// record writes an audit row through group commit. The action it
// describes has already happened, so a failed write cannot undo it: it
// is logged as an error instead, with the whole entry.
func (m *Module) record(ctx context.Context, e auditEntry) {
	e.Method = clip(e.Method, maxAuditMethod)
	e.Message = clip(e.Message, maxAuditMsg)
	now := fmtTime(time.Now())
	err := m.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, m.q(`INSERT INTO auth_audit (at, identity, via, addr, transport, method, args, result, message, request_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			now, e.Identity, e.Via, e.Addr, e.Transport, e.Method, e.Args, e.Result, e.Message, e.RequestID)
		return err
	})
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
