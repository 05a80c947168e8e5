package authkeys

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRealSshdRunsForcedCommand starts a real sshd on 127.0.0.1 that reads
// the written file and logs in with a Sugar-style DSA key and an ed25519
// key: sshd must run the gate command with the client's uid and hand it
// the client's command in SSH_ORIGINAL_COMMAND, and refuse a pty.
func TestRealSshdRunsForcedCommand(t *testing.T) {
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		sshd = "/usr/sbin/sshd"
		if _, err := os.Stat(sshd); err != nil {
			t.Skip("sshd not installed")
		}
	}
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("ssh not installed")
	}
	if os.Geteuid() == 0 {
		if _, err := os.Stat("/run/sshd"); err != nil {
			t.Skip("sshd privilege separation directory /run/sshd missing")
		}
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// The "gate": prints what sshd gave it.
	gatePath := filepath.Join(dir, "fake-gate")
	script := "#!/bin/sh\necho \"GATE[$*] CMD[$SSH_ORIGINAL_COMMAND]\"\n"
	if err := os.WriteFile(gatePath, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	dsa, ed, stranger := genKey(t, "dsa"), genKey(t, "ed25519"), genKey(t, "ed25519")
	keysPath := filepath.Join(dir, "authorized_keys")
	if _, err := Write(keysPath, []Entry{{UID: uidOf(dsa.b64), Blob: dsa.b64}, {UID: uidOf(ed.b64), Blob: ed.pubLine}}, gatePath, nil); err != nil {
		t.Fatal(err)
	}
	hostKey := filepath.Join(dir, "host_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-f", hostKey, "-N", "").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := filepath.Join(dir, "sshd_config")
	conf := fmt.Sprintf(`ListenAddress 127.0.0.1:%d
HostKey %s
AuthorizedKeysFile %s
PidFile none
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
PubkeyAcceptedAlgorithms +ssh-dss
LogLevel ERROR
`, port, hostKey, keysPath)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(sshd, "-t", "-f", cfg).CombinedOutput(); err != nil {
		t.Fatalf("sshd -t: %v %s", err, out)
	}
	srv := exec.Command(sshd, "-D", "-e", "-f", cfg, "-o", "LogLevel=INFO")
	stderr, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Server listening") {
				ready <- true
			}
		}
		close(ready)
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatal("sshd exited before listening")
		}
	case <-time.After(30 * time.Second): // hang guard only
		t.Fatal("sshd did not start")
	}
	// The ssh options ds-backup uses (spec §5), plus test-only ones.
	ssh := func(k key, opts []string, command ...string) (string, error) {
		args := []string{"-F", "/dev/null", "-o", "PasswordAuthentication no", "-o", "StrictHostKeyChecking no",
			"-o", "UserKnownHostsFile /dev/null", "-o", "BatchMode yes", "-o", "IdentitiesOnly yes",
			"-o", "PubkeyAcceptedAlgorithms +ssh-dss", "-o", "LogLevel ERROR",
			"-i", k.privPath, "-p", fmt.Sprint(port), "-l", me.Username}
		args = append(append(append(args, opts...), "127.0.0.1"), command...)
		out, err := exec.Command("ssh", args...).CombinedOutput()
		return string(out), err
	}
	for _, k := range []key{dsa, ed} {
		out, err := ssh(k, nil, "rsync --server -ltrze.iLsfxCIvu . datastore-current")
		want := fmt.Sprintf("GATE[backup-gate --uid %s] CMD[rsync --server -ltrze.iLsfxCIvu . datastore-current]", uidOf(k.b64))
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("%s key: %v\n%s\nwant %s", k.typ, err, out, want)
		}
	}
	// "restrict": no pty, and a login without a command still only
	// reaches the gate (with an empty command, which it refuses).
	if out, err := ssh(ed, []string{"-T"}); err != nil || !strings.Contains(out, "GATE[backup-gate --uid "+uidOf(ed.b64)+"] CMD[]") {
		t.Errorf("login without a command: %v %s", err, out)
	}
	if out, _ := ssh(ed, []string{"-tt"}); !strings.Contains(out, "PTY allocation request failed") {
		t.Errorf("pty granted: %s", out)
	}
	out, err := ssh(ed, []string{"-R", "0:127.0.0.1:22", "-o", "ExitOnForwardFailure yes"}, "x")
	if err == nil || !strings.Contains(out, "remote port forwarding failed") {
		t.Errorf("port forwarding allowed: %v %s", err, out)
	}
	if out, err := ssh(stranger, nil, "id"); err == nil {
		t.Errorf("unregistered key logged in: %s", out)
	}
}
