package integration

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"aula/internal/ca"
	"aula/internal/wire/labxml"
	"aula/modules/lab/labapi"
)

// startAgentWithToken runs `aula agent` for a computer in its own
// directory with the token given (not a fresh one).
func (r *labRig) startAgentWithToken(key, token string) *agentProc {
	r.t.Helper()
	a := &agentProc{name: key, dir: filepath.Join(r.t.TempDir(), "agent-"+key)}
	r.agents[key] = a
	r.t.Cleanup(a.stop)
	a.cmd = exec.Command(aulaBin, "agent", "--server", fmt.Sprintf("127.0.0.1:%d", r.port), "--dir", a.dir, "--max-backoff", "1s", "--token", token)
	a.cmd.Env = cleanEnv()
	a.log = &syncBuffer{}
	a.cmd.Stdout, a.cmd.Stderr = a.log, a.log
	if err := a.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	a.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(a.cmd, a.done)
	return a
}

// rawEnrol presents a token on a connection of its own and, if
// readCert, reads the certificate; it never confirms it (as an agent
// that lost it on the way, or could not store it).
func rawEnrol(t *testing.T, r *labRig, token string, readCert bool) *labxml.Message {
	t.Helper()
	c, err := tls.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", r.port), &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	m := (&labxml.Message{Kind: labxml.Response, Code: labapi.CodeEnrol, Result: labxml.Success}).Add("token", token)
	if _, err := c.Write(labxml.Encode(m)); err != nil {
		t.Fatal(err)
	}
	if !readCert {
		return nil
	}
	reply, err := labxml.NewReader(c, 0).Next()
	if err != nil {
		t.Fatal(err)
	}
	return reply
}

// agentCerts lists the CA's records for a computer's agent.
func agentCerts(t *testing.T, r *labRig, computer string) (valid, revoked []ca.Record) {
	t.Helper()
	recs, err := ca.List(filepath.Join(r.dataDir, "ca"))
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		if rec.Name != labapi.Identity(computer) {
			continue
		}
		if rec.Revoked() {
			revoked = append(revoked, rec)
		} else {
			valid = append(valid, rec)
		}
	}
	return valid, revoked
}

func serialOf(t *testing.T, pemFile string) string {
	t.Helper()
	b, err := os.ReadFile(pemFile)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM", pemFile)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c.SerialNumber.Text(16)
}

// Two deliveries fail (the connection closes before the certificate is
// read; the certificate is read but never confirmed): the token stays
// usable, and a real agent then enrols with it. Only that agent's
// certificate is valid, and the token is spent.
func TestLabEnrolFailedDeliveryThenRetry(t *testing.T) {
	r := newLabRig(t, "pc1")
	token := r.token("pc1")
	unconfirmed := func() int { return strings.Count(r.srv.log.String(), "its token stays usable for a retry") }
	rawEnrol(t, r, token, false)
	waitFor(t, "the first attempt to end", func() bool {
		return unconfirmed()+strings.Count(r.srv.log.String(), "issuing an agent certificate") >= 1
	})
	before := unconfirmed()
	// The server logs the first attempt's end a moment before it lets go
	// of the token; meanwhile it tells a newcomer to retry, and a real
	// agent does.
	var got *labxml.Message
	waitFor(t, "the token to be free again", func() bool {
		got = rawEnrol(t, r, token, true)
		return got.Get(labapi.RetryParam) == ""
	})
	if got.Code != labapi.CodeCertificate || got.Get("crt") == "" {
		t.Fatalf("second attempt got %+v", got)
	}
	waitFor(t, "the unconfirmed delivery to end", func() bool { return unconfirmed() > before })
	if out := r.aula("computer", "list"); !strings.Contains(out, "(token pending)") {
		t.Fatalf("a failed delivery spent the token:\n%s", out)
	}

	a := r.startAgentWithToken("pc1", token)
	r.waitState("pc1", "idle")
	waitFor(t, "the token to be spent once the agent enrolled", func() bool {
		return !strings.Contains(r.aula("computer", "list"), "(token pending)")
	})
	valid, revoked := agentCerts(t, r, "pc1")
	if len(valid) != 1 || len(revoked) < 1 || valid[0].Serial != serialOf(t, filepath.Join(a.dir, "agent.crt")) {
		t.Fatalf("certificates: valid %+v, revoked %+v", valid, revoked)
	}
	// Spent: the next use is refused for good.
	if m := rawEnrol(t, r, token, true); m.Code != labapi.CodeError || !strings.Contains(m.Get("error"), "already used") || m.Get(labapi.RetryParam) != "" {
		t.Fatalf("a spent token: %+v", m)
	}
}

