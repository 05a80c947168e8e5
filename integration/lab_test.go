package integration

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aula/internal/wire/labxml"
)

// Three real agents enrol, are seen idle, answer a probe and a hardware
// inventory launched on the lab, run scripts (one killed at its timeout)
// and an admin-defined command; a computer in maintenance gets nothing.
func TestLabAgentsEndToEnd(t *testing.T) {
	r := newLabRig(t, "pc1", "pc2", "pc3", "pc4")
	cmdDir := filepath.Join(t.TempDir(), "cmds")
	os.MkdirAll(cmdDir, 0o755)
	os.WriteFile(filepath.Join(cmdDir, "greet"), []byte("#!/bin/sh\necho \"hello $AULA_PARAM_WHO ($*)\"\n"), 0o755)
	for _, c := range []string{"pc1", "pc2", "pc3"} {
		r.startAgent(c, "--agent-commands-dir", cmdDir)
	}
	for _, c := range []string{"pc1", "pc2", "pc3"} {
		r.waitState(c, "idle")
	}
	if st := r.status()["pc4"].State; st != "off" {
		t.Fatalf("pc4 (no agent) is %s", st)
	}
	for _, c := range []string{"pc1", "pc2", "pc3"} {
		key := filepath.Join(r.agents[c].dir, "agent.key")
		if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", key, fi.Mode(), err)
		}
	}
	r.aula("computer", "maintenance", "pc3", "on")

	out := r.aula("run", "probe", "--lab", "aula1")
	if !strings.Contains(out, "on 3 computer(s); skipped (maintenance): pc3") {
		t.Fatalf("run: %s", out)
	}
	launch := strings.TrimSuffix(strings.Fields(out)[1], ":")
	waitFor(t, "probes", func() bool {
		n := 0
		for _, a := range r.actions("--launch", launch) {
			if a.State == "finished" && a.Result == 1 && strings.Contains(a.Output, "estado=idle") {
				n++
			}
		}
		return n == 2
	})
	if acts := r.actions("--launch", launch, "--computer", "pc4"); acts[0].State != "queued" {
		t.Fatalf("pc4's probe: %+v", acts[0])
	}

	// --wait prints the rows and succeeds when all did.
	out = r.aula("run", "hardware", "--group", "", "--computer", "pc1", "--wait", "--timeout", "60s")
	if !strings.Contains(out, "finished") || !strings.Contains(out, "hardware inventory stored") {
		t.Fatalf("hardware: %s", out)
	}
	inv := r.aula("inventory", "show", "pc1")
	for _, want := range []string{"# hardware inventory of pc1", "cpus=", "mem="} {
		if !strings.Contains(inv, want) {
			t.Fatalf("inventory lacks %q:\n%s", want, inv)
		}
	}
	show := r.aula("computer", "show", "pc1")
	if !strings.Contains(show, `"hostname"`) || !strings.Contains(show, "InventarioHardware") {
		t.Fatalf("computer show:\n%s", show)
	}

	acts := r.waitLaunch(r.run("script", "--computer", "pc2", "--param", "scp=echo out; echo err >&2; exit 3"))
	if a := acts[0]; a.State != "failed" || a.Result != 2 || !strings.Contains(a.Output, "exit status 3") || !strings.Contains(a.Output, "out\nerr") {
		t.Fatalf("script: %+v", a)
	}
	acts = r.waitLaunch(r.run("script", "--computer", "pc2", "--param", "scp=sleep 30", "--param", "timeout=1"))
	if a := acts[0]; a.State != "failed" || !strings.Contains(a.Output, "timed out after 1s") {
		t.Fatalf("hung script: %+v", a)
	}
	acts = r.waitLaunch(r.run("greet", "--computer", "pc1", "--param", "who=lab"))
	if a := acts[0]; a.State != "finished" || !strings.Contains(a.Output, "hello lab (who=lab)") {
		t.Fatalf("admin-defined command: %+v", a)
	}
	acts = r.waitLaunch(r.run("nosuch", "--computer", "pc1"))
	if a := acts[0]; a.State != "failed" || !strings.Contains(a.Output, "no executable") {
		t.Fatalf("missing admin-defined command: %+v", a)
	}
	acts = r.waitLaunch(r.run("poweroff", "--computer", "pc1"))
	if acts[0].State != "finished" {
		t.Fatalf("poweroff: %+v", acts[0])
	}
	waitFor(t, "the poweroff command", func() bool {
		_, err := os.Stat(filepath.Join(r.agents["pc1"].dir, "poweroff-ran"))
		return err == nil
	})
	// pc3 came out of maintenance: a new launch reaches it.
	r.aula("computer", "maintenance", "pc3", "off")
	if a := r.waitLaunch(r.run("probe", "--computer", "pc3"))[0]; a.State != "finished" {
		t.Fatalf("pc3 probe: %+v", a)
	}
}

