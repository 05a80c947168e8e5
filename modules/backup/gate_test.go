package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"aula/modules/backup/gate"
	"aula/modules/backup/snapshot"
)

// The test binary doubles as the "ssh" that the real rsync client runs
// (-e): called as `<exe> host rsync --server ...`, it joins the words into
// SSH_ORIGINAL_COMMAND as sshd would and runs the gate in a process of its
// own on the test's data directory, as sshd runs `aula backup-gate`.
func TestMain(m *testing.M) {
	if os.Getenv("AULA_TEST_BACKUP_GATE") == "1" {
		os.Exit(gateHelper(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func gateHelper(args []string) int {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "helper: want HOST COMMAND...")
		return 255
	}
	h, err := boot(os.Getenv("AULA_TEST_BACKUP_DATA"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 255
	}
	defer h.db.Close()
	code, err := h.mod.runGate(context.Background(), gateIO{os.Stdin, os.Stdout, os.Stderr},
		os.Getenv("AULA_TEST_BACKUP_UID"), strings.Join(args[1:], " "))
	if err != nil {
		fmt.Fprintln(os.Stderr, "aula backup-gate:", err)
		return 1
	}
	return code
}

// rsyncAs runs the real rsync client for client uid through the helper.
func (h *harness) rsyncAs(uid string, args ...string) (string, error) {
	h.t.Helper()
	if _, err := exec.LookPath("rsync"); err != nil {
		h.t.Skip("rsync not installed")
	}
	exe, err := os.Executable()
	if err != nil {
		h.t.Fatal(err)
	}
	cmd := exec.Command("rsync", append([]string{"-e", exe}, args...)...)
	cmd.Env = append(os.Environ(), "AULA_TEST_BACKUP_GATE=1", "AULA_TEST_BACKUP_DATA="+h.dir,
		"AULA_TEST_BACKUP_UID="+uid, "GORACE=atexit_sleep_ms=0")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (h *harness) mustRsync(uid string, args ...string) {
	h.t.Helper()
	if out, err := h.rsyncAs(uid, args...); err != nil {
		h.t.Fatalf("rsync %q: %v\n%s", args, err, out)
	}
}

func (h *harness) mustAdmit(c client) {
	h.t.Helper()
	if a, err := h.admit(AdmitArgs{Serial: c.Serial}); err != nil || !a.Accepted {
		h.t.Fatalf("admit %s: %+v %v", c.Serial, a, err)
	}
}

// dsBackup is the ds-backup client's rsync (spec §5), src ending in "/".
var dsBackup = []string{"-z", "-rlt", "--partial", "--delete", "--timeout=160"}

// treeOf reads every regular file under dir, by relative path.
func treeOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(t *testing.T, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("trees differ: %d files, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("file %s differs", k)
		}
	}
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Sys().(*syscall.Stat_t).Ino
}

func journal(t *testing.T, dir, salt string) {
	mustWrite(t, filepath.Join(dir, "store/a1/a1b2/data"), "drawing "+salt)
	mustWrite(t, filepath.Join(dir, "store/ff/ffee/data"), string(bytes.Repeat([]byte{0, 1, 255, '\n'}, 5000)))
	mustWrite(t, filepath.Join(dir, "odd names/we;ird $(x) *"), "shell food")
}

func TestGateBackupSnapshotRestore(t *testing.T) {
	h := newHarness(t, "", true, "--backup-allow-root", "--backup-keep-within=24h")
	a := h.register(1)
	src := filepath.Join(t.TempDir(), "datastore")
	journal(t, src, "v1")
	v1 := treeOf(t, src)

	// No admission, no backup: refused and audited, nothing written.
	out, err := h.rsyncAs(a.UID, append(dsBackup, src+"/", "xs:"+a.UID)...)
	if err == nil || !strings.Contains(out, "no admission slot") || strings.Count(out, "aula backup-gate:") != 1 {
		t.Fatalf("backup without a slot: %v\n%s", err, out)
	}
	if _, err := os.Stat(h.clientDir(a.UID)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("refused backup created the client directory: %v", err)
	}

	h.mustAdmit(a)
	h.mustRsync(a.UID, append(dsBackup, src+"/", "xs:"+a.UID)...) // backupurl as-is
	cur := filepath.Join(h.clientDir(a.UID), snapshot.CurrentDir)
	sameTree(t, treeOf(t, cur), v1)
	names, _ := snapshot.Names(h.clientDir(a.UID))
	if len(names) != 1 {
		t.Fatalf("snapshots after the first backup: %v", names)
	}
	first := names[0]

	// The slot lingers for the same run's next rsync: no new admission.
	live, _ := h.mod.store.listSlots(context.Background())
	if len(live) != 1 || live[0].State != "granted" || live[0].PID != 0 {
		t.Fatalf("slot after a successful backup: %+v", live)
	}
	mustWrite(t, filepath.Join(src, "store/a1/a1b2/data"), "drawing v2, changed") // new size: rsync's quick check
	mustWrite(t, filepath.Join(src, "store/new/data"), "new entry")
	v2 := treeOf(t, src)
	h.mustRsync(a.UID, append(dsBackup, src+"/", "xs:"+a.UID)...)
	sameTree(t, treeOf(t, cur), v2)
	names, _ = snapshot.Names(h.clientDir(a.UID))
	if len(names) != 2 || names[0] != first {
		t.Fatalf("snapshots after the second backup: %v", names)
	}
	snapDir := func(n string) string { return filepath.Join(h.clientDir(a.UID), snapshot.SnapshotsDir, n) }
	sameTree(t, treeOf(t, snapDir(first)), v1)
	// Unchanged files share one inode; the changed one does not.
	if inode(t, snapDir(first)+"/store/ff/ffee/data") != inode(t, snapDir(names[1])+"/store/ff/ffee/data") {
		t.Fatal("unchanged file not hard-linked between snapshots")
	}
	if inode(t, snapDir(first)+"/store/a1/a1b2/data") == inode(t, snapDir(names[1])+"/store/a1/a1b2/data") {
		t.Fatal("changed file shares the old snapshot's inode")
	}

	// Restores: from current, the latest and a named snapshot; no
	// admission needed, and the slot is freed afterwards.
	for _, c := range []struct {
		path string
		want map[string]string
	}{{a.UID + "/", v2}, {"@latest/", v2}, {a.UID + "/@" + first + "/", v1}} {
		dst := filepath.Join(t.TempDir(), "restore")
		h.mustRsync(a.UID, "-rlt", "xs:"+c.path, dst+"/")
		sameTree(t, treeOf(t, dst), c.want)
	}
	// Usage and results were recorded for status and the quota.
	cs, ok, err := h.mod.store.clientStats(context.Background(), a.UID)
	if err != nil || !ok || cs.Snapshots != 2 || cs.LastSnapshot != names[1] || cs.LastResult != "ok" || cs.DiskBytes == 0 || cs.LastRestore.IsZero() {
		t.Fatalf("stats %+v %v", cs, err)
	}
	kinds := h.eventKinds(a.UID)
	want := []string{"refused: no admission slot", "admitted", "backup: ok", "backup: ok", "restore: ok", "restore: ok", "restore: ok"}
	if len(kinds) != len(want) {
		t.Fatalf("audit %q", kinds)
	}
	for i := range want {
		if !strings.HasPrefix(kinds[i], want[i]) {
			t.Fatalf("audit %d: %q, want %q...", i, kinds[i], want[i])
		}
	}
	if !strings.Contains(kinds[2], "snapshot "+first) {
		t.Fatalf("backup event lacks its snapshot: %q", kinds[2])
	}

	// backup.list shows both snapshots with their sizes.
	var list ClientBackups
	if err := h.call("backup.list", map[string]any{"id": a.Serial}, &list); err != nil {
		t.Fatal(err)
	}
	if list.UID != a.UID || len(list.Snapshots) != 2 || list.Snapshots[0].Files != 3 || list.Snapshots[1].Files != 4 ||
		list.Snapshots[1].NewBytes >= list.Snapshots[1].Bytes || list.CurrentBytes == 0 {
		t.Fatalf("list %+v", list)
	}
}

// The ds-backup run: three directories, then the completion marker; with
// --backup-snapshot=completion one snapshot per run, the marker removed
// and the slot freed at once.
func TestGateDsBackupCompletionRun(t *testing.T) {
	h := newHarness(t, "", true, "--backup-allow-root", "--backup-snapshot=completion")
	a := h.register(1)
	base := t.TempDir()
	h.mustAdmit(a)
	for _, d := range []string{"datastore-current", "power-logs", "documents"} {
		journal(t, filepath.Join(base, d), d)
		h.mustRsync(a.UID, append(dsBackup, filepath.Join(base, d)+"/", "xs:"+d)...)
	}
	if names, _ := snapshot.Names(h.clientDir(a.UID)); len(names) != 0 {
		t.Fatalf("snapshot before the marker: %v", names)
	}
	marker := filepath.Join(base, "marker")
	mustWrite(t, marker, "")
	h.mustRsync(a.UID, "-z", "-rlt", "--timeout", "10", "-T", "/tmp", marker, "xs:/var/lib/ds-backup/completion/"+a.Serial)
	names, _ := snapshot.Names(h.clientDir(a.UID))
	if len(names) != 1 {
		t.Fatalf("snapshots after the marker: %v", names)
	}
	snap := treeOf(t, filepath.Join(h.clientDir(a.UID), snapshot.SnapshotsDir, names[0]))
	if len(snap) != 9 || snap["documents/store/a1/a1b2/data"] != "drawing documents" {
		t.Fatalf("snapshot content %v", snap)
	}
	if _, err := os.Stat(filepath.Join(h.clientDir(a.UID), gate.CompletionDir, a.Serial)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("marker not removed: %v", err)
	}
	if live, _ := h.mod.store.listSlots(context.Background()); len(live) != 0 {
		t.Fatalf("slot kept after the run's last step: %+v", live)
	}
	// The run is over: another backup needs a new admission.
	if out, err := h.rsyncAs(a.UID, append(dsBackup, base+"/documents/", "xs:documents")...); err == nil || !strings.Contains(out, "no admission slot") {
		t.Fatalf("backup after the run ended: %v\n%s", err, out)
	}
}

func TestGateRefusals(t *testing.T) {
	h := newHarness(t, "", true, "--backup-allow-root", "--backup-max-concurrent=1")
	a, b := h.register(1), h.register(2)
	src := filepath.Join(t.TempDir(), "src")
	journal(t, src, "a")
	h.mustAdmit(a)
	h.mustRsync(a.UID, append(dsBackup, src+"/", "xs:")...)

	// b is registered but not admitted, and the one slot is a's: neither
	// a backup nor a restore (which would need a free slot) runs.
	if out, err := h.rsyncAs(b.UID, append(dsBackup, src+"/", "xs:")...); err == nil || !strings.Contains(out, "no admission slot") {
		t.Fatalf("b backup: %v\n%s", err, out)
	}
	if out, err := h.rsyncAs(b.UID, "-r", "xs:", t.TempDir()+"/"); err == nil || !strings.Contains(out, "nothing backed up yet") {
		t.Fatalf("b restore before any backup: %v\n%s", err, out)
	}
	mustWrite(t, filepath.Join(h.clientDir(b.UID), snapshot.CurrentDir, "x"), "x")
	if out, err := h.rsyncAs(b.UID, "-r", "xs:", t.TempDir()+"/"); err == nil || !strings.Contains(out, "1 of 1 backup slots taken") {
		t.Fatalf("b restore with no free slot: %v\n%s", err, out)
	}
	// a, removed by the admin, is refused although its slot lingers.
	if err := h.call("id.remove", map[string]any{"id": a.UID}, nil); err != nil {
		t.Fatal(err)
	}
	if out, err := h.rsyncAs(a.UID, "-r", "xs:", t.TempDir()+"/"); err == nil || !strings.Contains(out, "unknown client") {
		t.Fatalf("removed client: %v\n%s", err, out)
	}
	for _, bad := range []string{"sh", "rsync --server --rsh=sh . x", "rsync --server -r . ../" + b.UID} {
		code, err := h.mod.runGate(context.Background(), gateIO{}, b.UID, bad)
		var re *gate.RefusedError
		if code == 0 || !errors.As(err, &re) {
			t.Fatalf("%q: %d %v", bad, code, err)
		}
	}
	code, err := h.mod.runGate(context.Background(), gateIO{}, "not-a-uid", "rsync --server . x")
	if code == 0 || err == nil || !strings.Contains(err.Error(), "bad client id") {
		t.Fatalf("bad uid: %v", err)
	}
	if got := h.eventKinds(b.UID); len(got) != 6 || !strings.HasPrefix(got[4], "refused: ") {
		t.Fatalf("b's audit: %q", got)
	}
}
