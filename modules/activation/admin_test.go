package activation

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"aula/internal/core"
	"aula/internal/lease"
)

// TestImportChecks: strict parsing, signatures checked when a trusted key
// and the UUID are known, bad lines reported by line number and skipped.
func TestImportChecks(t *testing.T) {
	h := newHarness(t, "", trustMaster(t))
	h.register(testSN, testUUID)
	other, err := lease.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(30 * 24 * time.Hour)
	good := signedLease(t, 2, testSN, testUUID, exp)
	wrongUUID := signedLease(t, 1, testSN, "00000000-1111-2222-3333-444444444444", exp)
	unknownUUID := signedLease(t, 1, "SHF7000000C", testUUID, exp) // no UUID known: stored unverified
	untrusted, _ := lease.SignLease(other, 1, "SHF7000000D", testUUID, lease.StampOf(exp))
	deleg, _ := lease.SignDelegation(masterKey(), testSN, lease.StampOf(exp), other.Public())
	content := good + "act01: garbage\n" + wrongUUID + unknownUUID + untrusted.String() + deleg.String()
	r := h.mustCall("activation.import_leases", map[string]any{"source": "mixed.sig", "content": content}).(ImportReply)
	if r.Imported != 2 || r.Unverified != 1 {
		t.Errorf("imported %d (want 2), unverified %d (want 1)", r.Imported, r.Unverified)
	}
	wantLines := map[int]string{2: "field", 3: "signature", 5: "not trusted", 6: "delegation"}
	if len(r.Problems) != len(wantLines) {
		t.Fatalf("problems: %+v", r.Problems)
	}
	for _, p := range r.Problems {
		if w, ok := wantLines[p.Line]; !ok || !strings.Contains(p.Error, w) || p.Source != "mixed.sig" {
			t.Errorf("line %d: %q (want it to mention %q)", p.Line, p.Error, w)
		}
	}
	// The same lines again, as the CLI sends them: nothing new.
	r = h.mustCall("activation.import_leases", map[string]any{"source": "again", "lines": []any{good}, "line_nos": []any{7}}).(ImportReply)
	if r.Imported != 0 || r.Duplicates != 1 {
		t.Errorf("re-import: %+v", r)
	}
	// Canonical JSON with two lines for one laptop.
	l1, _ := lease.ParseLine([]byte(signedLease(t, 1, "SHF7000000E", testUUID, exp)))
	l2, _ := lease.ParseLine([]byte(signedLease(t, 2, "SHF7000000E", testUUID, exp.Add(time.Hour))))
	cj, _ := lease.WriteCJSON([]*lease.Line{l1, l2})
	r = h.mustCall("activation.import_leases", map[string]any{"source": "c.json", "content": string(cj)}).(ImportReply)
	if r.Imported != 2 || len(r.Problems) != 0 {
		t.Errorf("CJSON import: %+v", r)
	}
	_, err = h.call("activation.import_leases", map[string]any{"source": "x", "content": "[1,{\"A\":"})
	if core.KindOf(err) != core.KindInvalid {
		t.Errorf("broken CJSON: %v", err)
	}
}

func TestDelegationChecks(t *testing.T) {
	h := newHarness(t, "", trustMaster(t))
	_, err := h.call("activation.import_delegations", map[string]any{"source": "d", "content": "x"})
	if err == nil || !strings.Contains(err.Error(), "keyring init") {
		t.Errorf("without a server key: %v", err)
	}
	h.mustCall("activation.keyring_init", nil)
	other, _ := lease.GenerateKey()
	exp := time.Now().Add(24 * time.Hour)
	good := delegate(t, h, testSN, testUUID, exp)
	toOther, _ := lease.SignServerDelegation(masterKey(), "SHF7000000B", testUUID, lease.StampOf(exp), other.Public())
	byOther, _ := lease.SignServerDelegation(other, "SHF7000000C", testUUID, lease.StampOf(exp), masterKey().Public())
	bare := strings.SplitN(delegate(t, h, "SHF7000000D", testUUID, exp.Add(time.Hour)), " ", 4)[3] // strip "del01: SN UUID "
	expired := delegate(t, h, "SHF7000000E", testUUID, time.Now().Add(-time.Hour))
	r := h.mustCall("activation.import_delegations", map[string]any{"source": "d.sig",
		"content": good + toOther.String() + byOther.String() + bare + expired}).(ImportReply)
	if r.Imported != 1 || len(r.Problems) != 4 {
		t.Fatalf("import: %+v", r)
	}
	// The bare line with its serial is good.
	r = h.mustCall("activation.import_delegations", map[string]any{"source": "bare.sig", "content": bare, "serial": "SHF7000000D"}).(ImportReply)
	if r.Imported != 1 || len(r.Problems) != 0 {
		t.Errorf("bare line with serial: %+v", r)
	}
	// An older delegation does not replace a newer one.
	older := delegate(t, h, testSN, testUUID, exp.Add(-time.Hour))
	r = h.mustCall("activation.import_delegations", map[string]any{"source": "old.sig", "content": older}).(ImportReply)
	if r.Imported != 0 || r.Duplicates != 1 {
		t.Errorf("older delegation: %+v", r)
	}
	h2 := newHarness(t, "")
	h2.mustCall("activation.keyring_init", nil)
	if _, err := h2.call("activation.import_delegations", map[string]any{"source": "d", "content": good}); err == nil ||
		!strings.Contains(err.Error(), "trusted") {
		t.Errorf("without a trusted key: %v", err)
	}
}

