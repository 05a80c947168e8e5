package id

import (
	"context"
	"fmt"
	"strings"
	"time"

	"aula/internal/core"
	"aula/modules/id/idapi"
)

// IDArgs name one client for the admin methods: its uid, serial or
// machine UUID.
type IDArgs struct {
	ID string `json:"id"`
}

// ShowReply is everything known about a client.
type ShowReply struct {
	Registered bool           `json:"registered"`
	Clients    []Client       `json:"clients"` // current registrations (normally one)
	History    []HistoryEntry `json:"history"` // ended ones, newest first
	// Refused are registrations refused for claiming this serial with
	// another machine UUID, newest first.
	Refused []Refusal `json:"refused"`
}

// RemoveReply is the registration that was ended.
type RemoveReply struct {
	Removed Client `json:"removed"`
}

// StampReply carries the new registration epoch and the stamp it makes
// with this process's settings (a server started with other options
// reports its own stamp in status replies).
type StampReply struct {
	Epoch int64  `json:"epoch"`
	Stamp string `json:"stamp"`
}

func (m *Module) listMethod() core.Method {
	meth := core.Func("list", "Lists every registered client (uid, uuid, serial, nickname, pubkey, times, last address, registrations), most recent first.",
		func(ctx context.Context, _ struct{}) ([]Client, error) {
			recs, _, err := m.state()
			if err != nil {
				return nil, err
			}
			cs, err := recs.list(ctx)
			if cs == nil {
				cs = []Client{}
			}
			return cs, err
		})
	meth.Access = core.Admin
	return meth
}

func (m *Module) showMethod() core.Method {
	meth := core.Func("show", "Shows a client by uid, serial or machine UUID: its current registration and its history.",
		func(ctx context.Context, in IDArgs) (ShowReply, error) {
			recs, _, err := m.state()
			if err != nil {
				return ShowReply{}, err
			}
			kind, key, err := parseClientID(in.ID)
			if err != nil {
				return ShowReply{}, err
			}
			cur, err := m.current(ctx, recs, kind, key)
			if err != nil {
				return ShowReply{}, err
			}
			hist, err := m.historyOf(ctx, recs, kind, key)
			if err != nil {
				return ShowReply{}, err
			}
			refused := []Refusal{}
			if kind == "serial" {
				if refused, err = recs.refusals(ctx, key); err != nil {
					return ShowReply{}, err
				}
			}
			if len(cur) == 0 && len(hist) == 0 && len(refused) == 0 {
				return ShowReply{}, core.Errorf(core.KindNotFound, "no client with %s %s, now or in the history", kind, in.ID)
			}
			if cur == nil {
				cur = []Client{}
			}
			return ShowReply{Registered: len(cur) > 0, Clients: cur, History: hist, Refused: refused}, nil
		})
	meth.Access = core.Admin
	return meth
}

func (m *Module) removeMethod() core.Method {
	meth := core.Func("remove", "Removes a client's registration (by uid, serial or machine UUID): it moves to the history, its status becomes registered=false and the removal is published to the other modules (backup drops its key).",
		func(ctx context.Context, in IDArgs) (RemoveReply, error) {
			recs, _, err := m.state()
			if err != nil {
				return RemoveReply{}, err
			}
			kind, key, err := parseClientID(in.ID)
			if err != nil {
				return RemoveReply{}, err
			}
			cur, err := m.current(ctx, recs, kind, key)
			if err != nil {
				return RemoveReply{}, err
			}
			switch {
			case len(cur) == 0:
				return RemoveReply{}, core.Errorf(core.KindNotFound, "no registered client with %s %s", kind, in.ID)
			case len(cur) > 1:
				uids := make([]string, len(cur))
				for i, c := range cur {
					uids[i] = c.UID
				}
				return RemoveReply{}, core.Errorf(core.KindConflict, "%s %s is held by %d clients (%s); remove one by uid",
					kind, in.ID, len(cur), strings.Join(uids, ", "))
			}
			c, found, err := recs.remove(ctx, cur[0].UID, time.Now())
			if err != nil {
				return RemoveReply{}, writeError(err, recs.dir())
			}
			if !found { // removed meanwhile by someone else
				return RemoveReply{}, core.Errorf(core.KindNotFound, "no registered client with %s %s", kind, in.ID)
			}
			m.logger().Info("registration removed", "uid", c.UID, "serial", c.Serial, "uuid", c.UUID)
			m.publish(ctx, idapi.Changes{{Client: c, Removed: true}})
			return RemoveReply{Removed: c}, nil
		})
	meth.Access = core.Admin
	meth.Mutates = true
	return meth
}

func (m *Module) reregisterAllMethod() core.Method {
	meth := core.Func("reregister_all", "Starts a new registration epoch: the stamp changes, so every client registers again at its next status check. Returns the new stamp.",
		func(ctx context.Context, _ struct{}) (StampReply, error) {
			recs, set, err := m.state()
			if err != nil {
				return StampReply{}, err
			}
			epoch, err := recs.bumpEpoch(ctx)
			if err != nil {
				return StampReply{}, writeError(err, recs.dir())
			}
			s := stamp(epoch, set)
			m.logger().Info("new registration epoch", "stamp", s)
			return StampReply{Epoch: epoch, Stamp: s}, nil
		})
	meth.Access = core.Admin
	meth.Mutates = true
	return meth
}

// parseClientID tells a uid, a machine UUID and a serial apart and
// returns the lookup key (lowercase for uids and UUIDs).
func parseClientID(id string) (kind, key string, err error) {
	if isUID, err := ValidateUUID("id", id); err == nil {
		if isUID {
			return "uid", strings.ToLower(id), nil
		}
		return "uuid", strings.ToLower(id), nil
	}
	if err := ValidateSerial(id); err == nil {
		return "serial", id, nil
	}
	if id == "" {
		return "", "", core.Errorf(core.KindInvalid, "id: empty (give a uid, serial or machine UUID)")
	}
	return "", "", core.Errorf(core.KindInvalid, "id: %s is not a uid (40 hex digits), a UUID or a serial number", clip(id))
}

// current returns the current registrations a client id names.
func (m *Module) current(ctx context.Context, recs clientStore, kind, key string) ([]Client, error) {
	switch kind {
	case "uid":
		c, ok, err := recs.byUID(ctx, key)
		if !ok || err != nil {
			return nil, err
		}
		return []Client{c}, nil
	case "uuid":
		return recs.byUUID(ctx, key)
	case "serial":
		return recs.bySerial(ctx, key)
	}
	panic(fmt.Sprintf("id: client id kind %q", kind))
}

func (m *Module) historyOf(ctx context.Context, recs clientStore, kind, key string) ([]HistoryEntry, error) {
	var uid, serial, uuid string
	switch kind {
	case "uid":
		uid = key
	case "uuid":
		uuid = key
	default:
		serial = key
	}
	return recs.history(ctx, uid, serial, uuid)
}
