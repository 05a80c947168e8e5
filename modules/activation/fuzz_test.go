package activation

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"aula/internal/lease"
	"aula/internal/wire/activation"
)

// FuzzAnswer feeds arbitrary request bytes through the wire parser and the
// module's answer path: every request gets STOLEN, a known lease or the
// unknown reply, and nothing else.
func FuzzAnswer(f *testing.F) {
	h := newHarness(f, "")
	text := signedLease(f, 1, testSN, testUUID, time.Now().Add(24*time.Hour))
	h.mustCall("activation.import_leases", map[string]any{"source": "a", "content": text})
	h.mustCall("activation.stolen_add", map[string]any{"serial": "SHF7000000A"})
	if err := h.mod.ensureLoaded(context.Background()); err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{testSN, "SHF7000000A", "NOSUCH1", testSN + "\n", "rtcreset " + testSN + " 20110512T003512Z 135",
		"rtcreset SHF7000000A 00000000T000000Z 0", "", " ", "\x00", "shf706002a7", "rtcreset"} {
		f.Add([]byte(s))
	}
	peer := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := activation.ParseRequest(b)
		var reply []byte
		if err != nil {
			reply = h.mod.invalid(context.Background(), b, peer, err)
		} else {
			reply = h.mod.Answer(context.Background(), req, peer)
		}
		switch {
		case bytes.Equal(reply, StolenReply), bytes.Equal(reply, []byte("UNKNOWN")):
		case string(reply) == text && err == nil && req.Serial == testSN && req.RTCReset == nil:
		default:
			t.Fatalf("request %q got %q", b, reply)
		}
	})
}

// FuzzImportEntries: the import method's decoding of untrusted content and
// lines never panics, and every problem points at a line it was given.
func FuzzImportEntries(f *testing.F) {
	good := signedLease(f, 1, testSN, testUUID, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	l, _ := lease.ParseLine([]byte(good))
	cj, _ := lease.WriteCJSON([]*lease.Line{l})
	f.Add(good, "", 0)
	f.Add(string(cj), "", 0)
	f.Add("", good, 3)
	f.Add("act01: x\n"+good, "garbage", 1)
	f.Add("[1,{\"A\":\"\"}]", "\n", -5)
	f.Fuzz(func(t *testing.T, content, line string, no int) {
		in := ImportArgs{Source: "f", Content: content}
		if line != "" {
			in = ImportArgs{Source: "f", Lines: []string{line, line}, LineNos: []int{no, no + 1}}
		}
		var r ImportReply
		entries, err := in.entries(&r)
		if err != nil {
			return
		}
		for _, e := range entries {
			if e.Line == nil {
				t.Fatal("nil line")
			}
		}
		if line != "" && len(entries)+len(r.Problems) != 2 {
			t.Fatalf("2 lines gave %d entries and %d problems", len(entries), len(r.Problems))
		}
	})
}
