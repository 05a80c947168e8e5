package id

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"aula/internal/core"
)

// RegisterArgs are the Sugar shell's four positional strings (spec §1).
type RegisterArgs struct {
	Serial   string `json:"serial"`
	Nickname string `json:"nickname"`
	UUID     string `json:"uuid"`
	PubKey   string `json:"pubkey"`
}

// ClientArgs are the REST form's fields: only uuid is required; without a
// pubkey the client gets no backup.
type ClientArgs struct {
	UUID     string `json:"uuid"`
	Nickname string `json:"nickname,omitempty"`
	Serial   string `json:"serial,omitempty"`
	PubKey   string `json:"pubkey,omitempty"`
}

// RegisterReply is the register result. Success leads, so the REST
// envelope passes it through unchanged. The success fields are pointers
// because a success must carry them even when empty (the Sugar shell
// raises KeyError on a missing one) while a failure carries only success
// and error.
type RegisterReply struct {
	Success      string            `json:"success"` // "OK" or "ERR"
	Error        string            `json:"error,omitempty"`
	UUID         string            `json:"uuid,omitempty"` // REST form: the server-assigned id (SSK's name)
	UID          string            `json:"uid,omitempty"`  // REST form: the same id, under its later name
	JabberServer *string           `json:"jabberserver,omitempty"`
	BackupURL    *string           `json:"backupurl,omitempty"`
	BackupPath   *string           `json:"backuppath,omitempty"`
	Stamp        string            `json:"stamp,omitempty"`
	Config       map[string]string `json:"config,omitempty"`
}

func failed(msg string) RegisterReply { return RegisterReply{Success: "ERR", Error: msg} }

const registerHelp = `Registers a laptop as the Sugar shell does: register(serial, nickname, uuid, pubkey), four strings, pubkey being the base64 SSH key blob (with or without its "ssh-dss " prefix). Returns a struct: on success success="OK", jabberserver, backupurl, backuppath, stamp and config (sugar-client options); on failure success="ERR" and error. It never answers with a fault for a bad request.`

// registerMethod is id.register, alias register: the XML-RPC form, whose
// failures are in-band (success="ERR"), since the Sugar shell turns any
// fault into "Cannot connect to the server".
func (m *Module) registerMethod() core.Method {
	meth := core.Func("register", registerHelp, func(ctx context.Context, in RegisterArgs) (RegisterReply, error) {
		if in.Serial == "" {
			return failed("serial: empty"), nil
		}
		reply, err := m.register(ctx, ClientArgs{UUID: in.UUID, Nickname: in.Nickname, Serial: in.Serial, PubKey: in.PubKey}, true)
		if err != nil {
			return m.inBand(ctx, err), nil
		}
		return reply, nil
	})
	typed := meth.Handler
	// Wrong parameter counts or types are the client's doing too: answer
	// them in-band, with the core's message naming the parameter.
	meth.Handler = func(ctx context.Context, args []any, named map[string]any) (any, error) {
		out, err := typed(ctx, args, named)
		if err != nil {
			return m.inBand(ctx, err), nil
		}
		return out, nil
	}
	meth.Aliases = []string{"register"}
	meth.Mutates = true
	return meth
}

// inBand turns an error into a failure reply. Internal errors are logged
// and reported by request id only.
func (m *Module) inBand(ctx context.Context, err error) RegisterReply {
	e := core.AsError(err)
	c := core.CallFrom(ctx)
	msg := e.Msg
	if e.Kind == core.KindInternal {
		id := ""
		if c != nil {
			id = c.ID
		}
		m.logger().Error("register failed", "id", id, "err", err)
		msg = "internal error (request id " + id + ")"
	}
	if c != nil {
		c.InBandError = msg // the audit records the refusal
	}
	return failed(msg)
}

func (m *Module) logger() *slog.Logger {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.log == nil {
		return slog.Default()
	}
	return m.log
}

// registerClientMethod is id.register_client, behind POST /client/register:
// the same registration with named, mostly optional fields and HTTP errors.
func (m *Module) registerClientMethod() core.Method {
	meth := core.Func("register_client",
		"Registers a client (REST form, POST /client/register): uuid required; nickname, serial and pubkey optional (no pubkey, no backup). Returns the register struct plus uuid and uid, the server-assigned id. Bad fields are HTTP 400 errors.",
		func(ctx context.Context, in ClientArgs) (RegisterReply, error) {
			return m.register(ctx, in, false)
		})
	meth.Mutates = true
	return meth
}

// register validates, stores durably and builds the reply. sugar is the XML-RPC form: the key is required and the ids are
// not echoed.
func (m *Module) register(ctx context.Context, in ClientArgs, sugar bool) (RegisterReply, error) {
	recs, set, err := m.state()
	if err != nil {
		return RegisterReply{}, err
	}
	c, err := checkRegistration(in, sugar)
	if err != nil {
		return RegisterReply{}, err
	}
	c.LastRegistered = time.Now()
	if call := core.CallFrom(ctx); call != nil && call.Caller.Addr.IsValid() {
		c.LastAddr = call.AddrText()
	}
	if err := m.checkSerial(ctx, recs, c); err != nil {
		return RegisterReply{}, err
	}
	// Durable once appended to the journal; its events are published
	// when the journal is folded (journal.go).
	if err := recs.appendRegistration(ctx, c); err != nil {
		return RegisterReply{}, writeError(err, recs.dir())
	}
	epoch, err := recs.epoch(ctx)
	if err != nil {
		return RegisterReply{}, err
	}
	st := stamp(epoch, set)
	var reply RegisterReply
	if c.PubKey != "" && sugar {
		// The Sugar shell stores backupurl for OLPC's ds-backup, which
		// logs in as the laptop's serial.
		reply = set.successReply(c.UID, c.Serial, st)
	} else if c.PubKey != "" {
		// sugar-client uses backupurl as-is, also with the system sshd.
		reply = set.successReply(c.UID, "", st)
	} else { // REST form without a key: no backup
		jabber, url, path := set.jabber, "", ""
		reply = RegisterReply{Success: "OK", JabberServer: &jabber, BackupURL: &url, BackupPath: &path,
			Stamp: st, Config: set.configDict(c.UID, url)}
	}
	if !sugar {
		reply.UUID, reply.UID = c.UID, c.UID
	}
	return reply, nil
}

// checkRegistration validates the fields and derives the record to store.
func checkRegistration(in ClientArgs, keyRequired bool) (Client, error) {
	var errs []error
	if _, err := ValidateUUID("uuid", in.UUID); err != nil {
		errs = append(errs, err)
	}
	if in.Serial != "" {
		if err := ValidateSerial(in.Serial); err != nil {
			errs = append(errs, err)
		}
	}
	if err := ValidateNickname(in.Nickname); err != nil {
		errs = append(errs, err)
	}
	var key PubKey
	if in.PubKey != "" || keyRequired {
		var err error
		if key, err = ParsePubKey(in.PubKey); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 && key.Blob == "" && strings.EqualFold(in.UUID, PlaceholderUUID) {
		errs = append(errs, reject("uuid", "the all-zero UUID names no machine; send a pubkey to register without one"))
	}
	if len(errs) > 0 {
		return Client{}, core.Errorf(core.KindInvalid, "%s", joinErrors(errs))
	}
	c := Client{UUID: in.UUID, Serial: in.Serial, Nickname: in.Nickname, PubKey: key.Blob}
	if key.Blob != "" {
		c.UID = UIDOf(key.Blob)
	} else {
		c.UID = uidOfUUID(in.UUID)
	}
	return c, nil
}

func joinErrors(errs []error) string {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}
