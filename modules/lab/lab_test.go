package lab

import (
	"strings"
	"testing"

	"aula/internal/core"
	"aula/modules/lab/labapi"
)

func setupLab(h *harness, computers ...string) {
	h.mustCall("lab.labAdd", map[string]any{"name": "aula1", "centre": "campus"})
	for _, c := range computers {
		h.mustCall("lab.computerAdd", map[string]any{"name": c, "lab": "aula1"})
	}
}

func TestImportAllOrNothing(t *testing.T) {
	h := newHarness(t, "")
	setupLab(h)
	_, err := h.call("lab.computerImport", map[string]any{"csv": "name,mac,ip,lab\npc1,00:11:22:33:44:55,10.0.0.1,aula1\npc2,zz,10.0.0.2,aula1\npc3,,10.0.0.300,aula1\npc1,,,aula1\n"})
	if err == nil {
		t.Fatal("bad import accepted")
	}
	for _, want := range []string{"line 3: MAC", "line 4: IP", "line 5: computer \"pc1\" already on line 2"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	// A line naming a lab that does not exist fails in the transaction: still nothing.
	_, err = h.call("lab.computerImport", map[string]any{"csv": "pc1,001122334455,10.0.0.1,aula1\npc2,,,nolab\n"})
	if err == nil || !strings.Contains(err.Error(), "line 2: no lab") {
		t.Fatalf("got %v", err)
	}
	if cs := h.mustCall("lab.computerList", nil).([]Computer); len(cs) != 0 {
		t.Fatalf("half an import stored: %+v", cs)
	}
	out := h.mustCall("lab.computerImport", map[string]any{"csv": "pc1,001122334455,10.0.0.1,aula1,row1\npc2,,,aula1\n"}).(ImportReply)
	if out.Added != 2 {
		t.Fatalf("added %d", out.Added)
	}
	c := h.mustCall("lab.computerShow", map[string]any{"name": "pc1"}).(ComputerDetail)
	if c.MAC != "00:11:22:33:44:55" || c.Group != "row1" || c.State != "off" {
		t.Fatalf("stored %+v", c)
	}
}

func enrol(t *testing.T, h *harness, name string) string {
	t.Helper()
	tok := h.mustCall("lab.enrol", map[string]any{"name": name}).(EnrolReply).Secret
	out, err := h.agentCall("", "lab.agentEnrol", map[string]any{"token": tok + ".somepin"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.agentCall("", "lab.agentEnrolEnd", map[string]any{"claim": out.(labapi.Enrolled).Claim, "stored": true}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.agentCall("", "lab.agentEnrol", map[string]any{"token": tok}); core.KindOf(err) != core.KindUnauthenticated {
		t.Fatalf("token used twice: %v", err)
	}
	return out.(labapi.Enrolled).Identity
}

func TestActionLifecycle(t *testing.T) {
	h := newHarness(t, "")
	setupLab(h, "pc1", "pc2", "pc3")
	id1 := enrol(t, h, "pc1")
	h.mustCall("lab.computerMaintenance", map[string]any{"name": "pc3", "on": true})

	l := h.mustCall("lab.run", map[string]any{"command": "probe", "lab": "aula1"}).(Launched)
	if len(l.Actions) != 2 || len(l.Skipped) != 1 || l.Skipped[0] != "pc3" {
		t.Fatalf("launch %+v", l)
	}
	// Admin transports cannot pose as agents.
	if _, err := h.call("lab.agentNext", nil); core.KindOf(err) != core.KindPermission {
		t.Fatalf("agentNext over cli: %v", err)
	}
	n := must(h.agentCall(id1, "lab.agentHello", map[string]any{"hostname": "pc1"})).(labapi.Next)
	if n.Computer != "pc1" || n.Delivery.Action != l.Actions[0].ID || n.Delivery.Name != "Sondeo" {
		t.Fatalf("hello gave %+v", n)
	}
	// A forged action id (pc2's) is refused and changes nothing.
	_, err := h.agentCall(id1, "lab.agentResult", map[string]any{"action": l.Actions[1].ID, "ok": true})
	if core.KindOf(err) != core.KindConflict {
		t.Fatalf("forged result: %v", err)
	}
	n = must(h.agentCall(id1, "lab.agentResult", map[string]any{"action": n.Delivery.Action, "ok": true, "params": map[string]any{"estado": "idle"}})).(labapi.Next)
	if n.Delivery.Action != 0 {
		t.Fatalf("next after result: %+v", n)
	}
	acts := h.mustCall("lab.actions", map[string]any{"launch": l.Launch}).([]Action)
	if acts[0].State != "finished" || acts[0].Result != 1 || acts[0].Output != "estado=idle" || acts[1].State != "queued" {
		t.Fatalf("actions %+v", acts)
	}
	// Mid-command disconnection fails the action with the reason.
	l2 := h.mustCall("lab.run", map[string]any{"command": "script", "computer": "pc1", "params": map[string]any{"scp": "sleep 9"}}).(Launched)
	n = must(h.agentCall(id1, "lab.agentNext", nil)).(labapi.Next)
	if n.Delivery.Action != l2.Actions[0].ID || n.Delivery.Params["scp"] != "sleep 9" {
		t.Fatalf("next %+v", n)
	}
	must(h.agentCall(id1, "lab.agentGone", map[string]any{"action": n.Delivery.Action, "reason": "EOF", "off": true}))
	a := h.mustCall("lab.actions", map[string]any{"launch": l2.Launch}).([]Action)[0]
	if a.State != "failed" || !strings.Contains(a.Output, "agent disconnected mid-command: EOF") {
		t.Fatalf("after disconnect %+v", a)
	}
	st := h.mustCall("lab.status", map[string]any{"lab": "aula1"}).([]StatusRow)
	if st[0].State != "off" || st[2].State != "maintenance" {
		t.Fatalf("status %+v", st)
	}
}

func TestRestartFailsInFlightKeepsQueued(t *testing.T) {
	dir := t.TempDir() + "/data"
	h := newHarness(t, dir)
	setupLab(h, "pc1", "pc2")
	id1 := enrol(t, h, "pc1")
	h.mustCall("lab.run", map[string]any{"command": "hardware", "lab": "aula1"})
	must(h.agentCall(id1, "lab.agentHello", nil))
	h.close()

	h2 := newHarness(t, dir)
	if err := h2.app.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	acts := h2.mustCall("lab.actions", nil).([]Action)
	if acts[0].State != "failed" || acts[0].Output != reasonRestart || acts[1].State != "queued" {
		t.Fatalf("after restart %+v", acts)
	}
}

func TestInventoryStoredAndDiffed(t *testing.T) {
	h := newHarness(t, "")
	setupLab(h, "pc1")
	id := enrol(t, h, "pc1")
	for _, body := range []string{"cpu=A\nmem=1", "cpu=A\nmem=2"} {
		h.mustCall("lab.run", map[string]any{"command": "hw", "computer": "pc1"})
		n := must(h.agentCall(id, "lab.agentNext", nil)).(labapi.Next)
		must(h.agentCall(id, "lab.agentResult", map[string]any{"action": n.Delivery.Action, "ok": true, "params": map[string]any{"hrd": body}}))
	}
	inv := h.mustCall("lab.inventoryShow", map[string]any{"computer": "pc1"}).([]Inventory)
	if len(inv) != 1 || inv[0].Body != "cpu=A\nmem=2" {
		t.Fatalf("inventory %+v", inv)
	}
	d := h.mustCall("lab.inventoryDiff", map[string]any{"computer": "pc1", "kind": "hardware"}).([]InventoryDiff)
	if len(d[0].Added) != 1 || d[0].Added[0] != "mem=2" || d[0].Removed[0] != "mem=1" {
		t.Fatalf("diff %+v", d)
	}
}

func must(v any, err error) any {
	if err != nil {
		panic(err)
	}
	return v
}
