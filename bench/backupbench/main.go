// Command backupbench measures one nightly OLPC ds-backup run (the XS
// admission GET, ds-backup's three rsyncs of a small Journal and its
// completion marker, over ssh, on 127.0.0.1) three ways, interleaved in the
// same run:
//
//   - aula's own SSH endpoint (--backup-ssh-listen), logging in as the
//     laptop's serial: design (b) of docs/ARCHITECTURE.md;
//   - the system sshd with the forced command `aula backup-gate` in aula's
//     authorized_keys: what design (a) runs per session too (it would add
//     an AuthorizedKeysCommand process and NSS lookups per login);
//   - the reference: the same sshd running rsync --server itself, no gate.
//
// It needs root (sshd, a system account aulabackup, which it creates when
// missing, as the integration tests do) and stops by itself.
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"aula/bench/loadgen"
)

const account = "aulabackup"
const serial = "SHF706002A7"

func main() {
	duration := flag.Duration("duration", 3*time.Second, "measured time per way (split into interleaved rounds)")
	rounds := flag.Int("rounds", 3, "interleaved rounds")
	flag.Parse()
	if err := run(*duration, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "backupbench:", err)
		os.Exit(1)
	}
}

// way is one way of running a ds-backup night.
type way struct {
	name     string
	ssh      string // rsync's -e
	host     string // user@host
	prefix   string // prepended to ds-backup's destination paths
	admitURL string // "" for none
	runs     []time.Duration
	errs     []string
}

