package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"aula/modules/id"
)

// pyRegister registers over XML-RPC as the Sugar shell does (Python's
// xmlrpc.client) and prints the reply struct as JSON.
const pyRegister = `
import json, os, xmlrpc.client as x
p = x.ServerProxy(os.environ["URL"])
print(json.dumps(p.register(os.environ["SERIAL"], "nena", os.environ["UUID"], os.environ["KEY"])))
`

func pyReg(t *testing.T, s *server, serial, uuid, key string) map[string]any {
	t.Helper()
	out := python(t, pyRegister, "URL="+s.url(), "SERIAL="+serial, "UUID="+uuid, "KEY="+key)
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("register reply %q: %v", out, err)
	}
	return m
}

// TestSerialCannotBeStolen: register is public, so anyone on the LAN
// could claim a registered XO's serial with another UUID and take its
// place. That claim is refused in-band (success ERR, never a fault), the
// real laptop stays registered, and `aula client show` lists the refusal;
// a re-flashed XO (same serial and UUID, new key) still registers, and
// `aula client allow-move` accepts a real motherboard swap once. A
// placeholder serial admits no backup.
func TestSerialCannotBeStolen(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server")
	}
	s := startServer(t, "", "--auth-anon-rate=0", "--backup-max-load=0", "--backup-max-disk=0", "--backup-max-inodes=0")
	const serial, uuid, other = "SHF7A0C0FFE", "8bf9ac40-26f8-4bcc-a699-be51fd366419", "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
	real, thief, flashed, board := laptopKey(1), laptopKey(2), laptopKey(3), laptopKey(4)
	if r := pyReg(t, s, serial, uuid, real); r["success"] != "OK" {
		t.Fatalf("the real laptop: %v", r)
	}
	r := pyReg(t, s, serial, other, thief)
	if r["success"] != "ERR" || !strings.Contains(fmt.Sprint(r["error"]), "registered to another machine") {
		t.Fatalf("a claim of the serial with another UUID: %v, want success ERR saying the serial belongs to another machine", r)
	}
	statusOf := func(key string) any {
		resp, err := http.Get(s.url() + "client/status?uid=" + id.UIDOf(key))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st map[string]any
		json.NewDecoder(resp.Body).Decode(&st)
		return st["registered"]
	}
	if statusOf(real) != true || statusOf(thief) != false {
		t.Fatalf("after the refused claim: real %v, claimant %v", statusOf(real), statusOf(thief))
	}
	out, code := aula(t, "client", "show", "--config", "", "--data-dir", s.dataDir, serial)
	if code != 0 || !strings.Contains(out, "REFUSED") || !strings.Contains(out, other) || !strings.Contains(out, id.UIDOf(real)) {
		t.Fatalf("client show after the refused claim: exit %d\n%s", code, out)
	}
	if !strings.Contains(s.log.String(), "registration refused") {
		t.Errorf("the refusal is not in the server log")
	}
	audit, code := aula(t, "audit", "--json", "--config", "", "--data-dir", s.dataDir)
	if code != 0 {
		t.Fatalf("aula audit: exit %d %s", code, audit)
	}
	if !strings.Contains(audit, `"result": "refused"`) || !strings.Contains(audit, "registered to another machine") {
		t.Errorf("the refused claim is not audited as refused:\n%s", audit)
	}

	// A re-flashed XO: same serial and UUID, a new key.
	if r := pyReg(t, s, serial, strings.ToUpper(uuid), flashed); r["success"] != "OK" {
		t.Fatalf("re-flashed XO: %v", r)
	}
	// A motherboard swap, accepted by the admin, once.
	if out, code := aula(t, "client", "allow-move", "--config", "", "--data-dir", s.dataDir, serial); code != 0 {
		t.Fatalf("client allow-move: exit %d %s", code, out)
	}
	if r := pyReg(t, s, serial, other, board); r["success"] != "OK" {
		t.Fatalf("registration after allow-move: %v", r)
	}
	if statusOf(board) != true || statusOf(flashed) != false {
		t.Fatalf("after the swap: new board %v, old %v", statusOf(board), statusOf(flashed))
	}
	if r := pyReg(t, s, serial, uuid, flashed); r["success"] != "ERR" {
		t.Fatalf("the allowance was used up, but the old board took the serial back: %v", r)
	}

	// Placeholder serials are shared: never admitted by serial.
	if r := pyReg(t, s, id.PlaceholderSerial, "11111111-2222-4333-8444-555555555555", laptopKey(5)); r["success"] != "OK" {
		t.Fatalf("placeholder serial: %v", r)
	}
	if code, _, body := bkGet(t, s.url()+"backup/1/available/"+id.PlaceholderSerial); code != http.StatusForbidden {
		t.Fatalf("backup admission by the placeholder serial: %d %q, want 403", code, body)
	}
}