// An agent killed mid-command: its action fails with the reason; after it
// comes back, the next queued action runs.
func TestLabAgentKilledMidCommand(t *testing.T) {
	r := newLabRig(t, "pc1")
	a := r.startAgent("pc1")
	r.waitState("pc1", "idle")
	launch := r.run("script", "--computer", "pc1", "--param", "scp=sleep 20")
	waitFor(t, "the script sent", func() bool { return r.actions("--launch", launch)[0].State == "sent" })
	next := r.run("probe", "--computer", "pc1")
	a.kill()
	acts := r.waitLaunch(launch)
	if acts[0].State != "failed" || !strings.Contains(acts[0].Output, "agent disconnected mid-command") {
		t.Fatalf("after the kill: %+v", acts[0])
	}
	if st := r.actions("--launch", next)[0].State; st != "queued" {
		t.Fatalf("the next action is %s while the agent is away", st)
	}
	r.startAgent("pc1")
	if acts := r.waitLaunch(next); acts[0].State != "finished" {
		t.Fatalf("queued probe after reconnect: %+v", acts[0])
	}
}

// A server killed with actions in flight and queued: after the restart the
// in-flight one is failed "server restarted", the agents reconnect by
// themselves and get the queued ones.
func TestLabServerRestartWithQueuedActions(t *testing.T) {
	r := newLabRig(t, "pc1", "pc2")
	r.startAgent("pc1")
	r.waitState("pc1", "idle")
	inflight := r.run("script", "--computer", "pc1", "--param", "scp=sleep 20")
	waitFor(t, "the script sent", func() bool { return r.actions("--launch", inflight)[0].State == "sent" })
	queued := r.run("hardware", "--lab", "aula1") // pc1 is busy, pc2 is off: both queue
	r.srv.kill()
	r.srv.start()
	acts := r.waitLaunch(inflight)
	if acts[0].State != "failed" || acts[0].Output != "server restarted" {
		t.Fatalf("in flight across the restart: %+v", acts[0])
	}
	r.startAgent("pc2")
	for _, a := range r.waitLaunch(queued) {
		if a.State != "finished" || a.Result != 1 {
			t.Fatalf("queued across the restart: %+v", a)
		}
	}
}

// agentClient speaks the wire directly with an enrolled agent's
// certificate, to send what a real agent never would.
type agentClient struct {
	t *testing.T
	c *tls.Conn
	r *labxml.Reader
}

func dialAgent(t *testing.T, r *labRig, dir string) (*agentClient, error) {
	pem, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "agent.crt"), filepath.Join(dir, "agent.key"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := tls.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", r.port), &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS13})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(60 * time.Second))
	return &agentClient{t: t, c: c, r: labxml.NewReader(c, 0)}, nil
}

func (a *agentClient) write(s string) {
	a.t.Helper()
	if _, err := a.c.Write([]byte(s)); err != nil {
		a.t.Fatal(err)
	}
}

func (a *agentClient) next() (*labxml.Message, error) { return a.r.Next() }

func (a *agentClient) expect(code int, contains string) *labxml.Message {
	a.t.Helper()
	m, err := a.r.Next()
	if err != nil {
		a.t.Fatalf("reading: %v", err)
	}
	if m.Code != code || !strings.Contains(m.Get("error"), contains) {
		a.t.Fatalf("got %+v, want codigo %d with %q", m, code, contains)
	}
	return m
}

