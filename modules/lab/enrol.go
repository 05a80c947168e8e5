package lab

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"aula/internal/core"
	"aula/modules/lab/labapi"
)

// EnrolReply is a fresh one-time enrolment secret. The CLI prints it as
// the token, followed by the pin of the CA the agent must find at the
// server (see internal/agent).
type EnrolReply struct {
	Computer string `json:"computer"`
	Secret   string `json:"secret"`
	Expires  string `json:"expires"`
}

// tokenHash is what is stored of a token: a lookup by hash compares no
// secret, so it leaks nothing through timing.
func tokenHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func (m *Module) enrolMethod() core.Method {
	me := core.Func("enrol", "Makes a one-time enrolment token for a computer's agent (replacing any pending one).", func(ctx context.Context, in NameArgs) (EnrolReply, error) {
		var b [18]byte
		if _, err := rand.Read(b[:]); err != nil {
			return EnrolReply{}, core.Wrap(core.KindInternal, err, "random token")
		}
		secret := base64.RawURLEncoding.EncodeToString(b[:])
		exp := now().Add(m.enrolTTL.Get())
		var n int64
		err := m.t.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, m.t.q("UPDATE lab_computers SET enrol_hash = ?, enrol_expires = ? WHERE name = ?"), tokenHash(secret), fmtTime(exp), in.Name)
			if err == nil {
				n, err = res.RowsAffected()
			}
			return err
		})
		if err != nil {
			return EnrolReply{}, storeError(err, "storing the token")
		}
		if n == 0 {
			return EnrolReply{}, core.Errorf(core.KindNotFound, "no computer %q (add it with `aula computer add`)", in.Name)
		}
		return EnrolReply{Computer: in.Name, Secret: secret, Expires: fmtTime(exp)}, nil
	})
	me.Mutates = true
	return me
}

// AgentEnrolArgs is the token an agent presented.
type AgentEnrolArgs struct {
	Token string `json:"token"`
}

// agentEnrol trades a token for the computer's agent identity, once. The
// front end then issues the certificate for that identity.
func (m *Module) agentEnrol(ctx context.Context, in AgentEnrolArgs) (labapi.Enrolled, error) {
	if err := fromAgentFrontEnd(ctx); err != nil {
		return labapi.Enrolled{}, err
	}
	secret, _, _ := strings.Cut(in.Token, ".")
	if secret == "" {
		return labapi.Enrolled{}, core.Errorf(core.KindUnauthenticated, "no enrolment token")
	}
	var out labapi.Enrolled
	err := m.t.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out = labapi.Enrolled{}
		var name, expires string
		err := tx.QueryRowContext(ctx, m.t.q("SELECT name, enrol_expires FROM lab_computers WHERE enrol_hash = ? AND enrol_hash <> ''"), tokenHash(secret)).Scan(&name, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.KindUnauthenticated, "unknown or already used enrolment token")
		}
		if err != nil {
			return err
		}
		if t, err := time.Parse(stamp, expires); err != nil || !now().Before(t) {
			return core.Errorf(core.KindUnauthenticated, "enrolment token expired at %s; make a new one with `aula computer enrol %s`", expires, name)
		}
		out = labapi.Enrolled{Computer: name, Identity: labapi.Identity(name)}
		_, err = tx.ExecContext(ctx, m.t.q("UPDATE lab_computers SET enrol_hash = '', enrol_expires = '', identity = ? WHERE name = ?"), out.Identity, name)
		return err
	})
	if err != nil {
		return labapi.Enrolled{}, kindError(err, "enrolling")
	}
	m.idents.forget()
	m.log.Info("lab: agent enrolled", "computer", out.Computer, "identity", out.Identity)
	return out, nil
}
