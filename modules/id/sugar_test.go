package id

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sugarShell is register_laptop() from sugar's jarabe/desktop/schoolserver.py
// and the key loading of sugar3/profile.py, cut down to what touches the
// wire: Python's stdlib client without allow_none, four strings, the
// pubkey read from owner.key.pub with its "ssh-dss " prefix removed, and
// only the reply keys the shell reads. It prints what the shell would have
// stored, or the error it would have raised, as JSON.
const sugarShell = `
import hashlib, json, sys, uuid
from xmlrpc.client import ServerProxy, Error

url, sn, nick, key_path = sys.argv[1:5]

def load_pubkey(path):
    for l in open(path).readlines():
        l = l.strip()
        if l.startswith('ssh-dss '):
            return l[len('ssh-dss '):]
    raise Exception('no ssh-dss key in ' + path)

pubkey = load_pubkey(key_path)
uuid_ = str(uuid.uuid1())
server = ServerProxy(url)
out = {'uuid': uuid_, 'pubkey': pubkey,
       'jid_user': hashlib.sha1(pubkey.encode('utf-8')).hexdigest()}
try:
    data = server.register(sn, nick, uuid_, pubkey)
except (Error, TypeError) as e:
    out['raised'] = 'Cannot connect to the server. (%r)' % (e,)
else:
    if data['success'] != 'OK':
        out['raised'] = 'The server could not complete the request.'
        out['error'] = data['error']
    else:
        out['jabberserver'] = data['jabberserver']
        out['backupurl'] = data['backupurl']
        out['backuppath'] = data.get('backuppath')
        out['config'] = data.get('config')
        out['keys'] = sorted(data.keys())
print(json.dumps(out))
`

type shellOutcome struct {
	UUID         string            `json:"uuid"`
	PubKey       string            `json:"pubkey"`
	JIDUser      string            `json:"jid_user"`
	Raised       string            `json:"raised"`
	Error        string            `json:"error"`
	JabberServer string            `json:"jabberserver"`
	BackupURL    string            `json:"backupurl"`
	BackupPath   string            `json:"backuppath"`
	Config       map[string]string `json:"config"`
	Keys         []string          `json:"keys"`
}

func runSugarShell(t *testing.T, url, serial, nick, keyPath string) shellOutcome {
	t.Helper()
	out, err := exec.Command("python3", "-c", sugarShell, url, serial, nick, keyPath).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("python3: %v\n%s", err, stderr)
	}
	var o shellOutcome
	if err := json.Unmarshal(out, &o); err != nil {
		t.Fatalf("python3 printed %q: %v", out, err)
	}
	return o
}

// dsaKey makes the key the Sugar shell makes for its profile.
func dsaKey(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen not installed")
	}
	path := filepath.Join(t.TempDir(), "owner.key")
	cmd := exec.Command("ssh-keygen", "-q", "-t", "dsa", "-f", path, "-C", "", "-N", "")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("ssh-keygen cannot make DSA keys here: %v %s", err, out)
	}
	return path + ".pub"
}

