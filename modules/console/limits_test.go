package console

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"aula/internal/core"
)

// At most --console-max consoles, --console-max-per-user per user; a
// slot frees when a console ends, and every process is reaped.
func TestLimits(t *testing.T) {
	e := newEnv(t, "--console-max=3", "--console-max-per-user=2")
	a1, a2 := e.start("ann"), e.start("ann")
	if _, err := e.call("console.start", map[string]any{"user": "ann"}); core.KindOf(err) != core.KindUnavailable {
		t.Fatalf("third console of ann: %v", err)
	}
	e.start("ben")
	if _, err := e.call("console.start", map[string]any{"user": "cat"}); core.KindOf(err) != core.KindUnavailable || !strings.Contains(err.Error(), "all 3 consoles") {
		t.Fatalf("fourth console: %v", err)
	}
	pid := e.m.byHandle[a1.Handle].cmd.Process.Pid
	e.send(a1.Handle, "terminate", "")
	// Reaped (its run record says dead) and forgotten (its slot free): the
	// two happen one after the other, not at once.
	waitFor(t, "ann's first console to be reaped and forgotten", func() bool {
		e.m.mu.Lock()
		n := len(e.m.byID)
		e.m.mu.Unlock()
		return n == 2 && len(e.runs()) == 2
	})
	if _, err := os.Stat(filepath.Join("/proc", itoa(pid))); err == nil {
		t.Fatalf("console process %d not reaped", pid)
	}
	e.start("cat")
	if r := e.send(a2.Handle, "chat", "1\n"); !has(r, "output") {
		t.Fatalf("ann's other console: %v", r)
	}
}

// `aula console list` and `kill`: through the methods in the server's
// process, and from a second module instance on the same directory (as
// the CLI on the data directory is).
func TestListKill(t *testing.T) {
	e := newEnv(t)
	s1, s2 := e.start("dan"), e.start("eve")
	list := e.runs()
	if len(list) != 2 || list[0].User == list[1].User {
		t.Fatalf("list %+v", list)
	}
	var out bytes.Buffer
	cx := &core.CmdContext{Stdout: &out, Call: func(ctx context.Context, method string, named map[string]any, res any) error {
		r, err := e.call(method, named)
		if err == nil && res != nil {
			*(res.(*[]Info)) = r.([]Info)
		}
		return err
	}}
	if err := runList(context.Background(), cx, nil); err != nil || !strings.Contains(out.String(), "dan") || !strings.Contains(out.String(), "eve") {
		t.Fatalf("aula console list: %v\n%s", err, out.String())
	}
	if _, err := e.call("console.kill", map[string]any{"id": s1.ID}); err != nil {
		t.Fatal(err)
	}
	if r := e.send(s1.Handle, "chat", "1\n"); r["terminate"] != "Killed by an administrator" {
		t.Fatalf("after kill: %v", r)
	}
	// A second instance (the CLI) kills the server's console by id.
	other := &Module{opts: e.m.opts, log: quiet, dir: e.m.dir}
	if err := other.kill(context.Background(), s2.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the server to reap the killed console", func() bool {
		e.m.mu.Lock()
		defer e.m.mu.Unlock()
		return e.m.byID[s2.ID] == nil
	})
	if r := e.send(s2.Handle, "chat", "1\n"); !strings.HasPrefix(str(r["terminate"]), "Console killed") {
		t.Fatalf("after CLI kill: %v", r)
	}
	if err := other.kill(context.Background(), s2.ID); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("killing it again: %v", err)
	}
}

// A console nobody talks to ends after the idle timeout.
func TestIdle(t *testing.T) {
	e := newEnv(t, "--console-idle-timeout=1s")
	s := e.start("fay")
	waitFor(t, "the idle console to end", func() bool { return len(e.runs()) == 0 })
	if r := e.send(s.Handle, "chat", "1\n"); r["terminate"] != "Timed out due to inactivity" {
		t.Fatalf("reply %v", r)
	}
}

