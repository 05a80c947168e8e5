package labfront

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aula/internal/ca"
	"aula/internal/config"
	"aula/internal/core"
	"aula/internal/wire/labxml"
	"aula/modules/lab/labapi"
)

// Ticket keys are kept 0600, reused until a day old, then replaced while
// the previous one still opens its tickets for a day more.
func TestSessionTicketKeysRotate(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Unix(1_800_000_000, 0)
	k1, err := sessionTicketKeys(dir, t0)
	if err != nil || len(k1) != 1 {
		t.Fatalf("first: %v %d keys", err, len(k1))
	}
	st, err := os.Stat(filepath.Join(dir, ticketKeysFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", err, st.Mode())
	}
	k, _ := sessionTicketKeys(dir, t0.Add(time.Hour))
	if len(k) != 1 || k[0] != k1[0] {
		t.Fatal("a fresh key was not reused after a restart")
	}
	k2, _ := sessionTicketKeys(dir, t0.Add(25*time.Hour))
	if len(k2) != 2 || k2[0] == k1[0] || k2[1] != k1[0] {
		t.Fatal("a day-old key was not replaced, or its successor does not keep it")
	}
	k3, _ := sessionTicketKeys(dir, t0.Add(50*time.Hour))
	if len(k3) != 2 || k3[1] != k2[0] {
		t.Fatalf("after two days: %d keys", len(k3))
	}
	os.WriteFile(filepath.Join(dir, ticketKeysFile), []byte("123 zz\n"), 0o600)
	if _, err := sessionTicketKeys(dir, t0); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("a bad key file: %v", err)
	}
}

// restartFrontEnd replaces the rig's front end by a new one on the same
// data directory, as a server restart does (the module keeps running).
func restartFrontEnd(t *testing.T, r *rig) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.fe.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	set := config.NewSet()
	fe := &FrontEnd{}
	fe.Configure(set.Section("lab"))
	if _, err := set.Load(config.Sources{Args: []string{"--lab-listen=127.0.0.1:0"}}); err != nil {
		t.Fatal(err)
	}
	if err := fe.Bind(ctx, &core.FrontEnv{App: r.app, Log: quietLog, DataDir: r.dir}); err != nil {
		t.Fatal(err)
	}
	if err := fe.Start(ctx); err != nil {
		t.Fatal(err)
	}
	r.fe = fe
}

// helloOver dials with cfg, announces pc and returns whether the server
// welcomed it and whether the TLS session was resumed.
func helloOver(t *testing.T, r *rig, cfg *tls.Config) (welcomed, resumed bool) {
	t.Helper()
	c, err := tls.Dial("tcp", r.fe.Addrs()["agents"], cfg)
	if err != nil {
		return false, false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	if _, err := c.Write(labxml.Encode(&labxml.Message{Kind: labxml.Response, Code: labapi.CodeHello, Result: labxml.Success})); err != nil {
		return false, false
	}
	m, err := labxml.NewReader(c, 0).Next()
	if err != nil || m.Code != labapi.CodeWelcome || m.Get("computer") != "pc1" {
		return false, c.ConnectionState().DidResume
	}
	return true, c.ConnectionState().DidResume
}

// An agent resumes its TLS session after the listener restarts (the
// ticket keys are kept), still as its own computer; once its certificate
// is revoked, a resumed session is refused too.
func TestSessionResumesAcrossRestartButNotRevoked(t *testing.T) {
	r := newRig(t)
	r.call("lab.labAdd", map[string]any{"name": "l1"})
	cfg := enrolled(t, r, "pc1")
	cfg.ClientSessionCache = tls.NewLRUClientSessionCache(1)
	if w, _ := helloOver(t, r, cfg); !w {
		t.Fatal("first connection not welcomed")
	}
	waitFor(t, "pc1 off", func() bool { return statusStates(r)[0] == "off" })
	restartFrontEnd(t, r)
	if w, res := helloOver(t, r, cfg); !w || !res {
		t.Fatalf("after a restart: welcomed %v, resumed %v", w, res)
	}
	waitFor(t, "pc1 off", func() bool { return statusStates(r)[0] == "off" })
	auth, err := ca.Open(filepath.Join(r.dir, "ca"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Revoke(labapi.Identity("pc1")); err != nil {
		t.Fatal(err)
	}
	if w, res := helloOver(t, r, cfg); w || !res {
		t.Fatalf("revoked: welcomed %v, resumed %v (want a resumed session refused)", w, res)
	}
	if st := statusStates(r)[0]; st != "off" {
		t.Fatalf("pc1 is %s after the refusal", st)
	}
}

// A running listener replaces its ticket key once it has aged out, not
// only at start.
func TestTicketKeysReplacedWhileRunning(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Unix(1_800_000_000, 0)
	first, err := sessionTicketKeys(dir, t0)
	if err != nil {
		t.Fatal(err)
	}
	f := &FrontEnd{tls: &tls.Config{}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		f.rotateTicketKeys(dir, 5*time.Millisecond, func() time.Time { return t0.Add(25 * time.Hour) }, stop)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		// Read the file itself: sessionTicketKeys would replace the key.
		b, _ := os.ReadFile(filepath.Join(dir, ticketKeysFile))
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) == 2 && strings.HasSuffix(lines[1], hex.EncodeToString(first[0][:])) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the key was not replaced:\n%s", b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	<-done
}
