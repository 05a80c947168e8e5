package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// backupUser is the dedicated system account the backup tests run the
// server, and therefore sshd's forced command, as.
const backupUser = "aulabackup"

// bkAccount is the backup account's numeric ids.
type bkAccount struct{ uid, gid uint32 }

// bkNeeds skips unless the test can run sshd and make users.
func bkNeeds(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: runs sshd and a dedicated system user")
	}
	for _, p := range []string{"/usr/sbin/sshd", "/usr/bin/rsync", "/usr/bin/ssh", "/usr/bin/ssh-keygen"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s missing (scripts/deps.sh installs it)", p)
		}
	}
}

// bkEnsureUser creates the backup account if missing (`useradd
// --system`), not locked, so that sshd with UsePAM no lets it in.
func bkEnsureUser(t *testing.T) bkAccount {
	t.Helper()
	if _, err := user.Lookup(backupUser); err != nil {
		out, err := exec.Command("useradd", "--system", "--no-create-home", "--home-dir", "/", "--shell", "/bin/sh", backupUser).CombinedOutput()
		if err != nil {
			t.Skipf("cannot create the backup user: %v %s", err, out)
		}
	}
	// '*': no password, but not locked ('!'), which sshd would refuse.
	if out, err := exec.Command("usermod", "-p", "*", backupUser).CombinedOutput(); err != nil {
		t.Fatalf("usermod: %v %s", err, out)
	}
	u, err := user.Lookup(backupUser)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return bkAccount{uint32(uid), uint32(gid)}
}

// bkBase makes a directory the backup account can reach by path, and lets
// it run the aula binary under test.
func bkBase(t *testing.T) string {
	t.Helper()
	base, err := os.MkdirTemp("", "aula-backup-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	for _, d := range []string{base, filepath.Dir(aulaBin)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return base
}

// bkSSHD runs a real OpenSSH sshd on 127.0.0.1 with a config of the
// test's own: its own host key, the backup account only, its keys in
// aula's authorized_keys file, Sugar's DSA keys allowed. The Match block
// is the one README.md tells administrators to write.
func bkSSHD(t *testing.T, base, keysFile string) int {
	t.Helper()
	hostKey := filepath.Join(base, "ssh_host_ed25519_key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey).CombinedOutput(); err != nil {
		t.Fatalf("host key: %v %s", err, out)
	}
	port := freePort(t)
	conf := filepath.Join(base, "sshd_config")
	text := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
PidFile %s
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowUsers %s
LogLevel VERBOSE
Match User %s
    AuthorizedKeysFile %s
    PubkeyAcceptedAlgorithms +ssh-dss
    AllowTcpForwarding no
    X11Forwarding no
    PermitTTY no
`, port, hostKey, filepath.Join(base, "sshd.pid"), backupUser, backupUser, keysFile)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll("/run/sshd", 0o755)
	if out, err := exec.Command("/usr/sbin/sshd", "-t", "-f", conf).CombinedOutput(); err != nil {
		t.Fatalf("sshd -t: %v %s", err, out)
	}
	cmd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", conf)
	log := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		<-done
		if t.Failed() {
			t.Logf("sshd log:\n%s", log.String())
		}
	})
	waitFor(t, "sshd to listen", func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return port
}

// bkKey makes a client key pair the way Sugar does (ssh-keygen -q -t dsa
// -C ” -N ”), or with another type, and returns the private key's path and
// the public blob without its type prefix (what the shell registers).
func bkKey(t *testing.T, dir, name, typ string) (string, string) {
	t.Helper()
	path := filepath.Join(dir, name)
	if out, err := exec.Command("ssh-keygen", "-q", "-t", typ, "-f", path, "-C", "", "-N", "").CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -t %s: %v %s", typ, err, out)
	}
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(pub))
	return path, f[1]
}

// bkSSH is the client's ssh command line (ds-backup's options, spec §5).
func bkSSH(port int, key string) []string {
	return []string{"/usr/bin/ssh", "-F", "/dev/null", "-p", strconv.Itoa(port), "-i", key,
		"-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "PasswordAuthentication=no",
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
		"-o", "PubkeyAcceptedAlgorithms=+ssh-dss"}
}

// bkRsync runs the real rsync client over ssh with the client's key.
func bkRsync(t *testing.T, port int, key string, args ...string) (string, error) {
	t.Helper()
	full := append([]string{"-e", strings.Join(bkSSH(port, key), " ")}, args...)
	out, err := exec.Command("/usr/bin/rsync", full...).CombinedOutput()
	return string(out), err
}

func bkMustRsync(t *testing.T, port int, key string, args ...string) {
	t.Helper()
	if out, err := bkRsync(t, port, key, args...); err != nil {
		t.Fatalf("rsync %q: %v\n%s", args, err, out)
	}
}

// bkSSHRun runs `ssh backupUser@127.0.0.1 COMMAND...` with a client key.
func bkSSHRun(t *testing.T, port int, key string, command ...string) (string, error) {
	t.Helper()
	args := append(bkSSH(port, key)[1:], append([]string{backupUser + "@127.0.0.1"}, command...)...)
	out, err := exec.Command("/usr/bin/ssh", args...).CombinedOutput()
	return string(out), err
}

// bkAdmin runs an admin command on the data directory as the backup
// account (which owns it), never as root.
func bkAdmin(t *testing.T, acct bkAccount, out any, args ...string) string {
	t.Helper()
	cmd := exec.Command(aulaBin, args...)
	cmd.Env = append(cleanEnv(), "HOME=/") // root's home is not the account's to read
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: acct.uid, Gid: acct.gid}}
	b, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("aula %s: %v\n%s%s", strings.Join(args, " "), err, b, stderr)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("aula %s: %v\n%s", strings.Join(args, " "), err, b)
		}
	}
	return string(b)
}

// bkTree reads every regular file under dir, by relative path.
func bkTree(t *testing.T, dir string) map[string]string {
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

// bkSnapshotOf fingerprints a tree (every entry's path, type, size, mode,
// mtime and, for files, content) to prove that nothing in it changed.
func bkSnapshotOf(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		v := fmt.Sprintf("%v %d %d", info.Mode(), info.Size(), info.ModTime().UnixNano())
		if d.Type().IsRegular() {
			b, _ := os.ReadFile(p)
			v += " " + string(b)
		}
		out[p] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func bkWrite(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// bkIno is a file's inode number.
func bkIno(t *testing.T, path string) uint64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// bkGet fetches a URL: status, Retry-After, body.
func bkGet(t *testing.T, url string) (int, string, string) {
	t.Helper()
	resp, err := httpClient().Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Retry-After"), string(b)
}
