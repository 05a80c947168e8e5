package xmlrpc

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"aula/internal/core"
	"aula/internal/limit"
)

// arrayOf is a call whose one param is an array of n <i4>s (n+1 values).
func arrayOf(n int) []byte {
	var b strings.Builder
	b.WriteString(`<methodCall><methodName>t</methodName><params><param><value><array><data>`)
	for i := range n {
		b.WriteString("<value><i4>" + strconv.Itoa(i) + "</i4></value>")
	}
	b.WriteString(`</data></array></value></param></params></methodCall>`)
	return []byte(b.String())
}

// TestDecodeCallCountsValues: the value limit holds on both paths, at the
// same count, whatever the nesting (array elements, struct members, params).
func TestDecodeCallCountsValues(t *testing.T) {
	atLimit := arrayOf(MaxValues - 1) // the array itself is a value too
	if _, _, ok := fastOnly(atLimit); !ok {
		t.Fatal("fast path declined a call of exactly MaxValues values")
	}
	if _, p, err := DecodeCall(bytes.NewReader(atLimit), 0); err != nil || len(p[0].([]any)) != MaxValues-1 {
		t.Fatalf("call of exactly MaxValues values: %v", err)
	}
	var members strings.Builder
	for i := range MaxValues {
		members.WriteString("<member><name>m" + strconv.Itoa(i) + "</name><value/></member>")
	}
	for name, doc := range map[string][]byte{
		"array":  arrayOf(MaxValues),
		"struct": []byte(call("<value><struct>" + members.String() + "</struct></value>")),
		"params": []byte(`<methodCall><methodName>t</methodName><params>` +
			strings.Repeat("<param><value/></param>", MaxValues+1) + `</params></methodCall>`),
	} {
		if _, _, ok := fastOnly(doc); ok {
			t.Errorf("%s: fast path took more than MaxValues values", name)
		}
		if _, _, err := slowCall(doc); err == nil {
			t.Errorf("%s: encoding/xml path took more than MaxValues values", name)
		}
		_, _, err := DecodeCall(bytes.NewReader(doc), 0)
		var f *Fault
		if !errors.As(err, &f) || f.Code != InvalidRequest || !strings.Contains(f.String, "more than "+strconv.Itoa(MaxValues)+" values") {
			t.Errorf("%s: got %v, want an InvalidRequest fault naming the value limit", name, err)
		}
	}
	// Responses are not counted (the client chose its server).
	resp := bytes.Replace(arrayOf(MaxValues), []byte("<methodCall><methodName>t</methodName>"), []byte("<methodResponse>"), 1)
	resp = bytes.Replace(resp, []byte("</methodCall>"), []byte("</methodResponse>"), 1)
	if _, err := DecodeResponse(bytes.NewReader(resp), 0); err != nil {
		t.Fatalf("response of more than MaxValues values: %v", err)
	}
}

// countingBody records whether anything read the request body.
type countingBody struct {
	r    *bytes.Reader
	read atomic.Bool
}

func (b *countingBody) Read(p []byte) (int, error) { b.read.Store(true); return b.r.Read(p) }
func (b *countingBody) Close() error               { return nil }

// TestHandlerAdmitsBeforeReading: a caller the admission check refuses is
// answered without its body being read.
func TestHandlerAdmitsBeforeReading(t *testing.T) {
	app, err := core.NewApp(slog.New(slog.DiscardHandler), "xmlrpctest")
	if err != nil {
		t.Fatal(err)
	}
	var seen atomic.Value
	app.SetAdmission(func(c *core.Call) error {
		seen.Store(c.Caller.Addr.Addr().String())
		return &core.Error{Kind: core.KindTooMany, Msg: "slow down", RetryAfter: time.Second}
	})
	h := &Handler{App: app}
	body := &countingBody{r: bytes.NewReader(arrayOf(10))}
	req := httptest.NewRequest("POST", "/RPC2", nil)
	req.Body, req.RemoteAddr = body, "192.0.2.7:4000"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if body.read.Load() {
		t.Fatal("the body of a refused caller was read")
	}
	if !strings.Contains(rec.Body.String(), "<int>429</int>") || seen.Load() != "192.0.2.7" {
		t.Fatalf("reply %d %q, admission saw %v", rec.Code, rec.Body.String(), seen.Load())
	}
}

// TestHandlerBudget: while the budget is spent, a large request waits at
// most BudgetWait, then gets 503 with Retry-After without its body being
// read; once bytes are given back it is served.
func TestHandlerBudget(t *testing.T) {
	app, err := core.NewApp(slog.New(slog.DiscardHandler), "xmlrpctest")
	if err != nil {
		t.Fatal(err)
	}
	budget := limit.NewBudget(1 << 20)
	h := &Handler{App: app, Budget: budget, BudgetWait: 50 * time.Millisecond}
	hold, _ := budget.Acquire(context.Background(), 1<<20, time.Second)
	doc := arrayOf(1000)
	body := &countingBody{r: bytes.NewReader(doc)}
	req := httptest.NewRequest("POST", "/RPC2", nil)
	req.Body, req.ContentLength = body, int64(len(doc))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || body.read.Load() {
		t.Fatalf("over budget: status %d, Retry-After %q, body read %v", rec.Code, rec.Header().Get("Retry-After"), body.read.Load())
	}
	hold()
	req = httptest.NewRequest("POST", "/RPC2", bytes.NewReader(doc))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || budget.InUse() != 0 {
		t.Fatalf("within budget: status %d, %d bytes still held", rec.Code, budget.InUse())
	}
}
