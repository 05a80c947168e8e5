package snapshot

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 22, 0, 40, 13, 0, time.UTC)

func write(t *testing.T, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// makeCurrent builds a client dir whose current holds every file type.
func makeCurrent(t *testing.T) string {
	t.Helper()
	client := t.TempDir()
	cur := filepath.Join(client, CurrentDir)
	write(t, filepath.Join(cur, "a.txt"), "alpha", 0o640)
	write(t, filepath.Join(cur, "sub", "deep", "b.bin"), "bravo-bytes", 0o600)
	write(t, filepath.Join(cur, "ro", "c"), "charlie", 0o444)
	must(t, os.Symlink("../a.txt", filepath.Join(cur, "sub", "rel-link")))
	must(t, os.Symlink("/etc/passwd", filepath.Join(cur, "abs-link")))
	must(t, os.Symlink("nowhere", filepath.Join(cur, "dangling")))
	must(t, syscall.Mkfifo(filepath.Join(cur, "fifo"), 0o600))
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	must(t, os.Chtimes(filepath.Join(cur, "sub", "deep"), old, old))
	must(t, os.Chmod(filepath.Join(cur, "ro"), 0o555))
	t.Cleanup(func() { os.Chmod(filepath.Join(cur, "ro"), 0o755) })
	return client
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestNames(t *testing.T) {
	if got := FormatName(t0, 0); got != "2026-11-22T0040Z" {
		t.Fatalf("FormatName = %q", got)
	}
	if got := FormatName(t0.In(time.FixedZone("x", 3600)), 7); got != "2026-11-22T0040Z-07" {
		t.Fatalf("FormatName with zone and index = %q", got)
	}
	pt, ok := ParseName("2026-11-22T0040Z-07")
	if !ok || !pt.Equal(t0.Truncate(time.Minute)) {
		t.Fatalf("ParseName = %v %v", pt, ok)
	}
	for _, bad := range []string{"", "current", ".tmp-2026-11-22T0040Z", "2026-11-22T0040Z-00",
		"2026-11-22T0040Z-1", "2026-13-22T0040Z", "2026-11-22T2460Z", "2026-11-22T0040", "2026-11-22T0040Z/.."} {
		if ValidName(bad) {
			t.Errorf("ValidName(%q) = true", bad)
		}
	}
	// Sort order of names is time order, collisions included.
	ns := []string{FormatName(t0.Add(time.Minute), 0), FormatName(t0, 2), FormatName(t0, 0), FormatName(t0, 1)}
	slices.Sort(ns)
	want := []string{"2026-11-22T0040Z", "2026-11-22T0040Z-01", "2026-11-22T0040Z-02", "2026-11-22T0041Z"}
	if !slices.Equal(ns, want) {
		t.Fatalf("sorted %v", ns)
	}
}

func TestTakeHardLinksAndCopiesStructure(t *testing.T) {
	client := makeCurrent(t)
	cur := filepath.Join(client, CurrentDir)
	tk, err := Take(client, t0)
	must(t, err)
	if tk.Name != "2026-11-22T0040Z" || tk.Path != filepath.Join(client, SnapshotsDir, tk.Name) {
		t.Fatalf("taken %+v", tk)
	}
	if tk.Files != 3 || tk.Symlinks != 3 || tk.Dirs != 4 || tk.Copied != 0 || !slices.Equal(tk.Skipped, []string{"fifo"}) {
		t.Fatalf("counts %+v", tk)
	}
	for _, f := range []string{"a.txt", "sub/deep/b.bin", "ro/c"} {
		a, err := os.Stat(filepath.Join(cur, f))
		must(t, err)
		b, err := os.Stat(filepath.Join(tk.Path, f))
		must(t, err)
		if !os.SameFile(a, b) {
			t.Errorf("%s: snapshot is not a hard link of current", f)
		}
	}
	for link, target := range map[string]string{"sub/rel-link": "../a.txt", "abs-link": "/etc/passwd", "dangling": "nowhere"} {
		st, err := os.Lstat(filepath.Join(tk.Path, link))
		must(t, err)
		if st.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s: not a symlink in the snapshot (%v)", link, st.Mode())
		}
		if got, _ := os.Readlink(filepath.Join(tk.Path, link)); got != target {
			t.Errorf("%s -> %q, want %q", link, got, target)
		}
	}
	if _, err := os.Lstat(filepath.Join(tk.Path, "fifo")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("fifo copied: %v", err)
	}
	ro, err := os.Stat(filepath.Join(tk.Path, "ro"))
	must(t, err)
	if ro.Mode().Perm() != 0o555 {
		t.Errorf("read-only dir mode %v", ro.Mode())
	}
	deep, err := os.Stat(filepath.Join(tk.Path, "sub", "deep"))
	must(t, err)
	if !deep.ModTime().Equal(time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("dir mtime %v not copied", deep.ModTime())
	}
	// rsync replaces a changed file by renaming a new inode over it: the
	// snapshot must keep the old bytes.
	write(t, filepath.Join(cur, ".a.txt.tmp"), "ALPHA-2", 0o640)
	must(t, os.Rename(filepath.Join(cur, ".a.txt.tmp"), filepath.Join(cur, "a.txt")))
	got, err := os.ReadFile(filepath.Join(tk.Path, "a.txt"))
	must(t, err)
	if string(got) != "alpha" {
		t.Fatalf("snapshot file changed to %q", got)
	}
	// Same minute again: a "-01" name, nothing else left in snapshots.
	tk2, err := Take(client, t0.Add(30*time.Second))
	must(t, err)
	if tk2.Name != "2026-11-22T0040Z-01" {
		t.Fatalf("collision name %q", tk2.Name)
	}
	names, err := Names(client)
	must(t, err)
	if !slices.Equal(names, []string{tk.Name, tk2.Name}) {
		t.Fatalf("names %v", names)
	}
}

func TestTakeCleansInterruptedTemp(t *testing.T) {
	client := makeCurrent(t)
	stale := filepath.Join(client, SnapshotsDir, tempPrefix+"2026-11-21T0000Z")
	write(t, filepath.Join(stale, "ro", "x"), "half", 0o444)
	must(t, os.Chmod(filepath.Join(stale, "ro"), 0o500))
	if names, _ := Names(client); len(names) != 0 {
		t.Fatalf("temp listed as snapshot: %v", names)
	}
	_, err := Take(client, t0)
	must(t, err)
	if _, err := os.Lstat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale temp still there: %v", err)
	}
}

