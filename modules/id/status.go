package id

import (
	"context"
	"strconv"
	"strings"

	"aula/internal/core"
)

// StatusArgs name the client: uuid and uid both take the server-assigned
// id (40 hex digits, SSK used both names) or the machine UUID.
type StatusArgs struct {
	UUID string `json:"uuid,omitempty"`
	UID  string `json:"uid,omitempty"`
}

// StatusReply tells a client whether its registration still stands.
type StatusReply struct {
	Registered bool   `json:"registered"`
	Stamp      string `json:"stamp"`
	JabberURL  string `json:"jabber-url,omitempty"`
	BackupURL  string `json:"backup-url,omitempty"`
}

// stamp is the registration epoch: the admin's counter (bumped by
// reregister-all) and a digest of the settings every client received.
// Clients compare it for equality only.
func stamp(epoch int64, s settings) string {
	return strconv.FormatInt(epoch, 10) + "-" + s.hash
}

// Stamp returns the current registration stamp.
func (m *Module) Stamp(ctx context.Context) (string, error) {
	recs, set, err := m.state()
	if err != nil {
		return "", err
	}
	epoch, err := recs.epoch(ctx)
	if err != nil {
		return "", err
	}
	return stamp(epoch, set), nil
}

func (m *Module) statusMethod() core.Method {
	return core.Func("status",
		"Registration status (GET /client/status?uuid=ID or ?uid=ID; ID is the uid or the machine UUID): registered, stamp (register again when it changes), and when registered jabber-url and backup-url. An unknown, removed or superseded id is registered=false.",
		func(ctx context.Context, in StatusArgs) (StatusReply, error) {
			return m.status(ctx, in)
		})
}

func (m *Module) status(ctx context.Context, in StatusArgs) (StatusReply, error) {
	recs, set, err := m.state()
	if err != nil {
		return StatusReply{}, err
	}
	field, id := "uid", in.UID
	if id == "" {
		field, id = "uuid", in.UUID
	}
	if id == "" {
		return StatusReply{}, core.Errorf(core.KindInvalid, "uuid: missing (ask ?uuid=ID or ?uid=ID)")
	}
	isUID, err := ValidateUUID(field, id)
	if err != nil {
		return StatusReply{}, core.Errorf(core.KindInvalid, "%v", err)
	}
	uid, hasKey, found, err := recs.status(ctx, strings.ToLower(id), !isUID)
	if err != nil {
		return StatusReply{}, err
	}
	epoch, err := recs.epoch(ctx)
	if err != nil {
		return StatusReply{}, err
	}
	out := StatusReply{Registered: found, Stamp: stamp(epoch, set)}
	if found {
		out.JabberURL = set.jabber
		if hasKey {
			out.BackupURL = set.backupURL(uid, "") // the account form: sugar-client uses it as-is
		}
	}
	return out, nil
}
