package gate

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aula/modules/backup/snapshot"
)

// The test binary doubles as the "ssh" that rsync runs (-e): rsync calls
// it as `<exe> host rsync --server ...`; like sshd it joins the words into
// SSH_ORIGINAL_COMMAND and then acts as the forced command would.
func TestMain(m *testing.M) {
	if os.Getenv("AULA_GATE_HELPER") == "1" {
		os.Exit(helperMain(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func helperMain(args []string) int {
	if len(args) < 1 {
		fmt.Fprintln(os.Stderr, "helper: no host")
		return 255
	}
	cmd := strings.Join(args[1:], " ") // what ssh sends
	os.Setenv("SSH_ORIGINAL_COMMAND", cmd)
	cfg := Config{Root: os.Getenv("AULA_GATE_ROOT"), VirtualRoot: os.Getenv("AULA_GATE_VROOT"), AllowRoot: true}
	plan, err := cfg.Plan(os.Getenv("AULA_GATE_UID"), os.Getenv("SSH_ORIGINAL_COMMAND"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "aula backup-gate:", err)
		return 1
	}
	if os.Getenv("AULA_GATE_RUN") != "1" {
		err := Exec(plan)
		fmt.Fprintln(os.Stderr, "aula backup-gate:", err)
		return 1
	}
	code, err := Run(plan, RunOptions{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		AfterSuccess: func(p *Plan) error {
			if !p.Completion {
				return nil
			}
			_, err := snapshot.Take(p.ClientDir, time.Now())
			return err
		}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "aula backup-gate:", err)
		return 1
	}
	return code
}

type rig struct {
	t      *testing.T
	root   string
	client string
	exe    string
	useRun bool
	vroot  string
}

func newRig(t *testing.T) *rig {
	if _, err := exec.LookPath("rsync"); err != nil {
		t.Skip("rsync not installed")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	return &rig{t: t, root: root, client: filepath.Join(root, testUID), exe: exe}
}

// rsync runs the real rsync client with the test binary as its ssh.
func (r *rig) rsync(args ...string) (string, error) {
	r.t.Helper()
	full := append([]string{"-e", r.exe}, args...)
	cmd := exec.Command("rsync", full...)
	// GORACE: a -race helper would otherwise sleep a second at exit.
	cmd.Env = append(os.Environ(), "AULA_GATE_HELPER=1", "AULA_GATE_ROOT="+r.root, "AULA_GATE_UID="+testUID,
		"AULA_GATE_VROOT="+r.vroot, "GORACE=atexit_sleep_ms=0")
	if r.useRun {
		cmd.Env = append(cmd.Env, "AULA_GATE_RUN=1")
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (r *rig) mustRsync(args ...string) {
	r.t.Helper()
	if out, err := r.rsync(args...); err != nil {
		r.t.Fatalf("rsync %q: %v\n%s", args, err, out)
	}
}

// makeTree writes a small Journal-like tree, binary bytes included.
func makeTree(t *testing.T, dir, salt string) {
	t.Helper()
	files := map[string]string{
		"store/a1/a1b2c3/data":             "journal entry " + salt,
		"store/a1/a1b2c3/metadata/title":   "Nena's drawing " + salt,
		"store/ff/ffee/data":               string(bytes.Repeat([]byte{0, 1, 2, 255, '\n'}, 20000)) + salt,
		"odd names/we;ird $(x) `a` \"q' *": "shell food " + salt,
		"-dash":                            "leading dash " + salt,
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("store/a1/a1b2c3/data", filepath.Join(dir, "latest-entry")); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2021, 5, 6, 7, 8, 9, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(dir, "store/ff/ffee/data"), old, old); err != nil {
		t.Fatal(err)
	}
}

// sameTree compares two trees: names, types, bytes, symlink targets, and
// file mtimes (the clients use -t).
func sameTree(t *testing.T, a, b string) {
	t.Helper()
	list := func(root string) map[string]string {
		m := map[string]string{}
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			info, err := d.Info()
			if err != nil {
				return err
			}
			switch {
			case d.Type()&fs.ModeSymlink != 0:
				target, _ := os.Readlink(p)
				m[rel] = "link:" + target
			case d.IsDir():
				m[rel] = "dir"
			default:
				data, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				m[rel] = fmt.Sprintf("file:%d:%s", info.ModTime().Unix(), data)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	ma, mb := list(a), list(b)
	if len(ma) != len(mb) {
		t.Errorf("%s has %d entries, %s has %d", a, len(ma), b, len(mb))
	}
	for k, v := range ma {
		if mb[k] != v {
			t.Errorf("%s differs: %.60q vs %.60q", k, v, mb[k])
		}
	}
}

func TestRoundTripThroughGate(t *testing.T) {
	for _, useRun := range []bool{false, true} {
		t.Run(fmt.Sprintf("run=%v", useRun), func(t *testing.T) {
			r := newRig(t)
			r.useRun = useRun
			src := t.TempDir()
			makeTree(t, src, "v1")
			// Exactly ds-backup's command line (spec §5).
			r.mustRsync("-z", "-rlt", "--partial", "--delete", "--timeout=160", src+"/", "host:datastore-current")
			sameTree(t, src, filepath.Join(r.client, "current", "datastore-current"))
			st, err := os.Lstat(r.client)
			if err != nil || st.Mode().Perm() != 0o700 {
				t.Fatalf("client dir %v %v", st, err)
			}
			// Restore into an empty directory.
			dst := filepath.Join(t.TempDir(), "restored")
			r.mustRsync("-rlt", "host:datastore-current/", dst+"/")
			sameTree(t, src, dst)
			// Names with spaces and shell characters work as single paths.
			r.mustRsync("-rlt", src+"/odd names/", "host:odd names")
			dst2 := t.TempDir()
			r.mustRsync("-rlt", "host:odd names", dst2+"/")
			if b, err := os.ReadFile(filepath.Join(dst2, "odd names", "we;ird $(x) `a` \"q' *")); err != nil || string(b) != "shell food v1" {
				t.Fatalf("odd name restore: %q %v", b, err)
			}
			// rsync leaves glob characters unescaped for the remote shell
			// to expand; the gate has no shell and refuses them.
			if out, err := r.rsync("-rlt", "host:odd names/*", dst2+"/"); err == nil || !strings.Contains(out, "refused: shell metacharacter '*'") {
				t.Fatalf("glob restore: %v\n%s", err, out)
			}
		})
	}
}

// The whole ds-backup run: three trees, the completion marker with
// -T /tmp, a snapshot made after the marker, and a restore from it.
func TestDsBackupRunWithSnapshot(t *testing.T) {
	r := newRig(t)
	r.useRun = true
	profile := t.TempDir()
	for _, d := range []string{"datastore", "power-logs", "Documents"} {
		makeTree(t, filepath.Join(profile, d), "v1-"+d)
	}
	backup := func() {
		for src, dest := range map[string]string{"datastore": "datastore-current", "power-logs": "power-logs", "Documents": "documents"} {
			r.mustRsync("-z", "-rlt", "--partial", "--delete", "--timeout=160", filepath.Join(profile, src)+"/", "host:"+dest)
		}
		marker := filepath.Join(t.TempDir(), "tmpXYZ")
		if err := os.WriteFile(marker, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		r.mustRsync("-z", "-rlt", "--timeout", "10", "-T", "/tmp", marker, "host:/var/lib/ds-backup/completion/SHF706002A7")
	}
	backup()
	first, err := snapshot.Latest(r.client)
	if err != nil || first == "" {
		t.Fatalf("no snapshot after the marker: %q %v", first, err)
	}
	if _, err := os.Stat(filepath.Join(r.client, "completion", "SHF706002A7")); err != nil {
		t.Fatalf("marker: %v", err)
	}
	// Change the Journal; the old snapshot keeps the old bytes.
	if err := os.WriteFile(filepath.Join(profile, "datastore/store/a1/a1b2c3/data"), []byte("rewritten"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.mustRsync("-z", "-rlt", "--partial", "--delete", "--timeout=160", filepath.Join(profile, "datastore")+"/", "host:datastore-current")
	old := t.TempDir()
	r.mustRsync("-rlt", "host:@latest/datastore-current/", old+"/")
	if b, _ := os.ReadFile(filepath.Join(old, "store/a1/a1b2c3/data")); string(b) != "journal entry v1-datastore" {
		t.Fatalf("snapshot restore got %q", b)
	}
	named := t.TempDir()
	r.mustRsync("-rlt", "host:@"+first+"/documents/", named+"/")
	sameTree(t, filepath.Join(profile, "Documents"), named)
	now := t.TempDir()
	r.mustRsync("-rlt", "host:datastore-current/", now+"/")
	sameTree(t, filepath.Join(profile, "datastore"), now)
	// A client cannot write into a snapshot.
	if out, err := r.rsync("-rlt", filepath.Join(profile, "datastore")+"/", "host:@latest/datastore-current"); err == nil ||
		!strings.Contains(out, "refused: names starting with \"@\"") {
		t.Fatalf("write to snapshot: %v\n%s", err, out)
	}
}
