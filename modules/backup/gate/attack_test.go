package gate

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aula/modules/backup/snapshot"
)

// fingerprint hashes every name, mode and byte under dir.
func fingerprint(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %v %d %d\n", p, info.Mode(), info.Size(), info.ModTime().UnixNano())
		if info.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func TestAttacksThroughRealRsync(t *testing.T) {
	r := newRig(t)
	r.vroot = "/backup"
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("teacher's grades"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := fingerprint(t, outside)
	pwned := filepath.Join(outside, "pwned")

	// A backup holding a symlink that points outside (rsync -l keeps it
	// as a symlink in current).
	src := t.TempDir()
	makeTree(t, src, "v1")
	if err := os.Symlink(outside, filepath.Join(src, "evil")); err != nil {
		t.Fatal(err)
	}
	r.mustRsync("-rlt", src+"/", "host:/backup/datastore-current")
	if st, err := os.Lstat(filepath.Join(r.client, "current/datastore-current/evil")); err != nil || st.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("planted symlink: %v %v", st, err)
	}
	payload := t.TempDir()
	if err := os.WriteFile(filepath.Join(payload, "pwned"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}

	attacks := []struct {
		args []string
		why  string
	}{
		{[]string{"-rlt", payload + "/", "host:datastore-current/evil/"}, `"current/datastore-current/evil" is a symlink`},
		{[]string{"-rlt", payload + "/pwned", "host:datastore-current/evil/pwned"}, "is a symlink"},
		{[]string{"-rlt", "host:datastore-current/evil/", t.TempDir() + "/"}, "is a symlink"},
		{[]string{"-rL", "host:datastore-current/", t.TempDir() + "/"}, "option -L"},
		{[]string{"-rlt", "--copy-unsafe-links", "host:datastore-current/", t.TempDir() + "/"}, "following symlinks"},
		{[]string{"-rlt", "--copy-dirlinks", "host:datastore-current/", t.TempDir() + "/"}, "option -k"},
		{[]string{"-rltK", payload + "/", "host:datastore-current"}, "option -K"},
		{[]string{"-rlt", payload + "/", "host:../" + filepath.Base(outside)}, `".."`},
		{[]string{"-rlt", payload + "/", "host:" + outside}, "is outside /backup"},
		{[]string{"-rlt", "host:/etc/passwd", t.TempDir() + "/"}, "is outside /backup"},
		{[]string{"-rlt", payload + "/", "host:/backup/../" + outside}, `".."`},
		{[]string{"-rlt", "--rsync-path=sh -c 'touch " + pwned + "'; rsync", payload + "/", "host:d"}, "shell metacharacter"},
		{[]string{"-rlt", "--rsync-path=touch " + pwned + " && rsync", payload + "/", "host:d"}, "shell metacharacter '&'"},
		{[]string{"-rlt", "--rsync-path=/bin/sh", payload + "/", "host:d"}, `only rsync is allowed, not "/bin/sh"`},
		{[]string{"-rlt", "--rsync-path=touch " + pwned, payload + "/", "host:d"}, `only rsync is allowed, not "touch"`},
		{[]string{"-rlt", "-M--log-file=" + pwned, payload + "/", "host:d"}, "--log-file is not allowed"},
		{[]string{"-rlt", "-M--rsh=sh", payload + "/", "host:d"}, "remote shell"},
		{[]string{"-rlt", "--backup", "--backup-dir=" + outside, payload + "/", "host:d"}, "option -b"},
		{[]string{"-rlt", "--link-dest=" + outside, payload + "/", "host:d"}, "--link-dest is not allowed"},
		{[]string{"-rlt", "--partial-dir=" + outside, payload + "/", "host:d"}, "bad value"},
		{[]string{"-rlt", "--inplace", payload + "/", "host:datastore-current"}, "snapshots share"},
		{[]string{"-rlt", "--protect-args", payload + "/", "host:d"}, "option -s"},
		{[]string{"-rlt", "--remove-source-files", "host:datastore-current/", t.TempDir() + "/"}, "not deleted"},
		{[]string{"-rlt", "--files-from=" + filepath.Join(outside, "secret"), "host:datastore-current/", t.TempDir() + "/"}, "option -R"},
		{[]string{"-rlt", payload + "/", "host:~root/x"}, "~user"},
		{[]string{"-rlt", payload + "/", "host:@latest/x"}, "read only"},
	}
	for _, a := range attacks {
		out, err := r.rsync(a.args...)
		if err == nil || !strings.Contains(out, "aula backup-gate: refused: ") || !strings.Contains(out, a.why) {
			t.Errorf("rsync %q: err %v, want refusal mentioning %q; output:\n%s", a.args, err, a.why, out)
		}
		var lines []string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "aula backup-gate:") {
				lines = append(lines, l)
			}
		}
		if len(lines) != 1 {
			t.Errorf("rsync %q: want one gate line, got %q", a.args, lines)
		}
	}

	// Replacing the symlink by a real directory is rsync's business: it
	// removes the link and makes a directory inside current.
	if err := os.Remove(filepath.Join(src, "evil")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(src, "evil"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "evil", "pwned"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.mustRsync("-rlt", "--delete", src+"/", "host:datastore-current")
	if _, err := os.Stat(filepath.Join(r.client, "current/datastore-current/evil/pwned")); err != nil {
		t.Fatal(err)
	}
	if got := fingerprint(t, outside); got != before {
		t.Fatal("a file outside the backup root changed")
	}
	entries, _ := os.ReadDir(r.root)
	if len(entries) != 1 || entries[0].Name() != testUID {
		t.Fatalf("backup root holds %v", entries)
	}
}

func TestClientDirSymlinkAndBusy(t *testing.T) {
	r := newRig(t)
	outside := t.TempDir()
	before := fingerprint(t, outside)
	if err := os.Symlink(outside, r.client); err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	makeTree(t, src, "v1")
	out, err := r.rsync("-rlt", src+"/", "host:datastore-current")
	if err == nil || !strings.Contains(out, "refused: client directory is a symlink") {
		t.Fatalf("symlinked client dir: %v\n%s", err, out)
	}
	if fingerprint(t, outside) != before {
		t.Fatal("wrote through the symlinked client directory")
	}
	if err := os.Remove(r.client); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(r.client, 0o700); err != nil {
		t.Fatal(err)
	}
	lock, err := snapshot.Lock(r.client)
	if err != nil {
		t.Fatal(err)
	}
	out, err = r.rsync("-rlt", src+"/", "host:datastore-current")
	if err == nil || !strings.Contains(out, "refused: another transfer for this client is running") {
		t.Fatalf("busy: %v\n%s", err, out)
	}
	lock.Close()
	r.mustRsync("-rlt", src+"/", "host:datastore-current")
}
