package activation

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// FuzzAnswer feeds arbitrary arguments to activation.answer through the
// chain, as any front end may: every lease request gets STOLEN, the known
// lease or the unknown reply, and every rtcreset nothing (no keyring: no
// rtc01 is signed), and nothing else.
func FuzzAnswer(f *testing.F) {
	h := newHarness(f, "")
	text := signedLease(f, 1, testSN, testUUID, time.Now().Add(24*time.Hour))
	h.mustCall("activation.import_leases", map[string]any{"source": "a", "content": text})
	h.mustCall("activation.stolen_add", map[string]any{"serial": "SHF7000000A"})
	if err := h.mod.ensureLoaded(context.Background()); err != nil {
		f.Fatal(err)
	}
	for _, s := range [][3]string{{testSN}, {"SHF7000000A"}, {"NOSUCH1"}, {testSN + "\n"}, {testSN, "20110512T003512Z", "135"},
		{"SHF7000000A", "00000000T000000Z", "0"}, {""}, {" "}, {"\x00"}, {"shf706002a7"}, {testSN, "2011", "x"}, {testSN, "", "1"}} {
		f.Add(s[0], s[1], s[2], "")
	}
	f.Add("", "", "", "malformed request")
	f.Fuzz(func(t *testing.T, serial, stamp, count, invalid string) {
		reply := h.answer(t, serial, stamp, count, invalid)
		if stamp != "" || count != "" || strings.Contains(invalid, "rtcreset") {
			// rtcreset: an rtc01 line or nothing (no keyring: nothing).
			if len(reply) != 0 {
				t.Fatalf("rtcreset answer(%q, %q, %q, %q) got %.80q, want nothing", serial, stamp, count, invalid, reply)
			}
			return
		}
		switch {
		case bytes.Equal(reply, StolenReply) && serial == "SHF7000000A" && invalid == "":
		case bytes.Equal(reply, []byte("UNKNOWN")):
		case string(reply) == text && serial == testSN && stamp == "" && count == "" && invalid == "":
		default:
			t.Fatalf("answer(%q, %q, %q, %q) got %.80q", serial, stamp, count, invalid, reply)
		}
		if strings.Contains(string(reply), "\n") && string(reply) != text {
			t.Fatalf("unexpected multi-line reply %.80q", reply)
		}
	})
}
