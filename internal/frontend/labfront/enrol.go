package labfront

import (
	"os"
	"path/filepath"

	"aula/internal/ca"
	"aula/internal/core"
	"aula/internal/wire/labxml"
	"aula/modules/lab/labapi"
)

// enrol handles an agent without a certificate: its first message must
// present a one-time token; the answer is its certificate, and the agent
// confirms it stored it (RESPUESTA codigo=95). Only that confirmation
// spends the token (lab.agentEnrolEnd): a delivery that fails leaves it
// usable for the agent's retry, and while one enrolment holds the token
// no other can use it, so one token makes one certificate.
func (ac *agentConn) enrol() {
	f := ac.f
	m, err := ac.next()
	if err != nil {
		if labxml.IsMessageError(err) {
			ac.sendError(0, err.Error())
		}
		return
	}
	if m.Kind != labxml.Response || m.Code != labapi.CodeEnrol || m.Get("token") == "" {
		ac.sendError(0, "no client certificate: present an enrolment token first (aula agent --token)")
		return
	}
	out, err := ac.call("lab.agentEnrol", map[string]any{"token": m.Get("token")})
	if err != nil {
		f.log.Warn("lab: enrolment refused", "addr", ac.addr.String(), "err", err)
		msg := (&labxml.Message{Kind: labxml.Command, Code: labapi.CodeError, Name: "Error"}).Add("error", publicMsg(err))
		if core.KindOf(err) == core.KindUnavailable {
			msg.Add(labapi.RetryParam, "1")
		}
		ac.send(msg)
		return
	}
	en := out.(labapi.Enrolled)
	stored, serial := false, ""
	defer func() {
		if _, err := ac.call("lab.agentEnrolEnd", map[string]any{"claim": en.Claim, "stored": stored, "serial": serial}); err != nil {
			f.log.Error("lab: ending an enrolment", "computer", en.Computer, "stored", stored, "err", err)
		}
	}()
	serial, err = ac.issue(en)
	if err != nil {
		f.log.Error("lab: issuing an agent certificate", "computer", en.Computer, "err", err)
		if serial != "" {
			// The agent cannot hold all of a message whose write failed:
			// the certificate it carried is nobody's (and spends nothing).
			if auth, oerr := ca.Open(f.caDirV); oerr == nil {
				auth.RevokeSerial(serial)
			}
			serial = ""
		}
		ac.sendError(0, "the server could not deliver a certificate; try again with the same token")
		return
	}
	// The hello timeout set by serve bounds this wait too.
	m, err = ac.next()
	if err != nil || m.Kind != labxml.Response || m.Code != labapi.CodeStored {
		f.log.Warn("lab: enrolling agent did not confirm its certificate; its token stays usable for a retry", "computer", en.Computer, "addr", ac.addr.String(), "err", err)
		return
	}
	stored = true
	f.log.Info("lab: agent enrolled; certificate issued", "computer", en.Computer, "identity", en.Identity, "serial", serial, "addr", ac.addr.String())
}

// issue makes the enrolled agent's certificate and sends it with the CA;
// it returns the certificate's serial once issued (also when sending it
// failed). An earlier certificate of the same computer's agent is
// revoked: it is no longer that agent's.
func (ac *agentConn) issue(en labapi.Enrolled) (string, error) {
	f := ac.f
	auth, err := ca.Open(f.caDirV)
	if err != nil {
		return "", err
	}
	caPEM, err := os.ReadFile(filepath.Join(f.caDirV, "ca.crt"))
	if err != nil {
		return "", err
	}
	_, _ = auth.Revoke(en.Identity) // an error only says there was none
	is, err := auth.Issue(ca.Request{Name: en.Identity, Kind: ca.Client})
	if err != nil {
		return "", err
	}
	return is.Record.Serial, ac.send((&labxml.Message{Kind: labxml.Command, Code: labapi.CodeCertificate, Name: "Certificado"}).
		Add("computer", en.Computer).Add("crt", string(is.CertPEM)).Add("key", string(is.KeyPEM)).Add("ca", string(caPEM)))
}
