package lab

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"aula/internal/store"
	"aula/modules/lab/labapi"
)

// Computer is one computer as stored.
type Computer struct {
	Name        string `json:"name"`
	Lab         string `json:"lab"`
	Group       string `json:"group"`
	MAC         string `json:"mac"`
	IP          string `json:"ip"`
	Identity    string `json:"identity"`
	Maintenance bool   `json:"maintenance"`
	State       string `json:"state"` // off, booting, idle, busy
	SeenAt      string `json:"seen_at"`
	Hello       string `json:"hello"` // the agent's last announcement, JSON
	AddedAt     string `json:"added_at"`
	Enrolling   bool   `json:"enrolling"`            // an enrolment token is pending
	BootUntil   string `json:"boot_until,omitempty"` // woken: booting until its agent connects or this time
	PausedBy    string `json:"paused_by,omitempty"`  // who paused its queue ("": not paused)
}

// Action is one action row.
type Action struct {
	ID         int64  `json:"id"`
	Launch     string `json:"launch"`
	Computer   string `json:"computer"`
	Lab        string `json:"lab"`
	Command    string `json:"command"`
	Code       int    `json:"code"`
	Params     string `json:"params"` // JSON object
	Launcher   string `json:"launcher"`
	State      string `json:"state"`
	Result     int    `json:"result"` // 0 none, 1 ok, 2 failed
	Output     string `json:"output"`
	CreatedAt  string `json:"created_at"`
	SentAt     string `json:"sent_at"`
	FinishedAt string `json:"finished_at"`
	ExpiresAt  string `json:"expires_at"`
	RetryOf    int64  `json:"retry_of,omitempty"` // the failed or expired action this one retries
}

// Action states and results.
const (
	stateQueued   = "queued"
	stateSent     = "sent"
	stateFinished = "finished"
	stateFailed   = "failed"
	stateExpired  = "expired"

	resultNone   = 0
	resultOK     = 1
	resultFailed = 2
)

// Computer states as the server saw the agent (stored: off, idle; busy is
// derived from a sent action).
const (
	agentOff     = "off"
	agentBooting = "booting" // woken (Wake-on-LAN), its agent not connected yet
	agentIdle    = "idle"
	agentBusy    = "busy"
)

// tables is the module's SQL.
type tables struct {
	db *store.DB
	d  store.Dialect

	identOnce sync.Once
	identStmt *sql.Stmt // computerByIdentity's, prepared once: every agent call may ask
	identErr  error
}

func newTables(db *store.DB) *tables { return &tables{db: db, d: db.Dialect()} }

func (t *tables) q(s string) string { return t.d.Rebind(s) }

// write runs fn in a write transaction (group commit).
func (t *tables) write(ctx context.Context, fn func(context.Context, *sql.Tx) error) error {
	return t.db.Write(ctx, func(tx *sql.Tx) error { return fn(context.WithoutCancel(ctx), tx) })
}

var errNoRows = sql.ErrNoRows

// hotRow runs a statement of the agents' hot path (claim, result, hello)
// through the store's statement cache: parsing it again on every call was
// the biggest cost of a probe round (bench/labbench profile).
func (t *tables) hotRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	st, err := t.db.TxStmt(ctx, tx, t.q(query))
	if err != nil {
		return tx.QueryRowContext(ctx, t.q(query), args...) // reports the error through Scan
	}
	return st.QueryRowContext(ctx, args...)
}

func (t *tables) hotExec(ctx context.Context, tx *sql.Tx, query string, args ...any) error {
	st, err := t.db.TxStmt(ctx, tx, t.q(query))
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx, args...)
	return err
}

// computerCols reads a computer; an agent that is on is busy while one of
// its actions is sent (derived, so a result costs no write to the
// computer's row).
const computerCols = "name, lab, grp, mac, ip, identity, maintenance, " +
	"CASE WHEN state <> 'off' AND EXISTS (SELECT 1 FROM lab_actions a WHERE a.computer = lab_computers.name AND a.state = 'sent') THEN 'busy' ELSE state END, " +
	"seen_at, hello, added_at, enrol_hash <> '', boot_until, paused_by"

