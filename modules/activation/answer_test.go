package activation

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestExchange drives the real TCP 191 listener as an XO does: serial,
// half-close, read to EOF; the server closes every time.
func TestExchange(t *testing.T) {
	h := newHarness(t, "").serve()
	later := time.Now().Add(90 * 24 * time.Hour)
	sooner := time.Now().Add(30 * 24 * time.Hour)
	long := signedLease(t, 2, testSN, testUUID, later)
	short := signedLease(t, 1, testSN, testUUID, sooner)
	expired := signedLease(t, 1, "SHF706002A8", testUUID, time.Now().Add(-time.Hour))
	r := h.mustCall("activation.import_leases", map[string]any{"source": "a.sig", "content": short + long}).(ImportReply)
	if r.Imported != 2 || len(r.Problems) != 0 || r.Unverified != 2 {
		t.Fatalf("import: %+v", r)
	}
	r = h.mustCall("activation.import_leases", map[string]any{"source": "old.sig", "content": expired}).(ImportReply)
	if r.Imported != 0 || len(r.Problems) != 1 || !strings.Contains(r.Problems[0].Error, "expired") || r.Problems[0].Line != 1 {
		t.Fatalf("expired lease: %+v", r)
	}
	h.mustCall("activation.stolen_add", map[string]any{"serial": "SHF7000000A", "note": "reported by school"})
	waitFor(t, "the changes to reach the cache", func() bool {
		l := h.mod.cache.get("SHF7000000A")
		return h.mod.cache.get(testSN) != nil && l != nil && l.stolen
	})

	addr := h.tcp()
	if got := ask(t, addr, testSN); string(got) != long+short {
		t.Errorf("lease reply: got %q\nwant the longest-lived lease first, then the other", got)
	}
	if got := ask(t, addr, "SHF7000000A"); !bytes.Equal(got, []byte("STOLEN")) {
		t.Errorf("stolen reply: got %q, want exactly STOLEN", got)
	}
	if got := ask(t, addr, "SHF706002A8"); string(got) != "UNKNOWN" {
		t.Errorf("expired-only laptop: got %q, want UNKNOWN", got)
	}
	if got := ask(t, addr, "NOSUCH1"); string(got) != "UNKNOWN" {
		t.Errorf("unknown serial: got %q", got)
	}
	if got := ask(t, addr, "not a serial"); string(got) != "UNKNOWN" {
		t.Errorf("malformed request: got %q", got)
	}
	if got := ask(t, addr, testSN+"\n"); string(got) != long+short {
		t.Errorf("serial with newline (nc by hand): got %q", got)
	}
}

// TestUnknownReplyEmpty: --activation-unknown-reply "" closes with nothing,
// as the XS does.
func TestUnknownReplyEmpty(t *testing.T) {
	h := newHarness(t, "", "--activation-unknown-reply=").serve()
	if got := ask(t, h.tcp(), "NOSUCH1"); len(got) != 0 {
		t.Errorf("got %q, want nothing", got)
	}
}

// TestSilentClientCutOff: a client that never sends, or never half-closes,
// is answered as unknown and closed at the read deadline.
func TestSilentClientCutOff(t *testing.T) {
	h := newHarness(t, "").serve()
	for _, send := range []string{"", testSN} {
		c, err := net.Dial("tcp", h.tcp())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(20 * time.Second)) // far past the 300ms read deadline
		io.WriteString(c, send)
		got, err := io.ReadAll(c) // no half-close: only the server can end this
		c.Close()
		if err != nil {
			t.Fatalf("sent %q without FIN: %v (server did not close)", send, err)
		}
		if string(got) != "UNKNOWN" {
			t.Errorf("sent %q without FIN: got %q, want UNKNOWN then close", send, got)
		}
	}
}

// TestRequestLog: each request is recorded (batched) with its peer and
// what it was given; list shows it.
func TestRequestLog(t *testing.T) {
	h := newHarness(t, "").serve()
	h.mustCall("activation.import_leases", map[string]any{"source": "a.sig",
		"content": signedLease(t, 1, testSN, testUUID, time.Now().Add(24*time.Hour))})
	h.mustCall("activation.stolen_add", map[string]any{"serial": "SHF7000000A"})
	waitFor(t, "the cache", func() bool { l := h.mod.cache.get("SHF7000000A"); return l != nil && l.stolen })
	for range 3 {
		ask(t, h.tcp(), testSN)
	}
	ask(t, h.tcp(), "SHF7000000A")
	ask(t, h.tcp(), "NOSUCH1")
	var rows []LaptopStatus
	waitFor(t, "the request records", func() bool {
		rows = h.mustCall("activation.list", nil).([]LaptopStatus)
		return len(rows) == 3 && rows[0].Requests+rows[1].Requests+rows[2].Requests == 5
	})
	byS := map[string]LaptopStatus{}
	for _, r := range rows {
		byS[r.Serial] = r
	}
	if r := byS[testSN]; r.LastGiven != "lease" || r.Requests != 3 || r.LastFrom != "127.0.0.1" || r.LeaseGiven == "" || r.Leases != 1 {
		t.Errorf("leased laptop: %+v", r)
	}
	if r := byS["SHF7000000A"]; r.LastGiven != "stolen" || !r.Stolen || r.StolenGiven == "" {
		t.Errorf("stolen laptop: %+v", r)
	}
	if r := byS["NOSUCH1"]; r.LastGiven != "unknown" || r.Requests != 1 {
		t.Errorf("unknown laptop: %+v", r)
	}
}
