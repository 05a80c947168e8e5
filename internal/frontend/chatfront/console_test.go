package chatfront

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"aula/internal/config"
	"aula/internal/core"
	"aula/internal/store"
	_ "aula/modules/auth"
	_ "aula/modules/console"
)

// fullApp is a provisioned, started App with auth, console and echo on a
// fresh store, as `aula serve` boots it; groups are set for identities.
func fullApp(t *testing.T, groups map[string][]any, args ...string) *core.App {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, store.Options{Dir: filepath.Join(dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	app, err := core.NewApp(quiet, "auth", "console", "echo")
	if err != nil {
		t.Fatal(err)
	}
	set := config.NewSet()
	app.Configure(set)
	if _, err := set.Load(config.Sources{Args: args}); err != nil {
		t.Fatal(err)
	}
	if err := app.Provision(ctx, &core.Env{App: app, Store: db, Log: quiet, Events: app.Events, DataDir: dir}); err != nil {
		t.Fatal(err)
	}
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		app.Stop(ctx)
	})
	for name, g := range groups {
		c := &core.Call{Method: "auth.user_groups", Named: map[string]any{"name": name, "groups": g}, Transport: "cli",
			Caller: core.LocalCaller()}
		if _, err := app.Handle(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	return app
}

// startConsole starts a console for user with the given magic, as the
// IVLE web layer (client ivle, an admin) does over chat.
func startConsole(t *testing.T, s *server, user, magic string) {
	t.Helper()
	got := reply(t, s.exchange(request(`{"method": "console.start", "params": {"user": "`+user+`", "magic": "`+magic+`"}}`, "ivle-secret")))
	if !strings.Contains(got, `"handle": "`) {
		t.Fatalf("console.start: %s", got)
	}
}

// The spec's captured request, sent to a console whose magic is MAGIC,
// gets IVLE's replies byte for byte: the output round trip, then okay.
func TestCapturedRequestConsole(t *testing.T) {
	app := fullApp(t, map[string][]any{"ivle": {"admin"}, "alice": {"students"}})
	s := startServer(t, app, "--chat-magic", "ivle=ivle-secret", "--chat-magic", "alice=alice-secret")
	startConsole(t, s, "alice", "MAGIC")
	const captured = `102:{"content": "{\"text\": \"1+1\\n\", \"cmd\": \"chat\"}", "digest": "0f1602adc67c5aa26c2934087b4581b7"},`
	if got := s.exchange([]byte(captured)); got != `17:{"output": "2\n"},` {
		t.Fatalf("reply %q", got)
	}
	if got := s.exchange(request(`{"cmd": "chat", "text": ""}`, "MAGIC")); got != `14:{"okay": null},` {
		t.Fatalf("continuation reply %q", got)
	}
	// A console's magic reaches only its console.
	got := reply(t, s.exchange(request(`{"method": "echo.echo", "params": [1]}`, "MAGIC")))
	if got != `{"type": "KeyError", "value": "'cmd'", "traceback": ""}` {
		t.Fatalf("method call with a console magic: %s", got)
	}
	// A client is its magic's name: alice may not start bob's console.
	got = reply(t, s.exchange(request(`{"method": "console.start", "params": {"user": "bob"}}`, "alice-secret")))
	if got != `{"type": "PermissionError", "value": "alice may not use bob's console", "traceback": ""}` {
		t.Fatalf("alice starting bob's console: %s", got)
	}
}

// IVLE's client code, reconstructed from the spec and run by Python 3,
// drives a console and usrmgt through the chat listener.
func TestIVLEClient(t *testing.T) {
	app := fullApp(t, map[string][]any{"ivle": {"admin"}, "alice": {"students"}})
	s := startServer(t, app, "--chat-magic", "ivle=ivle-secret")
	startConsole(t, s, "alice", "console-magic")
	host, port, _ := strings.Cut(s.addr, ":")
	cmd := exec.Command("python3", "testdata/ivle_client.py", host, port, "console-magic", "alice", "ivle-secret")
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("client: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("client output %q: %v", out, err)
	}
	want := map[string]string{
		"first":            `{"output":"2\n"}`,
		"first_end":        `{"okay":null}`,
		"block_out":        `"hello\n"`,
		"input_out":        `"who? hi Bob\n"`,
		"raise":            `"Traceback (most recent call last):\n  File \"\u003cweb session\u003e\", line 1, in \u003cmodule\u003e\nZeroDivisionError: division by zero\n"`,
		"execute":          `{"okay":null}`,
		"call":             `{"result":43}`,
		"globals":          `{"name":"Bob","x":42,"y":43,"z":[1,2]}`,
		"activate":         `{"response":"okay"}`,
		"activate_unknown": `{"msg":"KeyError('no user \"nobody-here\" (add it with ` + "`aula user add`" + `)')","response":"failure"}`,
		"rebuild":          `{"msg":"NotImplementedError('aula provides no Subversion: rebuild_svn_config has no svn access configuration of users to rebuild (aula keeps no svn repositories or svn access configuration)')","response":"failure"}`,
		"rebuild_group":    `{"msg":"NotImplementedError('aula provides no Subversion: rebuild_svn_group_config has no svn access configuration of groups to rebuild (aula keeps no svn repositories or svn access configuration)')","response":"failure"}`,
		"bad_digest":       `"Could not read Netstring size in first 9 bytes: b''"`,
		"close":            `{"terminate":"User requested restart"}`,
		"after_close":      `{"terminate":"User requested restart"}`,
	}
	for k, w := range want {
		b, _ := json.Marshal(got[k])
		if string(b) != w {
			t.Errorf("%s:\n got %s\nwant %s", k, b, w)
		}
	}
	if sp, _ := got["splash"].(map[string]any)["output"].(string); !strings.HasPrefix(sp, "IVLE aula Python Console (Python 3.") {
		t.Errorf("splash %v", got["splash"])
	}
	if _, err := strconv.Atoi(port); err != nil {
		t.Fatal(err)
	}
}

// scripts/chat.py, the client the README's walk-through uses: start a
// console with a client magic, run code in it with the console's magic.
func TestChatScript(t *testing.T) {
	app := fullApp(t, map[string][]any{"ivle-web": {"admin"}})
	s := startServer(t, app, "--chat-magic", "ivle-web=web-secret")
	script := filepath.Join("..", "..", "..", "scripts", "chat.py")
	run := func(stdin string, args ...string) string {
		cmd := exec.Command("python3", append([]string{script, "--addr", s.addr}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.Output()
		if err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				t.Fatalf("chat.py %v: %v\n%s", args, err, ee.Stderr)
			}
			t.Fatal(err)
		}
		return string(out)
	}
	var started struct{ Handle, Magic string }
	if err := json.Unmarshal([]byte(run("", "web-secret", `{"method": "console.start", "params": {"user": "alice"}}`)), &started); err != nil || started.Magic == "" {
		t.Fatalf("console.start: %+v %v", started, err)
	}
	if got := run("", started.Magic, `{"cmd": "chat", "text": "print(6 * 7)\n"}`); got != "42\n{\"okay\": null}\n" {
		t.Fatalf("print: %q", got)
	}
	if got := run("Ada\n", started.Magic, `{"cmd": "block", "text": "n = input('name? ')\nprint('hello', n)\n"}`); got != "name? hello Ada\n{\"okay\": null}\n" {
		t.Fatalf("input: %q", got)
	}
}

// IVLE's usrmgt svn actions in the spec's shapes ({action: {}}), byte for
// byte: usrmgt's failure reply saying aula provides no Subversion, for an
// admin client; a client that may not run usrmgt actions is refused in
// the same shape; an action IVLE never had stays the KeyError object.
func TestUsrmgtSvnActions(t *testing.T) {
	app := fullApp(t, map[string][]any{"ivle": {"admin"}, "alice": {"students"}})
	s := startServer(t, app, "--chat-magic", "ivle=ivle-secret", "--chat-magic", "alice=alice-secret")
	for _, c := range []struct{ content, magic, want string }{
		{`{"rebuild_svn_config": {}}`, "ivle-secret",
			`{"response": "failure", "msg": "NotImplementedError('aula provides no Subversion: rebuild_svn_config has no svn access configuration of users to rebuild (aula keeps no svn repositories or svn access configuration)')"}`},
		{`{"rebuild_svn_group_config": {}}`, "ivle-secret",
			`{"response": "failure", "msg": "NotImplementedError('aula provides no Subversion: rebuild_svn_group_config has no svn access configuration of groups to rebuild (aula keeps no svn repositories or svn access configuration)')"}`},
		{`{"rebuild_svn_config": {}}`, "alice-secret",
			`{"response": "failure", "msg": "PermissionError('permission denied')"}`},
		{`{"rebuild_everything": {}}`, "ivle-secret",
			`{"type": "KeyError", "value": "'rebuild_everything'", "traceback": ""}`},
	} {
		if got := reply(t, s.exchange(request(c.content, c.magic))); got != c.want {
			t.Errorf("%s signed %s:\n got %s\nwant %s", c.content, c.magic, got, c.want)
		}
	}
}