func run(duration time.Duration, rounds int) error {
	if os.Geteuid() != 0 {
		fmt.Println("backupbench: skipped (needs root: runs sshd and a system account)")
		return nil
	}
	for _, p := range []string{"/usr/sbin/sshd", "/usr/bin/rsync", "/usr/bin/ssh", "/usr/bin/ssh-keygen"} {
		if _, err := os.Stat(p); err != nil {
			fmt.Printf("backupbench: skipped (%s missing; scripts/deps.sh installs it)\n", p)
			return nil
		}
	}
	if err := ensureAccount(); err != nil {
		return err
	}
	base, err := os.MkdirTemp("", "aula-backupbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(base)
	os.Chmod(base, 0o755)
	bin := filepath.Join(base, "aula")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/aula").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v %s", err, out)
	}
	key := filepath.Join(base, "owner.key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", key).CombinedOutput(); err != nil {
		return fmt.Errorf("ssh-keygen: %v %s", err, out)
	}
	pub, _ := os.ReadFile(key + ".pub")
	blob := strings.Fields(string(pub))[1]

	data := filepath.Join(base, "data")
	httpPort, xsPort, ctlPort, sshPort := freePort(), freePort(), freePort(), freePort()
	srv := exec.Command(bin, "serve", "--config", "", "--data-dir", data, "--user", account, "--log-level", "warn",
		"--listen", addr(httpPort), "--xs-listen", addr(xsPort), "--activation-listen=", "--auth-anon-rate=0",
		"--backup-max-load=0", "--backup-max-disk=0", "--backup-max-inodes=0", "--backup-max-grants=0",
		"--backup-snapshot=completion", "--backup-control-listen", addr(ctlPort), "--backup-ssh-listen", addr(sshPort),
		// The per-source caps stop floods; here one source runs nights back to back.
		"--backup-ssh-conn-burst=1000000")
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { srv.Process.Signal(syscall.SIGTERM); srv.Wait() }()
	if err := waitUp(fmt.Sprintf("http://%s/", addr(httpPort))); err != nil {
		return err
	}
	body := fmt.Sprintf(`<?xml version="1.0"?><methodCall><methodName>register</methodName><params><param><value><string>%s</string></value></param><param><value><string>n</string></value></param><param><value><string>8bf9ac40-26f8-4bcc-a699-be51fd366419</string></value></param><param><value><string>%s</string></value></param></params></methodCall>`, serial, blob)
	resp, err := http.Post(fmt.Sprintf("http://%s/", addr(xsPort)), "text/xml", strings.NewReader(body))
	if err != nil {
		return err
	}
	resp.Body.Close()
	keysFile := filepath.Join(data, "backup", "authorized_keys")
	if err := waitFor(func() bool { b, _ := os.ReadFile(keysFile); return strings.Contains(string(b), blob) }); err != nil {
		return errors.New("the key never reached authorized_keys")
	}

	ref := filepath.Join(base, "ref")
	u, _ := user.Lookup(account)
	var uid, gid int
	fmt.Sscan(u.Uid, &uid)
	fmt.Sscan(u.Gid, &gid)
	os.Mkdir(ref, 0o755)
	os.Chown(ref, uid, gid)
	refKeys := filepath.Join(base, "ref_keys")
	os.WriteFile(refKeys, pub, 0o644)
	gatePort, err := startSSHD(base, "gate", keysFile)
	if err != nil {
		return err
	}
	defer gatePort.stop()
	refPort, err := startSSHD(base, "ref", refKeys)
	if err != nil {
		return err
	}
	defer refPort.stop()

	home := filepath.Join(base, "laptop")
	for i := range 40 {
		write(filepath.Join(home, "datastore", fmt.Sprintf("store/%02x/entry%d/data", i, i)), strings.Repeat("journal ", 512))
	}
	write(filepath.Join(home, "power-logs", "pwr"), "battery 87%")
	write(filepath.Join(home, "Documents", "essay.odt"), strings.Repeat("essay ", 2048))

	ssh := func(port int, login string) string {
		return fmt.Sprintf(`/usr/bin/ssh -F /dev/null -o "PasswordAuthentication no" -o "StrictHostKeyChecking no" -i %s -l %s -p %d -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR`, key, login, port)
	}
	admit := fmt.Sprintf("http://%s/backup/1/available/%s", addr(ctlPort), serial)
	ways := []*way{
		{name: "reference: sshd, rsync --server without a gate", ssh: ssh(refPort.port, account), host: "127.0.0.1", prefix: ref + "/"},
		{name: "sshd + forced `aula backup-gate` (a)", ssh: ssh(gatePort.port, account), host: "127.0.0.1", admitURL: admit},
		{name: "aula SSH endpoint, login SERIAL (b)", ssh: ssh(sshPort, serial), host: "127.0.0.1", admitURL: admit},
	}
	per := duration / time.Duration(rounds)
	n := 0
	for range rounds {
		for _, w := range ways {
			for end := time.Now().Add(per); time.Now().Before(end); n++ {
				write(filepath.Join(home, "datastore", "store/new", fmt.Sprintf("entry%d", n)), "a new entry")
				start := time.Now()
				if err := w.night(home); err != nil {
					w.errs = append(w.errs, err.Error())
					continue
				}
				w.runs = append(w.runs, time.Since(start))
			}
		}
	}
	fmt.Println("ds-backup nights (admission, 3 rsyncs of a 40-entry Journal, power-logs and Documents, completion marker), one at a time")
	fmt.Println()
	fmt.Println("| way | nights/min | p50 | p99 | errors | vs reference |")
	fmt.Println("|---|---|---|---|---|---|")
	elapsed := per * time.Duration(rounds)
	refRate := ways[0].result(elapsed).PerSecond()
	for _, w := range ways {
		r := w.result(elapsed)
		vs := "-"
		if w != ways[0] && refRate > 0 {
			vs = fmt.Sprintf("%.0f%%", 100*r.PerSecond()/refRate)
		}
		fmt.Printf("| %s | %.1f | %s | %s | %d | %s |\n", w.name, 60*r.PerSecond(),
			loadgen.FormatLatency(r.P50), loadgen.FormatLatency(r.P99), r.Errors, vs)
		for _, e := range r.ErrorSamples {
			fmt.Printf("  %s: first error: %s\n", w.name, e)
		}
	}
	return nil
}

