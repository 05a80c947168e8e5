package xmlrpc

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"aula/internal/core"
)

// TestMulticallFaults: the core runs system.multicall, each entry through
// the chain; failed entries carry XML-RPC's fault codes (-32601 for an
// unknown method, 401 for an admin method without credentials).
func TestMulticallFaults(t *testing.T) {
	app, err := core.NewApp(slog.New(slog.DiscardHandler), "xmlrpctest")
	if err != nil {
		t.Fatal(err)
	}
	body := `<?xml version="1.0"?><methodCall><methodName>system.multicall</methodName><params><param><value><array><data>` +
		`<value><struct><member><name>methodName</name><value>no.such</value></member><member><name>params</name><value><array><data/></array></value></member></struct></value>` +
		`<value><struct><member><name>methodName</name><value>system.metrics</value></member></struct></value>` +
		`<value><struct><member><name>methodName</name><value>system.methodHelp</value></member><member><name>params</name><value><array><data><value>system.multicall</value></data></array></value></member></struct></value>` +
		`</data></array></value></param></params></methodCall>`
	rec := httptest.NewRecorder()
	(&Handler{App: app}).ServeHTTP(rec, httptest.NewRequest("POST", "/RPC2", bytes.NewReader([]byte(body))))
	v, err := DecodeResponse(rec.Body, 1<<20)
	if err != nil {
		t.Fatalf("%v: %s", err, rec.Body.String())
	}
	res := v.([]any)
	fault := func(i int) (any, any) { f := res[i].(map[string]any); return f["faultCode"], f["faultString"] }
	if code, msg := fault(0); fmt.Sprint(code) != fmt.Sprint(MethodNotFound) || !strings.Contains(msg.(string), "no.such") {
		t.Errorf("entry 0: %v %v", code, msg)
	}
	if code, _ := fault(1); fmt.Sprint(code) != "401" {
		t.Errorf("entry 1: %v", code)
	}
	if help := res[2].([]any)[0].(string); !strings.Contains(help, "{methodName, params}") {
		t.Errorf("entry 2: %q", help)
	}
}
