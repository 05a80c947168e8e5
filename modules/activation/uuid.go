package activation

import (
	"context"
	"sync"

	"aula/internal/core"
	"aula/internal/lease"
	"aula/modules/id/idapi"
)

// uuidBook maps serials to machine UUIDs learned from the id module: loaded
// in full with the cache, then kept current by registration events, so the
// hot path never asks the id module (or the store).
type uuidBook struct {
	mu sync.RWMutex
	m  map[string]string
}

func (b *uuidBook) get(serial string) string {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.m[serial]
}

func (b *uuidBook) set(serial, uuid string) bool {
	if serial == idapi.PlaceholderSerial || uuid == idapi.PlaceholderUUID || !lease.ValidSerial(serial) || !lease.ValidUUID(uuid) {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[string]string{}
	}
	b.m[serial] = uuid
	return true
}

func (b *uuidBook) remove(serial, uuid string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m[serial] == uuid {
		delete(b.m, serial)
	}
}

func (b *uuidBook) replace(m map[string]string) {
	clean := make(map[string]string, len(m))
	for sn, u := range m {
		if sn != idapi.PlaceholderSerial && u != idapi.PlaceholderUUID && lease.ValidSerial(sn) && lease.ValidUUID(u) {
			clean[sn] = u
		}
	}
	b.mu.Lock()
	b.m = clean
	b.mu.Unlock()
}

// directory finds the laptop registry among the app's modules; nil when
// there is none (activation then knows UUIDs from del01 lines only).
func directory(app *core.App) (idapi.Clients, error) {
	if app == nil {
		return nil, nil
	}
	if _, ok := app.Module(idapi.ModuleID); !ok {
		return nil, nil
	}
	return idapi.From(app)
}

// machineUUIDs maps every registered serial to its machine UUID.
func machineUUIDs(ctx context.Context, ids idapi.Clients) (map[string]string, error) {
	cs, err := ids.Clients(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(cs))
	// Clients come most recent first: the first one seen for a serial is
	// its current machine.
	for _, c := range cs {
		if _, seen := m[c.Serial]; !seen && c.Serial != "" {
			m[c.Serial] = c.UUID
		}
	}
	return m, nil
}

// onChanges keeps the book current as laptops register and are removed.
func (m *Module) onChanges(_ context.Context, e core.Event) {
	batch, ok := e.Data.(idapi.Changes)
	if !ok {
		return
	}
	learned := false
	for _, ch := range batch {
		if ch.Removed {
			m.uuids.remove(ch.Client.Serial, ch.Client.UUID)
		} else if m.uuids.set(ch.Client.Serial, ch.Client.UUID) {
			learned = true
		}
	}
	if learned {
		m.kickRenew() // some may now be signable ahead of their first request
	}
}

// uuidOf is the laptop's machine UUID as far as this server knows: from its
// del01 delegation, else from its id registration.
func (m *Module) uuidOf(l *laptop, serial string) string {
	if l != nil && l.uuid != "" {
		return l.uuid
	}
	return m.uuids.get(serial)
}

// laptopUUIDs returns a lookup of machine UUIDs (from del01 delegations,
// else from id registrations): the server's in-memory view while serving,
// else read now, without loading every lease into memory.
func (m *Module) laptopUUIDs(ctx context.Context) (func(serial string) string, error) {
	if m.store == nil {
		return nil, errNotProvisioned
	}
	if m.started.Load() {
		return func(sn string) string { return m.uuidOf(m.cache.get(sn), sn) }, nil
	}
	fromDel, err := m.store.delegationUUIDs(ctx)
	if err != nil {
		return nil, core.StoreError(err, "reading delegations")
	}
	var book uuidBook
	if m.dir != nil {
		all, err := machineUUIDs(ctx, m.dir)
		if err != nil {
			m.log.Warn("activation: reading laptop UUIDs from id", "err", err)
		}
		book.replace(all)
	}
	return func(sn string) string {
		if u := fromDel[sn]; u != "" {
			return u
		}
		return book.get(sn)
	}, nil
}