// night is one ds-backup run, its commands as client/ds-backup.py runs them.
func (w *way) night(home string) error {
	if w.admitURL != "" {
		resp, err := http.Get(w.admitURL)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("admission: %d", resp.StatusCode)
		}
	}
	for _, p := range [][2]string{{"datastore", "datastore-current"}, {"power-logs", "power-logs"}, {"Documents", "documents"}} {
		if out, err := exec.Command("/usr/bin/rsync", "-z", "-rlt", "--partial", "--delete", "--timeout=160", "-e", w.ssh,
			filepath.Join(home, p[0])+"/", w.host+":"+w.prefix+p[1]).CombinedOutput(); err != nil {
			return fmt.Errorf("rsync %s: %v %.200s", p[1], err, out)
		}
	}
	marker := "/var/lib/ds-backup/completion/" + serial
	if w.prefix != "" {
		marker = w.prefix + "completion-" + serial
	}
	empty := filepath.Join(home, "marker")
	write(empty, "")
	if out, err := exec.Command("/usr/bin/rsync", "-z", "-rlt", "--timeout", "10", "-T", "/tmp", "-e", w.ssh, empty, w.host+":"+marker).CombinedOutput(); err != nil {
		return fmt.Errorf("marker: %v %.200s", err, out)
	}
	return nil
}

func (w *way) result(elapsed time.Duration) loadgen.Result {
	r := loadgen.Result{Calls: int64(len(w.runs)), Errors: int64(len(w.errs)), Elapsed: elapsed}
	if len(w.errs) > 0 {
		r.ErrorSamples = w.errs[:1]
	}
	if len(w.runs) > 0 {
		s := slices.Clone(w.runs)
		slices.Sort(s)
		at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
		r.P50, r.P90, r.P99, r.Max = at(0.5), at(0.9), at(0.99), s[len(s)-1]
	}
	return r
}

type sshd struct {
	port int
	cmd  *exec.Cmd
}

func (s *sshd) stop() { s.cmd.Process.Signal(syscall.SIGTERM); s.cmd.Wait() }

// startSSHD runs an sshd on 127.0.0.1 for the backup account only, with
// its keys in keys (ed25519 client keys, so no DSA option is needed).
func startSSHD(base, name, keys string) (*sshd, error) {
	hostKey := filepath.Join(base, name+"_host_key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("host key: %v %s", err, out)
	}
	port := freePort()
	conf := filepath.Join(base, name+"_sshd_config")
	os.WriteFile(conf, []byte(fmt.Sprintf("Port %d\nListenAddress 127.0.0.1\nHostKey %s\nPidFile %s\nUsePAM no\nStrictModes no\n"+
		"PasswordAuthentication no\nKbdInteractiveAuthentication no\nAllowUsers %s\nAuthorizedKeysFile %s\n",
		port, hostKey, filepath.Join(base, name+".pid"), account, keys)), 0o600)
	os.MkdirAll("/run/sshd", 0o755)
	cmd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", conf)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &sshd{port: port, cmd: cmd}
	if err := waitFor(func() bool {
		c, err := net.Dial("tcp", addr(port))
		if err == nil {
			c.Close()
		}
		return err == nil
	}); err != nil {
		s.stop()
		return nil, errors.New("sshd did not listen")
	}
	return s, nil
}

// ensureAccount makes the backup account when missing, not locked.
func ensureAccount() error {
	if _, err := user.Lookup(account); err != nil {
		if out, err := exec.Command("useradd", "--system", "--no-create-home", "--home-dir", "/", "--shell", "/bin/sh", account).CombinedOutput(); err != nil {
			return fmt.Errorf("useradd: %v %s", err, out)
		}
	}
	if out, err := exec.Command("usermod", "-p", "*", account).CombinedOutput(); err != nil {
		return fmt.Errorf("usermod: %v %s", err, out)
	}
	return nil
}

func addr(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func waitUp(url string) error {
	return waitFor(func() bool {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
}

func waitFor(cond func() bool) error {
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
	}
	return nil
}

func write(path, data string) {
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		panic(err)
	}
}
