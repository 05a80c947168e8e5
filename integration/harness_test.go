// Package integration drives the real aula binary with real clients:
// Python 3's xmlrpc.client, curl-free plain HTTP, sshd and rsync, openssl.
// Everything listens on 127.0.0.1 and every server is stopped at test end.
package integration

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// aulaBin is the binary under test, built once by TestMain.
var aulaBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "aula-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	aulaBin = filepath.Join(dir, "aula")
	build := exec.Command("go", "build", "-o", aulaBin, "../cmd/aula")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building aula:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is one running `aula serve`.
type server struct {
	t       *testing.T
	cmd     *exec.Cmd
	dataDir string
	port    int // main listener
	xsPort  int
	args    []string
	log     *syncBuffer // the server's stdout and stderr
	exited  chan struct{}
	// TLS servers (security tests): "https" and a client trusting the
	// server's CA, used by the readiness probe.
	scheme string
	client *http.Client
	admin  string // "user:password" made by adminURL
}

// freePort asks the kernel for an unused 127.0.0.1 port.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startServer runs aula serve on fresh 127.0.0.1 ports with a temp data
// dir (or dataDir when given) and waits until it answers.
func startServer(t *testing.T, dataDir string, extra ...string) *server {
	t.Helper()
	s := newServer(t, dataDir, extra...)
	s.start()
	return s
}

// newServer prepares a server without starting it, so a test can set up
// its data directory or TLS client first.
func newServer(t *testing.T, dataDir string, extra ...string) *server {
	t.Helper()
	if dataDir == "" {
		dataDir = filepath.Join(t.TempDir(), "data")
	}
	s := &server{t: t, dataDir: dataDir, port: freePort(t), xsPort: freePort(t), args: extra, scheme: "http"}
	t.Cleanup(s.stop)
	return s
}

// start runs the server. A port picked by freePort can be taken by another
// test process before aula binds it; then it tries again on fresh ports.
func (s *server) start() {
	for attempt := 1; ; attempt++ {
		err := s.startOnce()
		if err == nil {
			return
		}
		if attempt < 5 && strings.Contains(err.Error(), "address already in use") {
			s.port, s.xsPort = freePort(s.t), freePort(s.t)
			continue
		}
		s.t.Fatal(err)
	}
}

func (s *server) startOnce() error {
	t := s.t
	args := append([]string{"serve",
		"--config", "",
		"--data-dir", s.dataDir,
		"--listen", fmt.Sprintf("127.0.0.1:%d", s.port),
		"--xs-listen", fmt.Sprintf("127.0.0.1:%d", s.xsPort),
		// No test server grabs the real port 191; tests that want it pass
		// their own --activation-listen (flags: the last one wins).
		"--activation-listen=",
		// Nor the lab agents' :2009; lab tests pass their own --lab-listen.
		"--lab-listen=",
		// Nor does a test server as root start spare Python consoles (the
		// default): tests that want them pass their own --console-spares.
		"--console-spares=0",
	}, s.args...)
	s.cmd = exec.Command(aulaBin, args...)
	s.log = &syncBuffer{}
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	s.cmd.Env = cleanEnv()
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.exited = make(chan struct{})
	go func() { s.cmd.Wait(); close(s.exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("aula serve exited early: %s", s.log.String())
		default:
		}
		client := s.client
		if client == nil {
			client = http.DefaultClient
		}
		resp, err := client.Get(s.url()) // the index page: outside the chain, so polling spends no rate-limit budget
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("aula serve did not come up: %s", s.log.String())
}

// syncBuffer collects a running server's output; tests may read it while
// the process still writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// cleanEnv drops AULA_* so the developer's environment cannot change tests.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AULA_") {
			out = append(out, kv)
		}
	}
	return out
}

func (s *server) url() string   { return fmt.Sprintf("%s://127.0.0.1:%d/", s.scheme, s.port) }
func (s *server) xsURL() string { return fmt.Sprintf("%s://127.0.0.1:%d/", s.scheme, s.xsPort) }

// stop sends SIGTERM and waits; a server that does not stop is killed and
// the test fails.
func (s *server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
		s.t.Errorf("aula serve ignored SIGTERM for 15s: %s", s.log.String())
	}
}

// kill sends SIGKILL: no shutdown, no flush.
func (s *server) kill() {
	s.cmd.Process.Kill()
	<-s.exited
}

// restart starts the same server again on the same ports and data dir.
func (s *server) restart() {
	s.stop()
	s.start()
}

// python runs a Python 3 script with URL (and extra env) set, failing the
// test with its output on a non-zero exit.
func python(t *testing.T, script string, env ...string) string {
	t.Helper()
	cmd := exec.Command("python3", "-c", script)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3 failed: %v\n%s", err, out)
	}
	return string(out)
}

// aula runs an aula subcommand and returns its combined output and exit code.
func aula(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(aulaBin, args...)
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}
