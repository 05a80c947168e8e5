package auth

import (
	"database/sql"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"aula/internal/auth/acl"
	"aula/internal/core"
	"aula/internal/store/storetest"
)

func TestAuditTrail(t *testing.T) {
	e := newEnv(t)
	e.addUser("alice", "alice-password", "admin")
	e.addUser("bob", "bob-password")
	alice, bob := basic("alice", "alice-password"), basic("bob", "bob-password")
	steps := []netCall{
		// positional, with the secret parameter and a nested password
		{method: "authtest.put", authz: alice, args: []any{"k1", "s3cret", map[string]any{"password": "p", "note": "n", "api_token": "t"}}},
		// named
		{method: "authtest.put", authz: alice, named: map[string]any{"key": "k2", "secret_value": "s3cret"}},
		{method: "authtest.put", authz: bob, named: map[string]any{"key": "k3"}},                                // denied
		{method: "authtest.put", named: map[string]any{"key": "k4"}},                                            // anonymous
		{method: "authtest.put", authz: basic("alice", "bad-password"), named: map[string]any{"key": "k5"}},     // failed auth
		{method: "authtest.fail", authz: alice},                                                                 // handler error
		{method: "authtest.public"},                                                                             // not mutating: not audited
		{method: "auth.login", args: []any{"alice", "alice-password"}},                                          // password dropped
		{method: "authtest.put", authz: alice, args: []any{"k6", "x", map[string]any{"deep": []any{"\u00e9"}}}}, // utf-8 survives
	}
	for _, s := range steps {
		e.call(s)
	}
	var lines []string
	for _, a := range e.audit() {
		if a.Transport != "rest" {
			continue
		}
		lines = append(lines, strings.Join([]string{a.Identity, a.Via, a.Addr, a.Method, a.Args, a.Result}, " | "))
		if a.RequestID == "" || a.At == "" || a.ID == 0 {
			t.Errorf("entry without id/time: %+v", a)
		}
	}
	want := []string{
		`alice | password | 192.0.2.10 | authtest.put | {"extra":{"note":"n"},"key":"k1"} | ok`,
		`alice | password | 192.0.2.10 | authtest.put | {"key":"k2"} | ok`,
		`bob | password | 192.0.2.10 | authtest.put | {"key":"k3"} | permission denied`,
		` |  | 192.0.2.10 | authtest.put | {"key":"k4"} | unauthenticated`,
		`alice | password | 192.0.2.10 | authtest.put |  | unauthenticated`,
		`alice | password | 192.0.2.10 | authtest.fail | [] | conflict`,
		`alice | password | 192.0.2.10 | auth.login | {"user":"alice"} | ok`,
		`alice | password | 192.0.2.10 | authtest.put | {"extra":{"deep":["é"]},"key":"k6"} | ok`,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit trail:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	for _, a := range e.audit() {
		if strings.Contains(a.Args, "s3cret") || strings.Contains(a.Args, "password\"") || strings.Contains(a.Args, "alice-password") {
			t.Fatalf("secret in the audit trail: %+v", a)
		}
	}
}

func TestAuditQuery(t *testing.T) {
	e := newEnv(t)
	e.addUser("a1", "password-1")
	e.addUser("a2", "password-2")
	all := e.audit()
	if len(all) != 2 {
		t.Fatalf("%d entries", len(all))
	}
	after := e.mustLocal("auth.audit", map[string]any{"after": int(all[0].ID)}).([]AuditEntry)
	if len(after) != 1 || after[0].ID != all[1].ID {
		t.Fatalf("after: %+v", after)
	}
	if got := e.mustLocal("auth.audit", map[string]any{"since": "1h"}).([]AuditEntry); len(got) != 2 {
		t.Fatalf("since 1h: %d", len(got))
	}
	future := time.Now().Add(time.Hour).Format("2006-01-02 15:04")
	if got := e.mustLocal("auth.audit", map[string]any{"since": future}).([]AuditEntry); len(got) != 0 {
		t.Fatalf("since the future: %d", len(got))
	}
	if got := e.mustLocal("auth.audit", map[string]any{"limit": 1}).([]AuditEntry); len(got) != 1 {
		t.Fatalf("limit 1: %d", len(got))
	}
	if _, err := e.local("auth.audit", map[string]any{"since": "yesterday-ish"}); kindOf(err) != "invalid" {
		t.Fatalf("bad since: %v", err)
	}
}

// The trail's one query walks the rowid from its id and filters on at,
// so no index on at is kept up to date by every audited call (migration
// 0004 dropped the one that was): with rows of many days in the table,
// asking from the start for a recent since still searches by rowid.
func TestAuditQueryWalksTheRowid(t *testing.T) {
	e := newEnv(t)
	err := e.db.Write(t.Context(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n WHERE x < 3000)
			INSERT INTO auth_audit (at, identity, via, addr, transport, method, args, result, message, request_id)
			SELECT printf('2026-11-%02dT08:00:00.000000Z', 1 + x / 120), '', '', '', 'test', 'm', '[]', 'ok', '', 'r' FROM n`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var indexes int
	if err := e.db.Reader().QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'auth_audit'`).Scan(&indexes); err != nil {
		t.Fatal(err)
	}
	if indexes != 0 {
		t.Errorf("auth_audit has %d indexes, want none (0004 drops auth_audit_at)", indexes)
	}
	for _, args := range [][]any{{0, "2026-11-25T00:00:00.000000Z", 1000}, {2990, "", 10}} {
		if p := storetest.QueryPlan(t, e.db, qAudit, args...); !strings.Contains(p, "INTEGER PRIMARY KEY (rowid>?)") || strings.Contains(p, "SCAN") {
			t.Errorf("plan for %v: %s; want a search by rowid", args, p)
		}
	}
	got := e.mustLocal("auth.audit", map[string]any{"since": "2026-11-25T00:00:00Z", "limit": 5}).([]AuditEntry)
	if len(got) != 5 || got[0].At != "2026-11-25T08:00:00.000000Z" {
		t.Fatalf("since 2026-11-25: %+v", got)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2024, 5, 10, 12, 0, 0, 0, time.Local)
	cases := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"", time.Time{}, true},
		{"90m", now.Add(-90 * time.Minute), true},
		{"7d", now.Add(-7 * 24 * time.Hour), true},
		{"2024-05-01", time.Date(2024, 5, 1, 0, 0, 0, 0, time.Local), true},
		{"2024-05-01 08:30", time.Date(2024, 5, 1, 8, 30, 0, 0, time.Local), true},
		{"2024-05-01T08:30:00Z", time.Date(2024, 5, 1, 8, 30, 0, 0, time.UTC), true},
		{"-5m", time.Time{}, false},
		{"xd", time.Time{}, false},
		{"soon", time.Time{}, false},
	}
	for _, tc := range cases {
		got, err := parseSince(tc.in, now)
		if (err == nil) != tc.ok || (tc.ok && !got.Equal(tc.want)) {
			t.Errorf("parseSince(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestClip(t *testing.T) {
	if got := clip(strings.Repeat("é", 10), 8); got != "éé..." || len(got) > 8 {
		t.Fatalf("clip: %q", got)
	}
	long := auditArgs(&core.Method{Variadic: true}, &core.Call{Args: []any{strings.Repeat("x", 5000)}})
	if len(long) > maxAuditArgs || !strings.HasSuffix(long, "...") {
		t.Fatalf("long args: %d bytes", len(long))
	}
}

// TestReadmePolicyParses keeps the README's example policy valid.
func TestReadmePolicyParses(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)\n    # action.*?\n\n`).Find(b)
	if m == nil {
		t.Fatal("no example policy in README.md")
	}
	p, err := acl.Parse(strings.NewReader(string(m)), "README.md")
	if err != nil {
		t.Fatalf("README policy: %v", err)
	}
	if p.Len() < 5 {
		t.Fatalf("README policy has %d rules", p.Len())
	}
}
