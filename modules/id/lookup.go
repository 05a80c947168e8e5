package id

import (
	"context"
	"strings"
)

// The lookups below are for other modules, which reach this one with
//
//	mod, _ := env.App.Module("id")
//	ids := mod.(*id.Module)
//
// They return current registrations only.

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
	return m.firstBy(ctx, "serial", serial)
}

// ClientByUUID returns the client currently registered with the machine
// UUID uuid (any case).
func (m *Module) ClientByUUID(ctx context.Context, uuid string) (Client, bool, error) {
	return m.firstBy(ctx, "uuid_key", strings.ToLower(uuid))
}

func (m *Module) firstBy(ctx context.Context, column, value string) (Client, bool, error) {
	recs, _, err := m.state()
	if err != nil || value == "" {
		return Client{}, false, err
	}
	cs, err := recs.find(ctx, column, value)
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
