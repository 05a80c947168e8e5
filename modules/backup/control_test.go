package backup

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"aula/internal/core"
	"aula/internal/frontend/httpfront"
)

type reply struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, base, path string) reply {
	t.Helper()
	return do(t, http.MethodGet, base, path)
}

func do(t *testing.T, method, base, path string) reply {
	t.Helper()
	req, err := http.NewRequest(method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

func TestControlEndpoints(t *testing.T) {
	h := newHarness(t, "", false, "--backup-max-concurrent=1")
	handler, err := httpfront.Handler(h.app, false)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	defer srv.Close()
	a, b := h.register(1), h.register(2)

	// XS ds-backup form: 200, empty text/plain body.
	r := get(t, srv.URL, "/backup/1/available/"+a.Serial)
	if r.status != 200 || r.body != "" || r.header.Get("Content-Type") != "text/plain" {
		t.Fatalf("XS go: %+v", r)
	}
	// Asking again keeps the slot: still 200.
	if r := get(t, srv.URL, "/backup/uuid/available/"+a.UID); r.status != 200 || r.body != "" {
		t.Fatalf("SSK same client: %+v", r)
	}
	// The only slot is taken: 503 with Retry-After, for both forms.
	for _, p := range []string{"/backup/1/available/" + b.Serial, "/backup/uuid/available/" + b.UID, "/backup/uuid/available/" + b.UUID} {
		r := get(t, srv.URL, p)
		if r.status != 503 || r.header.Get("Retry-After") == "" || !strings.Contains(r.body, "slots taken") {
			t.Fatalf("%s busy: %+v", p, r)
		}
	}
	// JSON form.
	var env map[string]any
	r = get(t, srv.URL, "/client/backup?uuid="+b.UID)
	if err := json.Unmarshal([]byte(r.body), &env); err != nil || r.status != 200 || env["success"] != "OK" || env["accepted"] != false {
		t.Fatalf("JSON busy: %+v %v", r, env)
	}
	r = get(t, srv.URL, "/client/backup?uuid="+a.UID)
	env = nil
	if err := json.Unmarshal([]byte(r.body), &env); err != nil || env["success"] != "OK" || env["accepted"] != true {
		t.Fatalf("JSON go: %+v", r)
	}

	// Unknown clients: 403 (bare forms) and ERR (JSON).
	for _, p := range []string{"/backup/1/available/SHF99999999", "/backup/uuid/available/" + strings.Repeat("ab", 20),
		"/backup/uuid/available/00000000-0000-0000-0000-000000000000"} {
		if r := get(t, srv.URL, p); r.status != 403 || !strings.Contains(r.body, "unknown client") {
			t.Fatalf("%s: %+v", p, r)
		}
	}
	r = get(t, srv.URL, "/client/backup?uuid="+strings.Repeat("ab", 20))
	if r.status != 403 || !strings.Contains(r.body, `"success":"ERR"`) {
		t.Fatalf("JSON unknown: %+v", r)
	}

	// Malformed requests.
	for _, p := range []string{"/backup/1/available/", "/backup/1/available/a/b", "/backup/1/available/SHF-1",
		"/backup/1/available/" + strings.Repeat("A", 65), "/backup/1/available/%2e%2e", "/backup/1/available/a%00b",
		"/backup/uuid/available/a%20b", "/backup/uuid/available/" + strings.Repeat("a", 300)} {
		if r := get(t, srv.URL, p); r.status != 403 {
			t.Errorf("%s: %+v, want 403", p, r)
		}
	}
	if r := do(t, http.MethodPost, srv.URL, "/backup/1/available/"+a.Serial); r.status != 405 || r.header.Get("Allow") != "GET" {
		t.Errorf("POST: %+v", r)
	}
	for _, p := range []string{"/client/backup", "/client/backup?uuid=", "/client/backup?uuid=a&serial=B", "/client/backup?bogus=1"} {
		if r := get(t, srv.URL, p); r.status != 400 || !strings.Contains(r.body, `"success":"ERR"`) {
			t.Errorf("%s: %+v, want 400 ERR", p, r)
		}
	}
}

// --backup-control-listen serves the checks on a listener of their own,
// which the HTTP front end opens for the module (core.ListenerProvider).
func TestControlListener(t *testing.T) {
	h := newHarness(t, "", false, "--backup-control-listen=127.0.0.1:0", "--listen=", "--xs-listen=")
	if err := h.fronts.Bind(t.Context(), &core.FrontEnv{App: h.app, Log: quietLog}); err != nil {
		t.Fatal(err)
	}
	if err := h.app.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := h.fronts.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	addr := h.fronts.Addrs()["http.backup-control"]
	if len(h.fronts.Addrs()) != 1 || addr == "" {
		t.Fatalf("listeners: %v, want backup-control only", h.fronts.Addrs())
	}
	a := h.register(1)
	if r := get(t, "http://"+addr, "/backup/1/available/"+a.Serial); r.status != 200 || r.body != "" {
		t.Fatalf("control listener: %+v", r)
	}
	if r := get(t, "http://"+addr, "/api"); r.status != 404 {
		t.Fatalf("control listener serves only the checks: %+v", r)
	}
	if err := h.fronts.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := h.app.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Fatal("control listener still open after Stop")
	}
}
