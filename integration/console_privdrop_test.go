package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chatScript runs scripts/chat.py (the README's client: IVLE's framing and
// digest in Python 3) against addr and returns its stdout.
func chatScript(t *testing.T, addr, stdin, magic, msg string) string {
	t.Helper()
	cmd := exec.Command("python3", filepath.Join("..", "scripts", "chat.py"), "--addr", addr, magic, msg)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("chat.py %s: %v\n%s", msg, err, stderr)
	}
	return string(out)
}

// Consoles work when aula serve dropped its privileges after binding
// (--user nobody): a console starts over chat, runs code as the server's
// uid (no per-user uids without root), keeps its files in its own
// directory and cannot reach the network.
func TestConsoleAfterPrivilegeDrop(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	base, err := os.MkdirTemp("", "aula-drop-console-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil { // nobody must reach the data dir by path
		t.Fatal(err)
	}
	chatAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s := newServer(t, filepath.Join(base, "data"), "--user", "nobody",
		"--chat-listen", chatAddr, "--chat-magic", "ivle-web=web-secret")
	mustAula(t, "", "user", "groups", "ivle-web", "admin", "--data-dir", s.dataDir)
	s.start()

	var started struct{ Handle, Magic, ID string }
	out := chatScript(t, chatAddr, "", "web-secret", `{"method": "console.start", "params": {"user": "alice"}}`)
	if err := json.Unmarshal([]byte(out), &started); err != nil || started.Magic == "" {
		t.Fatalf("console.start: %s\nserver log: %s", out, s.log.String())
	}
	if got := chatScript(t, chatAddr, "", started.Magic, `{"cmd": "chat", "text": "print(6 * 7)\n"}`); got != "42\n{\"okay\": null}\n" {
		t.Fatalf("print: %q\nserver log: %s", got, s.log.String())
	}
	if got := chatScript(t, chatAddr, "Ada\n", started.Magic, `{"cmd": "block", "text": "n = input('name? ')\nprint('hello', n)\n"}`); got != "name? hello Ada\n{\"okay\": null}\n" {
		t.Fatalf("input: %q", got)
	}
	code := `import os, socket
open('notes.txt', 'w').write('kept')
print(os.getuid(), sorted(os.listdir('.')))
try:
    socket.create_connection(('127.0.0.1', PORT), timeout=5)
    print('network: reached')
except OSError as e:
    print('network: refused')
`
	// The chat listener is up on the host's loopback: reachable only
	// without a network namespace.
	code = strings.Replace(code, "PORT", chatAddr[strings.LastIndexByte(chatAddr, ':')+1:], 1)
	msg, _ := json.Marshal(map[string]string{"cmd": "block", "text": code})
	got := chatScript(t, chatAddr, "", started.Magic, string(msg))
	want := fmt.Sprintf("%s ['notes.txt']\nnetwork: refused\n{\"okay\": null}\n", nobody.Uid)
	if got != want {
		t.Fatalf("console run:\n got %q\nwant %q\nserver log: %s", got, want, s.log.String())
	}
	var list []struct{ ID, User, Sandbox string }
	if err := json.Unmarshal([]byte(chatScript(t, chatAddr, "", "web-secret", `{"method": "console.list", "params": {}}`)), &list); err != nil ||
		len(list) != 1 || list[0].User != "alice" || list[0].Sandbox != "bwrap" {
		t.Fatalf("console.list: %+v %v", list, err)
	}
	if !strings.Contains(s.log.String(), "dropped privileges") {
		t.Fatalf("log: %s", s.log.String())
	}
}

// A group membership revoked with the CLI on the data directory while
// the server runs (another process writing the same store) stops the
// client's access within the auth module's cache lifetime.
func TestGroupRevokedByCLIWhileServing(t *testing.T) {
	chatAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s := newServer(t, "", "--chat-listen", chatAddr, "--chat-magic", "ivle-web=web-secret")
	mustAula(t, "", "user", "groups", "ivle-web", "admin", "--data-dir", s.dataDir)
	s.start()
	list := `{"method": "console.list", "params": {}}`
	if got := chatScript(t, chatAddr, "", "web-secret", list); got != "[]\n" {
		t.Fatalf("console.list as an admin client: %q", got)
	}
	mustAula(t, "", "user", "groups", "ivle-web", "--data-dir", s.dataDir)
	deadline := time.Now().Add(30 * time.Second) // far beyond the cache's 1 s
	for {
		got := chatScript(t, chatAddr, "", "web-secret", list)
		if strings.Contains(got, `"type": "PermissionError"`) {
			break
		}
		if got != "[]\n" || time.Now().After(deadline) {
			t.Fatalf("after the revocation: %q", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
