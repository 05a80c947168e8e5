package rest

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"aula/internal/core"
	"aula/internal/limit"
	_ "aula/modules/echo"
)

// watchedBody records whether anything read the request body.
type watchedBody struct {
	r    *bytes.Reader
	read atomic.Bool
}

func (b *watchedBody) Read(p []byte) (int, error) { b.read.Store(true); return b.r.Read(p) }
func (b *watchedBody) Close() error               { return nil }

// TestBodyAdmittedBeforeRead: REST bodies pass the admission check and
// the shared budget before they are read, as XML-RPC bodies do: a refused
// caller and a body over the budget are answered without being read.
func TestBodyAdmittedBeforeRead(t *testing.T) {
	app, err := core.NewApp(slog.New(slog.DiscardHandler), "echo")
	if err != nil {
		t.Fatal(err)
	}
	budget := limit.NewBudget(1 << 20)
	h := &Handler{App: app, Budget: budget, BudgetWait: 50 * time.Millisecond}
	post := func(body string) (*httptest.ResponseRecorder, *watchedBody) {
		b := &watchedBody{r: bytes.NewReader([]byte(body))}
		req := httptest.NewRequest("POST", "/api/echo.echo", nil)
		req.Body, req.ContentLength = b, int64(len(body))
		rec := httptest.NewRecorder()
		h.ServeAPI(rec, req)
		return rec, b
	}
	if rec, _ := post(`["a"]`); rec.Code != 200 {
		t.Fatalf("plain call: %d %s", rec.Code, rec.Body)
	}
	hold, _ := budget.Acquire(context.Background(), 1<<20, time.Second)
	rec, b := post(`[` + strings.Repeat(`1,`, 1000) + `1]`)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || b.read.Load() {
		t.Fatalf("over budget: %d, Retry-After %q, body read %v", rec.Code, rec.Header().Get("Retry-After"), b.read.Load())
	}
	hold()
	app.SetAdmission(func(*core.Call) error {
		return &core.Error{Kind: core.KindTooMany, Msg: "slow down", RetryAfter: time.Second}
	})
	rec, b = post(`["a"]`)
	if rec.Code != http.StatusTooManyRequests || b.read.Load() {
		t.Fatalf("refused caller: %d, body read %v", rec.Code, b.read.Load())
	}
	if budget.InUse() != 0 {
		t.Fatalf("%d bytes still held", budget.InUse())
	}
}
