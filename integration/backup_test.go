package integration

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// backupStatus is the part of `aula backup status --json` the tests read.
type backupStatus struct {
	Slots []struct {
		UID, State, Mode string
	}
	Clients []struct {
		UID        string
		LastResult string `json:"last_result"`
		Snapshots  int
	}
	Recent []struct {
		UID, Kind, Detail string
	}
}

// TestBackupOverSSH: two Sugar laptops register over XML-RPC (one DSA key
// made as Sugar makes it, one ed25519), ask admission, and back up,
// change, back up again and restore a Journal with the real rsync client
// through a real sshd whose forced command is `aula backup-gate`, running
// as the dedicated backup account that also runs `aula serve`. Then every
// way out of a client's directory is tried, and all are refused.
func TestBackupOverSSH(t *testing.T) {
	bkNeeds(t)
	acct := bkEnsureUser(t)
	base := bkBase(t)
	dataDir := filepath.Join(base, "data")
	ctlPort := freePort(t)
	srv := startServer(t, dataDir, "--user", backupUser,
		"--id-server-name", "xs.test", "--id-backup-user", backupUser, "--id-backup-host", "127.0.0.1",
		// This machine's load says nothing about the test: no load or disk rule.
		"--backup-max-load=0", "--backup-max-disk=0", "--backup-max-inodes=0",
		"--backup-keep-within=24h", "--backup-max-concurrent=3",
		"--backup-control-listen", fmt.Sprintf("127.0.0.1:%d", ctlPort))
	ctl := fmt.Sprintf("http://127.0.0.1:%d/", ctlPort)
	keysFile := filepath.Join(dataDir, "backup", "authorized_keys")
	clients := filepath.Join(dataDir, "backup", "clients")
	port := bkSSHD(t, base, keysFile)

	keyDir := filepath.Join(base, "keys")
	os.Mkdir(keyDir, 0o700)
	keyA, pubA := bkKey(t, keyDir, "owner.key", "dsa")
	keyB, pubB := bkKey(t, keyDir, "b.key", "ed25519")
	keyC, pubC := bkKey(t, keyDir, "c.key", "ed25519")
	out := python(t, `
import json, os, xmlrpc.client
s = xmlrpc.client.ServerProxy(os.environ["URL"])
print(json.dumps([s.register(sn, "nena", u, k) for sn, u, k in json.loads(os.environ["WHO"])]))
`, "URL="+srv.xsURL(), "WHO="+mustJSON(t, [][]string{
		{"SHF00000001", "8bf9ac40-26f8-4bcc-a699-be51fd366401", pubA},
		{"SHF00000002", "8bf9ac40-26f8-4bcc-a699-be51fd366402", pubB},
		{"SHF00000003", "8bf9ac40-26f8-4bcc-a699-be51fd366403", pubC}}))
	var regs []map[string]any
	if err := json.Unmarshal([]byte(out), &regs); err != nil {
		t.Fatalf("register replies %q: %v", out, err)
	}
	url := make([]string, 3)
	uid := make([]string, 3)
	for i, r := range regs {
		// The Sugar shell is told SERIAL@HOST:backup (for ds-backup, which
		// logs in as the serial at aula's own SSH endpoint); through the
		// system sshd a client logs in as the backup account, the form
		// sugar-client is told.
		uid[i], _ = r["backuppath"].(string)
		url[i] = backupUser + "@127.0.0.1:" + uid[i]
		if r["success"] != "OK" || len(uid[i]) != 40 || r["backupurl"] != fmt.Sprintf("SHF0000000%d@127.0.0.1:backup", i+1) {
			t.Fatalf("register %d: %v", i, r)
		}
	}
	urlA, urlB := url[0], url[1]
	uidA, uidB, uidC := uid[0], uid[1], uid[2]

	// authorized_keys follows the registrations: forced, restricted lines.
	waitFor(t, "the three keys in authorized_keys", func() bool {
		b, _ := os.ReadFile(keysFile)
		return strings.Count(string(b), ",restrict ") == 3
	})
	keys, _ := os.ReadFile(keysFile)
	wantA := fmt.Sprintf(`command="/usr/bin/env AULA_DATA_DIR=%s AULA_LOG_LEVEL=warn %s backup-gate --uid %s",restrict ssh-dss %s aula:%s`,
		dataDir, aulaBin, uidA, pubA, uidA)
	if !strings.Contains(string(keys), wantA+"\n") {
		t.Fatalf("authorized_keys:\n%s\nwant the line\n%s", keys, wantA)
	}

	// Admission: the XS form on the control listener, the JSON form on
	// the main one; unknown and malformed clients are refused.
	if code, _, body := bkGet(t, ctl+"backup/1/available/SHF00000001"); code != 200 || body != "" {
		t.Fatalf("XS admission: %d %q", code, body)
	}
	if code, _, body := bkGet(t, srv.url()+"client/backup?uuid="+uidB); code != 200 || !strings.Contains(body, `"accepted":true`) {
		t.Fatalf("JSON admission: %d %q", code, body)
	}
	for _, u := range []string{ctl + "backup/1/available/SHF99999999", srv.url() + "backup/uuid/available/" + strings.Repeat("0", 40),
		ctl + "backup/1/available/SHF.1", srv.url() + "backup/uuid/available/a%2fb"} {
		if code, _, body := bkGet(t, u); code != 403 {
			t.Errorf("%s: %d %q, want 403", u, code, body)
		}
	}

	// A backs up its Journal, changes it, backs up again.
	journal := filepath.Join(base, "clientA", "datastore")
	bkWrite(t, filepath.Join(journal, "store/a1/a1b2c3/data"), "Nena's drawing")
	bkWrite(t, filepath.Join(journal, "store/a1/a1b2c3/metadata/title"), "drawing")
	bkWrite(t, filepath.Join(journal, "store/ff/ffee/data"), randomText(200<<10))
	bkWrite(t, filepath.Join(journal, "odd names/we;ird $(x) `a` *"), "shell food")
	v1 := bkTree(t, journal)
	dsBackup := []string{"-z", "-rlt", "--partial", "--delete", "--timeout=160"}
	bkMustRsync(t, port, keyA, append(dsBackup, journal+"/", urlA)...)
	currentA := filepath.Join(clients, uidA, "current")
	sameFiles(t, bkTree(t, currentA), v1)
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Join(currentA, "store/ff/ffee/data"), &st); err != nil || st.Uid != acct.uid {
		t.Fatalf("backed-up file owner %d (%v): the gate must run as %s", st.Uid, err, backupUser)
	}

	bkWrite(t, filepath.Join(journal, "store/a1/a1b2c3/data"), "Nena's drawing, finished")
	bkWrite(t, filepath.Join(journal, "store/new/entry"), "a new entry")
	os.Remove(filepath.Join(journal, "odd names/we;ird $(x) `a` *"))
	v2 := bkTree(t, journal)
	if code, _, _ := bkGet(t, ctl+"backup/1/available/SHF00000001"); code != 200 {
		t.Fatalf("second admission: %d", code)
	}
	bkMustRsync(t, port, keyA, append(dsBackup, journal+"/", urlA)...)
	sameFiles(t, bkTree(t, currentA), v2)

	// Restore into an empty directory: byte for byte.
	restored := filepath.Join(base, "restoreA")
	bkMustRsync(t, port, keyA, "-rlt", urlA+"/", restored+"/")
	sameFiles(t, bkTree(t, restored), v2)

	// Two snapshots; unchanged files share one inode.
	names := bkDirNames(t, filepath.Join(clients, uidA, "snapshots"))
	if len(names) != 2 {
		t.Fatalf("snapshots %v", names)
	}
	snap := func(i int, rel string) string { return filepath.Join(clients, uidA, "snapshots", names[i], rel) }
	if bkIno(t, snap(0, "store/ff/ffee/data")) != bkIno(t, snap(1, "store/ff/ffee/data")) {
		t.Fatal("unchanged file not shared by hard link between the snapshots")
	}
	if bkIno(t, snap(0, "store/a1/a1b2c3/data")) == bkIno(t, snap(1, "store/a1/a1b2c3/data")) {
		t.Fatal("changed file shares the older snapshot's inode")
	}
	older := filepath.Join(base, "restoreA-old")
	bkMustRsync(t, port, keyA, "-rlt", fmt.Sprintf("%s@127.0.0.1:@%s/", backupUser, names[0]), older+"/")
	sameFiles(t, bkTree(t, older), v1)
	var list struct {
		UID       string
		Snapshots []struct {
			Name  string
			Files int
		}
	}
	bkAdmin(t, acct, &list, "backup", "list", "SHF00000001", "--json", "--data-dir", dataDir)
	if list.UID != uidA || len(list.Snapshots) != 2 || list.Snapshots[0].Files != 4 || list.Snapshots[1].Files != 4 {
		t.Fatalf("backup list: %+v", list)
	}

	// B, with its ed25519 key, backs up too.
	journalB := filepath.Join(base, "clientB", "documents")
	bkWrite(t, filepath.Join(journalB, "essay.odt"), randomText(10<<10))
	bkMustRsync(t, port, keyB, append(dsBackup, journalB+"/", urlB)...)
	sameFiles(t, bkTree(t, filepath.Join(clients, uidB, "current")), bkTree(t, journalB))

	bkAttacks(t, attackRig{port: port, keyA: keyA, keyC: keyC, uidA: uidA, uidB: uidB, uidC: uidC,
		base: base, clients: clients, ctl: ctl, acct: acct, dataDir: dataDir})
	bkDisconnect(t, attackRig{port: port, keyA: keyA, uidA: uidA, base: base, clients: clients, ctl: ctl, acct: acct, dataDir: dataDir})
}