// Two agents start at once with the same token: exactly one enrols and
// gets a certificate; the other is refused (after being told to retry
// while the first held the token) and exits.
func TestLabEnrolSameTokenTwoAgents(t *testing.T) {
	r := newLabRig(t, "pc1")
	token := r.token("pc1")
	a := r.startAgentWithToken("a", token)
	b := r.startAgentWithToken("b", token)
	r.waitState("pc1", "idle")
	var loser *agentProc
	waitFor(t, "one agent to give up", func() bool {
		for _, p := range []*agentProc{a, b} {
			select {
			case <-p.done:
				loser = p
				return true
			default:
			}
		}
		return false
	})
	winner := a
	if loser == a {
		winner = b
	}
	if !strings.Contains(loser.log.String(), "unknown or already used enrolment token") || loser.cmd.ProcessState.ExitCode() == 0 {
		t.Fatalf("the other agent (exit %d):\n%s", loser.cmd.ProcessState.ExitCode(), loser.log.String())
	}
	if _, err := os.Stat(filepath.Join(loser.dir, "agent.crt")); err == nil {
		t.Fatal("the refused agent has a certificate")
	}
	valid, revoked := agentCerts(t, r, "pc1")
	if len(valid) != 1 || len(revoked) != 0 || valid[0].Serial != serialOf(t, filepath.Join(winner.dir, "agent.crt")) {
		t.Fatalf("one token made certificates: valid %+v, revoked %+v", valid, revoked)
	}
}

