package auth

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"aula/internal/core"
	"aula/internal/store"
)

// The audittest module's state-changing methods write through the store
// as a module's handler does, knowing nothing of the audit.
func init() {
	core.Register(core.ModuleInfo{ID: "audittest", New: func() core.Module { return &auditTestModule{} }})
}

type auditTestModule struct{ db *store.DB }

type auditTestIn struct {
	Key string `json:"key"`
}

func (m *auditTestModule) Methods() []core.Method {
	put := func(ctx context.Context, key string) error { return m.db.KV("audittest").Put(ctx, key, []byte("v")) }
	write := core.Func("write", "", func(ctx context.Context, in auditTestIn) (bool, error) {
		return true, put(ctx, in.Key)
	})
	writeFail := core.Func("write_then_fail", "", func(ctx context.Context, in auditTestIn) (bool, error) {
		if err := put(ctx, in.Key); err != nil {
			return false, err
		}
		return false, core.Errorf(core.KindConflict, "failed after writing")
	})
	refused := core.Func("write_refused", "", func(ctx context.Context, in auditTestIn) (bool, error) {
		err := m.db.Write(ctx, func(tx *sql.Tx) error { return errors.New("refused by the write function") })
		return false, core.StoreError(err, "writing")
	})
	inBand := core.Func("write_then_refuse", "", func(ctx context.Context, in auditTestIn) (bool, error) {
		if err := put(ctx, in.Key); err != nil {
			return false, err
		}
		core.CallFrom(ctx).InBandError = "refused in the reply"
		return false, nil
	})
	meths := []core.Method{write, writeFail, refused, inBand}
	for i := range meths {
		meths[i].Mutates = true
	}
	return meths
}

// auditRider returns the env with the audittest module's store set.
func auditRider(t *testing.T) *env {
	e := newEnv(t)
	mod, _ := e.app.Module("audittest")
	mod.(*auditTestModule).db = e.db
	return e
}

// rowsOf returns the audit entries of request id.
func (e *env) rowsOf(id string) []AuditEntry {
	var out []AuditEntry
	for _, a := range e.audit() {
		if a.RequestID == id {
			out = append(out, a)
		}
	}
	return out
}

func (e *env) stored(key string) bool {
	_, ok, err := e.db.KV("audittest").Get(context.Background(), key)
	if err != nil {
		e.t.Fatal(err)
	}
	return ok
}

// The audit row of a call that writes commits with the call's write: one
// commit, one row saying ok.
func TestAuditRowRidesWithTheWrite(t *testing.T) {
	e := auditRider(t)
	before := e.db.Stats()
	c, _, err := e.call(netCall{method: "audittest.write", named: map[string]any{"key": "k1"}})
	if err != nil {
		t.Fatal(err)
	}
	st := e.db.Stats()
	if n, r := st.Commits-before.Commits, st.Riders-before.Riders; n != 1 || r != 1 {
		t.Errorf("a call that writes made %d commits, %d riders; want its write and audit row in 1 commit", n, r)
	}
	rows := e.rowsOf(c.ID)
	if len(rows) != 1 || rows[0].Result != "ok" || rows[0].Method != "audittest.write" || rows[0].Args != `{"key":"k1"}` ||
		rows[0].Addr != "192.0.2.10" || rows[0].Transport != "rest" || rows[0].At == "" {
		t.Fatalf("audit rows of the call = %+v, want one ok row", rows)
	}
	if !e.stored("k1") {
		t.Fatal("the call's write is missing")
	}
}

// A call that fails after its write committed is audited once, with its
// real outcome; a call whose write failed, once, by the link itself.
func TestAuditRowOutcomeAfterTheWrite(t *testing.T) {
	e := auditRider(t)
	c, _, err := e.call(netCall{method: "audittest.write_then_fail", named: map[string]any{"key": "k2"}})
	if kindOf(err) != "conflict" {
		t.Fatalf("write_then_fail: %v", err)
	}
	rows := e.rowsOf(c.ID)
	if len(rows) != 1 || rows[0].Result != "conflict" || rows[0].Message != "failed after writing" || rows[0].Args != `{"key":"k2"}` {
		t.Fatalf("audit rows = %+v, want one conflict row", rows)
	}
	if !e.stored("k2") {
		t.Fatal("the committed write of the failed call is missing")
	}

	c, _, err = e.call(netCall{method: "audittest.write_then_refuse", named: map[string]any{"key": "k5"}})
	if err != nil {
		t.Fatal(err)
	}
	if rows := e.rowsOf(c.ID); len(rows) != 1 || rows[0].Result != "refused" || rows[0].Message != "refused in the reply" {
		t.Fatalf("audit rows = %+v, want one refused row", rows)
	}

	c, _, err = e.call(netCall{method: "audittest.write_refused", named: map[string]any{"key": "k3"}})
	if err == nil {
		t.Fatal("write_refused succeeded")
	}
	rows = e.rowsOf(c.ID)
	if len(rows) != 1 || rows[0].Result != kindOf(err) {
		t.Fatalf("audit rows = %+v, want one %s row", rows, kindOf(err))
	}
}

// An audit row that cannot be written (here a trigger refuses it) fails
// neither the call nor its write, and the next call is audited as usual.
func TestAuditRiderFailureKeepsTheCallsWrite(t *testing.T) {
	e := auditRider(t)
	if err := e.db.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`CREATE TRIGGER audittest_poison BEFORE INSERT ON auth_audit WHEN NEW.args LIKE '%poison%'
			BEGIN SELECT RAISE(ABORT, 'poisoned audit row'); END`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	before := e.db.Stats()
	c, out, err := e.call(netCall{method: "audittest.write", named: map[string]any{"key": "poison"}})
	if err != nil || out != true {
		t.Fatalf("the call failed with its audit row: %v %v", out, err)
	}
	if !e.stored("poison") {
		t.Fatal("the call's write was lost with its audit row")
	}
	if rows := e.rowsOf(c.ID); len(rows) != 0 {
		t.Fatalf("a refused audit row was stored: %+v", rows)
	}
	if r := e.db.Stats().Riders - before.Riders; r != 0 {
		t.Fatalf("%d riders committed, want 0", r)
	}
	c, _, err = e.call(netCall{method: "audittest.write", named: map[string]any{"key": "k4"}})
	if err != nil {
		t.Fatal(err)
	}
	if rows := e.rowsOf(c.ID); len(rows) != 1 || rows[0].Result != "ok" {
		t.Fatalf("audit rows of the next call = %+v", rows)
	}
}
