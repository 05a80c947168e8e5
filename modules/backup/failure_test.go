package backup

import (
	"context"
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"aula/internal/core"
	"aula/modules/backup/snapshot"
)

func randomFile(t *testing.T, path string, n int) {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	mustWrite(t, path, string(b))
}

// A full disk mid-backup: rsync fails, the previous snapshot is intact,
// the slot is freed, and once there is room the next run works.
func TestGateDiskFullKeepsSnapshots(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
	h := newHarness(t, "", true, "--backup-allow-root", "--backup-root="+mnt, "--backup-keep-within=24h")
	a := h.register(1)
	src := filepath.Join(t.TempDir(), "src")
	journal(t, src, "v1")
	v1 := treeOf(t, src)
	h.mustAdmit(a)
	h.mustRsync(a.UID, append(dsBackup, src+"/", "xs:"+a.UID)...)
	names, _ := snapshot.Names(h.clientDir(a.UID))
	if len(names) != 1 {
		t.Fatalf("snapshots %v", names)
	}

	randomFile(t, filepath.Join(src, "store/big/data"), 3<<20) // more than the whole file system
	mustWrite(t, filepath.Join(src, "store/a1/a1b2/data"), "drawing v2, longer")
	out, err := h.rsyncAs(a.UID, append(dsBackup, src+"/", "xs:"+a.UID)...)
	if err == nil {
		t.Fatalf("backup onto a full disk succeeded:\n%s", out)
	}
	t.Logf("full disk: %v\n%s", err, out)
	snap := filepath.Join(h.clientDir(a.UID), snapshot.SnapshotsDir, names[0])
	sameTree(t, treeOf(t, snap), v1)
	if now, _ := snapshot.Names(h.clientDir(a.UID)); len(now) != 1 {
		t.Fatalf("a failed backup made a snapshot: %v", now)
	}
	if live, _ := h.mod.store.listSlots(context.Background()); len(live) != 0 {
		t.Fatalf("slot kept after a failed backup: %+v", live)
	}
	if k := h.eventKinds(a.UID); !strings.HasPrefix(k[len(k)-1], "backup: rsync exit") {
		t.Fatalf("audit %q", k)
	}

	os.Remove(filepath.Join(src, "store/big/data"))
	v2 := treeOf(t, src)
	h.mustAdmit(a)
	h.mustRsync(a.UID, append(dsBackup, src+"/", "xs:"+a.UID)...)
	sameTree(t, treeOf(t, filepath.Join(h.clientDir(a.UID), snapshot.CurrentDir)), v2)
	sameTree(t, treeOf(t, snap), v1)
}

// A client that disconnects mid-transfer: its gate notices, frees the
// slot and records the failure; current is usable on the next run.
func TestGateClientDisconnectFreesSlot(t *testing.T) {
	h := newHarness(t, "", true, "--backup-allow-root")
	a := h.register(1)
	src := filepath.Join(t.TempDir(), "src")
	randomFile(t, filepath.Join(src, "big"), 4<<20)
	mustWrite(t, filepath.Join(src, "small"), "small")
	h.mustAdmit(a)

	exe, _ := os.Executable()
	cmd := exec.Command("rsync", "-e", exe, "-rlt", "--partial", "--bwlimit=200", src+"/", "xs:"+a.UID)
	cmd.Env = append(os.Environ(), "AULA_TEST_BACKUP_GATE=1", "AULA_TEST_BACKUP_DATA="+h.dir,
		"AULA_TEST_BACKUP_UID="+a.UID, "GORACE=atexit_sleep_ms=0")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	running := func() bool {
		live, _ := h.mod.store.listSlots(context.Background())
		return len(live) == 1 && live[0].State == "running"
	}
	waitFor(t, "the transfer to start", running)
	// The client's rsync dies at once, as when a laptop's lid closes; the
	// gate (here the "ssh" it ran, on the server side of the pipes) and
	// its rsync server are left with a dead connection.
	cmd.Process.Kill()
	cmd.Wait()
	waitFor(t, "the slot to be freed", func() bool {
		live, _ := h.mod.store.listSlots(context.Background())
		return len(live) == 0
	})
	waitFor(t, "the failure to be recorded", func() bool {
		k := h.eventKinds(a.UID)
		return len(k) == 2 && strings.HasPrefix(k[1], "backup: rsync exit")
	})

	h.mustAdmit(a)
	h.mustRsync(a.UID, "-rlt", "--partial", src+"/", "xs:"+a.UID)
	sameTree(t, treeOf(t, filepath.Join(h.clientDir(a.UID), snapshot.CurrentDir)), treeOf(t, src))
}

// Quota: old snapshots are trimmed to fit; a client still over it after
// trimming is refused at admission and at the gate.
func TestGateQuotaTrimsThenRefuses(t *testing.T) {
	h := newHarness(t, "", true, "--backup-allow-root", "--backup-quota=300K", "--backup-keep-within=24h")
	a := h.register(1)
	src := filepath.Join(t.TempDir(), "src")
	h.mustAdmit(a)
	for i := 0; i < 3; i++ {
		randomFile(t, filepath.Join(src, "entry"), 100<<10+i) // a new inode each time
		h.mustRsync(a.UID, "-rlt", src+"/", "xs:")
	}
	names, _ := snapshot.Names(h.clientDir(a.UID))
	if len(names) != 2 {
		t.Fatalf("after three 100K backups under a 300K quota: snapshots %v, want the oldest trimmed", names)
	}
	if k := h.eventKinds(a.UID); !strings.Contains(k[len(k)-1], "trimmed 1 for the quota") {
		t.Fatalf("audit %q", k)
	}
	randomFile(t, filepath.Join(src, "huge"), 400<<10)
	h.mustRsync(a.UID, "-rlt", src+"/", "xs:")
	_, err := h.admit(AdmitArgs{UUID: a.UID})
	if core.KindOf(err) != core.KindPermission || !strings.Contains(err.Error(), "quota") {
		t.Fatalf("admission over quota: %v", err)
	}
	if out, err := h.rsyncAs(a.UID, "-rlt", src+"/", "xs:"); err == nil || !strings.Contains(out, "over the backup quota") {
		t.Fatalf("gate over quota: %v\n%s", err, out)
	}
	// Restores still work: a client over quota gets its Journal back.
	dst := filepath.Join(t.TempDir(), "restore")
	h.mustRsync(a.UID, "-rlt", "xs:", dst+"/")
	sameTree(t, treeOf(t, dst), treeOf(t, src))
}
