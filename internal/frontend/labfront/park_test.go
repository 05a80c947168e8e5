package labfront

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"aula/internal/wire/labxml"
	"aula/modules/lab"
	"aula/modules/lab/labapi"
)

// agentClient is a bare TLS agent connection driven by a test.
type agentClient struct {
	t  *testing.T
	c  *tls.Conn
	rd *labxml.Reader
}

func dialAgent(t *testing.T, r *rig, cfg *tls.Config) *agentClient {
	t.Helper()
	c, err := tls.Dial("tcp", r.fe.Addrs()["agents"], cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	a := &agentClient{t: t, c: c, rd: labxml.NewReader(c, 0)}
	a.write(labxml.Encode((&labxml.Message{Kind: labxml.Response, Code: labapi.CodeHello, Result: labxml.Success}).Add("hostname", "pc1")))
	a.read(labapi.CodeWelcome)
	return a
}

func (a *agentClient) write(b []byte) {
	a.t.Helper()
	if _, err := a.c.Write(b); err != nil {
		a.t.Fatal(err)
	}
}

func (a *agentClient) read(code int) *labxml.Message {
	a.t.Helper()
	m, err := a.rd.Next()
	if err != nil {
		a.t.Fatal(err)
	}
	if m.Code != code {
		a.t.Fatalf("got codigo=%d %+v, want %d", m.Code, m, code)
	}
	return m
}

// An idle agent's connection waits in the poller (no goroutine); messages
// arriving just as it falls idle, or just after, are all read; a probe is
// answered through it; a new connection of the same agent ends the parked
// one; the agent's end wakes it.
func TestParkedConnection(t *testing.T) {
	r := newRig(t)
	r.call("lab.labAdd", map[string]any{"name": "l1"})
	cfg := enrolled(t, r, "pc1")
	a := dialAgent(t, r, cfg)
	waitFor(t, "the connection parked", func() bool { return r.fe.poller.Pending() == 1 })

	// Stray results, in pairs with gaps from none to a millisecond: the
	// second arrives while the connection handles the first, as it falls
	// idle, or once it is parked. Each is answered.
	stray := labxml.Encode(&labxml.Message{Kind: labxml.Response, Code: labapi.CodeProbe, Action: 999, Result: labxml.Success})
	gaps := []time.Duration{0, 50 * time.Microsecond, 200 * time.Microsecond, time.Millisecond}
	for i := range 200 {
		a.write(stray)
		time.Sleep(gaps[i%len(gaps)])
		a.write(stray)
		for range 2 {
			if m := a.read(labapi.CodeError); !strings.Contains(m.Get("error"), "not in flight") {
				t.Fatalf("round %d: %+v", i, m)
			}
		}
	}

	// A probe reaches the parked connection and its result is recorded.
	l := r.call("lab.run", map[string]any{"command": "probe", "computer": "pc1"}).(lab.Launched)
	cmd := a.read(labapi.CodeProbe)
	a.write(labxml.Encode((&labxml.Message{Kind: labxml.Response, Code: labapi.CodeProbe, Action: cmd.Action, Result: labxml.Success}).Add("estado", "idle")))
	waitFor(t, "the result recorded", func() bool { return actionOf(r, l.Launch).State == "finished" })
	waitFor(t, "parked again", func() bool { return r.fe.poller.Pending() == 1 })

	// The same agent connects again: the parked connection is shut by the
	// server (its wait stopped, its end recorded), the new one parks.
	b := dialAgent(t, r, cfg)
	if _, err := a.rd.Next(); err == nil {
		t.Fatal("the replaced connection still reads")
	}
	waitFor(t, "the new connection parked", func() bool { return r.fe.poller.Pending() == 1 })
	if s := statusStates(r)[0]; s != "idle" {
		t.Fatalf("state %q after the replacement, want idle", s)
	}

	// The agent hangs up while parked: the poller wakes the connection,
	// which ends and records the computer off.
	b.c.Close()
	waitFor(t, "pc1 off", func() bool { return statusStates(r)[0] == "off" })
	waitFor(t, "no connection parked", func() bool { return r.fe.poller.Pending() == 0 })
}

// Shutdown ends parked connections: each agent sees its connection closed
// and the poller holds none.
func TestShutdownEndsParkedConnections(t *testing.T) {
	r := newRig(t)
	r.call("lab.labAdd", map[string]any{"name": "l1"})
	cfg := enrolled(t, r, "pc1")
	a := dialAgent(t, r, cfg)
	waitFor(t, "the connection parked", func() bool { return r.fe.poller.Pending() == 1 })
	done := make(chan error, 1)
	go func() { _, err := a.rd.Next(); done <- err }()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.fe.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil || !(errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "reset")) {
			t.Fatalf("agent read after Shutdown: %v, want the connection closed", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the parked connection was not closed by Shutdown")
	}
	if n := r.fe.poller.Pending(); n != 0 {
		t.Fatalf("%d waits pending after Shutdown", n)
	}
}

// A burst of agent events followed by a quiet tick returns memory once;
// a trickle, or a burst still going on, does not.
func TestSettler(t *testing.T) {
	var s settler
	steps := []struct {
		count uint64
		want  bool
	}{
		{0, false},                // nothing yet
		{10, false},               // a trickle
		{10, false},               // quiet, but not a burst
		{500, false},              // busy
		{settleBurst + 5, false},  // still busy
		{settleBurst + 5, true},   // quiet after a burst: return memory
		{settleBurst + 5, false},  // still quiet: once only
		{settleBurst + 50, false}, // a few more events
		{settleBurst + 50, false}, // quiet, but not a new burst
		{3 * settleBurst, false},  // a second burst
		{3 * settleBurst, true},   // over
	}
	for i, st := range steps {
		if got := s.tick(st.count); got != st.want {
			t.Fatalf("tick %d (count %d): %v, want %v", i, st.count, got, st.want)
		}
	}
}

// Agents get ChaCha20-Poly1305 (its state is smaller than AES-GCM's;
// suite.go), still with the hybrid post-quantum key exchange, on a full
// handshake and on a resumed one. If this fails after a Go upgrade,
// crypto/tls no longer decides from the ClientHelloInfo's list.
func TestAgentsNegotiateChaCha(t *testing.T) {
	r := newRig(t)
	r.call("lab.labAdd", map[string]any{"name": "l1"})
	cfg := enrolled(t, r, "pc1")
	cfg.ClientSessionCache = tls.NewLRUClientSessionCache(1)
	for _, resumed := range []bool{false, true} {
		a := dialAgent(t, r, cfg)
		cs := a.c.ConnectionState()
		if cs.DidResume != resumed {
			t.Fatalf("DidResume %v, want %v", cs.DidResume, resumed)
		}
		if cs.CipherSuite != tls.TLS_CHACHA20_POLY1305_SHA256 {
			t.Fatalf("cipher suite %s, want TLS_CHACHA20_POLY1305_SHA256", tls.CipherSuiteName(cs.CipherSuite))
		}
		if cs.CurveID != tls.X25519MLKEM768 {
			t.Fatalf("key exchange %v, want X25519MLKEM768", cs.CurveID)
		}
		a.c.Close()
		waitFor(t, "pc1 off", func() bool { return statusStates(r)[0] == "off" })
	}
}

func TestPreferChaCha(t *testing.T) {
	for _, tc := range []struct{ in, want []uint16 }{
		{[]uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256},
			[]uint16{tls.TLS_CHACHA20_POLY1305_SHA256, tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384}},
		{[]uint16{tls.TLS_CHACHA20_POLY1305_SHA256, tls.TLS_AES_128_GCM_SHA256},
			[]uint16{tls.TLS_CHACHA20_POLY1305_SHA256, tls.TLS_AES_128_GCM_SHA256}},
		{[]uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384},
			[]uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384}},
		{nil, nil},
	} {
		got := append([]uint16(nil), tc.in...)
		if c, err := preferChaCha(&tls.ClientHelloInfo{CipherSuites: got}); c != nil || err != nil {
			t.Fatalf("preferChaCha returned %v, %v", c, err)
		}
		if !slices.Equal(got, tc.want) {
			t.Fatalf("%x: got %x, want %x", tc.in, got, tc.want)
		}
	}
}