func TestSugarShellRegisters(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	h := newHarness(t, dataDir(t), "--id-jabber-server=jabber.school.lan", "--id-backup-user=backup")
	keyPath := dsaKey(t)
	o := runSugarShell(t, h.srv.URL+"/", "SHF706002A7", "nena", keyPath)
	if o.Raised != "" {
		t.Fatalf("the shell raised %q (server error %q)", o.Raised, o.Error)
	}
	if o.JabberServer != "jabber.school.lan" {
		t.Errorf("jabberserver = %q", o.JabberServer)
	}
	// backupurl is what OLPC's idmgr gave: the serial is the login, and
	// both of ds-backup's host extractions get a clean host.
	if want := "SHF706002A7@xs.school.lan:backup"; o.BackupURL != want || o.Config["backup-url"] != want {
		t.Errorf("backupurl = %q (config %q), want %q", o.BackupURL, o.Config["backup-url"], want)
	}
	if host := dsBackupHosts(t, o.BackupURL); host != "xs.school.lan xs.school.lan" {
		t.Errorf("ds-backup reads host %q from %q", host, o.BackupURL)
	}
	if o.BackupPath != o.JIDUser { // the uid is Sugar's own Jabber account name for the key
		t.Errorf("backuppath = %q, want the uid %q", o.BackupPath, o.JIDUser)
	}
	for _, k := range []string{"api-url", "jabber-url", "backup-url", "uid", "schoolserver"} {
		if o.Config[k] == "" {
			t.Errorf("config[%q] missing in %v", k, o.Config)
		}
	}
	if o.Config["uid"] != o.JIDUser || o.Config["api-url"] != "http://xs.school.lan:8000" {
		t.Errorf("config = %v", o.Config)
	}
	if strings.Join(o.Keys, ",") != "backuppath,backupurl,config,jabberserver,stamp,success" {
		t.Errorf("reply keys = %v", o.Keys)
	}

	c, ok, err := h.mod.ClientBySerial(t.Context(), "SHF706002A7")
	if err != nil || !ok {
		t.Fatalf("ClientBySerial: %v %v", ok, err)
	}
	key, _ := os.ReadFile(keyPath)
	if c.UID != o.JIDUser || c.UUID != o.UUID || c.Nickname != "nena" || c.LastAddr != "127.0.0.1" ||
		!strings.Contains(string(key), c.PubKey) || c.Registrations != 1 {
		t.Errorf("stored %+v", c)
	}

	// The failure path: an in-band error the shell logs, never a fault.
	o = runSugarShell(t, h.srv.URL+"/", "not a serial", "nena", keyPath)
	if o.Raised != "The server could not complete the request." || !strings.HasPrefix(o.Error, "serial: ") {
		t.Errorf("bad serial: raised %q, error %q", o.Raised, o.Error)
	}
}

// The shell's other failure modes depend on the server sending exactly
// success+error: wrong parameter counts and types are in-band too.
func TestSugarShellBadCallsAreInBand(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	h := newHarness(t, dataDir(t))
	script := `
import json, sys
from xmlrpc.client import ServerProxy
s = ServerProxy(sys.argv[1])
out = [s.register('SHF706002A7'), s.register(1, 2, 3, 4), s.register('SHF706002A7', 'nick', 'x', 'y')]
print(json.dumps(out))
`
	raw, err := exec.Command("python3", "-c", script, h.srv.URL+"/RPC2").Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	var replies []map[string]any
	if err := json.Unmarshal(raw, &replies); err != nil {
		t.Fatal(err)
	}
	wants := []string{"expected 4 params", "param 1 (serial): expected string", "uuid: "}
	for i, r := range replies {
		if len(r) != 2 || r["success"] != "ERR" || !strings.Contains(str(r["error"]), wants[i]) {
			t.Errorf("call %d: reply %v, want ERR with %q", i, r, wants[i])
		}
	}
}

// dsBackupHosts is the host OLPC's ds-backup takes from a backupurl, by
// its two real extractions: client/ds-backup.py's Python regex (group 2)
// and ds-backup.sh's sed, joined by a space.
func dsBackupHosts(t *testing.T, backupURL string) string {
	t.Helper()
	py, err := exec.Command("python3", "-c", `import re, sys
print(re.match(r'(\w+\@)?(\w|.+?):', sys.argv[1]).group(2))`, backupURL).Output()
	if err != nil {
		t.Fatalf("python3 regex: %v", err)
	}
	cmd := exec.Command("sed", "s/^.*@//;s/:.*//")
	cmd.Stdin = strings.NewReader(backupURL + "\n")
	sed, err := cmd.Output()
	if err != nil {
		t.Fatalf("sed: %v", err)
	}
	return strings.TrimSpace(string(py)) + " " + strings.TrimSpace(string(sed))
}

// TestDsBackupHostPattern: the old default account name broke ds-backup's
// host pattern; the new forms do not.
func TestDsBackupHostPattern(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	for url, want := range map[string]string{
		"SHF706002A7@xs.school.lan:backup":                      "xs.school.lan xs.school.lan",
		"aulabackup@xs.school.lan:" + strings.Repeat("ab", 20):  "xs.school.lan xs.school.lan",
		"aula-backup@xs.school.lan:" + strings.Repeat("ab", 20): "aula-backup@xs.school.lan xs.school.lan",
	} {
		if got := dsBackupHosts(t, url); got != want {
			t.Errorf("%s: hosts %q, want %q", url, got, want)
		}
	}
}