func scanComputer(row interface{ Scan(...any) error }) (Computer, error) {
	var c Computer
	var maint int
	err := row.Scan(&c.Name, &c.Lab, &c.Group, &c.MAC, &c.IP, &c.Identity, &maint, &c.State, &c.SeenAt, &c.Hello, &c.AddedAt, &c.Enrolling, &c.BootUntil, &c.PausedBy)
	c.Maintenance = maint != 0
	c.State = bootState(c.State, c.BootUntil, now())
	return c, err
}

// computers lists computers matching a filter (empty fields match all).
func (t *tables) computers(ctx context.Context, q querier, lab, group, name string) ([]Computer, error) {
	where, args := []string{"1 = 1"}, []any{}
	for _, f := range []struct{ col, v string }{{"lab", lab}, {"grp", group}, {"name", name}} {
		if f.v != "" {
			where = append(where, f.col+" = ?")
			args = append(args, f.v)
		}
	}
	rows, err := q.QueryContext(ctx, t.q("SELECT "+computerCols+" FROM lab_computers WHERE "+strings.Join(where, " AND ")+" ORDER BY lab, grp, name"), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Computer
	for rows.Next() {
		c, err := scanComputer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func (t *tables) computer(ctx context.Context, q querier, name string) (Computer, error) {
	return scanComputer(q.QueryRowContext(ctx, t.q("SELECT "+computerCols+" FROM lab_computers WHERE name = ?"), name))
}

func (t *tables) computerByIdentity(ctx context.Context, identity string) (Computer, error) {
	const query = "SELECT " + computerCols + " FROM lab_computers WHERE identity = ? AND identity <> ''"
	t.identOnce.Do(func() { t.identStmt, t.identErr = t.db.Reader().PrepareContext(context.WithoutCancel(ctx), t.q(query)) })
	if t.identErr != nil {
		return scanComputer(t.db.Reader().QueryRowContext(ctx, t.q(query), identity))
	}
	return scanComputer(t.identStmt.QueryRowContext(ctx, identity))
}

func (t *tables) insertComputer(ctx context.Context, tx *sql.Tx, c Computer) error {
	_, err := tx.ExecContext(ctx, t.q("INSERT INTO lab_computers (name, lab, grp, mac, ip, identity, maintenance, enrol_hash, enrol_expires, state, seen_at, hello, added_at) "+
		"VALUES (?, ?, ?, ?, ?, '', 0, '', '', 'off', '', '', ?)"), c.Name, c.Lab, c.Group, c.MAC, c.IP, c.AddedAt)
	return err
}

func (t *tables) labExists(ctx context.Context, q querier, lab string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, t.q("SELECT COUNT(*) FROM lab_labs WHERE name = ?"), lab).Scan(&n)
	return n > 0, err
}

// bump advances the launch generation inside tx.
func (t *tables) bump(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, "UPDATE lab_meta SET value = value + 1 WHERE name = 'generation'")
	return err
}

func (t *tables) generation(ctx context.Context) (int64, error) {
	var g int64
	err := t.db.Reader().QueryRowContext(ctx, "SELECT value FROM lab_meta WHERE name = 'generation'").Scan(&g)
	return g, err
}

// restarted fails every sent action (their connections died with the
// last server) and sets every computer off (but those booting: their
// machines were woken and are coming up, with or without this server).
func (t *tables) restarted(ctx context.Context, at time.Time) (int64, error) {
	var n int64
	err := t.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, t.q("UPDATE lab_actions SET state = ?, result = ?, output = ?, finished_at = ? WHERE state = ?"),
			stateFailed, resultFailed, reasonRestart, fmtTime(at), stateSent)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, t.q("UPDATE lab_computers SET state = ? WHERE state NOT IN (?, ?)"), agentOff, agentOff, agentBooting)
		return err
	})
	return n, err
}

