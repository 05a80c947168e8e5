package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dsLaptop is one XO as OLPC's ds-backup sees it: its serial, its
// owner.key and the three directories it backs up.
type dsLaptop struct {
	serial, key, pub, uid, url string
	home                       string // datastore, power-logs, Documents under it
}

// dsSSH is ds-backup's ssh command line (client/ds-backup.py) as rsync's
// -e string, quotes and all, plus what a test on a high port with a
// current OpenSSH client needs: the port, no known_hosts file written,
// and ssh-dss enabled (the XO's old client offers it by default).
func dsSSH(port int, l dsLaptop, dsa bool) string {
	s := fmt.Sprintf(`/usr/bin/ssh -F /dev/null -o "PasswordAuthentication no" -o "StrictHostKeyChecking no" -i %s -l %s`, l.key, l.serial)
	s += fmt.Sprintf(` -p %d -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes`, port)
	if dsa {
		s += " -o PubkeyAcceptedAlgorithms=+ssh-dss"
	}
	return s
}

// dsRun runs a command line as the laptop would, returning its output.
func dsRun(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

// dsBackupRun is one nightly ds-backup run after a 200 from the control
// check: the three rsyncs, then the completion marker (an empty mkstemp
// file, -T /tmp). It stops at the first failure, as ds-backup does.
func dsBackupRun(t *testing.T, host, ssh string, l dsLaptop) {
	t.Helper()
	for _, p := range [][2]string{{".sugar/default/datastore", "datastore-current"}, {"power-logs", "power-logs"}, {"Documents", "documents"}} {
		src := filepath.Join(l.home, p[0]) + "/"
		if out, err := dsRun("/usr/bin/rsync", "-z", "-rlt", "--partial", "--delete", "--timeout=160", "-e", ssh, src, host+":"+p[1]); err != nil {
			t.Fatalf("%s: rsync %s: %v\n%s", l.serial, p[1], err, out)
		}
	}
	marker, err := os.CreateTemp("", "tmp")
	if err != nil {
		t.Fatal(err)
	}
	marker.Close()
	defer os.Remove(marker.Name())
	if out, err := dsRun("/usr/bin/rsync", "-z", "-rlt", "--timeout", "10", "-T", "/tmp", "-e", ssh, marker.Name(),
		host+":/var/lib/ds-backup/completion/"+l.serial); err != nil {
		t.Fatalf("%s: completion marker: %v\n%s", l.serial, err, out)
	}
}

// TestDsBackupOverAulaSSH: unmodified OLPC ds-backup against aula's own
// SSH endpoint. Laptops register as the Sugar shell does (one DSA key where
// this OpenSSH still has DSA, one ed25519), read the backup host out of
// backupurl with ds-backup's own regex and sed, ask the XS admission URL,
// log in as their serials and run ds-backup's exact rsync commands; the
// completion marker makes the snapshot and frees the slot; restore works
// the other way. A laptop cannot reach another's files, a key registered
// for another laptop or none is refused, and nothing gives a shell or a
// tunnel. sugar-client's account-form backupurl works against the same
// endpoint.
func TestDsBackupOverAulaSSH(t *testing.T) {
	bkNeeds(t)
	acct := bkEnsureUser(t)
	base := bkBase(t)
	dataDir := filepath.Join(base, "data")
	ctlPort, sshPort := freePort(t), freePort(t)
	srv := startServer(t, dataDir, "--user", backupUser,
		"--id-server-name", "xs.test", "--id-backup-host", "127.0.0.1",
		"--backup-max-load=0", "--backup-max-disk=0", "--backup-max-inodes=0", "--backup-snapshot=completion",
		"--backup-control-listen", fmt.Sprintf("127.0.0.1:%d", ctlPort),
		"--backup-ssh-listen", fmt.Sprintf("127.0.0.1:%d", sshPort), "--backup-ssh-idle-timeout=10s")
	ctl := fmt.Sprintf("http://127.0.0.1:%d/", ctlPort)
	clients := filepath.Join(dataDir, "backup", "clients")

	// The host keys exist, private to the account aula runs as.
	for _, k := range []string{"ssh_host_ed25519_key", "ssh_host_rsa_key"} {
		fi, err := os.Stat(filepath.Join(dataDir, "backup", k))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("host key %s: %v %v", k, fi, err)
		}
	}

	out, _ := dsRun("/usr/bin/ssh", "-Q", "key")
	dsa := strings.Contains(out, "ssh-dss\n")
	typeA := "dsa"
	if !dsa {
		t.Log("this OpenSSH has no ssh-dss (OpenSSH 10): laptop A uses an RSA key instead")
		typeA = "rsa"
	}
	keyDir := filepath.Join(base, "keys")
	os.Mkdir(keyDir, 0o700)
	a := dsLaptop{serial: "SHF706002A7", home: filepath.Join(base, "laptopA")}
	b := dsLaptop{serial: "SHF706002B8", home: filepath.Join(base, "laptopB")}
	a.key, a.pub = bkKey(t, keyDir, "owner.key", typeA)
	b.key, b.pub = bkKey(t, keyDir, "b.key", "ed25519")
	strangerKey, _ := bkKey(t, keyDir, "stranger.key", "ed25519")

	// Register as the Sugar shell does; ds-backup reads the host with its
	// Python regex (group 2) and its shell wrapper's sed.
	out = python(t, `
import json, os, re, subprocess, xmlrpc.client
s = xmlrpc.client.ServerProxy(os.environ["URL"])
res = []
for sn, u, k in json.loads(os.environ["WHO"]):
    r = s.register(sn, "nena", u, k)
    url = r["backupurl"]
    r["py_host"] = re.match(r'(\w+\@)?(\w|.+?):', url).group(2)
    r["sed_host"] = subprocess.run(["sed", "s/^.*@//;s/:.*//"], input=url + "\n", capture_output=True, text=True).stdout.strip()
    res.append(r)
print(json.dumps(res))
`, "URL="+srv.xsURL(), "WHO="+mustJSON(t, [][]string{
		{a.serial, "8bf9ac40-26f8-4bcc-a699-be51fd366401", a.pub},
		{b.serial, "8bf9ac40-26f8-4bcc-a699-be51fd366402", b.pub}}))
	var regs []map[string]any
	if err := json.Unmarshal([]byte(out), &regs); err != nil {
		t.Fatalf("register replies %q: %v", out, err)
	}
	for i, l := range []*dsLaptop{&a, &b} {
		r := regs[i]
		l.url, _ = r["backupurl"].(string)
		l.uid, _ = r["backuppath"].(string)
		if r["success"] != "OK" || l.url != l.serial+"@127.0.0.1:backup" || len(l.uid) != 40 {
			t.Fatalf("register %s: %v", l.serial, r)
		}
		if r["py_host"] != "127.0.0.1" || r["sed_host"] != "127.0.0.1" {
			t.Fatalf("ds-backup reads the host of %q as %q (regex) and %q (sed)", l.url, r["py_host"], r["sed_host"])
		}
	}
	host := "127.0.0.1"
	sshA, sshB := dsSSH(sshPort, a, dsa), dsSSH(sshPort, b, false)

	bkWrite(t, filepath.Join(a.home, ".sugar/default/datastore/store/a1/a1b2c3/data"), "Nena's drawing")
	bkWrite(t, filepath.Join(a.home, ".sugar/default/datastore/store/a1/a1b2c3/metadata/title"), "drawing")
	bkWrite(t, filepath.Join(a.home, ".sugar/default/datastore/odd name;$(x)"), randomText(50<<10))
	bkWrite(t, filepath.Join(a.home, "power-logs/pwr-20261203"), "battery 87%")
	bkWrite(t, filepath.Join(a.home, "Documents/essay.odt"), randomText(20<<10))
	bkWrite(t, filepath.Join(b.home, ".sugar/default/datastore/store/bb/bbcc/data"), "B's own entry")
	os.MkdirAll(filepath.Join(b.home, "power-logs"), 0o755)
	os.MkdirAll(filepath.Join(b.home, "Documents"), 0o755)

	slotOf := func(uid string) string {
		var st backupStatus
		bkAdmin(t, acct, &st, "backup", "status", "--json", "--data-dir", dataDir)
		for _, s := range st.Slots {
			if s.UID == uid {
				return s.State + "/" + s.Mode
			}
		}
		return ""
	}

	// Laptop A's night: admission, the three directories, the marker.
	if code, _, body := bkGet(t, ctl+"backup/1/available/"+a.serial); code != 200 || body != "" {
		t.Fatalf("XS admission: %d %q", code, body)
	}
	if s := slotOf(a.uid); s == "" {
		t.Fatal("admission granted no slot")
	}
	dsBackupRun(t, host, sshA, a)
	current := filepath.Join(clients, a.uid, "current")
	for dir, src := range map[string]string{"datastore-current": ".sugar/default/datastore", "power-logs": "power-logs", "documents": "Documents"} {
		sameFiles(t, bkTree(t, filepath.Join(current, dir)), bkTree(t, filepath.Join(a.home, src)))
	}
	snaps := bkDirNames(t, filepath.Join(clients, a.uid, "snapshots"))
	if len(snaps) != 1 {
		t.Fatalf("snapshots after one ds-backup run: %v, want one (taken at the marker)", snaps)
	}
	sameFiles(t, bkTree(t, filepath.Join(clients, a.uid, "snapshots", snaps[0])), bkTree(t, current))
	if s := slotOf(a.uid); s != "" {
		t.Fatalf("slot after the completion marker: %q, want released", s)
	}
	if m, _ := os.ReadDir(filepath.Join(clients, a.uid, "completion")); len(m) != 0 {
		t.Fatalf("completion marker left: %v", m)
	}

	// Restore, as the laptop: rsync -z -rlt HOST:datastore-current/ DEST/.
	restored := filepath.Join(base, "restoreA")
	if out, err := dsRun("/usr/bin/rsync", "-z", "-rlt", "-e", sshA, host+":datastore-current/", restored+"/"); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	sameFiles(t, bkTree(t, restored), bkTree(t, filepath.Join(a.home, ".sugar/default/datastore")))

	// What an XO-era OpenSSH (5.x/6.x) offers and nothing newer: SHA-1
	// key exchanges, CBC ciphers, hmac-sha1, an ssh-rsa host key, and the
	// DSA key where this client still has it.
	for _, kex := range []string{"diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1", "diffie-hellman-group-exchange-sha1"} {
		for _, cipher := range []string{"aes128-cbc", "3des-cbc", "aes128-ctr"} {
			old := sshA + " -o KexAlgorithms=" + kex + " -o Ciphers=" + cipher + " -o MACs=hmac-sha1 -o HostKeyAlgorithms=ssh-rsa"
			if dsa {
				old += " -o PubkeyAcceptedAlgorithms=ssh-dss"
			}
			dest := filepath.Join(base, "old-"+kex+"-"+cipher)
			if out, err := dsRun("/usr/bin/rsync", "-z", "-rlt", "-e", old, host+":power-logs/", dest+"/"); err != nil {
				t.Fatalf("old client (%s, %s): %v\n%s", kex, cipher, err, out)
			}
			sameFiles(t, bkTree(t, dest), bkTree(t, filepath.Join(a.home, "power-logs")))
		}
	}

	// Laptop B backs up too; its login sees only its own files.
	if code, _, _ := bkGet(t, ctl+"backup/1/available/"+b.serial); code != 200 {
		t.Fatalf("admission of B: %d", code)
	}
	dsBackupRun(t, host, sshB, b)
	beforeA := bkSnapshotOf(t, filepath.Join(clients, a.uid))
	loot := filepath.Join(base, "loot")
	if out, err := dsRun("/usr/bin/rsync", "-z", "-rlt", "-e", sshB, host+":datastore-current/", loot+"/"); err != nil {
		t.Fatalf("B restores: %v\n%s", err, out)
	}
	sameFiles(t, bkTree(t, loot), bkTree(t, filepath.Join(b.home, ".sugar/default/datastore")))
	os.RemoveAll(loot)
	refusals := []struct {
		name string
		args []string
		why  string
	}{
		{"B reads A's directory", []string{"-rlt", "-e", sshB, host + ":../" + a.uid + "/current/", loot + "/"}, `".."`},
		{"B writes A's directory", []string{"-rlt", "-e", sshB, filepath.Join(b.home, "Documents") + "/", host + ":../" + a.uid + "/current/documents"}, `".."`},
		{"B reads A's by absolute path", []string{"-rlt", "-e", sshB, host + ":" + current + "/", loot + "/"}, ""},
	}
	for _, r := range refusals {
		out, err := dsRun("/usr/bin/rsync", r.args...)
		if r.why != "" && (err == nil || !strings.Contains(out, "aula backup-gate: refused: ") || !strings.Contains(out, r.why)) {
			t.Errorf("%s: err %v, want a refusal mentioning %q:\n%s", r.name, err, r.why, out)
		}
	}
	if _, err := os.Stat(loot); err == nil {
		if tree := bkTree(t, loot); len(tree) != 0 {
			t.Errorf("B's logins read files out: %v", tree)
		}
	}
	if !sameMap(beforeA, bkSnapshotOf(t, filepath.Join(clients, a.uid))) {
		t.Error("B's logins changed A's directory")
	}

	// Logins that must fail at authentication: B's key as A, a key nobody
	// registered (as A, and as the backup account), A's key as the
	// placeholder serial and as an unregistered serial.
	stranger := dsLaptop{serial: a.serial, key: strangerKey}
	for name, ssh := range map[string]string{
		"B's key as A":             dsSSH(sshPort, dsLaptop{serial: a.serial, key: b.key}, false),
		"unregistered key as A":    dsSSH(sshPort, stranger, false),
		"unregistered key as acct": dsSSH(sshPort, dsLaptop{serial: backupUser, key: strangerKey}, false),
		"A's key as SHF00000000":   dsSSH(sshPort, dsLaptop{serial: "SHF00000000", key: a.key}, dsa),
		"A's key as SHF99999999":   dsSSH(sshPort, dsLaptop{serial: "SHF99999999", key: a.key}, dsa),
	} {
		out, err := dsRun("/usr/bin/rsync", "-rlt", "-e", ssh, filepath.Join(a.home, "Documents")+"/", host+":documents")
		if err == nil || !strings.Contains(out, "Permission denied") {
			t.Errorf("%s: err %v, want Permission denied:\n%s", name, err, out)
		}
	}

	// No shell, no command but rsync, no tunnel.
	sshArgs := strings.Fields(strings.ReplaceAll(strings.ReplaceAll(sshA, `"PasswordAuthentication no"`, "PasswordAuthentication=no"),
		`"StrictHostKeyChecking no"`, "StrictHostKeyChecking=no"))
	for _, x := range []struct {
		name  string
		extra []string
		why   string
	}{
		{"shell", []string{host}, "aula backup-gate: refused: empty command (interactive login is not allowed)"},
		{"sh -c", []string{host, "sh", "-c", "id"}, `aula backup-gate: refused: only rsync is allowed, not "sh"`},
		{"tunnel", []string{"-W", fmt.Sprintf("127.0.0.1:%d", ctlPort), host}, "forwarding failed"},
		{"sftp", []string{"-s", host, "sftp"}, "subsystem request failed"},
	} {
		out, err := dsRun(sshArgs[0], append(sshArgs[1:], x.extra...)...)
		if err == nil || !strings.Contains(out, x.why) || strings.Contains(out, "uid=") {
			t.Errorf("%s: err %v, want a refusal mentioning %q:\n%s", x.name, err, x.why, out)
		}
	}

	// A login that runs nothing (ssh -N) is closed by the server.
	idle := exec.Command(sshArgs[0], append(sshArgs[1:], "-N", host)...)
	if err := idle.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { idle.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(2 * time.Minute):
		idle.Process.Kill()
		<-exited
		t.Error("an idle login (ssh -N) was never closed")
	}

	// `aula client rm` removes B's login at once (another process, on the
	// data directory): the endpoint looks keys up in the store.
	bkAdmin(t, acct, nil, "client", "rm", b.serial, "--data-dir", dataDir)
	waitFor(t, "B's login to be refused", func() bool {
		out, err := dsRun("/usr/bin/rsync", "-rlt", "-e", sshB, host+":datastore-current/", filepath.Join(base, "afterrm")+"/")
		return err != nil && strings.Contains(out, "Permission denied")
	})

	// sugar-client: the REST form (no serial) gets the account form of
	// backupurl and uses it as-is, with the same endpoint.
	c := dsLaptop{home: filepath.Join(base, "laptopC")}
	c.key, c.pub = bkKey(t, keyDir, "c.key", "ed25519")
	code, body := postJSON(t, srv.url()+"client/register", fmt.Sprintf(`{"uuid":"8bf9ac40-26f8-4bcc-a699-be51fd366403","nickname":"c","pubkey":"ssh-ed25519 %s"}`, c.pub))
	var reg map[string]any
	json.Unmarshal([]byte(body), &reg)
	c.url, _ = reg["backupurl"].(string)
	c.uid, _ = reg["uid"].(string)
	if code != 200 || c.url != "aulabackup@127.0.0.1:"+c.uid {
		t.Fatalf("REST register: %d %s", code, body)
	}
	if code, _, _ := bkGet(t, srv.url()+"backup/uuid/available/"+c.uid); code != 200 {
		t.Fatalf("SSK admission: %d", code)
	}
	bkWrite(t, filepath.Join(c.home, "journal/entry"), "C's entry")
	sshC := fmt.Sprintf("/usr/bin/ssh -F /dev/null -i %s -p %d -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR", c.key, sshPort)
	if out, err := dsRun("/usr/bin/rsync", "-rlt", "-e", sshC, filepath.Join(c.home, "journal")+"/", c.url); err != nil {
		t.Fatalf("sugar-client backup to %s: %v\n%s", c.url, err, out)
	}
	sameFiles(t, bkTree(t, filepath.Join(clients, c.uid, "current")), bkTree(t, filepath.Join(c.home, "journal")))
}

// postJSON posts a JSON body and returns the status and the reply body.
func postJSON(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := httpClient().Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
