// Package idapi is what other modules may know of the id module (the
// laptop registry): its lookup interface, the events it publishes, and the
// Sugar placeholder values. It imports nothing of the id module, so a
// module that uses laptops (backup, activation) depends on this small
// package only, never on id's internals.
//
// A module finds the registry at Provision:
//
//	ids, err := idapi.From(env.App)
//
// and subscribes to its changes:
//
//	env.Events.Subscribe(idapi.TopicChanges, func(ctx context.Context, ev core.Event) {
//		batch, _ := ev.Data.(idapi.Changes)
//		...
//	})
package idapi

import (
	"context"
	"errors"
	"fmt"
	"time"

	"aula/internal/core"
)

// ModuleID is the id module's registry name.
const ModuleID = "id"

// Placeholders the Sugar shell sends when the machine has no
// manufacturing data: they identify no machine, so they never make one
// registration supersede another, and nothing is admitted or signed for
// them by serial or UUID.
const (
	PlaceholderSerial = "SHF00000000"
	PlaceholderUUID   = "00000000-0000-0000-0000-000000000000"
)

// ValidUID reports whether uid has the form of a client id as the id
// module makes it (the lowercase hex SHA-1 of the client's key, or of its
// UUID when it has none): 40 lowercase hex digits. The backup gate takes
// nothing else as --uid, authorized_keys holds nothing else, and the
// store's uniqueness by unhex(uid) relies on it.
func ValidUID(uid string) bool {
	if len(uid) != 40 {
		return false
	}
	for i := 0; i < len(uid); i++ {
		if c := uid[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Client is one registration: current, or ended when it is part of a
// history entry.
type Client struct {
	UID             string    `json:"uid"`
	UUID            string    `json:"uuid"`
	Serial          string    `json:"serial"`
	Nickname        string    `json:"nickname"`
	PubKey          string    `json:"pubkey"` // base64 blob without type prefix; "" when registered without one
	FirstRegistered time.Time `json:"first_registered"`
	LastRegistered  time.Time `json:"last_registered"`
	LastAddr        string    `json:"last_addr"` // peer address of the last registration
	Registrations   int64     `json:"registrations"`
}

// Clients looks current registrations up. Every method sees every
// registration that was acknowledged before it was called; none of them
// writes, so they keep working on a full disk and may be called from an
// event handler.
type Clients interface {
	// ClientByUID returns the client registered under uid (40 hex digits).
	ClientByUID(ctx context.Context, uid string) (Client, bool, error)
	// ClientByUUID returns the client currently registered with the
	// machine UUID uuid (any case).
	ClientByUUID(ctx context.Context, uuid string) (Client, bool, error)
	// ClientBySerial returns the client currently registered with serial
	// (the most recently registered one, if a placeholder is shared).
	ClientBySerial(ctx context.Context, serial string) (Client, bool, error)
	// Clients returns every current registration, most recent first.
	Clients(ctx context.Context) ([]Client, error)
}

// TopicChanges carries a Changes value each time registrations take
// effect: once per applied batch of registrations (however many it held),
// and once per admin removal.
const TopicChanges = "id.changes"

// Change is one registration starting, repeating or ending.
type Change struct {
	Client Client
	// Removed: the registration ended (removed by the admin, or superseded
	// by a newer registration of the same machine).
	Removed bool
	// ReplacedBy is the uid of the superseding registration, when Removed
	// by a supersede.
	ReplacedBy string
}

// Changes is a batch of changes in the order they happened.
type Changes []Change

// From finds the id module among app's modules. It fails when the module
// is not loaded or does not implement Clients.
func From(app *core.App) (Clients, error) {
	if app == nil {
		return nil, errors.New("no application")
	}
	mod, ok := app.Module(ModuleID)
	if !ok {
		return nil, fmt.Errorf("the %s module is not loaded", ModuleID)
	}
	c, ok := mod.(Clients)
	if !ok {
		return nil, fmt.Errorf("the %s module (%T) does not implement idapi.Clients", ModuleID, mod)
	}
	return c, nil
}
