package activation

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"aula/internal/core"
	"aula/internal/lease"
)

// Placeholders the Sugar shell sends for machines without manufacturing
// data (the id module's rule): they name no laptop, so they never give one
// a UUID to sign for.
const (
	placeholderSerial = "SHF00000000"
	placeholderUUID   = "00000000-0000-0000-0000-000000000000"
)

// MachineDirectory is what this module needs from a registry of laptops:
// every known serial's machine UUID. A module that implements it (looked
// up as "id") is used directly; otherwise the id module's
// Clients(ctx) ([]Client, error), whose Client has Serial and UUID string
// fields, is adapted, so activation neither imports id nor needs it.
type MachineDirectory interface {
	MachineUUIDs(ctx context.Context) (map[string]string, error)
}

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
	if serial == placeholderSerial || uuid == placeholderUUID || !lease.ValidSerial(serial) || !lease.ValidUUID(uuid) {
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
		if sn != placeholderSerial && u != placeholderUUID && lease.ValidSerial(sn) && lease.ValidUUID(u) {
			clean[sn] = u
		}
	}
	b.mu.Lock()
	b.m = clean
	b.mu.Unlock()
}

// directory finds the laptop registry among the app's modules; nil when
// there is none (activation then knows UUIDs from del01 lines only).
func directory(app *core.App) (MachineDirectory, error) {
	if app == nil {
		return nil, nil
	}
	mod, ok := app.Module("id")
	if !ok {
		return nil, nil
	}
	if d, ok := mod.(MachineDirectory); ok {
		return d, nil
	}
	return adaptClients(mod)
}

// clientsFunc adapts a Clients(ctx) ([]T, error) method whose T has string
// fields Serial and UUID.
type clientsFunc func(ctx context.Context) (map[string]string, error)

func (f clientsFunc) MachineUUIDs(ctx context.Context) (map[string]string, error) { return f(ctx) }

var (
	ctxType = reflect.TypeFor[context.Context]()
	errType = reflect.TypeFor[error]()
)

func adaptClients(mod any) (MachineDirectory, error) {
	meth := reflect.ValueOf(mod).MethodByName("Clients")
	if !meth.IsValid() {
		return nil, errors.New("module id has neither MachineUUIDs nor Clients; laptop UUIDs come from del01 lines only")
	}
	t := meth.Type()
	if t.NumIn() != 1 || t.In(0) != ctxType || t.NumOut() != 2 || t.Out(1) != errType || t.Out(0).Kind() != reflect.Slice {
		return nil, fmt.Errorf("module id: Clients has type %s, want func(context.Context) ([]Client, error)", t)
	}
	elem := t.Out(0).Elem()
	sf, ok1 := elem.FieldByName("Serial")
	uf, ok2 := elem.FieldByName("UUID")
	if elem.Kind() != reflect.Struct || !ok1 || !ok2 || sf.Type.Kind() != reflect.String || uf.Type.Kind() != reflect.String {
		return nil, fmt.Errorf("module id: Clients returns %s, want structs with string fields Serial and UUID", elem)
	}
	return clientsFunc(func(ctx context.Context) (map[string]string, error) {
		out := meth.Call([]reflect.Value{reflect.ValueOf(ctx)})
		if err, _ := out[1].Interface().(error); err != nil {
			return nil, err
		}
		list := out[0]
		m := make(map[string]string, list.Len())
		// Clients come most recent first: the first one seen for a
		// serial is its current machine.
		for i := 0; i < list.Len(); i++ {
			c := list.Index(i)
			sn, u := c.FieldByIndex(sf.Index).String(), c.FieldByIndex(uf.Index).String()
			if _, seen := m[sn]; !seen && sn != "" {
				m[sn] = u
			}
		}
		return m, nil
	}), nil
}

// onClientEvent keeps the book current as laptops register and are removed.
func (m *Module) onClientEvent(_ context.Context, e core.Event) {
	ce, ok := e.Data.(core.ClientEvent)
	if !ok {
		return
	}
	switch e.Topic {
	case core.TopicClientRegistered:
		if m.uuids.set(ce.Serial, ce.UUID) {
			m.kickRenew() // it may now be signable ahead of its first request
		}
	case core.TopicClientRemoved:
		m.uuids.remove(ce.Serial, ce.UUID)
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
	if m.tables == nil {
		return nil, errNotProvisioned
	}
	if m.started.Load() {
		return func(sn string) string { return m.uuidOf(m.cache.get(sn), sn) }, nil
	}
	fromDel, err := m.tables.delegationUUIDs(ctx)
	if err != nil {
		return nil, core.StoreError(err, "reading delegations")
	}
	var book uuidBook
	if m.dir != nil {
		all, err := m.dir.MachineUUIDs(ctx)
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
