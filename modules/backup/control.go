package backup

import (
	"context"
	"time"

	"aula/internal/core"
)

// Control paths: the SSK form takes the client's uid (or machine UUID),
// the OLPC XS ds-backup form its serial.
const (
	sskPrefix = "/backup/uuid/available/"
	xsPrefix  = "/backup/1/available/"
)

// Routes declares the admission checks. GET /client/backup answers in the
// JSON envelope; the SSK and XS forms answer with bare status codes as
// their clients expect (core.ReplyStatus): 200 and an empty text/plain
// body to go, 503 with Retry-After to ask again later, 403 for an unknown
// or refused client or a malformed id.
func (m *Module) Routes() []core.Route {
	return []core.Route{
		{Method: "GET", Path: "/client/backup", Call: "backup.admit",
			Help: "?uuid=UID|UUID (or ?uid=, ?serial=): accepted true to start the backup now, false to retry later"},
		{Method: "GET", Path: sskPrefix, Prefix: true, PathArg: "uuid", Query: []string{}, Call: "backup.available", Reply: core.ReplyStatus,
			Help: "GET /backup/uuid/available/UID: 200 go, 503 retry later, 403 unknown client (sugar-server)"},
		{Method: "GET", Path: xsPrefix, Prefix: true, PathArg: "serial", Query: []string{}, Call: "backup.available", Reply: core.ReplyStatus,
			Help: "GET /backup/1/available/SERIAL: 200 go, 503 retry later, 403 unknown client (OLPC XS ds-backup)"},
	}
}

// Listeners asks the HTTP front end for --backup-control-listen, serving
// the admission checks only (ds-backup asks on port 80).
func (m *Module) Listeners() []core.Listener {
	if m.opts == nil {
		return nil
	}
	return []core.Listener{{Name: "backup-control", Addr: m.opts.controlListen.Get(), Routes: m.Routes()}}
}

// AvailableArgs names the client of a bare-status check: its uid or
// machine UUID (SSK form), or its serial (XS form).
type AvailableArgs struct {
	UUID   string `json:"uuid,omitempty"`
	Serial string `json:"serial,omitempty"`
}

func (m *Module) availableMethod() core.Method {
	meth := core.Func("available",
		"backup.admit as an error: nothing when the client may start its backup now (a slot is held for it); "+
			"else unavailable with the reason and when to ask again. Behind the bare-status checks GET /backup/1/available/SERIAL and /backup/uuid/available/UID.",
		func(ctx context.Context, in AvailableArgs) (struct{}, error) {
			a, err := m.admit(ctx, AdmitArgs{UUID: in.UUID, Serial: in.Serial})
			if err != nil {
				return struct{}{}, err
			}
			if !a.Accepted {
				return struct{}{}, &core.Error{Kind: core.KindUnavailable, Msg: a.Reason, RetryAfter: time.Duration(max(a.RetryAfter, 1)) * time.Second}
			}
			return struct{}{}, nil
		})
	meth.Access = core.Public
	meth.Mutates = true
	return meth
}
