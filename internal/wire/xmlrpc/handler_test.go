package xmlrpc

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"aula/internal/core"
)

type handlerTestModule struct{}

func (handlerTestModule) Methods() []core.Method {
	big := core.Func("big", "a reply past the gzip threshold", func(ctx context.Context, _ struct{}) (string, error) {
		return strings.Repeat("aula ", 400), nil
	})
	bad := core.Func("bad", "a reply XML-RPC cannot carry", func(ctx context.Context, _ struct{}) (chan int, error) {
		return nil, nil
	})
	fail := core.Func("fail", "an error", func(ctx context.Context, in struct {
		Why string `json:"why"`
	}) (string, error) {
		return "", core.Errorf(core.KindConflict, "no: %s", in.Why)
	})
	return []core.Method{big, bad, fail}
}

func init() {
	core.Register(core.ModuleInfo{ID: "xmlrpctest", New: func() core.Module { return handlerTestModule{} }})
}

// TestHandlerReplies pins the bytes and headers Handler sends for a
// success, a fault, an unencodable reply, a gzipped reply and a refusal.
func TestHandlerReplies(t *testing.T) {
	app, err := core.NewApp(slog.New(slog.DiscardHandler), "xmlrpcbench", "xmlrpctest")
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{App: app}
	serve := func(method string, body []byte, hdr ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "/RPC2", bytes.NewReader(body))
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	check := func(name string, rec *httptest.ResponseRecorder, status int, body string, headers ...string) {
		t.Helper()
		if rec.Code != status || rec.Body.String() != body {
			t.Errorf("%s: status %d body\n%q\nwant %d\n%q", name, rec.Code, rec.Body.String(), status, body)
		}
		for i := 0; i+1 < len(headers); i += 2 {
			if got := rec.Header().Values(headers[i]); len(got) != 1 || got[0] != headers[i+1] {
				t.Errorf("%s: header %s = %q, want %q", name, headers[i], got, headers[i+1])
			}
		}
	}

	const register = "<?xml version=\"1.0\"?>\n<methodResponse><params><param><value><struct>" +
		"<member><name>success</name><value><string>OK</string></value></member>" +
		"<member><name>jabberserver</name><value><string>school.example.org</string></value></member>" +
		"<member><name>backupurl</name><value><string>rsync://school.example.org/backup/3f2a</string></value></member>" +
		"<member><name>backuppath</name><value><string>/library/users/3f2a/backup</string></value></member>" +
		"<member><name>stamp</name><value><string>1717171717-3</string></value></member>" +
		"<member><name>config</name><value><struct>" +
		"<member><name>api-url</name><value><string>https://school.example.org/</string></value></member>" +
		"<member><name>backup-url</name><value><string>rsync://school.example.org/backup/3f2a</string></value></member>" +
		"<member><name>jabber-url</name><value><string>school.example.org</string></value></member>" +
		"<member><name>schoolserver</name><value><string>school.example.org</string></value></member>" +
		"<member><name>uid</name><value><string>3f2a9c0d1e2b4a5f6d7e8f90a1b2c3d4e5f60718</string></value></member>" +
		"</struct></value></member></struct></value></param></params></methodResponse>\n"
	check("register", serve("POST", sugarRegisterCall), 200, register,
		"Content-Type", "text/xml", "Content-Length", "1130")

	// The two header values share an array; adding to one leaves the other.
	rec := serve("POST", sugarRegisterCall)
	rec.Header().Add("Content-Type", "x")
	if got := rec.Header().Values("Content-Length"); len(got) != 1 || got[0] != "1130" {
		t.Errorf("Content-Length after adding a Content-Type: %q", got)
	}

	fault := func(code, msg string) string {
		return "<?xml version=\"1.0\"?>\n<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>" + code +
			"</int></value></member><member><name>faultString</name><value><string>" + msg +
			"</string></value></member></struct></value></fault></methodResponse>\n"
	}
	check("wrong count", serve("POST", []byte(`<methodCall><methodName>register</methodName><params><param><value>x</value></param></params></methodCall>`)),
		200, fault("-32602", "expected 4 params (serial, nickname, uuid, pubkey), got 1"))
	check("unknown", serve("POST", []byte(`<methodCall><methodName>nope.nope</methodName></methodCall>`)),
		200, fault("-32601", "unknown method nope.nope"))
	check("conflict", serve("POST", []byte(`<methodCall><methodName>xmlrpctest.fail</methodName><params><param><value>a&amp;b</value></param></params></methodCall>`)),
		200, fault("409", "no: a&amp;b"))
	check("unencodable", serve("POST", []byte(`<methodCall><methodName>xmlrpctest.bad</methodName></methodCall>`)),
		200, fault("-32603", "cannot encode reply: xmlrpc: encoding response: cannot encode chan int (kind chan) in XML-RPC"))
	check("not XML", serve("POST", []byte(`<methodCall>`)),
		200, fault("-32700", "not well-formed XML: line 1, column 13: document ends before the root element is closed"))

	plain := serve("POST", []byte(`<methodCall><methodName>xmlrpctest.big</methodName></methodCall>`))
	want := "<?xml version=\"1.0\"?>\n<methodResponse><params><param><value><string>" + strings.Repeat("aula ", 400) +
		"</string></value></param></params></methodResponse>\n"
	check("big", plain, 200, want, "Content-Length", "2120")
	zipped := serve("POST", []byte(`<methodCall><methodName>xmlrpctest.big</methodName></methodCall>`), "Accept-Encoding", "gzip")
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if string(unzipped) != want || zipped.Header().Get("Content-Encoding") != "gzip" ||
		zipped.Header().Get("Content-Length") != "127" {
		t.Errorf("gzip reply: %q %v", unzipped, zipped.Header())
	}

	check("GET", serve("GET", nil), http.StatusMethodNotAllowed, "XML-RPC takes POST\n", "Allow", "POST")
}
