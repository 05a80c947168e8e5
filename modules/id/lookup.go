package id

import (
	"context"
	"strings"

	"aula/modules/id/idapi"
)

// The lookups below implement idapi.Clients, for other modules, which
// reach this one with idapi.From(env.App). They return current
// registrations only.

// ClientByUID returns the client registered under uid (40 hex digits).
func (m *Module) ClientByUID(ctx context.Context, uid string) (Client, bool, error) {
	recs, _, err := m.state()
	if err != nil {
		return Client{}, false, err
	}
	return recs.byUID(ctx, strings.ToLower(uid))
}

// ClientBySerial returns the client currently registered with serial (the
// most recently registered one, if a placeholder serial is shared).
func (m *Module) ClientBySerial(ctx context.Context, serial string) (Client, bool, error) {
	return m.firstBy(ctx, serial, clientStore.bySerial)
}

// ClientByUUID returns the client currently registered with the machine
// UUID uuid (any case).
func (m *Module) ClientByUUID(ctx context.Context, uuid string) (Client, bool, error) {
	return m.firstBy(ctx, strings.ToLower(uuid), clientStore.byUUID)
}

func (m *Module) firstBy(ctx context.Context, value string, by func(clientStore, context.Context, string) ([]Client, error)) (Client, bool, error) {
	recs, _, err := m.state()
	if err != nil || value == "" {
		return Client{}, false, err
	}
	cs, err := by(recs, ctx, value)
	if err != nil || len(cs) == 0 {
		return Client{}, false, err
	}
	return cs[0], true, nil
}

// Clients returns every current registration, most recent first (the
// backup module rebuilds authorized_keys from it at start).
func (m *Module) Clients(ctx context.Context) ([]Client, error) {
	recs, _, err := m.state()
	if err != nil {
		return nil, err
	}
	return recs.list(ctx)
}

var _ idapi.Clients = (*Module)(nil)
