package rawtcp

import (
	"strings"
	"testing"
)

// TestWriteMetrics: the counters reach the Prometheus lines, named by the
// front end.
func TestWriteMetrics(t *testing.T) {
	srv := New(Config{Name: "test", MaxConns: 8, MaxPerIP: 1, Handler: (&echo{}).handle, Logger: quiet()})
	addr := start(t, srv)
	if got := ask(t, "127.0.0.2", addr, "x"); got != "ok x" {
		t.Fatalf("answered %q", got)
	}
	waitUntil(t, "released", func() bool { return srv.Active() == 0 })
	var b strings.Builder
	srv.WriteMetrics(&b, "chat")
	for _, want := range []string{
		"# TYPE aula_chat_connections_open gauge\naula_chat_connections_open 0\n",
		"# TYPE aula_chat_connections_accepted_total counter\naula_chat_connections_accepted_total 1\n",
		"aula_chat_connections_rejected_total 0\n",
		"aula_chat_connections_shed_total 0\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("metrics lack %q:\n%s", want, b.String())
		}
	}
}