// Wake-on-LAN goes to a UDP listener on 127.0.0.1 (--lab-wol-addr; tests
// never broadcast): the magic packet is 6×0xFF and 16× the MAC, the
// computer is booting until its agent connects (then idle), or until
// --lab-boot-timeout (then off), and every wake is an action row.
func TestLabWakeBootingThenIdle(t *testing.T) {
	r := newLabRig(t)
	macs := map[string]string{"pc1": "02:00:00:00:00:01", "pc2": "02:00:00:00:00:02"}
	for _, c := range []string{"pc1", "pc2"} {
		r.aula("computer", "add", c, "--lab", "aula1", "--mac", macs[c], "--ip", "10.0.0.1"+c[2:])
	}
	ln, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	wol := ln.LocalAddr().String()
	packets := func(n int) map[string]bool {
		t.Helper()
		got := map[string]bool{}
		buf := make([]byte, 2048)
		for range n {
			ln.SetReadDeadline(time.Now().Add(60 * time.Second))
			k, _, err := ln.ReadFrom(buf)
			if err != nil {
				t.Fatal(err)
			}
			p := buf[:k]
			if k != 102 || !bytes.Equal(p[:6], bytes.Repeat([]byte{0xFF}, 6)) || !bytes.Equal(p[6:], bytes.Repeat(p[6:12], 16)) {
				t.Fatalf("not a magic packet: % x", p)
			}
			got[net.HardwareAddr(p[6:12]).String()] = true
		}
		return got
	}

	out := r.aula("computer", "wake", "--lab", "aula1", "--lab-wol-addr", wol)
	if !strings.Contains(out, "Arrancar on 2 computer(s)") || strings.Count(out, "sent to "+wol) != 2 {
		t.Fatalf("wake:\n%s", out)
	}
	if got := packets(2); !got[macs["pc1"]] || !got[macs["pc2"]] {
		t.Fatalf("packets for %v", got)
	}
	st := r.status()
	if st["pc1"].State != "booting" || st["pc2"].State != "booting" {
		t.Fatalf("after the wake: %+v", st)
	}
	r.startAgent("pc1")
	r.waitState("pc1", "idle")
	if st := r.status()["pc2"].State; st != "booting" {
		t.Fatalf("pc2 (no agent) is %s within its boot timeout", st)
	}
	// `aula run wake` is the same launch; a short boot timeout ends in off.
	r.aula("run", "wake", "--computer", "pc2", "--lab-wol-addr", wol, "--lab-boot-timeout", "1s")
	if got := packets(1); !got[macs["pc2"]] {
		t.Fatalf("packets for %v", got)
	}
	r.waitState("pc2", "off")
	rows := r.actions("--lab", "aula1")
	n := 0
	for _, a := range rows {
		if a.Command == "Arrancar" && a.State == "finished" && a.Result == 1 && a.Launcher == "local-admin" {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("want 3 Arrancar rows: %+v", rows)
	}
}

// The admin's queue operations on real agents: a paused queue holds its
// actions until resumed, a queued action is deleted (its row says who
// and when), and a failed action retried runs again as a new row linked
// to the old one.
func TestLabQueueOperations(t *testing.T) {
	r := newLabRig(t, "pc1", "pc2")
	r.startAgent("pc1")
	r.waitState("pc1", "idle")
	r.aula("actions", "pause", "--computer", "pc1")
	launch := r.run("probe", "--lab", "aula1")
	byComputer := func() map[string]actionRow {
		out := map[string]actionRow{}
		for _, a := range r.actions("--launch", launch) {
			out[a.Computer] = a
		}
		return out
	}
	acts := byComputer()
	if acts["pc1"].State != "paused" || acts["pc2"].State != "queued" {
		t.Fatalf("launch on a paused queue: %+v", acts)
	}
	if out := r.aula("lab", "status", "aula1"); !strings.Contains(out, "idle (queue paused)") {
		t.Fatalf("status:\n%s", out)
	}
	out := r.aula("actions", "rm", strconv.FormatInt(acts["pc2"].ID, 10))
	if !strings.Contains(out, "deleted by local-admin at ") {
		t.Fatalf("rm:\n%s", out)
	}
	if o, code := aula(t, "actions", "rm", strconv.FormatInt(acts["pc2"].ID, 10), "--data-dir", r.dataDir); code == 0 || !strings.Contains(o, "only queued or paused") {
		t.Fatalf("deleting twice: exit %d\n%s", code, o)
	}
	r.aula("actions", "resume", "--lab", "aula1")
	waitFor(t, "pc1's probe after the resume", func() bool { return byComputer()["pc1"].State == "finished" })
	if a := byComputer()["pc2"]; a.State != "deleted" {
		t.Fatalf("the deleted action: %+v", a)
	}

	flag := filepath.Join(t.TempDir(), "ready")
	failed := r.waitLaunch(r.run("script", "--computer", "pc1", "--param", "scp=test -f "+flag))[0]
	if failed.State != "failed" {
		t.Fatalf("script: %+v", failed)
	}
	os.WriteFile(flag, nil, 0o644)
	out = r.aula("actions", "retry", strconv.FormatInt(failed.ID, 10), "--wait", "--timeout", "60s")
	if !strings.Contains(out, "retried 1 action(s)") || !strings.Contains(out, "finished") {
		t.Fatalf("retry:\n%s", out)
	}
	var retried actionRow
	for _, a := range r.actions("--computer", "pc1", "--json") {
		if a.Command == "EjecutarScript" && a.ID > failed.ID {
			retried = a
		}
	}
	raw := r.aula("actions", "--computer", "pc1", "--json", "--limit", "1")
	if retried.State != "finished" || !strings.Contains(raw, fmt.Sprintf(`"retry_of": %d`, failed.ID)) {
		t.Fatalf("retried row %+v\n%s", retried, raw)
	}
	if o, code := aula(t, "actions", "retry", strconv.FormatInt(failed.ID, 10), "--data-dir", r.dataDir); code == 0 || !strings.Contains(o, "already retried") {
		t.Fatalf("retrying twice: exit %d\n%s", code, o)
	}
}
