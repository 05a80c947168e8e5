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
			res, err := tx.ExecContext(ctx, m.t.q("UPDATE lab_computers SET enrol_hash = ?, enrol_expires = ?, enrol_claim = '', enrol_claim_until = '', enrol_serial = '' WHERE name = ?"), tokenHash(secret), fmtTime(exp), in.Name)
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

// enrolClaimTTL bounds how long an enrolment in progress holds its token
// when the front end never ends it (a crash): longer than the front end
// waits for the agent's confirmation (its hello timeout).
const enrolClaimTTL = 2 * time.Minute

// agentEnrol claims a token for the computer's agent identity. The front
// end then issues the certificate for that identity, sends it, and ends
// the claim with agentEnrolEnd: the token is spent only once the agent
// confirmed it stored the certificate, so a failed delivery leaves it
// usable for a retry within its validity, while a claim held by one
// enrolment refuses any other (one token, one certificate).
func (m *Module) agentEnrol(ctx context.Context, in AgentEnrolArgs) (labapi.Enrolled, error) {
	if err := fromAgentFrontEnd(ctx); err != nil {
		return labapi.Enrolled{}, err
	}
	secret, _, _ := strings.Cut(in.Token, ".")
	if secret == "" {
		return labapi.Enrolled{}, core.Errorf(core.KindUnauthenticated, "no enrolment token")
	}
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		return labapi.Enrolled{}, core.Wrap(core.KindInternal, err, "random claim")
	}
	claim := base64.RawURLEncoding.EncodeToString(b[:])
	var out labapi.Enrolled
	err := m.t.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out = labapi.Enrolled{}
		var name, expires, claimUntil string
		err := tx.QueryRowContext(ctx, m.t.q("SELECT name, enrol_expires, enrol_claim_until FROM lab_computers WHERE enrol_hash = ? AND enrol_hash <> ''"), tokenHash(secret)).Scan(&name, &expires, &claimUntil)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.KindUnauthenticated, "unknown or already used enrolment token")
		}
		if err != nil {
			return err
		}
		at := now()
		if t, err := time.Parse(stamp, expires); err != nil || !at.Before(t) {
			return core.Errorf(core.KindUnauthenticated, "enrolment token expired at %s; make a new one with `aula computer enrol %s`", expires, name)
		}
		if claimUntil != "" && fmtTime(at) < claimUntil {
			return core.Errorf(core.KindUnavailable, "another enrolment is using this token right now; try again in a moment")
		}
		out = labapi.Enrolled{Computer: name, Identity: labapi.Identity(name), Claim: claim}
		_, err = tx.ExecContext(ctx, m.t.q("UPDATE lab_computers SET enrol_claim = ?, enrol_claim_until = ?, identity = ? WHERE name = ?"),
			tokenHash(claim), fmtTime(at.Add(enrolClaimTTL)), out.Identity, name)
		return err
	})
	if err != nil {
		return labapi.Enrolled{}, kindError(err, "enrolling")
	}
	m.idents.forget()
	return out, nil
}

// AgentEnrolEndArgs ends an enrolment: Stored says the agent confirmed
// it stored its certificate; Serial is the certificate issued (if any),
// which, unconfirmed, spends the token when an agent presents it.
type AgentEnrolEndArgs struct {
	Claim  string `json:"claim"`
	Stored bool   `json:"stored,omitempty"`
	Serial string `json:"serial,omitempty"`
}

// agentEnrolEnd spends the claimed token (stored) or frees it for a retry.
func (m *Module) agentEnrolEnd(ctx context.Context, in AgentEnrolEndArgs) (string, error) {
	if err := fromAgentFrontEnd(ctx); err != nil {
		return "", err
	}
	if in.Claim == "" {
		return "", core.Errorf(core.KindInvalid, "no enrolment claim")
	}
	var name string
	err := m.t.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		name = ""
		err := tx.QueryRowContext(ctx, m.t.q("SELECT name FROM lab_computers WHERE enrol_claim = ? AND enrol_claim <> ''"), tokenHash(in.Claim)).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.KindConflict, "no enrolment in progress for this claim (it ran out, or a new token replaced it)")
		}
		if err != nil {
			return err
		}
		if in.Stored {
			_, err = tx.ExecContext(ctx, m.t.q("UPDATE lab_computers SET enrol_claim = '', enrol_claim_until = '', enrol_hash = '', enrol_expires = '', enrol_serial = '' WHERE name = ?"), name)
		} else {
			_, err = tx.ExecContext(ctx, m.t.q("UPDATE lab_computers SET enrol_claim = '', enrol_claim_until = '', enrol_serial = ? WHERE name = ?"), in.Serial, name)
		}
		return err
	})
	if err != nil {
		return "", kindError(err, "ending the enrolment")
	}
	if in.Stored {
		m.log.Info("lab: agent enrolled", "computer", name, "identity", labapi.Identity(name))
	} else {
		m.log.Warn("lab: enrolment not completed; the token stays usable until it expires", "computer", name)
	}
	return name, nil
}