// expire marks queued actions past their time expired.
func (t *tables) expire(ctx context.Context, at time.Time) (int64, error) {
	// Look first: the sweep runs every second, and an idle server should
	// not commit (and fsync) an empty transaction each time.
	var one int
	err := t.db.Reader().QueryRowContext(ctx, t.q("SELECT 1 FROM lab_actions WHERE state = ? AND expires_at <= ? LIMIT 1"), stateQueued, fmtTime(at)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var n int64
	err = t.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, t.q("UPDATE lab_actions SET state = ?, result = ?, output = 'not delivered in time (the agent was off or busy)', finished_at = ? WHERE state = ? AND expires_at <= ?"),
			stateExpired, resultFailed, fmtTime(at), stateQueued, fmtTime(at))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// queuedComputers lists the computers with queued actions.
func (t *tables) queuedComputers(ctx context.Context) ([]string, error) {
	rows, err := t.db.Reader().QueryContext(ctx, t.q("SELECT DISTINCT computer FROM lab_actions WHERE state = ?"), stateQueued)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// requeuedState is the state of an action handed to an agent that never
// got it, in an UPDATE of lab_actions: queued, or paused when its
// computer's queue is (as queuedState).
const requeuedState = "CASE WHEN EXISTS (SELECT 1 FROM lab_computers p WHERE p.name = lab_actions.computer AND p.paused_by <> '') THEN 'paused' ELSE 'queued' END"

// requeueUnsent queues again the actions a launch handed to an agent that
// was gone before they could be written to it: sent actions of computers
// that are off (an agent's end fails the action it had in flight, so no
// other sent action of an off computer reached its agent).
func (t *tables) requeueUnsent(ctx context.Context) (int64, error) {
	const where = "state = ? AND computer IN (SELECT name FROM lab_computers WHERE state = ?)"
	var one int
	err := t.db.Reader().QueryRowContext(ctx, t.q("SELECT 1 FROM lab_actions WHERE "+where+" LIMIT 1"), stateSent, agentOff).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil // as expire: no empty commit every second
	}
	if err != nil {
		return 0, err
	}
	var n int64
	err = t.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, t.q("UPDATE lab_actions SET state = "+requeuedState+", sent_at = '' WHERE "+where), stateSent, agentOff)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// openComputers is every computer with an action queued or sent: a
// launch hands its action straight to an idle agent only if nothing else
// of that agent's waits before it.
func (t *tables) openComputers(ctx context.Context, tx *sql.Tx) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, t.q("SELECT DISTINCT computer FROM lab_actions WHERE state IN (?, ?)"), stateQueued, stateSent)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out[c] = true
	}
	return out, rows.Err()
}

// claimNext marks the oldest deliverable queued action of a computer sent
// and returns it (Action 0: none), in one statement: it runs for every
// result an agent reports. Actions past their time are left to the
// expiry sweep; a computer in maintenance gets nothing.
func (t *tables) claimNext(ctx context.Context, tx *sql.Tx, computer string, at time.Time) (labapi.Delivery, error) {
	var d labapi.Delivery
	var params string
	err := t.hotRow(ctx, tx, ("UPDATE lab_actions SET state = 'sent', sent_at = ? "+
		"WHERE id = (SELECT id FROM lab_actions WHERE computer = ? AND state = 'queued' AND expires_at > ? ORDER BY id LIMIT 1) "+
		"AND NOT EXISTS (SELECT 1 FROM lab_computers WHERE name = ? AND maintenance <> 0) "+
		"RETURNING id, code, command, params"), fmtTime(at), computer, fmtTime(at), computer).Scan(&d.Action, &d.Code, &d.Name, &params)
	if errors.Is(err, sql.ErrNoRows) {
		return labapi.Delivery{}, nil
	}
	if err != nil {
		return d, err
	}
	if err := json.Unmarshal([]byte(params), &d.Params); err != nil {
		return d, fmt.Errorf("action %d: stored params: %w", d.Action, err)
	}
	return d, nil
}

// setState records what the server sees of a computer's agent.
func (t *tables) setState(ctx context.Context, tx *sql.Tx, computer, state string, at time.Time) error {
	_, err := tx.ExecContext(ctx, t.q("UPDATE lab_computers SET state = ?, seen_at = ? WHERE name = ?"), state, fmtTime(at), computer)
	return err
}

const actionCols = "id, launch, computer, lab, command, code, params, launcher, state, result, output, created_at, sent_at, finished_at, expires_at, retry_of"

func scanAction(row interface{ Scan(...any) error }) (Action, error) {
	var a Action
	err := row.Scan(&a.ID, &a.Launch, &a.Computer, &a.Lab, &a.Command, &a.Code, &a.Params, &a.Launcher, &a.State, &a.Result, &a.Output,
		&a.CreatedAt, &a.SentAt, &a.FinishedAt, &a.ExpiresAt, &a.RetryOf)
	return a, err
}
