package activation

import (
	"context"
	"sync"

	"aula/internal/core"
)

// fakeID stands in for the id module: it has the Clients method the real
// one exports (most recent first), which activation adapts by reflection.
type fakeID struct {
	mu      sync.Mutex
	clients []fakeClient
}

type fakeClient struct {
	UID    string
	UUID   string
	Serial string
}

func init() {
	core.Register(core.ModuleInfo{ID: "id", New: func() core.Module { return &fakeID{} }, Help: "fake id for tests"})
}

func (*fakeID) Methods() []core.Method { return nil }

func (f *fakeID) Clients(ctx context.Context) ([]fakeClient, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeClient(nil), f.clients...), nil
}

// register adds a client and publishes the event the real module publishes.
func (h *harness) register(serial, uuid string) {
	mod, _ := h.app.Module("id")
	f := mod.(*fakeID)
	f.mu.Lock()
	f.clients = append([]fakeClient{{UID: "u-" + serial, UUID: uuid, Serial: serial}}, f.clients...)
	f.mu.Unlock()
	h.app.Events.Publish(context.Background(), core.TopicClientRegistered,
		core.ClientEvent{UID: "u-" + serial, UUID: uuid, Serial: serial})
}
