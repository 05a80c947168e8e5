package id

import (
	"net/http"
	"net/url"
	"os/user"
	"strings"
	"testing"
)

const machineUUID = "8BF9AC40-26F8-4BCC-A699-BE51FD366419"

func TestRESTRegisterAndStatus(t *testing.T) {
	h := newHarness(t, dataDir(t), "--id-config", "stats-url=http://xs.school.lan/stats")
	blob := newKey(t)
	uid := UIDOf(blob)
	code, r := h.postJSON("/client/register", map[string]any{
		"uuid": machineUUID, "nickname": "nena", "serial": "SHF706002A7", "pubkey": "ssh-ed25519 " + blob + " nena@xo"})
	if code != 200 || r["success"] != "OK" {
		t.Fatalf("register: HTTP %d %v", code, r)
	}
	want := map[string]string{"uuid": uid, "uid": uid, "jabberserver": "xs.school.lan",
		"backupurl": defaultBackupUser(user.Lookup) + "@xs.school.lan:" + uid, "backuppath": uid}
	for k, v := range want {
		if r[k] != v {
			t.Errorf("%s = %v, want %q", k, r[k], v)
		}
	}
	cfg, _ := r["config"].(map[string]any)
	if cfg["uid"] != uid || cfg["backup-url"] != want["backupurl"] || cfg["stats-url"] != "http://xs.school.lan/stats" ||
		cfg["schoolserver"] != "xs.school.lan" || cfg["jabber-url"] != "xs.school.lan" {
		t.Errorf("config = %v", cfg)
	}
	stamp := str(r["stamp"])
	if stamp == "" {
		t.Fatal("no stamp in the register reply")
	}

	// The server id answers under both names, and so does the machine UUID.
	for _, q := range []string{"uid=" + uid, "uuid=" + uid, "uuid=" + strings.ToLower(machineUUID), "uid=" + strings.ToUpper(uid)} {
		code, s := h.get("/client/status?" + q)
		if code != 200 || s["success"] != "OK" || s["registered"] != true || s["stamp"] != stamp ||
			s["jabber-url"] != "xs.school.lan" || s["backup-url"] != want["backupurl"] {
			t.Errorf("status?%s: HTTP %d %v", q, code, s)
		}
	}
	code, s := h.get("/client/status?uid=" + strings.Repeat("ab", 20))
	if code != 200 || s["registered"] != false || s["stamp"] != stamp || s["backup-url"] != nil {
		t.Errorf("unknown uid: HTTP %d %v", code, s)
	}
	// The Sugar XML-RPC form of the same key is the same client.
	x := h.register("SHF706002A7", "nena2", machineUUID, blob)
	if x["success"] != "OK" || x["uuid"] != nil {
		t.Errorf("xmlrpc register: %v", x)
	}
	c, _, _ := h.mod.ClientByUID(t.Context(), uid)
	if c.Registrations != 2 || c.Nickname != "nena2" || !c.FirstRegistered.Before(c.LastRegistered) {
		t.Errorf("after a repeat: %+v", c)
	}
}

func TestRESTRegisterWithoutKey(t *testing.T) {
	h := newHarness(t, dataDir(t))
	code, r := h.postJSON("/client/register", map[string]any{"uuid": machineUUID})
	if code != 200 || r["success"] != "OK" {
		t.Fatalf("HTTP %d %v", code, r)
	}
	// Present but empty: clients index the keys without checking.
	if r["backupurl"] != "" || r["backuppath"] != "" || r["jabberserver"] != "xs.school.lan" {
		t.Errorf("reply %v", r)
	}
	uid := str(r["uid"])
	if len(uid) != 40 || uid != uidOfUUID(machineUUID) {
		t.Errorf("uid %q", uid)
	}
	_, s := h.get("/client/status?uid=" + uid)
	if s["registered"] != true || s["backup-url"] != nil {
		t.Errorf("status %v", s)
	}
	// Adding a key later makes a new id and supersedes the keyless one.
	blob := newKey(t)
	h.postJSON("/client/register", map[string]any{"uuid": machineUUID, "pubkey": blob})
	if _, s := h.get("/client/status?uid=" + uid); s["registered"] != false {
		t.Errorf("keyless record still registered: %v", s)
	}
	if _, s := h.get("/client/status?uid=" + UIDOf(blob)); s["registered"] != true {
		t.Errorf("keyed record not registered: %v", s)
	}
}

func TestRESTErrors(t *testing.T) {
	h := newHarness(t, dataDir(t))
	blob := newKey(t)
	cases := []struct {
		name string
		body map[string]any
		want string
	}{
		{"no uuid", map[string]any{"pubkey": blob}, `missing field "uuid"`},
		{"bad uuid", map[string]any{"uuid": "nope"}, "uuid: "},
		{"long uuid", map[string]any{"uuid": strings.Repeat("a", 41)}, "uuid: 41 bytes long"},
		{"bad serial", map[string]any{"uuid": machineUUID, "serial": "shf706002a7"}, "serial: "},
		{"long serial", map[string]any{"uuid": machineUUID, "serial": strings.Repeat("A", 33)}, "serial: 33 bytes"},
		{"control nick", map[string]any{"uuid": machineUUID, "nickname": "a\x07b"}, "nickname: contains the control character U+0007"},
		{"long nick", map[string]any{"uuid": machineUUID, "nickname": strings.Repeat("ñ", 201)}, "nickname: 201 characters"},
		{"huge nick", map[string]any{"uuid": machineUUID, "nickname": strings.Repeat("x", 801)}, "nickname: 801 bytes"},
		{"bad key", map[string]any{"uuid": machineUUID, "pubkey": "AAAAnotakey"}, "pubkey: "},
		{"nil uuid without key", map[string]any{"uuid": PlaceholderUUID}, "uuid: the all-zero UUID"},
		{"unknown field", map[string]any{"uuid": machineUUID, "colour": "red"}, `unknown field "colour"`},
		{"wrong type", map[string]any{"uuid": 5}, `field "uuid": expected string`},
	}
	for _, c := range cases {
		code, r := h.postJSON("/client/register", c.body)
		if code != http.StatusBadRequest || r["success"] != "ERR" || !strings.Contains(str(r["error"]), c.want) {
			t.Errorf("%s: HTTP %d %v, want 400 with %q", c.name, code, r, c.want)
		}
	}
	for q, want := range map[string]string{
		"":                               "uuid: missing",
		"uuid=" + url.QueryEscape("x y"): "uuid: ",
		"uid=123":                        "uid: ",
	} {
		code, r := h.get("/client/status?" + q)
		if code != http.StatusBadRequest || r["success"] != "ERR" || !strings.Contains(str(r["error"]), want) {
			t.Errorf("status?%s: HTTP %d %v, want 400 with %q", q, code, r, want)
		}
	}
	if list, _ := h.mod.Clients(t.Context()); len(list) != 0 {
		t.Errorf("rejected registrations were stored: %v", list)
	}
}
