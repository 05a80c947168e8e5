package integration

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestStrictDecoding: the real server refuses what it would otherwise
// have to guess at. A REST body with bytes that are not UTF-8 is a 400
// naming the field (it used to be stored with U+FFFD in their place); an
// XML-RPC call in a foreign XML namespace is fault -32600 (it used to be
// answered as if it were XML-RPC).
func TestStrictDecoding(t *testing.T) {
	s := startServer(t, "")
	st, m, _ := httpDo(t, "POST", s.url()+"client/register", `{"uuid": "11111111-2222-3333-4444-555555555555", "nickname": "ni`+"\xff"+`ck"}`)
	if st != http.StatusBadRequest || !strings.Contains(m["error"].(string), `field "nickname": invalid UTF-8`) {
		t.Fatalf("REST body with invalid UTF-8: %d %v", st, m)
	}
	st, m, _ = httpDo(t, "POST", s.url()+"api/echo.echo", `["ok", {"deep": ["`+"\xc3"+`"]}]`)
	if st != http.StatusBadRequest || !strings.Contains(m["error"].(string), `param 2.deep[0]: invalid UTF-8`) {
		t.Fatalf("REST array with invalid UTF-8: %d %v", st, m)
	}
	for _, body := range []string{
		`<?xml version="1.0"?><methodCall xmlns="urn:example:other"><methodName>echo.echo</methodName></methodCall>`,
		`<?xml version="1.0"?><o:methodCall xmlns:o="urn:example:other"><o:methodName>echo.echo</o:methodName></o:methodCall>`,
	} {
		resp, err := http.Post(s.url()+"RPC2", "text/xml", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		reply, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(reply), "<int>-32600</int>") || !strings.Contains(string(reply), "urn:example:other") {
			t.Fatalf("XML-RPC call in a foreign namespace: %d %s", resp.StatusCode, reply)
		}
	}
	// The server still serves.
	if st, m, _ := httpDo(t, "POST", s.url()+"api/echo.echo", `["still here"]`); st != 200 {
		t.Fatalf("after the refusals: %d %v", st, m)
	}
}
