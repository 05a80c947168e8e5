package rest

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"aula/internal/core"
	_ "aula/modules/echo"
)

type restTestModule struct{}

func (restTestModule) Methods() []core.Method {
	hi := core.Func("hi", "says hi", func(ctx context.Context, _ struct{}) (string, error) { return "hi", nil })
	hi.Aliases = []string{"hello"}
	return []core.Method{hi}
}

func init() {
	core.Register(core.ModuleInfo{ID: "resttest", New: func() core.Module { return restTestModule{} }})
}

// TestBareAppOverHTTP: without an authenticator an admin method is 401
// over REST, and GET /api lists system.multicall and aliases, but not what
// an anonymous caller may not call.
func TestBareAppOverHTTP(t *testing.T) {
	app, err := core.NewApp(slog.New(slog.DiscardHandler), "echo", "resttest")
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{App: app}
	rec := httptest.NewRecorder()
	h.ServeAPI(rec, httptest.NewRequest(http.MethodPost, "/api/system.metrics", strings.NewReader("{}")))
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") == "" {
		t.Fatalf("system.metrics: %d %q", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	h.ServeAPI(rec, httptest.NewRequest(http.MethodGet, "/api", nil))
	var list struct {
		Methods []apiMethod `json:"methods"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("GET /api: %d %v %q", rec.Code, err, rec.Body.String())
	}
	byName := map[string]apiMethod{}
	for _, m := range list.Methods {
		byName[m.Name] = m
	}
	if m, ok := byName["system.multicall"]; !ok || m.Help == "" || len(m.Params) != 1 {
		t.Errorf("system.multicall entry %+v", m)
	}
	if m, ok := byName["hello"]; !ok || m.AliasOf != "resttest.hi" || m.Help != "says hi" {
		t.Errorf("alias entry %+v", m)
	}
	if m, ok := byName["resttest.hi"]; !ok || len(m.Aliases) != 1 {
		t.Errorf("method entry %+v", m)
	}
	if _, ok := byName["system.metrics"]; ok {
		t.Error("GET /api shows system.metrics to an anonymous caller")
	}
}