// Without namespaces: rlimits and the user's own uid still hold, so
// writing outside its directory (another user's) is refused.
func TestFallbackSandbox(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("per-user uids need root; the bubblewrap tests cover the jail here")
	}
	e := newEnv(t, "--console-sandbox=none")
	e.start("gus") // makes gus's directory
	s := e.start("hal")
	gus := filepath.Join(e.dir, "console", "home", "gus", "x")
	out, r := e.session(s.Handle, "block", "import os\nprint(os.getuid() != 0)\ntry:\n    open("+quote(gus)+", 'w')\nexcept OSError as e:\n    print(type(e).__name__)\nopen('mine', 'w').write('ok')\n")
	if out != "True\nPermissionError\n" || !has(r, "okay") {
		t.Fatalf("fallback: %q %v", out, r)
	}
	if info := e.runs(); info[0].Sandbox != "none" || info[0].UID < 200000 {
		t.Fatalf("run record %+v", info[0])
	}
}

func (e *env) runs() []Info {
	e.t.Helper()
	out, err := e.call("console.list", map[string]any{})
	if err != nil {
		e.t.Fatal(err)
	}
	return out.([]Info)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// As root with bubblewrap, consoles are started ahead when the server
// starts, and a start only assigns one its user; the pool is refilled.
func TestSpare(t *testing.T) {
	e := newEnv(t)
	bwrap, _ := e.m.sandbox()
	if !e.m.spareMode(bwrap) {
		t.Skip("spares need root and bubblewrap")
	}
	spare := func() *console {
		e.m.mu.Lock()
		defer e.m.mu.Unlock()
		if len(e.m.spares) == 0 {
			return nil
		}
		return e.m.spares[0]
	}
	waitFor(t, "a spare from the server's start", func() bool { return spare() != nil })
	first := spare()
	s := e.start("ivy")
	e.m.mu.Lock()
	got := e.m.byHandle[s.Handle]
	e.m.mu.Unlock()
	if got != first {
		t.Fatal("start did not use the spare")
	}
	out, r := e.session(s.Handle, "block", "import os\nprint(os.getuid() >= 200000, os.getcwd())\n")
	if out != "True /home/ivy\n" || !has(r, "okay") {
		t.Fatalf("assigned spare: %q %v", out, r)
	}
	waitFor(t, "the next spare", func() bool { c := spare(); return c != nil && c != first })
}

// pool is the spare pool's state, checked against the cap on every look.
func (e *env) pool() (spares, refilling, running int) {
	e.t.Helper()
	e.m.mu.Lock()
	defer e.m.mu.Unlock()
	spares, refilling, running = len(e.m.spares), e.m.refilling, len(e.m.byID)
	if n := running + e.m.starting + spares + refilling; n > e.m.opts.maxConsoles() {
		e.t.Fatalf("%d running, %d starting, %d spare, %d being started: over --console-max %d",
			running, e.m.starting, spares, refilling, e.m.opts.maxConsoles())
	}
	return
}

// Spares count against --console-max: a full server holds none, a start
// on it is refused as for any full server, and an ended console makes
// room for a spare again.
func TestSparesWithinCap(t *testing.T) {
	e := newEnv(t, "--console-max=2", "--console-spares=2", "--console-max-per-user=2")
	bwrap, _ := e.m.sandbox()
	if !e.m.spareMode(bwrap) {
		t.Skip("spares need root and bubblewrap")
	}
	settled := func(spares int) func() bool {
		return func() bool { s, r, _ := e.pool(); return s == spares && r == 0 }
	}
	waitFor(t, "two spares", settled(2))
	a := e.start("amy")
	waitFor(t, "one spare beside one console", settled(1))
	e.start("bob")
	if s, r, n := e.pool(); s != 0 || r != 0 || n != 2 {
		t.Fatalf("full server: %d spares, %d being started, %d running", s, r, n)
	}
	if _, err := e.call("console.start", map[string]any{"user": "cat"}); core.KindOf(err) != core.KindUnavailable {
		t.Fatalf("start on a full server: %v", err)
	}
	if r := e.send(a.Handle, "terminate", ""); !has(r, "terminate") {
		t.Fatalf("terminate: %v", r)
	}
	waitFor(t, "a spare once a console ended", settled(1))
	c := e.start("cat")
	if out, r := e.session(c.Handle, "block", "print(6 * 7)\n"); out != "42\n" || !has(r, "okay") {
		t.Fatalf("console from the refilled pool: %q %v", out, r)
	}
}
