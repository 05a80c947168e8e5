package cli

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"aula/internal/core"
	_ "aula/modules/id"
)

func TestWarnSugarPorts(t *testing.T) {
	app, err := core.NewApp(nil, "id")
	if err != nil {
		t.Fatal(err)
	}
	for addr, warn := range map[string]string{":8080": "", "0.0.0.0:8080": "", "127.0.0.1:18080": "not on port 8080", "": "is off"} {
		var buf bytes.Buffer
		warnSugarPorts(slog.New(slog.NewTextHandler(&buf, nil)), app, addr)
		if got := buf.String(); warn == "" && got != "" || warn != "" && !strings.Contains(got, warn) {
			t.Errorf("xs-listen %q: logged %q, want %q", addr, got, warn)
		}
	}
}
