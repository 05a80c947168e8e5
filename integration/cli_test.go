package integration

import (
	"strings"
	"testing"
)

func TestCLIBasics(t *testing.T) {
	s := startServer(t, "")
	out, code := aula(t, "call", "--url", s.url(), "echo.echo", "hello", "42", `{"a":[1,2]}`)
	if code != 0 || !strings.Contains(out, `"hello"`) || !strings.Contains(out, "42") || !strings.Contains(out, `"a"`) {
		t.Fatalf("aula call: %d %s", code, out)
	}
	out, code = aula(t, "call", "--url", s.url(), "no.such")
	if code != 1 || !strings.Contains(out, "unknown method no.such") {
		t.Fatalf("aula call unknown: %d %s", code, out)
	}
	out, code = aula(t, "help", "echo")
	if code != 0 || !strings.Contains(out, "echo.echo") {
		t.Fatalf("aula help echo: %d %s", code, out)
	}
	out, code = aula(t, "help", "nosuchmodule")
	if code != 2 || !strings.Contains(out, `no module, front end or command "nosuchmodule"`) || !strings.Contains(out, "echo") || !strings.Contains(out, "chat") {
		t.Fatalf("aula help unknown: %d %s", code, out)
	}
	out, code = aula(t, "version")
	if code != 0 || !strings.HasPrefix(out, "aula ") {
		t.Fatalf("aula version: %d %s", code, out)
	}
	out, code = aula(t, "frobnicate")
	if code != 2 || !strings.Contains(out, "unknown command") {
		t.Fatalf("unknown command: %d %s", code, out)
	}
}
