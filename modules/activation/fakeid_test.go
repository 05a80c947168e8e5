package activation

import (
	"context"
	"sync"

	"aula/internal/core"
	"aula/modules/id/idapi"
)

// fakeID stands in for the id module: it implements idapi.Clients, as the
// real one does, and publishes the same changes.
type fakeID struct {
	mu      sync.Mutex
	clients []idapi.Client // most recent first
}

func init() {
	core.Register(core.ModuleInfo{ID: idapi.ModuleID, New: func() core.Module { return &fakeID{} }, Help: "fake id for tests"})
}

var _ idapi.Clients = (*fakeID)(nil)

func (*fakeID) Methods() []core.Method { return nil }

func (f *fakeID) Clients(ctx context.Context) ([]idapi.Client, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]idapi.Client(nil), f.clients...), nil
}

func (f *fakeID) first(match func(idapi.Client) bool) (idapi.Client, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.clients {
		if match(c) {
			return c, true, nil
		}
	}
	return idapi.Client{}, false, nil
}

func (f *fakeID) ClientByUID(_ context.Context, uid string) (idapi.Client, bool, error) {
	return f.first(func(c idapi.Client) bool { return c.UID == uid })
}

func (f *fakeID) ClientByUUID(_ context.Context, uuid string) (idapi.Client, bool, error) {
	return f.first(func(c idapi.Client) bool { return c.UUID == uuid })
}

func (f *fakeID) ClientBySerial(_ context.Context, serial string) (idapi.Client, bool, error) {
	return f.first(func(c idapi.Client) bool { return c.Serial == serial })
}

// register adds a client and publishes the change the real module publishes.
func (h *harness) register(serial, uuid string) {
	mod, _ := h.app.Module(idapi.ModuleID)
	f := mod.(*fakeID)
	c := idapi.Client{UID: "u-" + serial, UUID: uuid, Serial: serial}
	f.mu.Lock()
	f.clients = append([]idapi.Client{c}, f.clients...)
	f.mu.Unlock()
	h.app.Events.Publish(context.Background(), idapi.TopicChanges, idapi.Changes{{Client: c}})
}