// Malformed, oversize and forged messages are answered with an error and
// logged; the connection and the server keep going; the forged result
// lands on no row. A revoked certificate is refused.
func TestLabBadMessagesForgedIDsAndRevocation(t *testing.T) {
	r := newLabRig(t, "pc1", "pc2")
	a1 := r.startAgent("pc1")
	r.waitState("pc1", "idle")
	a1.stop()
	r.waitState("pc1", "off")
	// pc2's action, queued: pc1 will claim it as its own.
	other := r.run("probe", "--computer", "pc2")
	otherID := r.actions("--launch", other)[0].ID

	c, err := dialAgent(t, r, r.agents["pc1"].dir)
	if err != nil {
		t.Fatal(err)
	}
	c.write(`<RESPUESTA codigo="90" respuesta="hola" accion="0" resultado="1" ipaddr=""><PARAM nombre="hostname" valor="raw"/></RESPUESTA>` + "\n")
	c.expect(94, "")
	c.write("this is not xml\n")
	c.expect(92, "expected '<'")
	c.write(`<RESPUESTA codigo="8" accion="12" resultado="7"/>` + "\n")
	if m := c.expect(92, "resultado"); m.Action != 12 {
		t.Fatalf("error reply names accion %d", m.Action)
	}
	c.write(`<RESPUESTA codigo="8" accion="1" resultado="1"><PARAM nombre="out" valor="` + strings.Repeat("x", 100000) + `"/></RESPUESTA>` + "\n")
	c.expect(92, "longer than 65536")
	c.write(fmt.Sprintf(`<RESPUESTA codigo="17" respuesta="" accion="%d" resultado="1" ipaddr=""/>`+"\n", otherID))
	c.expect(92, "not in flight")
	// Still the same connection, and it still works: a probe for pc1 arrives and is answered.
	launch := r.run("probe", "--computer", "pc1")
	m, err := c.next()
	if err != nil || m.Kind != labxml.Command || m.Name != "Sondeo" {
		t.Fatalf("after bad messages: %+v %v", m, err)
	}
	c.write(fmt.Sprintf(`<RESPUESTA codigo="17" respuesta="" accion="%d" resultado="1" ipaddr=""><PARAM nombre="estado" valor="idle"/></RESPUESTA>`+"\n", m.Action))
	if a := r.waitLaunch(launch)[0]; a.State != "finished" || a.Output != "estado=idle" {
		t.Fatalf("pc1's probe: %+v", a)
	}
	if a := r.actions("--launch", other)[0]; a.State != "queued" {
		t.Fatalf("the forged result touched pc2's row: %+v", a)
	}
	if log := r.srv.log.String(); !strings.Contains(log, "bad message from agent") || !strings.Contains(log, "not in flight") {
		t.Fatalf("server log lacks the bad messages:\n%s", log)
	}
	c.c.Close()

	// Revoked: refused at the handshake (TLS 1.3 reports it on the first read).
	r.aula("ca", "revoke", "lab-agent-pc1")
	c, err = dialAgent(t, r, r.agents["pc1"].dir)
	if err == nil {
		c.write(`<RESPUESTA codigo="90" respuesta="" accion="0" resultado="1"/>` + "\n")
		_, err = c.next()
	}
	if err == nil {
		t.Fatal("a revoked certificate was let in")
	}
	waitFor(t, "the refusal logged", func() bool { return strings.Contains(r.srv.log.String(), "revoked") })
	if st := r.status()["pc1"].State; st != "off" {
		t.Fatalf("pc1 is %s with a revoked certificate", st)
	}
	// A used token cannot enrol again.
	out, code := aula(t, "agent", "--server", fmt.Sprintf("127.0.0.1:%d", r.port), "--dir", filepath.Join(t.TempDir(), "again"),
		"--token", "AAAAAAAAAAAAAAAAAAAAAAAA."+strings.SplitN(r.token("pc2"), ".", 2)[1])
	if code == 0 || !strings.Contains(out, "enrolment refused") {
		t.Fatalf("bad token: exit %d\n%s", code, out)
	}
}
