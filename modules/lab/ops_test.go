package lab

import (
	"bytes"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"aula/internal/core"
	"aula/modules/lab/labapi"
)

// A delivery that failed (the front end ends the claim unstored) leaves
// the token usable: the retry enrols, and then the token is spent. While
// one enrolment holds it, another is told to retry.
func TestEnrolFailedDeliveryThenRetry(t *testing.T) {
	h := newHarness(t, "")
	setupLab(h, "pc1")
	tok := h.mustCall("lab.enrol", map[string]any{"name": "pc1"}).(EnrolReply).Secret
	first := must(h.agentCall("", "lab.agentEnrol", map[string]any{"token": tok})).(labapi.Enrolled)
	if _, err := h.agentCall("", "lab.agentEnrol", map[string]any{"token": tok}); core.KindOf(err) != core.KindUnavailable {
		t.Fatalf("a second use while the first holds the token: %v", err)
	}
	must(h.agentCall("", "lab.agentEnrolEnd", map[string]any{"claim": first.Claim, "stored": false}))
	if c := h.mustCall("lab.computerShow", map[string]any{"name": "pc1"}).(ComputerDetail); !c.Enrolling {
		t.Fatalf("the token was spent by a failed delivery: %+v", c.Computer)
	}
	second := must(h.agentCall("", "lab.agentEnrol", map[string]any{"token": tok})).(labapi.Enrolled)
	if second.Computer != "pc1" || second.Claim == first.Claim {
		t.Fatalf("retry %+v", second)
	}
	// The first attempt's claim is over: it cannot spend the token now.
	if _, err := h.agentCall("", "lab.agentEnrolEnd", map[string]any{"claim": first.Claim, "stored": true}); core.KindOf(err) != core.KindConflict {
		t.Fatalf("a stale claim ended an enrolment: %v", err)
	}
	must(h.agentCall("", "lab.agentEnrolEnd", map[string]any{"claim": second.Claim, "stored": true}))
	if _, err := h.agentCall("", "lab.agentEnrol", map[string]any{"token": tok}); core.KindOf(err) != core.KindUnauthenticated {
		t.Fatalf("the token works after it was spent: %v", err)
	}
	if c := h.mustCall("lab.computerShow", map[string]any{"name": "pc1"}).(ComputerDetail); c.Enrolling || c.Identity != "lab-agent-pc1" {
		t.Fatalf("after enrolment %+v", c.Computer)
	}
	// Only the agent listener may end an enrolment.
	if _, err := h.call("lab.agentEnrolEnd", map[string]any{"claim": second.Claim}); core.KindOf(err) != core.KindPermission {
		t.Fatalf("agentEnrolEnd over the CLI: %v", err)
	}
}

// Many uses of one token at once: exactly one holds it.
func TestEnrolConcurrentUsesOneWins(t *testing.T) {
	h := newHarness(t, "")
	setupLab(h, "pc1")
	tok := h.mustCall("lab.enrol", map[string]any{"name": "pc1"}).(EnrolReply).Secret
	var wg sync.WaitGroup
	var mu sync.Mutex
	var won []labapi.Enrolled
	busy := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := h.agentCall("", "lab.agentEnrol", map[string]any{"token": tok})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won = append(won, out.(labapi.Enrolled))
			case core.KindOf(err) == core.KindUnavailable:
				busy++
			default:
				t.Errorf("unexpected: %v", err)
			}
		}()
	}
	wg.Wait()
	if len(won) != 1 || busy != 7 {
		t.Fatalf("%d won, %d told to retry", len(won), busy)
	}
}

// udpListener listens on 127.0.0.1 (tests never broadcast) and returns
// the address for --lab-wol-addr.
func udpListener(t *testing.T) (*net.UDPConn, string) {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, c.LocalAddr().String()
}

func readPacket(t *testing.T, c *net.UDPConn) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 2048)
	n, _, err := c.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	return buf[:n]
}

