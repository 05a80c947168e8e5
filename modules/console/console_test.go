package console

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A session that prints, asks for input, raises and gets interrupted.
func TestSession(t *testing.T) {
	e := newEnv(t)
	s := e.start("alice")
	r := e.send(s.Handle, "splash", "")
	if out, _ := r["output"].(string); !strings.HasPrefix(out, "IVLE aula Python Console (Python 3.") {
		t.Fatalf("splash %v", r)
	}
	if out, r := e.session(s.Handle, "chat", "1+1\n"); out != "2\n" || !has(r, "okay") {
		t.Fatalf("1+1: %q %v", out, r)
	}
	if _, r := e.session(s.Handle, "chat", "for i in range(3):\n"); !has(r, "more") {
		t.Fatalf("incomplete line: %v", r)
	}
	e.session(s.Handle, "chat", "    print(i * 'x' * 300)\n")
	out, r := e.session(s.Handle, "chat", "\n")
	if out != "\n"+strings.Repeat("x", 300)+"\n"+strings.Repeat("x", 600)+"\n" || !has(r, "okay") {
		t.Fatalf("loop: %q %v", out, r)
	}
	out, r = e.session(s.Handle, "chat", "name = input('name? ')\n", "Bob\n")
	if out != "name? " || !has(r, "okay") {
		t.Fatalf("input: %q %v", out, r)
	}
	if out, _ := e.session(s.Handle, "chat", "print('hi', name)\n"); out != "hi Bob\n" {
		t.Fatalf("after input: %q", out)
	}
	_, r = e.session(s.Handle, "chat", "1/0\n")
	if exc, _ := r["exc"].(string); exc != "Traceback (most recent call last):\n  File \"<web session>\", line 1, in <module>\nZeroDivisionError: division by zero\n" {
		t.Fatalf("raise: %v", r)
	}
	// Interrupt during an input round trip raises Interrupt in user code.
	if r := e.send(s.Handle, "chat", "input()\n"); !has(r, "input") {
		t.Fatalf("input(): %v", r)
	}
	if r := e.send(s.Handle, "interrupt", ""); !strings.Contains(str(r["exc"]), "Interrupt: Interrupted!") {
		t.Fatalf("interrupt: %v", r)
	}
	// Outside streaming I/O interrupt is IVLE's KeyError.
	if r := e.send(s.Handle, "interrupt", ""); r["error"] != "KeyError('interrupt',)" {
		t.Fatalf("idle interrupt: %v", r)
	}
	if r := e.send(s.Handle, "block", "def f(a, b=1):\n    return a + b\n"); !has(r, "okay") {
		t.Fatalf("block: %v", r)
	}
	if r := e.send(s.Handle, "call", map[string]any{"function": "f", "args": []any{"2"}, "kwargs": map[string]any{"b": "40"}}); r["result"] != float64(42) {
		t.Fatalf("call: %v", r)
	}
	if r := e.send(s.Handle, "call", "f"); r["response"] != "failure" {
		t.Fatalf("call with a string: %v", r)
	}
	if r := e.send(s.Handle, "execute", "raise ValueError('no')"); str(r["exception"].(map[string]any)["type"]) != "ValueError" {
		t.Fatalf("execute: %v", r)
	}
	if r := e.send(s.Handle, "setvars", map[string]any{"set_vars": map[string]any{"z": "[1, 2]"}}); !has(r, "okay") {
		t.Fatalf("setvars: %v", r)
	}
	g := e.send(s.Handle, "globals", nil)["globals"].(map[string]any)
	if g["name"] != "Bob" || len(g["z"].([]any)) != 2 || g["f"].(map[string]any)["type"] != "function" {
		t.Fatalf("globals: %v", g)
	}
	if r := e.send(s.Handle, "globals", map[string]any{"q": 5}); len(r["globals"].(map[string]any)) != 2 {
		t.Fatalf("globals reset: %v", r)
	}
	if r := e.send(s.Handle, "nonsense", ""); r["error"] != "KeyError('nonsense',)" {
		t.Fatalf("unknown command: %v", r)
	}
	if r := e.send(s.Handle, "terminate", ""); r["terminate"] != "User requested restart" {
		t.Fatalf("terminate: %v", r)
	}
	if r := e.send(s.Handle, "chat", "1\n"); r["terminate"] != "User requested restart" {
		t.Fatalf("after terminate: %v", r)
	}
}