type attackRig struct {
	port                   int
	keyA, keyC             string
	uidA, uidB, uidC       string
	base, clients, dataDir string
	ctl                    string
	acct                   bkAccount
}

// bkAttacks tries to leave A's directory every way we know; each attempt
// must be refused with one line from the gate, and nothing outside A's
// directory may change.
func bkAttacks(t *testing.T, r attackRig) {
	canary := filepath.Join(os.TempDir(), fmt.Sprintf("aula-pwned-%d", os.Getpid()))
	os.Remove(canary)
	defer os.Remove(canary)
	outside := func() map[string]string {
		m := bkSnapshotOf(t, filepath.Join(r.clients, r.uidB))
		for k, v := range bkSnapshotOf(t, filepath.Join(r.base, "clientA")) {
			m[k] = v
		}
		return m
	}
	// Plant symlinks pointing out of A's directory, through a backup (-l
	// keeps them as symlinks).
	evil := filepath.Join(r.base, "evil")
	os.MkdirAll(evil, 0o755)
	os.Symlink("/etc", filepath.Join(evil, "escape"))
	os.Symlink("../../"+r.uidB, filepath.Join(evil, "toB"))
	bkWrite(t, filepath.Join(evil, "x"), "x")
	if code, _, _ := bkGet(t, r.ctl+"backup/1/available/SHF00000001"); code != 200 {
		t.Fatalf("admission: %d", code)
	}
	bkMustRsync(t, r.port, r.keyA, "-rlt", evil+"/", backupUser+"@127.0.0.1:evil")
	before := outside()

	host := backupUser + "@127.0.0.1:"
	src := filepath.Join(r.base, "clientA", "datastore") + "/"
	loot := filepath.Join(r.base, "loot")
	os.MkdirAll(loot, 0o755)
	type attack struct {
		name string
		run  func() (string, error)
		why  string
	}
	rsyncA := func(args ...string) func() (string, error) {
		return func() (string, error) { return bkRsync(t, r.port, r.keyA, args...) }
	}
	sshA := func(cmd ...string) func() (string, error) {
		return func() (string, error) { return bkSSHRun(t, r.port, r.keyA, cmd...) }
	}
	attacks := []attack{
		{"write into B's directory", rsyncA("-rlt", src, host+"../"+r.uidB+"/current/"), `".."`},
		{"read B's directory", rsyncA("-rlt", host+"../"+r.uidB+"/current/", loot+"/"), `".."`},
		{"dot-dot to /etc", rsyncA("-rlt", host+"../../../../../etc/", loot+"/"), `".."`},
		{"write through a symlink to /etc", rsyncA("-rlt", src, host+"evil/escape/"), "is a symlink"},
		{"read through a symlink to /etc", rsyncA("-rlt", host+"evil/escape/passwd", loot+"/"), "is a symlink"},
		{"write through a symlink to B", rsyncA("-rlt", src, host+"evil/toB/current/"), "is a symlink"},
		{"read through a symlink to B", rsyncA("-rlt", host+"evil/toB/current/", loot+"/"), "is a symlink"},
		{"follow symlinks on restore (-L)", rsyncA("-rL", host+"evil/", loot+"/"), "not allowed"},
		{"write into a snapshot", rsyncA("-rlt", src, host+"@latest/"), "read only"},
		{"plain ssh sh", sshA("sh"), "only rsync is allowed"},
		{"interactive login", sshA(), "interactive login is not allowed"},
		{"--rsh injection", sshA("rsync --server --rsh=/bin/sh . x"), "--rsh"},
		{"-e injection", sshA("rsync --server -e 'touch " + canary + "' . x"), "metacharacter"},
		{"command chaining", sshA("rsync --server -rlt . x; touch " + canary), "metacharacter"},
		{"--rsync-path", rsyncA("--rsync-path=touch "+canary, "-rlt", src, host+"x"), "only rsync is allowed"},
		{"daemon mode", sshA("rsync --server --daemon ."), "daemon mode"},
		{"rsync without a slot (C, never admitted)", func() (string, error) {
			return bkRsync(t, r.port, r.keyC, "-rlt", src, host+r.uidC)
		}, "no admission slot"},
	}
	for _, a := range attacks {
		out, err := a.run()
		if err == nil {
			t.Errorf("%s: succeeded\n%s", a.name, out)
			continue
		}
		if n := strings.Count(out, "aula backup-gate: refused: "); n != 1 || !strings.Contains(out, a.why) {
			t.Errorf("%s: want one gate refusal mentioning %q, got:\n%s", a.name, a.why, out)
		}
	}
	// Naming B's uid (or B's directory by its absolute path) is just a
	// path inside A's own directory: it lands there.
	bkMustRsync(t, r.port, r.keyA, "-rlt", src, host+r.uidB+"/")
	bkMustRsync(t, r.port, r.keyA, "-rlt", "--mkpath", src, host+filepath.Join(r.clients, r.uidB, "current")+"/")
	for _, p := range []string{r.uidB, filepath.Join(r.clients, r.uidB, "current")} {
		if _, err := os.Stat(filepath.Join(r.clients, r.uidA, "current", p, "store/new/entry")); err != nil {
			t.Errorf("a write to %q did not land in A's directory: %v", p, err)
		}
	}
	if after := outside(); !sameMap(before, after) {
		t.Error("an attack changed something outside A's directory")
	}
	if _, err := os.Stat(canary); err == nil {
		t.Error("an injected command ran")
	}
	if tree := bkTree(t, loot); len(tree) != 0 {
		t.Errorf("attacks read files out: %v", tree)
	}
	var st backupStatus
	bkAdmin(t, r.acct, &st, "backup", "status", "--json", "--data-dir", r.dataDir)
	refused := 0
	for _, e := range st.Recent {
		if e.Kind == "refused" && (e.UID == r.uidA || e.UID == r.uidC) {
			refused++
		}
	}
	if refused < len(attacks) {
		t.Errorf("audit: %d refusals among the recent events: %+v", refused, st.Recent)
	}
}

