package id

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
)

func TestCommands(t *testing.T) {
	h := newHarness(t, dataDir(t))
	out, err := h.runCommand("client list")
	if err != nil || !strings.Contains(out, "no registered clients") {
		t.Errorf("empty list: %q %v", out, err)
	}
	k1, k2 := newKey(t), newKey(t)
	h.register("SHF706002A7", "nena\u2028the first", machineUUID, k1)
	h.register("SHF706002A8", "=cmd()", "11111111-2222-3333-4444-555555555555", k2)

	out, err = h.runCommand("client list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "UID") || !strings.Contains(out, UIDOf(k1)) ||
		!strings.Contains(out, "nena the first") || lines[3] != "2 registered clients" {
		t.Errorf("list:\n%s", out)
	}

	out, err = h.runCommand("client list", "--json")
	var cs []Client
	if err != nil || json.Unmarshal([]byte(out), &cs) != nil || len(cs) != 2 || cs[0].UID != UIDOf(k2) {
		t.Errorf("list --json: %v\n%s", err, out)
	}

	out, err = h.runCommand("client show", "SHF706002A7")
	if err != nil || !strings.Contains(out, "uid:") || !strings.Contains(out, UIDOf(k1)) || !strings.Contains(out, "status:            registered") {
		t.Errorf("show: %v\n%s", err, out)
	}
	if _, err = h.runCommand("client show", "NOSUCH123"); err == nil || !strings.Contains(err.Error(), "no client with serial NOSUCH123") {
		t.Errorf("show unknown: %v", err)
	}
	if _, err = h.runCommand("client show"); err == nil || !strings.Contains(err.Error(), "want one UID") {
		t.Errorf("show without id: %v", err)
	}

	out, err = h.runCommand("client export", "--format", "csv")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 3 || strings.Join(recs[0], ",") != strings.Join(exportColumns, ",") {
		t.Fatalf("csv: %v\n%s", err, out)
	}
	if recs[1][0] != UIDOf(k2) || recs[1][3] != "'=cmd()" || recs[1][4] != k2 || recs[2][3] != "nena\u2028the first" {
		t.Errorf("csv rows %q", recs[1:])
	}
	out, err = h.runCommand("client export", "--format=json")
	if err != nil || json.Unmarshal([]byte(out), &cs) != nil || len(cs) != 2 || cs[1].PubKey != k1 {
		t.Errorf("export json: %v\n%s", err, out)
	}
	if _, err = h.runCommand("client export", "--format", "xml"); err == nil {
		t.Error("export --format xml accepted")
	}

	out, err = h.runCommand("client rm", "SHF706002A7")
	if err != nil || !strings.Contains(out, "removed "+UIDOf(k1)) {
		t.Errorf("rm: %v %q", err, out)
	}
	if _, err = h.runCommand("client rm", "SHF706002A7"); err == nil || !strings.Contains(err.Error(), "no registered client with serial SHF706002A7") {
		t.Errorf("rm again: %v", err)
	}
	out, _ = h.runCommand("client show", UIDOf(k1))
	if !strings.Contains(out, "is not registered now") || !strings.Contains(out, "removed ") {
		t.Errorf("show removed:\n%s", out)
	}
}