func TestTakeRefusesSymlinkedCurrent(t *testing.T) {
	client := t.TempDir()
	outside := t.TempDir()
	must(t, os.Symlink(outside, filepath.Join(client, CurrentDir)))
	if _, err := Take(client, t0); err == nil {
		t.Fatal("Take followed a symlinked current")
	}
}

func TestListAndUsage(t *testing.T) {
	client := t.TempDir()
	cur := filepath.Join(client, CurrentDir)
	write(t, filepath.Join(cur, "keep"), string(bytes.Repeat([]byte("k"), 1000)), 0o600)
	write(t, filepath.Join(cur, "change"), string(bytes.Repeat([]byte("c"), 300)), 0o600)
	_, err := Take(client, t0)
	must(t, err)
	write(t, filepath.Join(cur, "change.new"), string(bytes.Repeat([]byte("C"), 500)), 0o600)
	must(t, os.Rename(filepath.Join(cur, "change.new"), filepath.Join(cur, "change")))
	_, err = Take(client, t0.Add(24*time.Hour))
	must(t, err)
	list, err := List(client)
	must(t, err)
	if len(list) != 2 {
		t.Fatalf("list %+v", list)
	}
	if l := list[0]; l.Files != 2 || l.Bytes != 1300 || l.NewBytes != 1300 || !l.Time.Equal(t0.Truncate(time.Minute)) {
		t.Errorf("first %+v", l)
	}
	if l := list[1]; l.Files != 2 || l.Bytes != 1500 || l.NewBytes != 500 {
		t.Errorf("second %+v", l)
	}
	u, err := UsageOf(client)
	must(t, err)
	// Inodes: keep, old change, new change; dirs client, current,
	// snapshots, two snapshot roots.
	if u.Bytes != 1800 || u.Inodes != 8 {
		t.Errorf("usage %+v", u)
	}
	if u.DiskBytes <= 0 {
		t.Errorf("disk bytes %d", u.DiskBytes)
	}
}

func TestLock(t *testing.T) {
	dir := t.TempDir()
	f, err := Lock(dir)
	must(t, err)
	if _, err := Lock(dir); !errors.Is(err, ErrBusy) {
		t.Fatalf("second lock: %v", err)
	}
	f.Close()
	g, err := Lock(dir)
	must(t, err)
	g.Close()
	// The lock file must not be a symlink someone planted.
	dir2 := t.TempDir()
	must(t, os.Symlink(filepath.Join(t.TempDir(), "x"), filepath.Join(dir2, LockFile)))
	if _, err := Lock(dir2); err == nil {
		t.Fatal("Lock followed a symlink")
	}
}
