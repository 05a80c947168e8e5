package auth

import (
	"context"
	"strconv"
	"strings"
	"time"

	"aula/internal/core"
)

const (
	defaultAuditLimit = 1000
	maxAuditLimit     = 10000
)

// AuditEntry is one recorded call, as auth.audit returns it.
type AuditEntry struct {
	ID        int64  `json:"id"`
	At        string `json:"at"`
	Identity  string `json:"identity"`
	Via       string `json:"via"`
	Addr      string `json:"addr"`
	Transport string `json:"transport"`
	Method    string `json:"method"`
	Args      string `json:"args"`
	Result    string `json:"result"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
}

type auditQuery struct {
	Since string `json:"since,omitempty"`
	After int64  `json:"after,omitempty"`
	Limit int    `json:"limit,omitempty"`
}

// parseSince reads "90m", "7d", "2024-05-01", "2024-05-01 08:00" or an
// RFC 3339 time; "" means from the beginning.
func parseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, core.Errorf(core.KindInvalid, "since %q: want a duration (90m, 7d) or a time (2024-05-01, 2024-05-01 08:00, RFC 3339)", s)
}

// qAudit reads the trail. It walks the rowid from after and filters on
// at, needing no index on at (TestAuditQueryWalksTheRowid).
const qAudit = `SELECT id, at, identity, via, addr, transport, method, args, result, message, request_id
	FROM auth_audit WHERE id > ? AND at >= ? ORDER BY id LIMIT ?`

func (m *Module) auditMethod() core.Method {
	me := core.Func("audit",
		"Returns audit entries, oldest first: since a duration ago (90m, 7d) or a time, and/or after an entry id (to page or follow); at most limit (default 1000, at most 10000).",
		func(ctx context.Context, in auditQuery) ([]AuditEntry, error) {
			since, err := parseSince(in.Since, time.Now())
			if err != nil {
				return nil, err
			}
			limit := in.Limit
			if limit <= 0 {
				limit = defaultAuditLimit
			}
			limit = min(limit, maxAuditLimit)
			rows, err := m.db.Reader().QueryContext(ctx, m.q(qAudit), in.After, fmtTime(since), limit)
			if err != nil {
				return nil, core.StoreError(err, "reading the audit trail")
			}
			defer rows.Close()
			out := []AuditEntry{}
			for rows.Next() {
				var e AuditEntry
				if err := rows.Scan(&e.ID, &e.At, &e.Identity, &e.Via, &e.Addr, &e.Transport, &e.Method, &e.Args,
					&e.Result, &e.Message, &e.RequestID); err != nil {
					return nil, core.StoreError(err, "reading the audit trail")
				}
				out = append(out, e)
			}
			return out, core.StoreError(rows.Err(), "reading the audit trail")
		})
	me.Access = core.Admin
	return me
}