// Long output goes out in 512-byte blocks cut at UTF-8 boundaries.
func TestOutputBlocks(t *testing.T) {
	e := newEnv(t)
	s := e.start("bob")
	var blocks []string
	r := e.send(s.Handle, "chat", "print('é' * 1000)\n")
	for {
		o, ok := r["output"].(string)
		if !ok {
			break
		}
		blocks = append(blocks, o)
		r = e.send(s.Handle, "chat", "")
	}
	if !has(r, "okay") || strings.Join(blocks, "") != strings.Repeat("é", 1000)+"\n" {
		t.Fatalf("blocks %q, final %v", blocks, r)
	}
	for _, b := range blocks[:len(blocks)-1] {
		if n := len(b); n > 512 || n < 510 {
			t.Fatalf("block of %d bytes", n)
		}
	}
}

// The jail: writing outside the user's directory and opening a network
// socket are refused; the user's own directory is writable.
func TestJail(t *testing.T) {
	e := newEnv(t)
	d := e.start("dora")
	if _, r := e.session(d.Handle, "block", "open('secret', 'w').write('dora only')\n"); !has(r, "okay") {
		t.Fatalf("dora's file: %v", r)
	}
	s := e.start("carol")
	// Another user's directory is out of reach, wherever it is mounted.
	out, r := e.session(s.Handle, "block", "import os\nfor p in ['/home/dora/secret', "+quote(filepath.Join(e.dir, "console", "home", "dora", "secret"))+"]:\n    try:\n        print(open(p).read())\n    except OSError as e:\n        print('refused', type(e).__name__)\n")
	if !has(r, "okay") || strings.Contains(out, "dora only") || strings.Count(out, "refused") != 2 {
		t.Fatalf("reading dora's file: %q %v", out, r)
	}
	other := filepath.Join(e.dir, "escape")
	code := strings.Join([]string{
		"import os, socket",
		"open('mine.txt', 'w').write('ok')",
		"for p in ['/usr/escape', '/etc/escape', " + quote(other) + ", '/home/escape']:",
		"    try:",
		"        open(p, 'w').write('x')",
		"        print('WROTE', p)",
		"    except OSError as e:",
		"        print('refused', type(e).__name__)",
		"try:",
		"    socket.create_connection(('127.0.0.1', 22), timeout=2)",
		"    print('CONNECTED')",
		"except OSError as e:",
		"    print('net refused', type(e).__name__)",
	}, "\n") + "\n"
	out, r = e.session(s.Handle, "block", code)
	if !has(r, "okay") || strings.Contains(out, "WROTE") || strings.Contains(out, "CONNECTED") || strings.Count(out, "refused") != 5 {
		t.Fatalf("jail: %q %v", out, r)
	}
	if b, err := os.ReadFile(filepath.Join(e.dir, "console", "home", "carol", "mine.txt")); err != nil || string(b) != "ok" {
		t.Fatalf("own directory: %q %v", b, err)
	}
	if _, err := os.Stat(other); err == nil {
		t.Fatal("wrote outside its directory")
	}
}

// A loop that never ends is stopped by the CPU limit and reported.
func TestCPULimit(t *testing.T) {
	e := newEnv(t, "--console-cpu-seconds=1")
	s := e.start("dave")
	_, r := e.session(s.Handle, "block", "while True: pass\n")
	if r["terminate"] != "CPU time limit exceeded" {
		t.Fatalf("reply %v", r)
	}
	if r := e.send(s.Handle, "chat", "1\n"); r["terminate"] != "CPU time limit exceeded" {
		t.Fatalf("next request: %v", r)
	}
	// A loop that catches the signal's exception is killed at the hard
	// limit and reported the same way.
	s = e.start("dave")
	_, r = e.session(s.Handle, "block", "while True:\n    try:\n        while True: pass\n    except BaseException:\n        pass\n")
	if r["terminate"] != "CPU time limit exceeded" {
		t.Fatalf("stubborn loop: %v", r)
	}
}

// Allocating past the address-space limit ends the console, reported.
func TestMemoryLimit(t *testing.T) {
	e := newEnv(t, "--console-memory-mb=200")
	s := e.start("erin")
	_, r := e.session(s.Handle, "chat", "x = bytearray(400 * 2**20)\n")
	if r["terminate"] != "Memory limit exceeded" {
		t.Fatalf("reply %v", r)
	}
}

func has(r map[string]any, key string) bool { _, ok := r[key]; return ok }

func str(v any) string { s, _ := v.(string); return s }

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }
