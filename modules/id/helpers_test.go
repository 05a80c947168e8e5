package id

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"

	"aula/internal/config"
	"aula/internal/core"
	"aula/internal/frontend/httpfront"
	"aula/internal/store"
	"aula/internal/wire/xmlrpc"
	"aula/modules/id/idapi"
)

// harness is one in-process aula with only the id module, booted as
// internal/cli does: configure, load options, open the store, migrate,
// provision, serve the real handler on 127.0.0.1.
type harness struct {
	t      *testing.T
	dir    string
	app    *core.App
	mod    *Module
	db     *store.DB
	srv    *httptest.Server
	events *eventLog
}

// eventLog records the client events the module publishes.
type eventLog struct {
	mu  sync.Mutex
	all []core.Event
}

func (l *eventLog) record(_ context.Context, e core.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all = append(l.all, e)
}

func (l *eventLog) take() []core.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.all
	l.all = nil
	return out
}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// testArgs are the options every harness gets unless a test overrides
// them: fixed names, so nothing depends on this host's name.
var testArgs = []string{"--id-server-name=xs.school.lan"}

func newHarness(t *testing.T, dir string, args ...string) *harness {
	t.Helper()
	h, err := boot(dir, append(append([]string{}, testArgs...), args...)...)
	if err != nil {
		t.Fatal(err)
	}
	h.t = t
	t.Cleanup(h.close)
	return h
}

func boot(dir string, args ...string) (*harness, error) {
	ctx := context.Background()
	app, err := core.NewApp(quietLog, "id")
	if err != nil {
		return nil, err
	}
	set := config.NewSet()
	app.Configure(set)
	if _, err := set.Load(config.Sources{Args: args}); err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, store.Options{Dir: dir})
	if err != nil {
		return nil, err
	}
	mod, _ := app.Module("id")
	h := &harness{dir: dir, app: app, mod: mod.(*Module), db: db, events: &eventLog{}}
	app.Events.Subscribe(idapi.TopicChanges, h.events.record)
	env := &core.Env{App: app, Store: db, Log: quietLog, Events: app.Events, DataDir: dir}
	if err := app.Provision(ctx, env); err != nil {
		db.Close()
		return nil, err
	}
	handler, err := httpfront.Handler(app, false)
	if err != nil {
		db.Close()
		return nil, err
	}
	h.srv = httptest.NewServer(handler)
	return h, nil
}

// settle folds the registration journal, as the server does in the
// background.
func (h *harness) settle() {
	h.t.Helper()
	if err := h.mod.recs.fold(h.t.Context()); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) close() {
	if h.srv != nil {
		h.srv.Close()
		h.srv = nil
	}
	if h.db != nil {
		h.db.Close()
		h.db = nil
	}
}

// admin calls a method in-process as the local administrator, as `aula
// client ...` does without --url, decoding the result into out.
func (h *harness) admin(method string, named map[string]any, out any) error {
	if named == nil {
		named = map[string]any{}
	}
	c := &core.Call{Method: method, Named: named, Transport: "cli",
		Caller: core.LocalCaller()}
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

// cmdContext runs the module's CLI commands against this harness.
func (h *harness) cmdContext(stdout io.Writer) *core.CmdContext {
	return &core.CmdContext{Stdout: stdout, Stderr: io.Discard,
		Call: func(ctx context.Context, method string, named map[string]any, out any) error {
			return h.admin(method, named, out)
		}}
}

// runCommand runs `aula <name> args...` and returns its output.
func (h *harness) runCommand(name string, args ...string) (string, error) {
	for _, c := range h.mod.Commands() {
		if c.Name == name {
			var out bytes.Buffer
			err := c.Run(context.Background(), h.cmdContext(&out), args)
			return out.String(), err
		}
	}
	h.t.Fatalf("no command %q", name)
	return "", nil
}

// postJSON posts body to path and decodes the JSON reply.
func (h *harness) postJSON(path string, body any) (int, map[string]any) {
	h.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		h.t.Fatal(err)
	}
	resp, err := http.Post(h.srv.URL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		h.t.Fatal(err)
	}
	return decodeReply(h.t, resp)
}

func (h *harness) get(path string) (int, map[string]any) {
	h.t.Helper()
	resp, err := http.Get(h.srv.URL + path)
	if err != nil {
		h.t.Fatal(err)
	}
	return decodeReply(h.t, resp)
}

func decodeReply(t *testing.T, resp *http.Response) (int, map[string]any) {
	t.Helper()
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("HTTP %s: reply is not a JSON object: %v", resp.Status, err)
	}
	return resp.StatusCode, out
}

// xmlrpcCall calls method over XML-RPC at / and returns the decoded value
// or the fault.
func (h *harness) xmlrpcCall(method string, params ...any) (any, error) {
	h.t.Helper()
	body, err := xmlrpc.AppendCall(nil, method, params)
	if err != nil {
		h.t.Fatal(err)
	}
	resp, err := http.Post(h.srv.URL+"/", "text/xml", bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		h.t.Fatalf("XML-RPC %s: HTTP %s", method, resp.Status)
	}
	return xmlrpc.DecodeResponse(resp.Body, 0)
}

// register makes a Sugar-shell registration over XML-RPC and returns the
// reply struct.
func (h *harness) register(serial, nick, uuid, pubkey string) map[string]any {
	h.t.Helper()
	v, err := h.xmlrpcCall("register", serial, nick, uuid, pubkey)
	if err != nil {
		h.t.Fatalf("register answered with a fault: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		h.t.Fatalf("register returned %T, want a struct", v)
	}
	if m["success"] != "OK" {
		h.t.Fatalf("register(%q, %q, %q, ...) failed: %v", serial, nick, uuid, m["error"])
	}
	return m
}

// newKey returns a fresh ed25519 key's base64 blob (no prefix).
func newKey(t testing.TB) string {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(ssh.MarshalAuthorizedKey(sp)))[1]
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// dataDir is a fresh data directory (created by the store, mode 0700).
func dataDir(t *testing.T) string { return filepath.Join(t.TempDir(), "data") }
