package lab

import (
	"context"
	"sync"
	"testing"
	"time"

	"aula/internal/core"
	"aula/modules/lab/labapi"
)

// frontEndStub answers labapi.IdleQuery with a set the test chooses and
// keeps the QueuedEvents, standing where the agent front end subscribes.
type frontEndStub struct {
	mu     sync.Mutex
	idle   map[string]bool
	queued []labapi.QueuedEvent
}

func (s *frontEndStub) subscribe(h *harness) {
	h.app.Events.Subscribe(labapi.TopicIdle, func(_ context.Context, ev core.Event) {
		s.mu.Lock()
		defer s.mu.Unlock()
		for c := range s.idle {
			ev.Data.(*labapi.IdleQuery).Idle[c] = true
		}
	})
	h.app.Events.Subscribe(labapi.TopicQueued, func(_ context.Context, ev core.Event) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.queued = append(s.queued, ev.Data.(labapi.QueuedEvent))
	})
}

func (s *frontEndStub) set(idle ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.idle = map[string]bool{}
	for _, c := range idle {
		s.idle[c] = true
	}
}

func (s *frontEndStub) last() labapi.QueuedEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queued[len(s.queued)-1]
}

func actionState(t *testing.T, h *harness, id int64) Action {
	t.Helper()
	for _, a := range h.mustCall("lab.actions", nil).([]Action) {
		if a.ID == id {
			return a
		}
	}
	t.Fatalf("no action %d", id)
	return Action{}
}

// A launch marks its action sent for agents the front end reports idle,
// in its own transaction, and hands it over in its event; an agent with
// an earlier action waiting gets the new one queued behind it.
func TestLaunchHandsIdleAgentsTheirAction(t *testing.T) {
	h := newHarness(t, "")
	stub := &frontEndStub{}
	stub.subscribe(h)
	setupLab(h, "pc1", "pc2")
	id1, id2 := enrol(t, h, "pc1"), enrol(t, h, "pc2")
	must(h.agentCall(id1, "lab.agentHello", nil))
	must(h.agentCall(id2, "lab.agentHello", nil))

	stub.set() // pc2 busy: its script is queued
	first := h.mustCall("lab.run", map[string]any{"command": "script", "computer": "pc2", "params": map[string]any{"scp": "true"}}).(Launched)
	if e := stub.last(); len(e.Sent) != 0 || len(e.Computers) != 1 {
		t.Fatalf("launch without idle agents: %+v", e)
	}

	stub.set("pc1", "pc2")
	l := h.mustCall("lab.run", map[string]any{"command": "probe", "lab": "aula1"}).(Launched)
	e := stub.last()
	d, ok := e.Sent["pc1"]
	if !ok || d.Action != l.Actions[0].ID || d.Name != "Sondeo" || len(e.Sent) != 1 {
		t.Fatalf("handed over %+v", e.Sent)
	}
	if len(e.Computers) != 1 || e.Computers[0] != "pc2" {
		t.Fatalf("queued %+v", e.Computers)
	}
	if a := actionState(t, h, d.Action); a.State != "sent" || a.SentAt == "" {
		t.Fatalf("handed-over action %+v", a)
	}
	if a := actionState(t, h, l.Actions[1].ID); a.State != "queued" {
		t.Fatalf("pc2's probe behind its script: %+v", a)
	}
	// pc2 still claims its script first.
	n := must(h.agentCall(id2, "lab.agentNext", nil)).(labapi.Next)
	if n.Delivery.Action != first.Actions[0].ID {
		t.Fatalf("pc2 claimed %+v", n.Delivery)
	}
	// The handed-over action takes its result as a claimed one does.
	n = must(h.agentCall(id1, "lab.agentResult", map[string]any{"action": d.Action, "ok": true})).(labapi.Next)
	if a := actionState(t, h, d.Action); a.State != "finished" || n.Delivery.Action != 0 {
		t.Fatalf("after result %+v, next %+v", a, n.Delivery)
	}
}

// An action handed to a connection that never wrote it to its agent is
// queued again: the one the connection names when it ends, and any of a
// computer whose agent is gone (the module's sweep).
func TestUnsentActionsQueuedAgain(t *testing.T) {
	h := newHarness(t, "")
	if err := h.app.Start(t.Context()); err != nil { // the sweep runs
		t.Fatal(err)
	}
	stub := &frontEndStub{}
	stub.subscribe(h)
	setupLab(h, "pc1", "pc2")
	id1, id2 := enrol(t, h, "pc1"), enrol(t, h, "pc2")
	must(h.agentCall(id1, "lab.agentHello", nil))
	must(h.agentCall(id2, "lab.agentHello", nil))
	stub.set("pc1", "pc2")
	l := h.mustCall("lab.run", map[string]any{"command": "probe", "lab": "aula1"}).(Launched)
	a1, a2 := l.Actions[0].ID, l.Actions[1].ID

	// pc1's connection was replaced before writing it (not off).
	must(h.agentCall(id1, "lab.agentGone", map[string]any{"unsent": a1, "reason": "replaced"}))
	if a := actionState(t, h, a1); a.State != "queued" || a.SentAt != "" {
		t.Fatalf("unsent action after the connection ended: %+v", a)
	}
	// pc2's agent went away before the event reached its connection.
	must(h.agentCall(id2, "lab.agentGone", map[string]any{"reason": "EOF", "off": true}))
	deadline := time.Now().Add(60 * time.Second)
	for actionState(t, h, a2).State != "queued" {
		if time.Now().After(deadline) {
			t.Fatalf("pc2's action not queued again: %+v", actionState(t, h, a2))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Both are claimed again when their agents come back.
	if n := must(h.agentCall(id2, "lab.agentHello", nil)).(labapi.Next); n.Delivery.Action != a2 {
		t.Fatalf("pc2 back: %+v", n.Delivery)
	}
	if n := must(h.agentCall(id1, "lab.agentNext", nil)).(labapi.Next); n.Delivery.Action != a1 {
		t.Fatalf("pc1: %+v", n.Delivery)
	}
}
