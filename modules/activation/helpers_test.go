package activation

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"aula/internal/config"
	"aula/internal/core"
	"aula/internal/frontend/activationfront"
	"aula/internal/frontend/httpfront"
	"aula/internal/lease"
	"aula/internal/store"
	"aula/internal/wire/activation"
)

const (
	testSN   = "SHF706002A7"
	testUUID = "8BF9AC40-26F8-4BCC-A699-BE51FD366419"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// RSA-2048 keys are slow to make: one master key per test binary.
var masterKey = sync.OnceValue(func() *lease.PrivateKey {
	k, err := lease.GenerateKey()
	if err != nil {
		panic(err)
	}
	return k
})

// harness is one in-process aula with the activation module (and a fake
// id module), booted as internal/cli does, with the TCP 191 front end.
type harness struct {
	t      testing.TB
	dir    string
	app    *core.App
	mod    *Module
	db     *store.DB
	fronts *core.FrontEnds
	srv    *httptest.Server
}

// testArgs keep the tests off port 191 and quick to notice changes.
var testArgs = []string{"--activation-listen=127.0.0.1:0", "--activation-read-deadline=300ms",
	"--activation-reload-interval=50ms", "--activation-log-flush-interval=50ms"}

func newHarness(t testing.TB, dir string, args ...string) *harness {
	t.Helper()
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "data")
	}
	ctx := context.Background()
	app, err := core.NewApp(quietLog, "activation", "id")
	if err != nil {
		t.Fatal(err)
	}
	set := config.NewSet()
	app.Configure(set)
	fronts, err := core.NewFrontEnds("activation")
	if err != nil {
		t.Fatal(err)
	}
	fronts.Configure(set)
	if _, err := set.Load(config.Sources{Args: append(append([]string{}, testArgs...), args...)}); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	mod, _ := app.Module("activation")
	h := &harness{t: t, dir: dir, app: app, mod: mod.(*Module), db: db, fronts: fronts}
	t.Cleanup(h.close)
	if err := db.Migrate(ctx, "activation", h.mod.Migrations()); err != nil {
		t.Fatal(err)
	}
	env := &core.Env{App: app, Store: db, Log: quietLog, Events: app.Events, DataDir: dir}
	if err := h.mod.Provision(ctx, env); err != nil {
		t.Fatal(err)
	}
	return h
}

// serve binds and starts the module, the TCP 191 front end and the HTTP
// handler, in the order `aula serve` does.
func (h *harness) serve() *harness {
	h.t.Helper()
	ctx := context.Background()
	if err := h.fronts.Bind(ctx, &core.FrontEnv{App: h.app, Log: quietLog}); err != nil {
		h.t.Fatal(err)
	}
	if err := h.app.Start(ctx); err != nil {
		h.t.Fatal(err)
	}
	if err := h.fronts.Start(ctx); err != nil {
		h.t.Fatal(err)
	}
	handler, err := httpfront.Handler(h.app, false)
	if err != nil {
		h.t.Fatal(err)
	}
	h.srv = httptest.NewServer(handler)
	return h
}

func (h *harness) close() {
	if h.srv != nil {
		h.srv.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h.fronts.Shutdown(ctx)
	h.app.Stop(ctx)
	h.db.Close()
}

// call runs a method as the local admin, as the CLI does.
func (h *harness) call(method string, named map[string]any) (any, error) {
	c := &core.Call{Method: method, Named: named, Transport: "cli",
		Caller: core.LocalCaller()}
	if c.Named == nil {
		c.Named = map[string]any{}
	}
	return h.app.Handle(context.Background(), c)
}

func (h *harness) mustCall(method string, named map[string]any) any {
	h.t.Helper()
	out, err := h.call(method, named)
	if err != nil {
		h.t.Fatalf("%s: %v", method, err)
	}
	return out
}

// tcp is where the TCP 191 front end listens.
func (h *harness) tcp() string {
	a := h.fronts.Addrs()["activation.tcp"]
	if a == "" {
		h.t.Fatal("TCP 191 front end not listening")
	}
	return a
}

// ask does the XO's exchange: connect, send, half-close, read to EOF.
func ask(t *testing.T, addr string, request string) []byte {
	t.Helper()
	b, err := activation.Ask(addr, []byte(request), 30*time.Second)
	if err != nil {
		t.Fatalf("reading reply to %q: %v", request, err)
	}
	return b
}

// answer calls activation.answer as the TCP 191 front end does.
func (h *harness) answer(t testing.TB, args ...any) []byte {
	t.Helper()
	out, err := h.app.Handle(context.Background(), &core.Call{Method: activationfront.Method, Args: args, Transport: "activation"})
	if err != nil {
		t.Fatalf("activation.answer %q: %v", args, err)
	}
	return out.([]byte)
}

// waitFor polls cond until it holds; it is for changes another process (or
// a background loop) makes, and asserts nothing about how long they take.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// signedLease makes an act01 lease by the master key, as OLPC would.
func signedLease(t testing.TB, version int, sn, uuid string, exp time.Time) string {
	t.Helper()
	l, err := lease.SignLease(masterKey(), version, sn, uuid, lease.StampOf(exp))
	if err != nil {
		t.Fatal(err)
	}
	return l.String()
}

func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// trustMaster writes the master public key and returns the option that
// trusts it.
func trustMaster(t *testing.T) string {
	return "--activation-trusted-key=" + writeFile(t, t.TempDir(), "master.public", masterKey().Public().DER())
}

// opensslVerify checks sigHex over payload with the DER public key using
// spec §6's openssl pkeyutl command, salt length pinned to 8.
func opensslVerify(t *testing.T, pubDER []byte, payload, sigHex string) bool {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	writeFile(t, dir, "lease.public", pubDER)
	writeFile(t, dir, "payload", []byte(payload))
	sig, err := hex.DecodeString(sigHex)
	if err != nil {
		t.Fatalf("signature is not hex: %v", err)
	}
	writeFile(t, dir, "sig.bin", sig)
	script := `openssl dgst -sha256 -binary payload > payload.sha256 &&
openssl pkeyutl -verify -pubin -inkey lease.public -keyform DER \
  -in payload.sha256 -sigfile sig.bin \
  -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:8 -pkeyopt digest:sha256`
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	switch {
	case err == nil && bytes.Contains(out, []byte("Signature Verified Successfully")):
		return true
	case err != nil && bytes.Contains(out, []byte("Signature Verification Failure")):
		return false
	}
	t.Fatalf("unexpected openssl output (err %v): %s", err, out)
	return false
}

func fields(line string) []string { return strings.Fields(strings.TrimSuffix(line, "\n")) }