// TestOtherProcess: a change made by another process on the same data
// directory (the CLI) reaches the running server through the generation
// poll.
func TestOtherProcess(t *testing.T) {
	srv := newHarness(t, "").serve()
	cli := newHarness(t, srv.dir) // a second store and module on the same files
	lease := signedLease(t, 1, testSN, testUUID, time.Now().Add(24*time.Hour))
	cli.mustCall("activation.import_leases", map[string]any{"source": "a", "content": lease})
	waitFor(t, "the server to serve the imported lease", func() bool { return string(ask(t, srv.tcp(), testSN)) == lease })
	cli.mustCall("activation.stolen_add", map[string]any{"serial": testSN})
	waitFor(t, "the server to answer STOLEN", func() bool { return string(ask(t, srv.tcp(), testSN)) == "STOLEN" })
	cli.mustCall("activation.stolen_remove", map[string]any{"serial": testSN})
	waitFor(t, "the stolen mark to go", func() bool { return string(ask(t, srv.tcp(), testSN)) == lease })
	if _, err := cli.call("activation.stolen_remove", map[string]any{"serial": testSN}); core.KindOf(err) != core.KindNotFound {
		t.Errorf("removing a missing mark: %v", err)
	}
}

// TestClientLeaseREST: GET /client/lease?serial=SN in sugar-server's form.
func TestClientLeaseREST(t *testing.T) {
	h := newHarness(t, "").serve()
	text := signedLease(t, 1, testSN, testUUID, time.Now().Add(24*time.Hour))
	h.mustCall("activation.import_leases", map[string]any{"source": "a", "content": text})
	h.mustCall("activation.stolen_add", map[string]any{"serial": "SHF7000000A"})
	get := func(q string) (int, map[string]string) {
		resp, err := http.Get(h.srv.URL + "/client/lease?" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: not JSON: %q", q, b)
		}
		return resp.StatusCode, m
	}
	if code, m := get("serial=" + testSN); code != 200 || m["success"] != "OK" || m["lease"] != text {
		t.Errorf("leased: %d %v", code, m)
	}
	if code, m := get("serial=SHF7000000A"); code != 403 || m["success"] != "ERR" || !strings.Contains(m["error"], "stolen") {
		t.Errorf("stolen: %d %v", code, m)
	}
	if code, m := get("serial=NOSUCH1"); code != 404 || m["success"] != "ERR" {
		t.Errorf("unknown: %d %v", code, m)
	}
	if code, _ := get("serial=bad%20one"); code != 400 {
		t.Errorf("bad serial: %d", code)
	}
}

func TestExport(t *testing.T) {
	h := newHarness(t, "")
	exp := time.Now().Add(24 * time.Hour)
	a1 := signedLease(t, 1, "SHF7000000A", testUUID, exp)
	a2 := signedLease(t, 2, "SHF7000000A", testUUID, exp.Add(time.Hour))
	b := signedLease(t, 1, "SHF7000000B", testUUID, exp)
	c := signedLease(t, 1, "SHF7000000C", testUUID, exp)
	h.mustCall("activation.import_leases", map[string]any{"source": "a", "content": c + a1 + b + a2})
	h.mustCall("activation.stolen_add", map[string]any{"serial": "SHF7000000C"})
	r := h.mustCall("activation.export_leases", nil).(ExportReply)
	if r.Content != a2+a1+b || r.Laptops != 2 || r.Lines != 3 || len(r.Stolen) != 1 {
		t.Errorf("lines export: %+v", r)
	}
	r = h.mustCall("activation.export_leases", map[string]any{"format": "cjson", "serials": []any{"SHF7000000A", "SHF7000000Z"}}).(ExportReply)
	want := `[1,{"SHF7000000A":"` + a2 + a1 + `"}]`
	if r.Content != want || len(r.Missing) != 1 || r.Missing[0] != "SHF7000000Z" {
		t.Errorf("cjson export: %+v", r)
	}
	f, err := lease.ReadLeaseFile([]byte(r.Content))
	if err != nil || len(f.Entries) != 2 {
		t.Errorf("export does not read back: %v", err)
	}
}