func TestWakeSendsMagicPacketAndBoots(t *testing.T) {
	ln, addr := udpListener(t)
	h := newHarness(t, "", "--lab-wol-addr="+addr)
	setupLab(h)
	h.mustCall("lab.computerAdd", map[string]any{"name": "pc1", "lab": "aula1", "mac": "00:11:22:33:44:55", "ip": "10.0.0.11"})
	h.mustCall("lab.computerAdd", map[string]any{"name": "pc2", "lab": "aula1"}) // no MAC
	h.mustCall("lab.computerAdd", map[string]any{"name": "pc3", "lab": "aula1", "mac": "00:11:22:33:44:66"})
	h.mustCall("lab.computerMaintenance", map[string]any{"name": "pc3", "on": true})
	id1 := enrol(t, h, "pc1")

	l := h.mustCall("lab.wake", map[string]any{"lab": "aula1"}).(Launched)
	if l.Command != "Arrancar" || len(l.Actions) != 2 || len(l.Skipped) != 1 || l.Skipped[0] != "pc3" {
		t.Fatalf("wake %+v", l)
	}
	want := append(bytes.Repeat([]byte{0xFF}, 6), bytes.Repeat([]byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}, 16)...)
	if p := readPacket(t, ln); !bytes.Equal(p, want) {
		t.Fatalf("packet % x", p)
	}
	acts := h.mustCall("lab.actions", map[string]any{"launch": l.Launch}).([]Action)
	if a := acts[0]; a.Computer != "pc1" || a.State != "finished" || a.Result != 1 || a.Code != labapi.CodeWake || a.Launcher != "local-admin" || !strings.Contains(a.Output, "sent to "+addr) {
		t.Fatalf("pc1's row %+v", a)
	}
	if a := acts[1]; a.Computer != "pc2" || a.State != "failed" || !strings.Contains(a.Output, "no MAC") {
		t.Fatalf("pc2's row %+v", a)
	}
	st := h.mustCall("lab.status", map[string]any{"lab": "aula1"}).([]StatusRow)
	if st[0].State != "booting" || st[1].State != "off" || st[2].State != "maintenance" {
		t.Fatalf("status %+v", st)
	}
	// The agent connects: idle.
	must(h.agentCall(id1, "lab.agentHello", map[string]any{"hostname": "pc1"}))
	if st := h.mustCall("lab.status", map[string]any{"lab": "aula1"}).([]StatusRow); st[0].State != "idle" {
		t.Fatalf("after hello %+v", st[0])
	}
	// Waking a computer that is on sends the packet but leaves it idle;
	// `aula run wake` is the same launch.
	l = h.mustCall("lab.run", map[string]any{"command": "wake", "computer": "pc1"}).(Launched)
	readPacket(t, ln)
	if st := h.mustCall("lab.status", map[string]any{"lab": "aula1"}).([]StatusRow); st[0].State != "idle" || st[0].LastAction != "Arrancar" {
		t.Fatalf("woken while on %+v", st[0])
	}
	if _, err := h.call("lab.wake", map[string]any{"lab": "aula1", "params": map[string]any{"mar": "3"}}); core.KindOf(err) != core.KindInvalid {
		t.Fatalf("mar=3: %v", err)
	}
	// A failed wake cannot be retried as a queued action.
	if _, err := h.call("lab.actionRetry", map[string]any{"ids": []any{acts[1].ID}}); err == nil || !strings.Contains(err.Error(), "computer wake pc2") {
		t.Fatalf("retrying a wake: %v", err)
	}
}

// A computer whose agent never connects is off again after the boot
// timeout.
func TestWakeBootTimeout(t *testing.T) {
	_, addr := udpListener(t)
	h := newHarness(t, "", "--lab-wol-addr="+addr, "--lab-boot-timeout=50ms")
	setupLab(h)
	h.mustCall("lab.computerAdd", map[string]any{"name": "pc1", "lab": "aula1", "mac": "00:11:22:33:44:55"})
	h.mustCall("lab.wake", map[string]any{"computer": "pc1"})
	deadline := time.Now().Add(60 * time.Second)
	for {
		st := h.mustCall("lab.status", map[string]any{"lab": "aula1"}).([]StatusRow)
		if st[0].State == "off" {
			break
		}
		if st[0].State != "booting" || time.Now().After(deadline) {
			t.Fatalf("state %q", st[0].State)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Where packets go without --lab-wol-addr (computed only: nothing is sent).
func TestWolTarget(t *testing.T) {
	h := newHarness(t, "")
	for _, c := range []struct {
		ip, mask, mar, want string
	}{
		{"10.0.3.7", "", "", "10.0.3.255:9"},
		{"10.0.3.7", "255.255.0.0", "", "10.0.255.255:9"},
		{"10.0.3.7", "25", "1", "10.0.3.127:9"},
		{"10.0.3.7", "", "2", "10.0.3.7:9"},
		{"", "", "", "255.255.255.255:9"},
	} {
		got, err := h.mod.wolTarget(Computer{IP: c.ip}, c.mask, c.mar)
		if err != nil || got != c.want {
			t.Errorf("%s/%s mar=%s: %s %v, want %s", c.ip, c.mask, c.mar, got, err, c.want)
		}
	}
	if _, err := h.mod.wolTarget(Computer{}, "", "2"); err == nil {
		t.Error("unicast without an IP")
	}
	if _, err := h.call("lab.labAdd", map[string]any{"name": "x", "netmask": "255.0.255.0"}); core.KindOf(err) != core.KindInvalid {
		t.Errorf("a non-contiguous netmask: %v", err)
	}
}

func TestQueuePauseResumeDeleteRetry(t *testing.T) {
	h := newHarness(t, "")
	setupLab(h, "pc1", "pc2")
	id1 := enrol(t, h, "pc1")
	l1 := h.mustCall("lab.run", map[string]any{"command": "probe", "lab": "aula1"}).(Launched)

	p := h.mustCall("lab.queuePause", map[string]any{"computer": "pc1"}).(QueueReply)
	if len(p.Computers) != 1 || p.Actions != 1 {
		t.Fatalf("pause %+v", p)
	}
	// A paused queue delivers nothing, and new actions join it paused.
	if n := must(h.agentCall(id1, "lab.agentHello", nil)).(labapi.Next); n.Delivery.Action != 0 {
		t.Fatalf("a paused queue delivered %+v", n)
	}
	l2 := h.mustCall("lab.run", map[string]any{"command": "hardware", "computer": "pc1"}).(Launched)
	acts := h.mustCall("lab.actions", map[string]any{"computer": "pc1"}).([]Action)
	if acts[0].State != "paused" || acts[1].State != "paused" {
		t.Fatalf("paused queue %+v", acts)
	}
	if st := h.mustCall("lab.status", map[string]any{"lab": "aula1"}).([]StatusRow); st[0].PausedBy != "local-admin" {
		t.Fatalf("status %+v", st[0])
	}
	// Delete the paused hardware inventory; a deleted or finished one
	// cannot be deleted (and nothing of the call happens).
	del := h.mustCall("lab.actionDelete", map[string]any{"ids": []any{l2.Actions[0].ID}}).([]Action)
	if del[0].State != "deleted" || !strings.HasPrefix(del[0].Output, "deleted by local-admin at ") || del[0].FinishedAt == "" {
		t.Fatalf("deleted %+v", del)
	}
	if _, err := h.call("lab.actionDelete", map[string]any{"ids": []any{l1.Actions[1].ID, l2.Actions[0].ID}}); core.KindOf(err) != core.KindConflict {
		t.Fatalf("deleting a deleted action: %v", err)
	}
	if a := h.mustCall("lab.actions", map[string]any{"computer": "pc2"}).([]Action)[0]; a.State != "queued" {
		t.Fatalf("pc2's action changed by a refused delete: %+v", a)
	}
	if _, err := h.call("lab.actionDelete", map[string]any{"ids": []any{999}}); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("deleting no action: %v", err)
	}
	// Resume: the probe is queued again and delivered.
	r := h.mustCall("lab.queueResume", map[string]any{"lab": "aula1"}).(QueueReply)
	if len(r.Computers) != 2 || r.Actions != 1 {
		t.Fatalf("resume %+v", r)
	}
	n := must(h.agentCall(id1, "lab.agentNext", nil)).(labapi.Next)
	if n.Delivery.Action != l1.Actions[0].ID {
		t.Fatalf("after resume %+v", n)
	}
	must(h.agentCall(id1, "lab.agentResult", map[string]any{"action": n.Delivery.Action, "ok": false, "text": "boom"}))
	// Retry the failed probe: a new queued row linked to it, launched by
	// the admin who retried; a second retry of the same one is refused.
	if _, err := h.call("lab.actionRetry", map[string]any{"ids": []any{l1.Actions[1].ID}}); core.KindOf(err) != core.KindConflict {
		t.Fatalf("retrying a queued action: %v", err)
	}
	rt := h.mustCall("lab.actionRetry", map[string]any{"ids": []any{l1.Actions[0].ID}}).(Launched)
	if len(rt.Actions) != 1 || rt.Command != "Sondeo" || rt.Launch == l1.Launch {
		t.Fatalf("retry %+v", rt)
	}
	a := h.mustCall("lab.actions", map[string]any{"launch": rt.Launch}).([]Action)[0]
	if a.RetryOf != l1.Actions[0].ID || a.State != "queued" || a.Launcher != "local-admin" || a.Computer != "pc1" {
		t.Fatalf("retried row %+v", a)
	}
	if _, err := h.call("lab.actionRetry", map[string]any{"ids": []any{l1.Actions[0].ID}}); core.KindOf(err) != core.KindConflict {
		t.Fatalf("retrying twice: %v", err)
	}
	n = must(h.agentCall(id1, "lab.agentNext", nil)).(labapi.Next)
	if n.Delivery.Action != a.ID || n.Delivery.Name != "Sondeo" {
		t.Fatalf("retry delivered %+v", n)
	}
}

// The queue and wake methods are admin-only and audited.
func TestOpsMethodsAdminOnly(t *testing.T) {
	h := newHarness(t, "")
	for _, name := range []string{"lab.wake", "lab.queuePause", "lab.queueResume", "lab.actionDelete", "lab.actionRetry"} {
		me, ok := h.app.Method(name)
		if !ok || me.Access != core.Admin || !me.Mutates {
			t.Errorf("%s: %+v", name, me)
		}
		c := &core.Call{Method: name, Named: map[string]any{"computer": "pc1", "ids": []any{1}}, Transport: "cli",
			Caller: core.Caller{Identity: "someone", Via: "local"}}
		if _, err := h.app.Handle(t.Context(), c); core.KindOf(err) != core.KindPermission && core.KindOf(err) != core.KindUnauthenticated {
			t.Errorf("%s as a non-admin: %v", name, err)
		}
	}
}

// A restart keeps a woken computer booting (its machine is coming up
// either way); paused actions neither expire nor outlive their computer.
func TestBootingAndPausedAcrossRestartAndRemoval(t *testing.T) {
	_, addr := udpListener(t)
	dir := t.TempDir() + "/data"
	h := newHarness(t, dir, "--lab-wol-addr="+addr, "--lab-action-ttl=1ms")
	setupLab(h, "pc2")
	h.mustCall("lab.computerAdd", map[string]any{"name": "pc1", "lab": "aula1", "mac": "00:11:22:33:44:55"})
	h.mustCall("lab.wake", map[string]any{"computer": "pc1"})
	h.mustCall("lab.queuePause", map[string]any{"computer": "pc2"})
	l := h.mustCall("lab.run", map[string]any{"command": "probe", "computer": "pc2"}).(Launched)
	h.close()

	h2 := newHarness(t, dir, "--lab-wol-addr="+addr, "--lab-action-ttl=1ms")
	if err := h2.app.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st := h2.mustCall("lab.status", map[string]any{"lab": "aula1"}).([]StatusRow); st[0].State != "booting" {
		t.Fatalf("after a restart %+v", st[0])
	}
	// The expiry sweep leaves the paused action alone, however late.
	if _, err := h2.mod.t.expire(t.Context(), now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if a := h2.mustCall("lab.actions", map[string]any{"launch": l.Launch}).([]Action)[0]; a.State != "paused" {
		t.Fatalf("paused action %+v", a)
	}
	h2.mustCall("lab.computerRemove", map[string]any{"name": "pc2"})
	if a := h2.mustCall("lab.actions", map[string]any{"launch": l.Launch}).([]Action)[0]; a.State != "failed" || a.Output != "computer removed" {
		t.Fatalf("paused action of a removed computer %+v", a)
	}
}

// An enrolment whose confirmation was lost (the agent stored its
// certificate, the front end never heard): the token stays pending, and
// the agent's first hello with that certificate spends it. A hello with
// another certificate spends nothing.
func TestEnrolLostConfirmationSpentByHello(t *testing.T) {
	h := newHarness(t, "")
	setupLab(h, "pc1")
	tok := h.mustCall("lab.enrol", map[string]any{"name": "pc1"}).(EnrolReply).Secret
	en := must(h.agentCall("", "lab.agentEnrol", map[string]any{"token": tok})).(labapi.Enrolled)
	must(h.agentCall("", "lab.agentEnrolEnd", map[string]any{"claim": en.Claim, "stored": false, "serial": "abc123"}))
	pending := func() bool {
		return h.mustCall("lab.computerShow", map[string]any{"name": "pc1"}).(ComputerDetail).Enrolling
	}
	if !pending() {
		t.Fatal("an unconfirmed enrolment spent the token")
	}
	must(h.agentCall(en.Identity, "lab.agentHello", map[string]any{"hostname": "pc1", "serial": "fff"}))
	if !pending() {
		t.Fatal("a hello with another certificate spent the token")
	}
	must(h.agentCall(en.Identity, "lab.agentHello", map[string]any{"hostname": "pc1", "serial": "abc123"}))
	if pending() {
		t.Fatal("the hello with the enrolment's certificate left the token pending")
	}
	if _, err := h.agentCall("", "lab.agentEnrol", map[string]any{"token": tok}); core.KindOf(err) != core.KindUnauthenticated {
		t.Fatalf("the token works after the agent used its certificate: %v", err)
	}
	// A new token forgets the old enrolment's certificate.
	tok2 := h.mustCall("lab.enrol", map[string]any{"name": "pc1"}).(EnrolReply).Secret
	must(h.agentCall(en.Identity, "lab.agentHello", map[string]any{"hostname": "pc1", "serial": "abc123"}))
	if !pending() {
		t.Fatal("an old certificate spent a new token")
	}
	_ = tok2
}
