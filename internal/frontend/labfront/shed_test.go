package labfront

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"aula/internal/agent"
	"aula/modules/lab"
)

// TestSilentConnectionsMakeWayForAgents: connections that never start
// their TLS handshake do not lock agents out: past 7/8 of --lab-max-conns
// each newcomer closes the one silent longest, and an agent enrols,
// announces itself and is not shed.
func TestSilentConnectionsMakeWayForAgents(t *testing.T) {
	// Silent connections that took a handshake slot hold it until the
	// handshake timeout (a weakness left as it was): keep it short here.
	r := newRig(t, "--lab-max-conns=8", "--lab-max-conns-per-ip=16", "--lab-handshake-timeout=1s")
	addr := r.fe.Addrs()["agents"]
	var silent []net.Conn
	for i := range 7 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		silent = append(silent, c)
		waitFor(t, "silent connection accepted", func() bool { return r.fe.srv.Stats().Accepted == uint64(i+1) })
	}
	r.call("lab.labAdd", map[string]any{"name": "l1"})
	r.call("lab.computerAdd", map[string]any{"name": "a", "lab": "l1"})
	secret := r.call("lab.enrol", map[string]any{"name": "a"}).(lab.EnrolReply).Secret
	ag, err := agent.New(agent.Config{Server: addr, Dir: filepath.Join(t.TempDir(), "a"), Token: secret,
		CAFile: filepath.Join(r.dir, "ca", "ca.crt"), Log: quietLog, MaxBackoff: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ag.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "the agent idle", func() bool {
		st := statusStates(r)
		return len(st) == 1 && st[0] == "idle"
	})
	silent[0].SetReadDeadline(time.Now().Add(30 * time.Second))
	if n, err := silent[0].Read(make([]byte, 16)); n != 0 || err == nil {
		t.Fatalf("connection silent longest read %d bytes, %v; want it closed", n, err)
	}
	if st := r.fe.srv.Stats(); st.Shed < 1 || st.Rejected != 0 {
		t.Fatalf("stats %+v: want silent connections shed, none refused", st)
	}
}