// bkDisconnect kills a client mid-transfer: the gate frees the slot and
// records the failure, and the next run works.
func bkDisconnect(t *testing.T, r attackRig) {
	big := filepath.Join(r.base, "clientA", "big")
	bkWrite(t, filepath.Join(big, "video.ogv"), randomText(3<<20))
	if code, _, _ := bkGet(t, r.ctl+"backup/1/available/SHF00000001"); code != 200 {
		t.Fatal("admission before the interrupted backup")
	}
	cmd := exec.Command("/usr/bin/rsync", "-e", strings.Join(bkSSH(r.port, r.keyA), " "), "-rlt", "--partial",
		"--bwlimit=100", big+"/", backupUser+"@127.0.0.1:big")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slotState := func() string {
		var st backupStatus
		bkAdmin(t, r.acct, &st, "backup", "status", "--json", "--data-dir", r.dataDir)
		for _, s := range st.Slots {
			if s.UID == r.uidA {
				return s.State + "/" + s.Mode
			}
		}
		return ""
	}
	waitFor(t, "the backup to run", func() bool { return slotState() == "running/backup" })
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the laptop is gone: rsync and ssh
	cmd.Wait()
	waitFor(t, "the slot to be freed", func() bool { return slotState() == "" })
	var st backupStatus
	bkAdmin(t, r.acct, &st, "backup", "status", "--json", "--data-dir", r.dataDir)
	for _, c := range st.Clients {
		if c.UID == r.uidA && !strings.HasPrefix(c.LastResult, "rsync exit") {
			t.Fatalf("last result after the disconnect: %q", c.LastResult)
		}
	}
	if code, _, _ := bkGet(t, r.ctl+"backup/1/available/SHF00000001"); code != 200 {
		t.Fatal("admission after the interrupted backup")
	}
	bkMustRsync(t, r.port, r.keyA, "-rlt", "--partial", big+"/", backupUser+"@127.0.0.1:big")
	sameFiles(t, bkTree(t, filepath.Join(r.clients, r.uidA, "current", "big")), bkTree(t, big))
}

func sameFiles(t *testing.T, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d files, want %d", len(got), len(want))
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Fatalf("file %q differs or is missing", k)
		}
	}
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func bkDirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func randomText(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return string(b)
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
