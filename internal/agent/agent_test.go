package agent

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aula/internal/wire/labxml"
)

func testAgent(t *testing.T, limit int) *Agent {
	a, err := New(Config{Server: "127.0.0.1:1", Dir: t.TempDir(), OutputLimit: limit, CommandsDir: t.TempDir(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func script(s string, params ...string) *labxml.Message {
	m := (&labxml.Message{Kind: labxml.Command, Code: 8, Name: "EjecutarScript", Action: 1}).Add("scp", s)
	for i := 0; i+1 < len(params); i += 2 {
		m.Add(params[i], params[i+1])
	}
	return m
}

func TestScriptOutputCapped(t *testing.T) {
	a := testAgent(t, 100)
	r := a.script(context.Background(), script("head -c 5000 /dev/zero | tr '\\0' x"))
	out := r.params[0].Value
	if !r.ok || !strings.HasPrefix(out, strings.Repeat("x", 100)+"\n[4900 more bytes of output dropped]") {
		t.Fatalf("got ok=%v %q", r.ok, out)
	}
}

// A hung script is killed at its timeout with what it started, and
// reported failed.
func TestScriptTimeoutKillsGroup(t *testing.T) {
	a := testAgent(t, 1000)
	pidFile := filepath.Join(t.TempDir(), "child")
	start := time.Now()
	r := a.script(context.Background(), script("sleep 30 & echo $! > "+pidFile+"; wait", "timeout", "0.5"))
	if r.ok || !strings.Contains(r.text, "timed out after 500ms") || time.Since(start) > 20*time.Second {
		t.Fatalf("got %+v after %s", r, time.Since(start))
	}
	b, _ := os.ReadFile(pidFile)
	pid := strings.TrimSpace(string(b))
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil || strings.Contains(string(st), ") Z ") {
			break // gone, or a zombie waiting for its reaper
		}
		if time.Now().After(deadline) {
			t.Fatalf("the script's child %s survived the timeout", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAdminCommand(t *testing.T) {
	a := testAgent(t, 1000)
	os.WriteFile(filepath.Join(a.cfg.CommandsDir, "hi"), []byte("#!/bin/sh\necho \"$AULA_PARAM_A_B $*\"\n"), 0o755)
	m := (&labxml.Message{Kind: labxml.Command, Code: 100, Name: "hi", Action: 1}).Add("a-b", "v")
	if r := a.adminCommand(context.Background(), m); !r.ok || r.params[0].Value != "v a-b=v\n" {
		t.Fatalf("got %+v", r)
	}
	for _, name := range []string{"nosuch", "../hi", "."} {
		m.Name = name
		if r := a.adminCommand(context.Background(), m); r.ok || !strings.HasPrefix(r.text, "002-") {
			t.Fatalf("%q: got %+v", name, r)
		}
	}
}

func TestJitterBounds(t *testing.T) {
	for range 1000 {
		if d := jitter(time.Second); d < 500*time.Millisecond || d > time.Second {
			t.Fatalf("jitter %s", d)
		}
	}
}

func TestHardwareInventory(t *testing.T) {
	r := hardware()
	inv := r.params[0].Value
	if !r.ok || !strings.Contains(inv, "cpus=") || !strings.Contains(inv, "mem=") {
		t.Fatalf("inventory %q", inv)
	}
}
