package backup

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"aula/internal/config"
	"aula/internal/core"
	_ "aula/internal/frontend/httpfront" // the "http" front end
	"aula/internal/store"
	_ "aula/modules/id" // the real laptop registry, found through idapi
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// harness is an in-process aula with the id and backup modules, booted as
// internal/cli does: configure, load options, open the store, migrate,
// provision (and Start when serving).
type harness struct {
	t   testing.TB
	dir string // data directory
	app *core.App
	mod *Module
	db  *store.DB
	// fronts is the HTTP front end, configured with the rest (bound by
	// the tests that listen).
	fronts *core.FrontEnds
}

// testClock is a settable clock for slot expiry.
type testClock struct{ ns atomic.Int64 }

func (c *testClock) now() time.Time            { return time.Unix(0, c.ns.Load()) }
func (c *testClock) add(d time.Duration)       { c.ns.Add(int64(d)) }
func newClock(t time.Time) *testClock          { c := &testClock{}; c.ns.Store(t.UnixNano()); return c }
func (h *harness) useClock(c *testClock)       { h.mod.mu.Lock(); h.mod.now = c.now; h.mod.mu.Unlock() }
func (h *harness) settings() Settings          { s, _, _ := h.mod.state(); return s }
func (h *harness) clientDir(uid string) string { return filepath.Join(h.settings().Root, uid) }

// testArgs keep the harness independent of this host.
var testArgs = []string{"--id-server-name=xs.school.lan", "--backup-max-load=0", "--backup-max-disk=100", "--backup-max-inodes=100"}

// newHarness boots on dir (a fresh one when ""); serve runs Start too.
func newHarness(t *testing.T, dir string, serve bool, args ...string) *harness {
	t.Helper()
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "data")
	}
	h, err := boot(dir, args...)
	if err != nil {
		t.Fatal(err)
	}
	h.t = t
	t.Cleanup(func() { h.db.Close() })
	if serve {
		if err := h.app.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.app.Stop(context.Background()) })
	}
	return h
}

// boot configures, opens, migrates and provisions, as internal/cli does.
func boot(dir string, args ...string) (*harness, error) {
	ctx := context.Background()
	app, err := core.NewApp(quietLog, "id", "backup")
	if err != nil {
		return nil, err
	}
	set := config.NewSet()
	app.Configure(set)
	fronts, err := core.NewFrontEnds("http")
	if err != nil {
		return nil, err
	}
	fronts.Configure(set)
	if _, err := set.Load(config.Sources{Args: append(append([]string{}, testArgs...), args...)}); err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, store.Options{Dir: dir})
	if err != nil {
		return nil, err
	}
	h := &harness{dir: dir, app: app, db: db, fronts: fronts}
	env := &core.Env{App: app, Store: db, Log: quietLog, Events: app.Events, DataDir: dir}
	if err := app.Provision(ctx, env); err != nil {
		db.Close()
		return nil, err
	}
	mod, _ := app.Module("backup")
	h.mod = mod.(*Module)
	return h, nil
}

// call runs a method as the local administrator and decodes into out.
func (h *harness) call(method string, named map[string]any, out any) error {
	c := &core.Call{Method: method, Named: named, Transport: "cli",
		Caller: core.LocalCaller()}
	if c.Named == nil {
		c.Named = map[string]any{}
	}
	res, err := h.app.Handle(context.Background(), c)
	if err != nil || out == nil {
		return err
	}
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// newKey makes an ed25519 public key blob, base64, as Sugar would send
// its DSA blob (no type prefix).
func newKey(t testing.TB) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sp.Marshal())
}

// client is one registered laptop.
type client struct {
	UID, Serial, UUID, PubKey string
}

// register registers a laptop through id.register (the Sugar shell's call).
func (h *harness) register(n int) client {
	h.t.Helper()
	c := client{Serial: fmt.Sprintf("SHF%08d", n), UUID: fmt.Sprintf("8bf9ac40-26f8-4bcc-a699-%012d", n), PubKey: newKey(h.t)}
	var reply struct {
		Success, Error, BackupPath string
		Config                     map[string]string
	}
	err := h.call("id.register", map[string]any{"serial": c.Serial, "nickname": "nena", "uuid": c.UUID, "pubkey": c.PubKey}, &reply)
	if err != nil || reply.Success != "OK" {
		h.t.Fatalf("register: %v %+v", err, reply)
	}
	c.UID = reply.Config["uid"]
	return c
}

func (h *harness) admit(in AdmitArgs) (Admission, error) {
	return h.mod.admit(context.Background(), in)
}

// eventKinds lists a client's audit events, oldest first.
func (h *harness) eventKinds(uid string) []string {
	h.t.Helper()
	evs, err := h.mod.store.listEvents(context.Background(), uid, 1000)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for i := len(evs) - 1; i >= 0; i-- {
		out = append(out, evs[i].Kind+": "+evs[i].Detail)
	}
	return out
}

func mustWrite(t testing.TB, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
