package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fillUntilFull puts 4 KiB values until a Put fails and returns the keys
// that were acknowledged and the error.
func fillUntilFull(t *testing.T, db *DB, limit int) ([]string, error) {
	t.Helper()
	kv := db.KV("fill")
	val := bytes.Repeat([]byte("x"), 4096)
	var acked []string
	for i := range limit {
		key := fmt.Sprintf("k%05d", i)
		if err := kv.Put(context.Background(), key, val); err != nil {
			return acked, err
		}
		acked = append(acked, key)
	}
	t.Fatalf("%d Puts succeeded; the database never got full", limit)
	return nil, nil
}

func checkAcked(t *testing.T, db *DB, keys []string) {
	t.Helper()
	for _, k := range keys {
		if _, ok, err := db.KV("fill").Get(context.Background(), k); !ok || err != nil {
			t.Fatalf("acknowledged key %s lost: %v", k, err)
		}
	}
	if err := db.IntegrityCheck(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// max_page_count makes SQLite answer SQLITE_FULL exactly as a full disk
// would, without needing one.
func TestFullDatabaseLimit(t *testing.T) {
	db := openTest(t, Options{})
	if _, err := db.writer.Exec("PRAGMA max_page_count = 200"); err != nil {
		t.Fatal(err)
	}
	acked, err := fillUntilFull(t, db, 1000)
	if !IsFull(err) || !strings.Contains(err.Error(), db.Path()) || !strings.Contains(err.Error(), "full") {
		t.Fatalf("Put on a full database = %v; want a full error naming %s", err, db.Path())
	}
	t.Log(err)
	checkAcked(t, db, acked)
	if _, err := db.writer.Exec("PRAGMA max_page_count = 100000"); err != nil {
		t.Fatal(err)
	}
	if err := db.KV("fill").Put(context.Background(), "after", []byte("v")); err != nil {
		t.Fatalf("Put once there is room again: %v", err)
	}
}

// mountTmpfs mounts a small tmpfs (needs root) and returns its path.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

func TestFullDisk(t *testing.T) {
	mnt := mountTmpfs(t, "2m")
	db := openTest(t, Options{Dir: filepath.Join(mnt, "data")})
	filler := filepath.Join(mnt, "filler")
	if err := os.WriteFile(filler, make([]byte, 512<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	acked, err := fillUntilFull(t, db, 1000)
	if !IsFull(err) || !strings.Contains(err.Error(), db.Path()) {
		t.Fatalf("Put on a full disk = %v; want a full error naming %s", err, db.Path())
	}
	t.Log(err)
	checkAcked(t, db, acked)
	os.Remove(filler)
	if err := db.KV("fill").Put(context.Background(), "after", []byte("v")); err != nil {
		t.Fatalf("Put once there is room again: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTest(t, Options{Dir: db.Dir()})
	checkAcked(t, db, append(acked, "after"))
}

func TestReadOnly(t *testing.T) {
	var dir string
	if os.Geteuid() == 0 {
		mnt := mountTmpfs(t, "4m")
		dir = filepath.Join(mnt, "data")
		db := openTest(t, Options{Dir: dir})
		db.KV("k").Put(context.Background(), "k", []byte("v"))
		db.Close()
		if out, err := exec.Command("mount", "-o", "remount,ro", mnt).CombinedOutput(); err != nil {
			t.Skipf("cannot remount read-only: %v: %s", err, out)
		}
	} else {
		dir = filepath.Join(t.TempDir(), "data")
		db := openTest(t, Options{Dir: dir})
		db.Close()
		os.Chmod(dir, 0o500)
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
	}
	_, err := Open(context.Background(), Options{Dir: dir})
	if !IsReadOnly(err) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("Open on a read-only data directory = %v; want a read-only error naming %s", err, dir)
	}
	t.Log(err)
}

func TestCorruptFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	os.MkdirAll(dir, 0o700)
	path := filepath.Join(dir, DefaultFile)
	garbage := bytes.Repeat([]byte("this is not a database\n"), 500)
	os.WriteFile(path, garbage, 0o600)
	_, err := Open(context.Background(), Options{Dir: dir})
	if !IsCorrupt(err) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open of a non-database file = %v; want a corrupt error naming %s", err, path)
	}
	t.Log(err)
	if b, _ := os.ReadFile(path); !bytes.Equal(b, garbage) {
		t.Fatal("a failed Open changed the file")
	}
}

func TestDamagedPage(t *testing.T) {
	db := openTest(t, Options{})
	big := bytes.Repeat([]byte("y"), 300)
	for i := range 10 {
		err := db.Write(context.Background(), func(tx *sql.Tx) error {
			for j := range 100 {
				if _, err := tx.Exec("INSERT INTO kv (ns, name, value) VALUES ('n', ?, ?)", fmt.Sprint(i*100+j), big); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	path, dir := db.Path(), db.Dir()
	db.Close()
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 40*4096 {
		t.Fatalf("database is %d bytes (%v); the test needs more pages", len(b), err)
	}
	// Scribble over some pages in the middle of the kv table's b-tree.
	for i := 20 * 4096; i < 30*4096; i++ {
		b[i] = byte(i * 7)
	}
	os.WriteFile(path, b, 0o600)
	_, err = Open(context.Background(), Options{Dir: dir})
	if !IsCorrupt(err) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open of a damaged database = %v; want a corrupt error naming %s", err, path)
	}
	t.Log(err)
}

func TestCheckPrivate(t *testing.T) {
	base := t.TempDir()
	open := filepath.Join(base, "open")
	os.Mkdir(open, 0o755)
	os.Chmod(open, 0o755)
	if err := CheckPrivate(open); !IsNotPrivate(err) || !strings.Contains(err.Error(), "chmod 700") {
		t.Errorf("CheckPrivate(0755 dir) = %v", err)
	}
	if _, err := Open(context.Background(), Options{Dir: open}); !IsNotPrivate(err) {
		t.Errorf("Open on a 0755 dir = %v; want a not-private error", err)
	}
	os.Chmod(open, 0o750)
	if err := CheckPrivate(open); !IsNotPrivate(err) {
		t.Errorf("CheckPrivate(0750 dir) = %v", err)
	}
	file := filepath.Join(base, "file")
	os.WriteFile(file, nil, 0o600)
	if err := CheckPrivate(file); err == nil || IsNotPrivate(err) {
		t.Errorf("CheckPrivate(file) = %v", err)
	}
	if err := CheckPrivate(filepath.Join(base, "missing")); err == nil {
		t.Errorf("CheckPrivate(missing) succeeded")
	}
	created := filepath.Join(base, "new", "data")
	db := openTest(t, Options{Dir: created})
	for _, p := range []string{created, db.Path()} {
		fi, _ := os.Stat(p)
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s was created with mode %v", p, fi.Mode().Perm())
		}
	}
	if err := CheckPrivate(created); err != nil {
		t.Errorf("CheckPrivate(dir made by Open) = %v", err)
	}
}
