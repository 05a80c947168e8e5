package integration

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSlowloris: 300 connections that send half a request header and then
// nothing must not stop normal calls, and the header timeout must free
// them.
func TestSlowloris(t *testing.T) {
	s := startServer(t, "", "--http-header-timeout", "2s")
	admin := s.adminURL()
	addr := fmt.Sprintf("127.0.0.1:%d", s.port)
	const slow = 300
	conns := make([]net.Conn, 0, slow)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < slow; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		if _, err := c.Write([]byte("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\nX-Slow: ")); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	// Normal calls still succeed while the slow ones hang.
	out := python(t, `
import os, xmlrpc.client as x
p, a = x.ServerProxy(os.environ["URL"]), x.ServerProxy(os.environ["ADMIN"])
for i in range(20):
    assert p.echo.echo(i) == [i]
assert a.datastore.put("during", "slowloris") == True
print("ALL OK")
`, "URL="+s.url(), "ADMIN="+admin)
	if !strings.Contains(out, "ALL OK") {
		t.Fatalf("python during slowloris: %s", out)
	}
	// The server closes every slow connection by itself.
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(60 * time.Second))
		buf := make([]byte, 256)
		for {
			_, err := c.Read(buf)
			if err == nil {
				continue // a 408 reply, then the close
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("slow connection %d still open after 60s", i)
			}
			break
		}
	}
}

// TestConnectionCap: connections over --max-conns are closed at once; the
// server serves again when they go.
func TestConnectionCap(t *testing.T) {
	s := startServer(t, "", "--max-conns", "20", "--http-header-timeout", "120s")
	addr := fmt.Sprintf("127.0.0.1:%d", s.port)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < 30; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	// A closed connection reads EOF at once; a kept one waits for its
	// request until the client's read deadline. Past 7/8 of the cap (18)
	// each newcomer sheds the connection idle longest: the first 12 go,
	// the newest 18 stay. The readiness probe's keep-alive connection
	// may still count: idle, it is shed first in place of one of ours;
	// but if the server has not yet marked it idle after its reply
	// (net/http does that after the client has the bytes), it is busy
	// and cannot be shed, so one more of ours goes: 13, still the oldest.
	results := make([]chan bool, len(conns))
	for i, c := range conns {
		results[i] = make(chan bool, 1)
		go func(c net.Conn, res chan bool) {
			c.SetReadDeadline(time.Now().Add(3 * time.Second))
			_, err := c.Read(make([]byte, 1))
			var ne net.Error
			res <- !(errors.As(err, &ne) && ne.Timeout())
		}(c, results[i])
	}
	var closed []int
	for i := range conns {
		if <-results[i] {
			closed = append(closed, i)
		}
	}
	if n := len(closed); (n != 12 && n != 13) || closed[n-1] != n-1 {
		t.Fatalf("connections closed with --max-conns 20: %v, want the 12 oldest (13 if the probe's connection was busy)", closed)
	}
	for _, c := range conns {
		c.Close()
	}
	conns = nil
	waitFor(t, "service after the connections closed", func() bool {
		v, err := xmlrpcCall(httpClient(), s.url(), "echo.echo", "back")
		return err == nil && fmt.Sprint(v) == "[back]"
	})
}

// TestPrivilegeDrop: started as root with --user nobody, aula serve binds
// a port below 1024, writes its pidfile, then runs as nobody (all of
// /proc/PID/status's Uid and Gid fields) and still serves, reading and
// writing its store.
func TestPrivilegeDrop(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	base, err := os.MkdirTemp("", "aula-drop-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil { // nobody must reach the data dir by path
		t.Fatal(err)
	}
	pidfile := filepath.Join(base, "aula.pid")
	s := newServer(t, filepath.Join(base, "data"), "--user", "nobody", "--pidfile", pidfile)
	s.xsPort = lowPort(t)
	admin := s.adminURL() // made by root before the start: handed over to nobody
	s.start()

	pid := s.cmd.Process.Pid
	if b, err := os.ReadFile(pidfile); err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(pid) {
		t.Fatalf("pidfile: %q %v (pid %d)", b, err, pid)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	gid := ""
	if g, err := user.LookupGroupId(nobody.Gid); err == nil {
		gid = g.Gid
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(line, ":")
		f := strings.Fields(v)
		switch k {
		case "Uid":
			if len(f) != 4 || f[0] != nobody.Uid || f[1] != nobody.Uid || f[2] != nobody.Uid || f[3] != nobody.Uid {
				t.Fatalf("Uid line %q, want all %s", line, nobody.Uid)
			}
		case "Gid":
			if len(f) != 4 || f[0] != gid || f[1] != gid || f[2] != gid || f[3] != gid {
				t.Fatalf("Gid line %q, want all %s", line, gid)
			}
		case "Groups":
			if len(f) != 1 || f[0] != gid {
				t.Fatalf("Groups line %q, want %s only", line, gid)
			}
		}
	}
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Join(s.dataDir, "aula.db"), &st); err != nil || strconv.Itoa(int(st.Uid)) != nobody.Uid {
		t.Fatalf("aula.db owner %d (%v), want nobody", st.Uid, err)
	}
	// It still serves, on the low port too, and uses its store.
	if v, err := xmlrpcCall(httpClient(), s.xsURL(), "echo.echo", "low"); err != nil || fmt.Sprint(v) != "[low]" {
		t.Fatalf("low port: %v %v", v, err)
	}
	for i := 0; i < 20; i++ {
		k := fmt.Sprintf("k%d", i)
		if v, err := xmlrpcCall(httpClient(), admin, "datastore.put", k, "v"); err != nil || v != true {
			t.Fatalf("put as nobody: %v %v", v, err)
		}
	}
	// Root's CLI on the running server's data dir still works, and the
	// server sees what it wrote.
	s.addUser("zed", "zed-password", "admin")
	if v, err := xmlrpcCall(httpClient(), s.userURL("zed", "zed-password"), "datastore.get", "k7"); err != nil || v != "v" {
		t.Fatalf("user added by root while running: %v %v", v, err)
	}
	if !strings.Contains(s.log.String(), "dropped privileges") {
		t.Fatalf("log: %s", s.log.String())
	}
}

// lowPort finds a free TCP port below 1024 on 127.0.0.1 (root only).
func lowPort(t *testing.T) int {
	t.Helper()
	for p := 900; p < 1024; p++ {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err == nil {
			l.Close()
			return p
		}
	}
	t.Skip("no free port below 1024")
	return 0
}
